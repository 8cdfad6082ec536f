r"""scSNN example: a one-hidden-layer SNN with self connections approximating a radial function, on Loihi 2.

scSNN (Zhang & Zhou, "Theoretically Provable Spiking Neural Networks", NeurIPS'22): hidden LIF neurons whose
membranes are coupled,

    du_k/dt = -u_k/tau_m + sum_{j != k} lambda_kj u_j + (1/tau_m) sum_i w_ki x_i,

driven by Poisson inputs and read out by their instantaneous firing rates (IFR). Here (the Theorem-2 setting:
a radial target on a box, one hidden layer): x in [-1, 1]^2 is coded as the rates of four Poisson units, ON and
OFF per coordinate (R max(+-x_i, 0), R = 200 Hz); 8 CoupledLIF neurons (tau_syn 5 ms, tau_m 20 ms), four per
coordinate, all fed |x_i| (ON + OFF) and firing from a "knee" |x_i| = a_j on (thresholds theta_j = 3 a_j,
a = 0.1, 0.35, 0.6, 0.85), coupled symmetrically within their coordinate (lambda 5..19 /s); the read-out is linear in the hidden
IFRs (window rates over [0.1, 0.5) s), fitted by least squares on the exact reference's rates of 64 training
points. Each neuron's rate is a rectified function of |x_i| starting at its knee, so the read-out builds
sum_i h(|x_i|) with h piecewise linear: the radial function f(x) = |x|^2.

The script (from the repository root, after `make env`):
  1. writes Poisson inputs for 16 test points with `snn-deploy encode poisson --rates-hz`;
  2. prints the read-out's error against f for the exact reference and for the Loihi 2 deployment (emulator);
  3. ends with `snn-deploy check model.onnx --target loihi2 --engine lava --input ...` and exits with its code
     (check's own criteria, derived from tau_syn and dt: README.md).

    .venv/bin/python examples/scsnn/run.py            # --rebuild re-fits and rewrites model.onnx (deterministic)
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
MODEL = HERE / "model.onnx"
SNN_DEPLOY = Path(sys.executable).with_name("snn-deploy")

DIMENSIONS = 2
KNEES = np.array([0.1, 0.35, 0.6, 0.85])  #: |x_i| at which each neuron of a coordinate starts to fire
DRIVE = 3.0  #: mean membrane (threshold units x 1/3 of the largest knee) at |x_i| = 1: w R = DRIVE
RATE_HZ = 200.0  #: input rate at |x_i| = 1
COUPLING_PER_S = 10.0  #: mean lambda_kj between neurons of the first coordinate (x 1.25 for the second)
#: symmetric relative spread of lambda_kj: distinct real eigenvalues (a uniform lambda, or two equal banks, would
#: repeat eigenvalues, which puts the population on the real/complex boundary itself)
COUPLING_SPREAD = np.array([[1.0, 1.5, 0.5, 1.2], [1.5, 1.0, 0.8, 0.6], [0.5, 0.8, 1.0, 1.4], [1.2, 0.6, 1.4, 1.0]])
TAU_SYN_S, TAU_MEM_S = 5e-3, 20e-3
DT_S = 1e-4  #: deployment step: Loihi 2's default rule min(tau) / 50 (README: coarser steps cost accuracy)
DURATION_S = 0.5
WINDOW_S = (0.1, 0.5)  #: the IFR read-out window (after the 0.1 s transient, 5 tau_m)
TRAIN_POINTS, TRAIN_SEED, TEST_SEED = 64, 0, 1


def target(x: np.ndarray) -> np.ndarray:
    """The radial function f(x) = |x|^2."""
    return np.sum(x**2, axis=1)


def input_rates(x: np.ndarray) -> np.ndarray:
    """``[batch, 2 d]`` Poisson rates: ON units R max(x, 0), then OFF units R max(-x, 0)."""
    return RATE_HZ * np.concatenate([np.maximum(x, 0.0), np.maximum(-x, 0.0)], axis=1)


def points(count: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1.0, 1.0, (count, DIMENSIONS))


def build_graph(readout: dict | None = None):
    """Input(2d) -> Dense -> CoupledLIF(d x 4) -> Output; ``readout`` (weights, bias) goes to the metadata."""
    from snn_deploy.ir import CoupledLIF, Dense, Graph, Input, Output

    knees = len(KNEES)
    n = DIMENSIONS * knees
    weight = np.zeros((n, 2 * DIMENSIONS))
    coupling = np.zeros((n, n))
    for i in range(DIMENSIONS):
        bank = slice(i * knees, (i + 1) * knees)
        weight[bank, i] = weight[bank, DIMENSIONS + i] = DRIVE / RATE_HZ
        coupling[bank, bank] = COUPLING_PER_S * (1.0 + 0.25 * i) * COUPLING_SPREAD
    np.fill_diagonal(coupling, 0.0)
    hidden = CoupledLIF.create(n, tau_syn_s=TAU_SYN_S, tau_mem_s=TAU_MEM_S, v_threshold=np.tile(DRIVE * KNEES,
                               DIMENSIONS), coupling=coupling, reset_mode="to_value")
    metadata = {"dt_s": DT_S, "example": "scsnn", "readout": readout or {}}
    return Graph(nodes={"in": Input((2 * DIMENSIONS,)), "fc": Dense(weight), "hidden": hidden,
                        "out": Output((n,))},
                 edges=[("in", "fc"), ("fc", "hidden"), ("hidden", "out")], metadata=metadata)


def reference_rates(graph, events, window_s: tuple[float, float] = WINDOW_S) -> np.ndarray:
    """``[batch, hidden]`` IFR read-out of the exact reference: window rates over ``window_s``."""
    from snn_deploy.reference.decoding import window_rate
    from snn_deploy.reference.simulator import simulate

    return window_rate(simulate(graph, events, t_end_s=window_s[1], record="all")["hidden"], *window_s)


def fit_readout() -> dict:
    """Least-squares read-out ``f ~ rates @ weights + bias`` on the reference rates of the training points."""
    from snn_deploy.reference.encoders import poisson_encode

    x = points(TRAIN_POINTS, TRAIN_SEED)
    rates = reference_rates(build_graph(), poisson_encode(input_rates(x), DURATION_S, TRAIN_SEED))
    design = np.concatenate([rates, np.ones((len(x), 1))], axis=1)
    coef, *_ = np.linalg.lstsq(design, target(x), rcond=None)
    return {"weights": coef[:-1], "bias": float(coef[-1]), "window_s": list(WINDOW_S),
            "target": "sum of squares of the input", "train_points": TRAIN_POINTS}


def deployed_rates(graph, events, work: Path, window_s: tuple[float, float] = WINDOW_S) -> np.ndarray:
    """``[batch, hidden]`` window rates of the Loihi 2 deployment (bit-accurate emulator), step k at (k - L) dt."""
    import snn_deploy as sd
    from snn_deploy.check.equivalence import latency_of, raster_to_events
    from snn_deploy.reference.decoding import window_rate

    deployment = sd.compile(graph, "loihi2")
    deployment.save(work / "artifact")
    latency = latency_of(deployment.manifest, "hidden")
    steps = int(round(window_s[1] / DT_S)) + latency + 1
    records = deployment.emulate(events, record="hidden", steps=steps)
    return window_rate(raster_to_events(records.spikes["hidden"], records.dt_s, latency), *window_s)


def quality(prediction: np.ndarray, truth: np.ndarray) -> str:
    rmse = float(np.sqrt(np.mean((prediction - truth) ** 2)))
    r2 = 1.0 - float(np.mean((prediction - truth) ** 2) / np.var(truth))
    return f"RMSE {rmse:.4f}, R^2 {r2:.4f}"


def snn_deploy(*args: object) -> int:
    return subprocess.run([str(SNN_DEPLOY), *map(str, args)]).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="Re-fit the read-out and rewrite model.onnx.")
    parser.add_argument("--samples", type=int, default=16, help="Test points.")
    parser.add_argument("--duration", type=float, default=DURATION_S,
                        help="Seconds per test input; the rates are read over [0.1 s, duration) (shorter: noisier).")
    parser.add_argument("--engine", choices=["lava", "none"], default="lava", help="Also require bit-exact Lava.")
    parser.add_argument("--out", type=Path, default=Path("out") / "scsnn", help="Directory for inputs and artifact.")
    args = parser.parse_args(argv)
    from snn_deploy.ir.io import load, save
    from snn_deploy.spikes import load_input

    if args.rebuild or not MODEL.exists():
        save(build_graph(fit_readout()), MODEL)
        print(f"wrote {MODEL}")
    graph = load(MODEL)
    readout = graph.metadata["readout"]
    args.out.mkdir(parents=True, exist_ok=True)
    x = points(args.samples, TEST_SEED)
    np.save(args.out / "rates.npy", input_rates(x))
    events_path = args.out / "input.npz"
    if snn_deploy("encode", "poisson", "--rates-hz", args.out / "rates.npy", "--duration", args.duration,
                  "--seed", TEST_SEED, "-o", events_path):
        return 2
    events, _ = load_input(events_path)

    truth = target(x)
    window = (WINDOW_S[0], args.duration)
    ref = reference_rates(graph, events, window)
    dep = deployed_rates(graph, events, args.out, window)
    weights, bias = np.asarray(readout["weights"]), readout["bias"]
    print(f"radial target |x|^2 on {args.samples} test points (std {truth.std():.4f}), IFR read-out "
          f"over [{window[0]:g}, {window[1]:g}) s:")
    print(f"  exact reference : {quality(ref @ weights + bias, truth)}")
    print(f"  Loihi 2 emulator: {quality(dep @ weights + bias, truth)}")
    print(f"  deployed vs reference read-out: max |diff| {np.max(np.abs((dep - ref) @ weights)):.4f}; "
          f"hidden rates: mean |diff| {np.mean(np.abs(dep - ref)):.2f} Hz of mean {ref.mean():.1f} Hz")
    engine = [] if args.engine == "none" else ["--engine", args.engine]
    print("snn-deploy check:", flush=True)
    # pass criteria: check's own rule from the model's fastest time constant and the step (check/tolerance.py)
    return snn_deploy("check", MODEL, "--target", "loihi2", *engine, "--input", events_path)


if __name__ == "__main__":
    sys.exit(main())
