"""mMND example: a heterogeneous skip-layer SNN trained with exact gradients, deployed to Loihi 2 and checked.

The network (after "Sequence Approximation Using Feedforward Spiking Neural Network for Spatiotemporal
Learning") is feed-forward, ``input -> lif1 -> lif2 -> lif3`` plus the skip projections ``input -> lif2`` and
``lif1 -> lif3``, of mMND neurons ``tau_m dv/dt = a - v + R_m I`` (CubaLIF with per-neuron ``tau_mem_s``,
``v_leak = a`` and ``r = R_m``), trained with the exact spike-time gradients on ``spikeorder``: four channels
fire once each in random order and the label is the order of two pairs (see README.md).

    .venv/bin/python examples/mmnd_skip/run.py            # from the repository root
    .venv/bin/python examples/mmnd_skip/run.py --retrain  # rebuild model.onnx from its seed first

Steps: (re)use ``model.onnx``; print the exact reference's accuracy; compile for Loihi 2; run the emulated
deployment on the whole test set (accuracy, spike-time agreement); end with ``snn-deploy check --engine lava``
on the first ``--limit`` test samples and exit with its exit code (0: pass).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODEL = HERE / "model.onnx"
SNN_DEPLOY = Path(sys.executable).with_name("snn-deploy")
DATASET = "spikeorder"
SEED = 0


def snn_deploy(*args: object, capture: bool = True) -> subprocess.CompletedProcess:
    """Run the CLI as a user would (stderr, the progress, passes through)."""
    return subprocess.run([str(SNN_DEPLOY), *map(str, args)], stdout=subprocess.PIPE if capture else None, text=True)


def checked(done: subprocess.CompletedProcess, what: str) -> subprocess.CompletedProcess:
    if done.returncode != 0:
        sys.exit(f"{what} failed (exit {done.returncode})")
    return done


def check_args(model: Path, artifact: Path, *extra: object) -> list[object]:
    """``check``'s arguments; its pass criteria are check's own rule, derived from the model's fastest time
    constant and the deployed step before anything runs (snn_deploy/check/tolerance.py)."""
    return ["check", model, "--target", "loihi2", "--artifact", artifact, "--dataset", DATASET, *extra]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=MODEL, help="model file (default: the committed one)")
    parser.add_argument("--retrain", action="store_true", help="train the model from its seed first")
    parser.add_argument("--limit", type=int, default=4, help="test samples run in Lava (default 4)")
    parser.add_argument("--emulate-limit", type=int, default=None,
                        help="test samples of the emulator-only run (default: the whole test set)")
    parser.add_argument("--out", type=Path, default=Path("out") / "mmnd_skip", help="directory for the compiled package")
    args = parser.parse_args(argv)

    if args.retrain or not args.model.exists():
        print(f"training {args.model} (seed {SEED})", flush=True)
        checked(snn_deploy("train", DATASET, "-o", args.model, "--seed", SEED, capture=False), "snn-deploy train")

    reference = json.loads(checked(snn_deploy("evaluate", args.model), "snn-deploy evaluate").stdout)
    print(f"exact reference: train accuracy {reference['train_accuracy']:.4f}, validation accuracy "
          f"{reference['validation_accuracy']:.4f}, test accuracy {reference['test_accuracy']:.4f} "
          f"({reference['test_samples']} samples)")

    artifact = args.out / "loihi2"
    compiled = json.loads(checked(snn_deploy("compile", args.model, "--target", "loihi2", "-o", artifact, "--json"),
                                  "snn-deploy compile").stdout)
    quantization = json.loads((artifact / "quantization.json").read_text())
    groups = {pop: [(g["name"], g["dv"], g["vth"]) for g in entry["groups"]]
              for pop, entry in quantization["populations"].items()}
    print(f"compiled for Loihi 2 at dt = {quantization['dt_s']:g} s: {sum(map(len, groups.values()))} LIF processes "
          f"(one per tau_m), latency steps {compiled.get('latency_steps_by_node', compiled.get('latency_steps'))}")
    for pop, members in groups.items():
        print(f"  {pop}: " + ", ".join(f"{name} dv={dv} vth={vth}" for name, dv, vth in members))

    emulate_limit = [] if args.emulate_limit is None else ["--limit", args.emulate_limit]
    done = snn_deploy(*check_args(args.model, artifact, *emulate_limit, "--json"))
    if done.returncode not in (0, 1):
        sys.exit(f"snn-deploy check (emulator) failed to run (exit {done.returncode})")
    emulated = json.loads(done.stdout)
    print(f"emulated deployment on {DATASET} test: accuracy reference {emulated['accuracy_reference']:.4f}, deployed "
          f"{emulated['accuracy_deployed']:.4f}, agreement {emulated['classification_agreement']:.4f}; matched spikes "
          f"{emulated['matched_fraction']:.4f} within {emulated['tolerance_steps']:g} steps, mean |dt| "
          f"{emulated['mean_abs_dt_steps']:.2f} steps")
    for criterion in emulated["criteria"]:
        print(f"  {'PASS' if criterion['passed'] else 'FAIL'} {criterion['name']}: {criterion['message']}")

    print(f"snn-deploy check against Lava on the first {args.limit} test samples:", flush=True)
    final = snn_deploy(*check_args(args.model, artifact, "--engine", "lava", "--limit", args.limit), capture=False)
    return final.returncode


if __name__ == "__main__":
    sys.exit(main())
