"""Training with exact gradients: Yin-Yang wall time to >= 95 % validation accuracy, and XOR success over seeds.

Yin-Yang trains the ``yinyang`` preset (one seed) and measures, after every epoch, the validation accuracy
with the uncapped exact forward pass; the time spent on those measurements is excluded from the training
time. The test accuracy is measured once, on the model the trainer selected (on validation), by
:func:`snn_deploy.reference.evaluation.evaluate`. Wall time depends on how busy the machine is, so the process CPU time is reported too. XOR trains
its preset from many seeds and counts the runs that reach 100 %.

    .venv/bin/python benchmarks/bench_training.py [--quick] [--seed S] [--xor-seeds N]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import markdown_table, write_results  # noqa: E402

from snn_deploy.reference.datasets import load  # noqa: E402
from snn_deploy.reference.decoding import accuracy  # noqa: E402
from snn_deploy.reference.evaluation import evaluate, layered_first_spikes  # noqa: E402
from snn_deploy.reference.trainer import PRESETS, train  # noqa: E402

TARGET = 0.95


def yinyang_run(seed: int, epochs: int | None) -> dict:
    config = PRESETS["yinyang"]
    data = load("yinyang")
    validation_times = config.encoding.encode(data.validation_x)
    curve: list[dict] = []
    excluded = excluded_cpu = 0.0
    start, start_cpu = time.perf_counter(), time.process_time()

    def progress(epoch: int, history, network) -> None:
        nonlocal excluded, excluded_cpu
        t0, c0 = time.perf_counter(), time.process_time()
        training_seconds = t0 - start - excluded
        validation = accuracy(layered_first_spikes(network, validation_times), data.validation_y)
        excluded += time.perf_counter() - t0
        excluded_cpu += time.process_time() - c0
        curve.append({"epoch": epoch + 1, "seconds": training_seconds,
                      "train_accuracy_minibatch": history.train_accuracy[-1], "loss": history.loss[-1],
                      "validation_accuracy": validation})
        print(f"epoch {epoch + 1}: loss {history.loss[-1]:.4f} validation {validation:.4f}", file=sys.stderr,
              flush=True)

    result = train(config, seed, epochs=epochs, progress=progress)
    cpu_seconds = time.process_time() - start_cpu - excluded_cpu
    reached = next((point for point in curve if point["validation_accuracy"] >= TARGET), None)
    return {
        "seed": seed, "epochs": len(curve), "train_accuracy": result.train_accuracy,
        "validation_accuracy": result.validation_accuracy,
        "best_validation_accuracy": max(p["validation_accuracy"] for p in curve),
        "selected_epoch": result.graph.metadata["selected_epoch"],
        "test_accuracy": evaluate(result.graph, "yinyang")["test_accuracy"],
        "training_seconds": result.seconds - excluded, "training_cpu_seconds": cpu_seconds,
        "seconds_to_target": None if reached is None else reached["seconds"],
        "epochs_to_target": None if reached is None else reached["epoch"], "curve": curve,
    }


def xor_runs(seeds: int) -> dict:
    start = time.perf_counter()
    accuracies = [train(PRESETS["xor"], seed).validation_accuracy for seed in range(seeds)]  # the 4 points
    perfect = sum(a == 1.0 for a in accuracies)
    return {"seeds": seeds, "perfect": perfect, "fraction_perfect": perfect / seeds,
            "seconds": time.perf_counter() - start, "epochs": PRESETS["xor"].epochs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 Yin-Yang epochs, 10 XOR seeds")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--xor-seeds", type=int, default=100)
    args = parser.parse_args()
    yinyang = yinyang_run(args.seed, 5 if args.quick else None)
    xor = xor_runs(10 if args.quick else args.xor_seeds)
    print(markdown_table(
        ["task", "seeds", "epochs", "train acc", "validation acc (selected)", "best validation acc",
         "test acc (selected model, measured once)", "time to 95 % validation (s)", "training time (s)", "CPU time (s)"],
        [["Yin-Yang", 1, yinyang["epochs"], yinyang["train_accuracy"], yinyang["validation_accuracy"],
          yinyang["best_validation_accuracy"], yinyang["test_accuracy"],
          "not reached" if yinyang["seconds_to_target"] is None else round(yinyang["seconds_to_target"], 1),
          round(yinyang["training_seconds"], 1),
          round(yinyang["training_cpu_seconds"], 1)],
         ["XOR (100 % runs)", xor["seeds"], xor["epochs"], "-", f"{xor['perfect']}/{xor['seeds']}", "-", "-", "-",
          round(xor["seconds"], 1), "-"]]))
    path = write_results("training", {"yinyang": yinyang, "xor": xor, "quick": args.quick})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
