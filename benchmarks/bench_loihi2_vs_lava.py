"""Loihi 2: snn-deploy's integer emulator vs Lava 0.10 fixed_pt running the emitted network.py.

The network is an MLP the size of lava-dl's mnist.net (784-512-512-10 CUBA-LIF, random weights scaled for
~5-20 % activity), quantized by the Loihi 2 quantizer. Every batch is measured (nothing extrapolated), as in
``bench_loihi2_scaling`` (:mod:`loihi2_timing`): the emulator warm (best of 3 calls in this process) and in a
fresh process; Lava in one process per batch with its start-up, build + compile and steady-state sample
time (samples 2..B) apart. Ratios: end to end (Lava process / emulator process) and steady state (``batch x``
Lava's sample time / warm emulator; batch 1 uses the sample time of the largest batch's process). The
spikes of every population, every sample, of every Lava and emulator process are checked equal to the
warm emulator's by explicit code (``common.require_equal``) before any figure is printed.

    .venv/bin/python benchmarks/bench_loihi2_vs_lava.py [--quick]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import best_of, markdown_table, require_equal, times, write_results  # noqa: E402
from loihi2_timing import LavaTiming, run_emulator_cold, run_lava_timed  # noqa: E402

from snn_deploy.backends.lava.artifact import write_artifact  # noqa: E402
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


def result(batch: int, steps: int, rate: float, t_emu: float, t_cold: float, timing: LavaTiming,
           largest_sample_s: float) -> dict:
    """One batch's figures; a one-sample Lava process takes the largest batch's steady-state sample time."""
    sample_s = timing.sample_s if timing.sample_s is not None else largest_sample_s
    return {"batch": batch, "steps": steps, "spike_rate": rate, "emulator_s": t_emu, "emulator_process_s": t_cold,
            "lava_process_s": timing.wall_s, "lava_startup_s": timing.startup_s,
            "lava_build_compile_s": timing.build_s + timing.compile_s, "lava_sample_s": sample_s,
            "lava_step_s": sample_s / steps, "lava_steady_s": batch * sample_s, "lava_timing": timing.to_dict(),
            "speedup_end_to_end": timing.wall_s / t_cold, "speedup_steady": batch * sample_s / t_emu}


def table(results: list[dict]) -> str:
    rows = [[r["batch"], r["steps"], f"{r['spike_rate']:.3f}", r["emulator_s"], r["emulator_process_s"],
             r["lava_process_s"], r["lava_startup_s"], r["lava_build_compile_s"], r["lava_sample_s"],
             r["lava_steady_s"], times(r["speedup_end_to_end"]), times(r["speedup_steady"])] for r in results]
    return markdown_table(["batch", "steps", "mean rate", "emulator warm s", "emulator process s", "Lava process s",
                           "Lava start-up s", "Lava build + compile s", "Lava s / sample (steady)", "Lava steady s",
                           "end to end", "steady state"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs")
    args = parser.parse_args()
    sizes = [(1, 50), (8, 50)] if args.quick else [(1, 100), (16, 100), (64, 100)]
    rng = np.random.default_rng(0)
    deployment = quantize(mlp(rng))
    measured = []
    with tempfile.TemporaryDirectory() as tmp:
        artifact = Path(tmp) / "mlp"
        write_artifact(deployment, artifact)
        populations = list(deployment.populations)
        emulate(deployment, np.zeros((1, 1, deployment.input_units), np.uint8))  # load the compiled kernels
        for batch, steps in sizes:
            raster = (rng.random((batch, steps, deployment.input_units)) < 0.05).astype(np.uint8)
            t_emu, emulated = best_of(lambda: emulate(deployment, raster), 1 if args.quick else 3)
            cold, t_cold = run_emulator_cold(artifact, raster, populations)
            lava, timing = run_lava_timed(artifact, raster, populations)
            for pop in populations:
                require_equal(f"batch {batch} {pop}: emulator process vs emulator", cold[pop], emulated.spikes[pop])
                require_equal(f"batch {batch} {pop}: Lava vs emulator", lava[pop], emulated.spikes[pop])
            rate = float(np.mean([emulated.spikes[p].mean() for p in populations]))
            measured.append((batch, steps, rate, t_emu, t_cold, timing))
    results = [result(*run, measured[-1][5].sample_s) for run in measured]
    print(f"emulator vs Lava fixed_pt (every population's spikes checked equal first; all Lava times measured), "
          f"MLP {'-'.join(map(str, SIZES))}, input density 0.05")
    print(table(results))
    print(f"\nLava steady state: samples 2..B of the process; batch 1 (a one-sample process has none) uses the batch-"
          f"{measured[-1][0]} process's sample time.")
    path = write_results("bench_loihi2_vs_lava", {"runs": results, "quick": args.quick, "sizes": SIZES})
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
