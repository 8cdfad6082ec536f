"""BSNN example: a leak next to its bifurcation, a time step that flips it, and `snn-deploy check` catching it.

In BSNN (Zhang, Zhang & Zhou, "Bifurcation Spiking Neural Network", JMLR 2021) the membrane time constant is a
bifurcation parameter: the eigenvalues of the sub-threshold update decide whether a neuron forgets (|mu| < 1),
integrates for ever (|mu| = 1) or runs away (|mu| > 1). This population of slow LIF neurons
(tau_m dv/dt = -v + r S, tau_m = 1.6384 s) sits next to |mu| = 1: one step of dt multiplies v by e^{-dt/tau_m}.

The model asks for dt = 0.1 ms. Loihi 2 stores the decay as a 12-bit dv with v <- v (4096 - dv) / 4096; at
0.1 ms the exact dv = 4096 (1 - e^{-dt/tau_m}) = 0.25 rounds to 0, so the chip's neuron never leaks: mu moves
from 0.99994 onto the unit circle. `snn-deploy check` fails on that (exit 1), names the population and the
eigenvalue shift, and suggests a step that keeps the leak; the script then checks at that step (exit 0).

    .venv/bin/python examples/bsnn/run.py            # from the repository root; --rebuild rewrites model.onnx

Exit code: 0 when the first check fails on the dynamics and the suggested step passes, else 1.
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

from snn_deploy.quantize.loihi2.spec import LOIHI2

HERE = Path(__file__).resolve().parent
MODEL = HERE / "model.onnx"
SNN_DEPLOY = Path(sys.executable).with_name("snn-deploy")

#: 1.6384 s: at dt = 0.4 ms the exact dv = decay_unity (1 - e^{-dt/tau_m}) is 1.000 (deployed without error)
TAU_MEM_S = LOIHI2.decay_unity * 4e-4
MODEL_DT_S = 1e-4  #: the step the model asks for (metadata), at which dv rounds to 0
NEURONS, INPUTS = 8, 8
SEED = 0


def build_graph():
    """Input -> Dense -> LIF(tau_m = 1.6384 s); ``r = tau_m`` makes a weight the jump of v (threshold 1).

    Weights lie in [0.26, 0.32]: three input spikes never reach the threshold, four always do, so on the
    deployed side the spikes do not hinge on rounding (what the check must see is the leak).
    """
    from snn_deploy.ir import LIF, Dense, Graph, Input, Output

    rng = np.random.default_rng(SEED)
    population = LIF.create(NEURONS, tau_mem_s=TAU_MEM_S, r=TAU_MEM_S, v_threshold=1.0, reset_mode="to_value")
    return Graph(nodes={"in": Input((INPUTS,)), "fc": Dense(rng.uniform(0.26, 0.32, (NEURONS, INPUTS))),
                        "accumulator": population, "out": Output((NEURONS,))},
                 edges=[("in", "fc"), ("fc", "accumulator"), ("accumulator", "out")],
                 metadata={"dt_s": MODEL_DT_S, "example": "bsnn"})


def snn_deploy(*args: object) -> subprocess.CompletedProcess:
    """Run the CLI as a user would; stderr (progress) passes through."""
    return subprocess.run([str(SNN_DEPLOY), *map(str, args)], stdout=subprocess.PIPE, text=True)


def check(input_path: Path, engine: str | None, *extra: object) -> tuple[int, dict]:
    """``check`` with its own pass criteria, derived from the model and the step (snn_deploy/check/tolerance.py)."""
    engine_args = ["--engine", engine] if engine else []
    done = snn_deploy("check", MODEL, "--target", "loihi2", *engine_args, "--input", input_path, "--json", *extra)
    if done.returncode not in (0, 1):
        sys.exit(f"snn-deploy check failed to run (exit {done.returncode})")
    return done.returncode, json.loads(done.stdout)


def describe(code: int, report: dict) -> None:
    print(f"  exit {code}, dt = {report['dt_s']:g} s, matched spikes {report['matched_fraction']:.4f} within "
          f"{report['tolerance_steps']:g} steps (at least {report['min_match']:g} required)")
    for name, entry in report["dynamics"].items():
        exact = [complex(*z) for z in entry["eigenvalues_exact"]]
        deployed = [complex(*z) for z in entry["eigenvalues_quantized"]]
        print(f"  {name}: |mu| exact {max(map(abs, exact)):.9f}, deployed {max(map(abs, deployed)):.9f}, "
              f"shift {entry['max_eigenvalue_shift']:.3g}, preserved: {entry['preserved']}")
    for criterion in report["criteria"]:
        print(f"  {'PASS' if criterion['passed'] else 'FAIL'} {criterion['name']}: {criterion['message']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="Rewrite model.onnx from build_graph().")
    parser.add_argument("--samples", type=int, default=4, help="Poisson input samples.")
    parser.add_argument("--duration", type=float, default=0.5, help="Seconds per sample.")
    parser.add_argument("--engine", choices=["lava", "none"], default="lava", help="Also require bit-exact Lava.")
    parser.add_argument("--out", type=Path, default=Path("out") / "bsnn", help="Directory for the input events.")
    args = parser.parse_args(argv)
    if args.rebuild or not MODEL.exists():
        from snn_deploy.ir.io import save

        save(build_graph(), MODEL)
        print(f"wrote {MODEL}")
    engine = None if args.engine == "none" else args.engine
    args.out.mkdir(parents=True, exist_ok=True)
    events = args.out / "input.npz"
    if snn_deploy("encode", "poisson", "--rate-hz", 5, "--units", INPUTS, "--duration", args.duration,
                  "--batch", args.samples, "--seed", SEED, "-o", events).returncode:
        return 1

    print(f"check at the model's dt = {MODEL_DT_S:g} s:")
    code, report = check(events, engine)
    describe(code, report)
    suggestion = report["dynamics_suggestion"] or ""
    found = re.match(r"--dt (\S+)", suggestion)
    if code != 1 or report["dynamics"]["accumulator"]["preserved"] or found is None:
        print("expected the check to fail on the accumulator's dynamics and to suggest a time step")
        return 1
    print(f"suggestion: {suggestion}\ncheck at the suggested step:")
    code, report = check(events, engine, "--dt", found.group(1))
    describe(code, report)
    return code


if __name__ == "__main__":
    sys.exit(main())
