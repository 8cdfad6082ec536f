"""Choose the Yin-Yang preset's robust phase and Loihi 2 deployment step on the validation split.

The rule, fixed before the run (issue 14: every choice on validation only, by committed code):

1. Run the preset's main phase once (``--seed``; its epoch selected on validation by the trainer).
2. Finish it with every candidate robust phase of :data:`VARIANTS` (the five settings tried when the preset
   was first written: none, and four (learning rate, weight noise, input jitter) triples), each robust
   epoch selected on clean validation accuracy. Every finish continues the same main phase, so each
   candidate is exactly the model ``snn-deploy train yinyang`` gives with that robust phase.
3. Compile every candidate for Loihi 2 at every step of :func:`dt_candidates` (``tau_syn / 50``,
   ``tau_syn / 100``, ``tau_syn / 200``: one step is 2 %, 1 %, 0.5 % of the synaptic time constant) and
   emulate the validation split with ``snn_deploy.check.runner.run_check`` (the check's own first-spike
   accounting; the emulator is bit-exact to Lava, so no Lava run is needed).
4. Choose the pair with the highest deployed (emulated) validation accuracy; among equals the larger step
   (fewer steps per sample), then the higher reference validation accuracy, then the earlier variant.

It writes the candidates' numbers and the decision to ``examples/models/yinyang.selection.json`` and the
chosen model to ``examples/models/yinyang.onnx``; the preset in :mod:`snn_deploy.reference.trainer` is then
set to the decision (a test checks they agree), so ``snn-deploy train yinyang`` trains that model. The
test split is never read (a test runs this code with the test loader replaced by one that raises).

    .venv/bin/python scripts/select_yinyang.py [--out PATH] [--seed S]
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

from snn_deploy.check.equivalence import Tolerances
from snn_deploy.check.runner import CheckOptions, dataset_input, run_check
from snn_deploy.ir.graph import Graph
from snn_deploy.ir.io import save
from snn_deploy.reference.trainer import PRESETS, MainPhase, RobustPhase, TrainConfig, TrainResult, main_phase

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "examples" / "models" / "yinyang.selection.json"
MODEL = REPO / "examples" / "models" / "yinyang.onnx"
DATASET = "yinyang"
#: the robust phases tried when the preset was first written (then compared on test; here on validation)
VARIANTS: dict[str, RobustPhase | None] = {
    "none": None,
    "lr3e-4_noise0.05_jitter0.2ms": RobustPhase(epochs=20, learning_rate=3e-4, weight_noise=0.05, time_jitter_s=2e-4),
    "lr3e-4_noise0.03_jitter0.1ms": RobustPhase(epochs=20, learning_rate=3e-4, weight_noise=0.03, time_jitter_s=1e-4),
    "lr1e-3_noise0.03_jitter0.1ms": RobustPhase(epochs=20, learning_rate=1e-3, weight_noise=0.03, time_jitter_s=1e-4),
    "lr3e-4_noise0.08_jitter0.3ms": RobustPhase(epochs=20, learning_rate=3e-4, weight_noise=0.08, time_jitter_s=3e-4),
}
#: only decides how many steps each emulation runs (the check adds it after the last reference spike)
TOLERANCES = Tolerances(steps=10.0, min_match=0.9, max_accuracy_drop=0.005)
RULE = ("highest deployed (Loihi 2 emulator) validation accuracy; among equals the larger dt, then the higher "
        "reference validation accuracy, then the earlier variant")


def dt_candidates(config: TrainConfig) -> tuple[float, ...]:
    """Deployment steps ``tau_syn / 50``, ``/ 100``, ``/ 200`` (coarsest first), in seconds."""
    return tuple(config.tau_syn_s / n for n in (50, 100, 200))


def deployed_validation(graph: Graph, dt_s: float, limit: int | None) -> dict:
    """Reference and emulated Loihi 2 accuracy of ``graph`` on the (first ``limit``) validation samples at ``dt_s``."""
    check_input = dataset_input(graph, DATASET, split="validation", limit=limit)
    run = run_check(graph, check_input, CheckOptions(target="loihi2", tolerances=TOLERANCES, dt_s=dt_s,
                                                     model_name="candidate"))
    result = run.result
    return {"dt_s": result.dt_s, "samples": int(check_input.labels.size),
            "reference_validation_accuracy": result.classification.accuracy_reference,
            "deployed_validation_accuracy": result.classification.accuracy_deployed,
            "agreement": result.classification.agreement, "matched_fraction": result.matched_fraction}


def candidates(main: MainPhase, variants: dict[str, RobustPhase | None]) -> dict[str, TrainResult]:
    """Every variant's model, all finished from the one main phase ``main``."""
    models = {}
    for name, robust in variants.items():
        log(f"robust phase '{name}'")
        models[name] = main.finish(robust)
    return models


def choose(rows: list[dict]) -> dict:
    """The row :data:`RULE` picks (rows in variant order, each variant's dt coarsest first)."""
    order = {id(row): index for index, row in enumerate(rows)}
    return max(rows, key=lambda r: (r["deployed_validation_accuracy"], r["dt_s"], r["reference_validation_accuracy"],
                                    -order[id(r)]))


def select(main: MainPhase, variants: dict[str, RobustPhase | None] = VARIANTS,
           dts: tuple[float, ...] | None = None, limit: int | None = None) -> dict:
    """The candidates finished from ``main``, each emulated at every step on validation: numbers and decision."""
    start, start_cpu = time.perf_counter(), time.process_time()
    dts = dt_candidates(main.config) if dts is None else dts
    rows = []
    for name, model in candidates(main, variants).items():
        for dt_s in dts:
            log(f"emulating '{name}' on Loihi 2 at dt = {dt_s * 1e3:g} ms")
            rows.append({"variant": name, "selected_epoch": model.graph.metadata["selected_epoch"],
                         "train_accuracy": model.train_accuracy, "validation_accuracy": model.validation_accuracy,
                         **deployed_validation(model.graph, dt_s, limit)})
    chosen = choose(rows)
    robust = variants[chosen["variant"]]
    return {
        "dataset": DATASET, "seed": main.seed, "split": "validation (the test split is not read)", "rule": RULE,
        "main_epochs": main.epochs, "main_selected_epoch": main.best_epoch + 1,
        "variants": {name: None if r is None else dataclasses.asdict(r) for name, r in variants.items()},
        "dt_candidates_s": list(dts), "candidates": rows,
        "decision": {"variant": chosen["variant"], "robust": None if robust is None else dataclasses.asdict(robust),
                     "deploy_dt_s": chosen["dt_s"]},
        "seconds": round(time.perf_counter() - start, 1), "cpu_seconds": round(time.process_time() - start_cpu, 1),
    }


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"JSON to write (default {OUT.relative_to(REPO)})")
    parser.add_argument("--model-out", type=Path, default=MODEL,
                        help=f"where the chosen model goes (default {MODEL.relative_to(REPO)})")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    log(f"main phase: {PRESETS[DATASET].epochs} epochs")
    main = main_phase(dataclasses.replace(PRESETS[DATASET], robust=None, deploy_dt_s=None), args.seed)
    report = select(main)
    args.out.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    decision = report["decision"]
    log(f"chose robust phase '{decision['variant']}' and dt = {decision['deploy_dt_s'] * 1e3:g} ms; wrote {args.out}")
    save(main.finish(VARIANTS[decision["variant"]], decision["deploy_dt_s"]).graph, args.model_out)
    print(f"wrote {args.model_out}: the preset set to this decision trains it ('snn-deploy train {DATASET}')")
    return 0


if __name__ == "__main__":
    sys.exit(main())
