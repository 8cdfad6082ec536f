"""Loihi 2 emulator vs Lava 0.10 fixed_pt scaling: 100 -> 10 000 neurons, 10k -> 10M synapses, batch 1 and 64.

Networks are chains of ``layers`` dense ``width x width`` CubaLIF layers (``layers x width`` neurons,
``layers x width^2`` synapses), weights ``(N(0, 1) - 0.5 / sqrt(width)) * 0.028 / sqrt(width)`` (the
last layer fires at ~3-11 % per step for Bernoulli(0.05) input, see the table), quantized by the Loihi 2
quantizer and written as a Lava artifact.

What is timed (:mod:`loihi2_timing`): the emulator warm (best of 2 calls in this process, kernels loaded)
and end to end (a fresh process: start-up, imports, reading the artifact, the run, writing spikes); Lava as
one process per run (``lava_child.py``), with its start-up (interpreter, imports), build + compile (process
graph, Lava's compiler and runtime) and steady-state sample time (samples 2..B of one process) apart. Two
ratios: **end to end** = Lava process / emulator process, **steady state** = ``batch x`` Lava's sample time /
the emulator's warm time (for batch 1, the sample time of the same network's batch-64 process). Lava runs
the samples of a batch one after the other, so its batch-64 process takes 64 sample times: it is run and
measured whenever the time predicted from the batch-1 process fits ``--lava-budget-s`` (default: always in
the full run, 20 s in ``--quick``); otherwise a ``--probe``-sample process is run and the batch-64 figures are
extrapolated from it (:data:`loihi2_timing.EXTRAPOLATION`), and the table says so in its ``Lava time`` column.
The last layer's spikes of every Lava and emulator process are checked equal to the warm emulator's, sample
by sample, by explicit code (``common.require_equal``) before any figure is printed.

Profile of the emulator (:mod:`snn_deploy.emulate.loihi2`), 10x1000 chain, batch 64: the previous version
(one Python iteration per step and group, a numba kernel adding int32 weight columns per spike, the
quantizer's excitatory and inhibitory Dense as two matrices) took 32 s for 1000 steps (34x Lava, goal 100x),
~1.2e9 synaptic events/s: each spike read two 4 KB columns (int32, exc + inh) from a matrix pair of 8 MB per
layer that does not stay in the 1 MB L2. A dense float32 GEMM over all ``batch x steps`` rows was measured
too and rejected: at 6 % input density it is 5x slower than the event-driven sum (17x the multiply-adds
at ~3x the rate). The current kernel runs whole samples without Python per step (one thread per core), merges
the excitatory and inhibitory parts into one int16 row per input (2 KB per spike instead of 8 KB), and
runs the neuron update branch-free (SIMD). Before / after in one run (old code kept aside, spikes asserted
identical, one of the two cores free), 10x1000, 1000 steps: batch 64 13.7 -> 3.1 s (4.4x), batch 1
0.88 -> 0.13 s (6.6x). (The Lava / emulator ratios quoted with that change came from this script's
earlier method: one Lava subprocess wall time, start-up and build included, against the warm emulator, and
batch 64 extrapolated from 1 and 4 samples; they are superseded by the measured figures in RESULTS.md.)

    .venv/bin/python benchmarks/bench_loihi2_scaling.py [--quick] [--size 10x1000]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import best_of, markdown_table, require_equal, times, verdict, write_results  # noqa: E402
from loihi2_timing import (EXTRAPOLATION, LavaTiming, extrapolated_wall_s, run_emulator_cold,  # noqa: E402
                           run_lava_timed)

from snn_deploy.backends.lava.artifact import write_artifact  # noqa: E402
from snn_deploy.emulate.loihi2 import emulate  # noqa: E402
from snn_deploy.ir import CubaLIF, Dense, Graph, Input, Output  # noqa: E402
from snn_deploy.quantize.loihi2.quantizer import quantize  # noqa: E402

#: (layers, width): 100, 1000, 3160, 10 000 neurons; 10k, 100k, ~1M, 10M synapses
SIZES = ((1, 100), (10, 100), (10, 316), (10, 1000))
BATCH = 64
INPUT_DENSITY = 0.05
GOALS = {1: 10.0, BATCH: 100.0}


def chain(layers: int, width: int, rng: np.random.Generator) -> Graph:
    nodes: dict = {"in": Input((width,))}
    edges, previous = [], "in"
    for k in range(layers):
        weight = (rng.normal(0.0, 1.0, (width, width)) - 0.5 / np.sqrt(width)) * 0.028 / np.sqrt(width)
        nodes[f"fc{k}"] = Dense(weight)
        nodes[f"lif{k}"] = CubaLIF.create(width, tau_syn_s=5e-3, tau_mem_s=1e-2, v_threshold=1.0, reset_mode="to_value")
        edges += [(previous, f"fc{k}"), (f"fc{k}", f"lif{k}")]
        previous = f"lif{k}"
    nodes["out"] = Output((width,))
    edges.append((previous, "out"))
    return Graph(nodes=nodes, edges=tuple(edges), metadata={"dt_s": 1e-3})


def measure(artifact: Path, raster: np.ndarray, last: str, expected: np.ndarray, budget_s: float | None,
            probe: int) -> dict[int, tuple[LavaTiming, float, str]]:
    """Lava for batch 1 and ``BATCH``: per batch (timing, process wall s, how); outputs checked equal first."""
    spikes, one = run_lava_timed(artifact, raster[:1], [last])
    require_equal(f"{artifact.name} batch 1: Lava vs emulator", spikes[last], expected[:1])
    out = {1: (one, one.wall_s, "measured")}
    predicted_s = one.wall_s + (BATCH - 1) * one.first_sample_s
    if budget_s is None or predicted_s <= budget_s:
        spikes, full = run_lava_timed(artifact, raster, [last])
        require_equal(f"{artifact.name} batch {BATCH}: Lava vs emulator", spikes[last], expected)
        out[BATCH] = (full, full.wall_s, "measured")
    else:
        spikes, part = run_lava_timed(artifact, raster[:probe], [last])
        require_equal(f"{artifact.name} batch {probe}: Lava vs emulator", spikes[last], expected[:probe])
        out[BATCH] = (part, extrapolated_wall_s(part, BATCH), f"extrapolated from a {probe}-sample process")
    return out


def size_rows(layers: int, width: int, steps: int, emu: dict, cold: dict, lava: dict, rate: float) -> list[dict]:
    """One result per batch: the emulator's warm and process times, Lava's phases, both ratios."""
    sample_s = lava[BATCH][0].sample_s
    out = []
    for batch in (1, BATCH):
        timing, lava_wall_s, how = lava[batch]
        steady_s = batch * sample_s
        out.append({"layers": layers, "width": width, "neurons": layers * width, "synapses": layers * width * width,
                    "batch": batch, "steps": steps, "last_layer_rate": rate, "emulator_s": emu[batch],
                    "emulator_process_s": cold[batch], "lava_process_s": lava_wall_s, "lava_how": how,
                    "lava_startup_s": timing.startup_s, "lava_build_compile_s": timing.build_s + timing.compile_s,
                    "lava_sample_s": sample_s, "lava_step_s": sample_s / steps, "lava_steady_s": steady_s,
                    "lava_timing": timing.to_dict(),
                    "speedup_end_to_end": lava_wall_s / cold[batch], "speedup_steady": steady_s / emu[batch]})
    return out


def table(results: list[dict]) -> str:
    rows = [[f"{r['layers']}x{r['width']}", r["neurons"], f"{r['synapses']:,}", r["batch"], r["steps"],
             f"{r['last_layer_rate']:.3f}", r["emulator_s"], r["emulator_process_s"], r["lava_process_s"],
             r["lava_startup_s"], r["lava_build_compile_s"], r["lava_sample_s"], r["lava_steady_s"],
             times(r["speedup_end_to_end"]), times(r["speedup_steady"]), r["lava_how"]] for r in results]
    return markdown_table(["network", "neurons", "synapses", "batch", "steps", "last-layer rate", "emulator warm s",
                           "emulator process s", "Lava process s", "Lava start-up s", "Lava build + compile s",
                           "Lava s / sample (steady)", "Lava steady s", "end to end", "steady state",
                           "Lava time"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the two smallest networks, 100 steps")
    parser.add_argument("--steps", type=int, help="time steps (default 100 quick, 1000 full)")
    parser.add_argument("--probe", type=int, default=4, help="samples of the Lava process an extrapolation uses")
    parser.add_argument("--lava-budget-s", type=float,
                        help="extrapolate Lava's batch 64 when its predicted time exceeds this (default: never in "
                             "the full run, 20 s with --quick)")
    parser.add_argument("--size", help="one network, LAYERSxWIDTH (e.g. 10x1000), instead of the list")
    args = parser.parse_args()
    if args.probe < 2:
        parser.error("--probe needs at least 2 samples (the steady state is samples 2..P)")
    steps = args.steps or (100 if args.quick else 1000)
    budget = args.lava_budget_s if args.lava_budget_s is not None else (20.0 if args.quick else None)
    sizes = SIZES[:2] if args.quick else SIZES
    if args.size:
        sizes = (tuple(int(n) for n in args.size.split("x")),)
        if sizes[0] not in SIZES:
            parser.error(f"--size must be one of {', '.join(f'{a}x{b}' for a, b in SIZES)}")
    rng = np.random.default_rng(0)
    results = []
    for layers, width in SIZES:
        graph = chain(layers, width, rng)  # drawn for every size: --size runs the full run's network and input
        raster = (rng.random((BATCH, steps, width)) < INPUT_DENSITY).astype(np.uint8)
        if (layers, width) not in sizes:
            continue
        deployment = quantize(graph)
        last = f"lif{layers - 1}"
        with tempfile.TemporaryDirectory() as tmp:
            artifact = Path(tmp) / f"chain_{layers}x{width}"
            write_artifact(deployment, artifact)
            emu, cold = {}, {}
            for batch in (1, BATCH):
                emu[batch] = best_of(lambda: emulate(deployment, raster[:batch], record=(last,)).spikes[last], 2)
            expected = emu[BATCH][1]
            for batch in (1, BATCH):
                require_equal(f"{artifact.name} batch {batch}: emulator batch vs its first samples",
                              emu[batch][1], expected[:batch])
                spikes, cold[batch] = run_emulator_cold(artifact, raster[:batch], [last])
                require_equal(f"{artifact.name} batch {batch}: emulator process vs emulator", spikes[last],
                              expected[:batch])
            lava = measure(artifact, raster, last, expected, budget, args.probe)
        results += size_rows(layers, width, steps, {b: t for b, (t, _) in emu.items()}, cold, lava,
                             float(expected.mean()))
    print(f"Loihi 2 emulator vs Lava fixed_pt (last layer's spikes checked equal on every sample Lava ran, before "
          f"timing is reported), chains of dense CubaLIF layers, input density {INPUT_DENSITY}")
    print(table(results))
    print(f"\nLava steady state: samples 2..B of one process; batch 1 (a one-sample process has none) uses the same "
          f"network's batch-{BATCH} process's sample time.")
    if any(r["lava_how"] != "measured" for r in results):
        print(f"\nLava time 'extrapolated': {EXTRAPOLATION}; its steady state is the probe process's.")
    for batch, goal in GOALS.items():
        for key, what in (("speedup_end_to_end", "end to end"), ("speedup_steady", "steady state")):
            worst = min(results, key=lambda r: r[key] if r["batch"] == batch else float("inf"))
            print(f"\ngoal: >= {goal:g}x at batch {batch} ({what}): smallest {times(worst[key])} at "
                  f"{worst['layers']}x{worst['width']}, Lava {worst['lava_how']} ({verdict(worst[key] >= goal)})")
    path = write_results("bench_loihi2_scaling", {"runs": results, "quick": args.quick, "goals": GOALS,
                                                  "extrapolation": EXTRAPOLATION})
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
