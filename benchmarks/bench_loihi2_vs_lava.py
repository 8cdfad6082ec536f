"""Loihi 2: snn-deploy's integer emulator vs Lava 0.10 fixed_pt running the emitted network.py.

The network is an MLP the size of lava-dl's mnist.net (784-512-512-10 CUBA-LIF, random weights scaled for
~5-20 % activity), quantized by the Loihi 2 quantizer. Lava's time is the wall time of ``run_network`` (the
subprocess, including interpreter start-up and graph build, as ``snn-deploy run`` pays it); its pure run
time is not separable from outside. Every timed pair is checked bit-exact first. The emulator's compiled
kernels are loaded once per process from numba's cache (~0.3 s) before anything is timed, as the best of
several repeats would do.

    .venv/bin/python benchmarks/bench_loihi2_vs_lava.py [--quick]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import best_of, markdown_table, write_results  # noqa: E402

from snn_deploy.backends.lava.artifact import write_artifact  # noqa: E402
from snn_deploy.backends.lava.engine import run_network  # noqa: E402
from snn_deploy.emulate.loihi2 import emulate  # noqa: E402
from snn_deploy.ir import CubaLIF, Dense, Graph, Input, Output  # noqa: E402
from snn_deploy.quantize.loihi2.quantizer import quantize  # noqa: E402

SIZES = (784, 512, 512, 10)


def mlp(rng: np.random.Generator) -> Graph:
    nodes: dict = {"in": Input((SIZES[0],))}
    edges = []
    previous = "in"
    for k, (n_in, n_out) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        nodes[f"fc{k}"] = Dense(rng.normal(0.1, 1.0, (n_out, n_in)) * 0.009 / np.sqrt(n_in))
        nodes[f"lif{k}"] = CubaLIF.create(n_out, tau_syn_s=5e-3, tau_mem_s=1e-2, v_threshold=1.0, reset_mode="to_value")
        edges += [(previous, f"fc{k}"), (f"fc{k}", f"lif{k}")]
        previous = f"lif{k}"
    nodes["out"] = Output((SIZES[-1],))
    edges.append((previous, "out"))
    return Graph(nodes=nodes, edges=tuple(edges), metadata={"dt_s": 1e-3})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs")
    args = parser.parse_args()
    sizes = [(1, 50), (8, 50)] if args.quick else [(1, 100), (16, 100), (64, 100)]
    rng = np.random.default_rng(0)
    deployment = quantize(mlp(rng))
    rows, results = [], []
    with tempfile.TemporaryDirectory() as tmp:
        artifact = Path(tmp) / "mlp"
        write_artifact(deployment, artifact)
        populations = list(deployment.populations)
        emulate(deployment, np.zeros((1, 1, deployment.input_units), np.uint8))  # load the compiled kernels
        for batch, steps in sizes:
            raster = (rng.random((batch, steps, deployment.input_units)) < 0.05).astype(np.uint8)
            t_emu, emulated = best_of(lambda: emulate(deployment, raster), 1 if args.quick else 3)
            start = time.perf_counter()
            lava = run_network(artifact, raster, populations, record_state=False)
            t_lava = time.perf_counter() - start
            for pop in populations:
                assert np.array_equal(emulated.spikes[pop], lava[f"{pop}/spikes"]), pop
            rate = float(np.mean([emulated.spikes[p].mean() for p in populations]))
            rows.append([batch, steps, f"{rate:.3f}", f"{t_emu:.3f}", f"{t_lava:.2f}", f"{t_lava / t_emu:.0f}x"])
            results.append({"batch": batch, "steps": steps, "spike_rate": rate, "emulator_s": t_emu,
                            "lava_subprocess_s": t_lava})
    print(f"emulator vs Lava fixed_pt (bit-exact checked), MLP {'-'.join(map(str, SIZES))}, input density 0.05")
    print(markdown_table(["batch", "steps", "mean rate", "emulator s", "Lava s", "Lava / emulator"], rows))
    path = write_results("bench_loihi2_vs_lava", {"runs": results, "quick": args.quick, "sizes": SIZES})
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
