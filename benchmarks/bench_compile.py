"""Loihi 2 compile (quantize + emit the Lava artifact) wall time and peak memory against synapse count.

Each network is Input(n) -> Dense(n x n) -> CubaLIF(n) -> Output with ``n^2`` = 10k, 100k, 1M, 10M
synapses (random float64 weights). Every size runs in a fresh subprocess that builds the graph, then times
:func:`snn_deploy.backends.lava.compile_model` into a temporary directory; memory is the process's peak
resident set (``ru_maxrss``) after the compile, and its growth over the peak before it (graph built,
modules imported). The peer is the floor of the same work: ``np.savez`` of the float64 weights into the
same temporary directory (the artifact stores them quantized, plus a netx copy and a manifest with hashes).

    .venv/bin/python benchmarks/bench_compile.py [--quick]
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import markdown_table, write_results  # noqa: E402

SYNAPSES = (10_000, 100_000, 1_000_000, 10_000_000)
GOAL_SYNAPSES, GOAL_S = 1_000_000, 2.0


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(n_synapses: int) -> dict:
    """Compile one dense network in this process: seconds, peak RSS and its growth, artifact bytes."""
    from snn_deploy.backends import CompileOptions
    from snn_deploy.backends.lava import compile_model
    from snn_deploy.ir import CubaLIF, Dense, Graph, Input, Output

    n = int(round(np.sqrt(n_synapses)))
    rng = np.random.default_rng(0)
    weight = rng.normal(0.0, 1.0, (n, n)) / np.sqrt(n)
    graph = Graph(
        nodes={"in": Input((n,)), "fc": Dense(weight),
               "lif": CubaLIF.create(n, tau_syn_s=5e-3, tau_mem_s=1e-2, v_threshold=1.0, reset_mode="to_value"),
               "out": Output((n,))},
        edges=(("in", "fc"), ("fc", "lif"), ("lif", "out")), metadata={"dt_s": 1e-3})
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        np.savez(Path(tmp) / "weights_float64.npz", weight=weight)
        savez_s = time.perf_counter() - start
        before = _maxrss_mib()
        start = time.perf_counter()
        compile_model(graph, Path(tmp) / "artifact", CompileOptions())
        seconds = time.perf_counter() - start
        after = _maxrss_mib()
        artifact_bytes = sum(f.stat().st_size for f in (Path(tmp) / "artifact").rglob("*") if f.is_file())
    return {"synapses": n * n, "neurons": n, "compile_s": seconds, "savez_float64_s": savez_s,
            "peak_rss_mib": after, "rss_growth_mib": after - before, "weights_mib": weight.nbytes / 2**20,
            "artifact_mib": artifact_bytes / 2**20}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="up to 1M synapses")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # child mode: one size, JSON on stdout
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one)))
        return
    sizes = SYNAPSES[:3] if args.quick else SYNAPSES
    rows, results = [], []
    for n_synapses in sizes:
        done = subprocess.run([sys.executable, __file__, "--one", str(n_synapses)], capture_output=True, text=True,
                              check=True)
        r = json.loads(done.stdout.strip().splitlines()[-1])
        results.append(r)
        rows.append([f"{r['synapses']:,}", r["compile_s"], r["savez_float64_s"], r["compile_s"] / r["savez_float64_s"],
                     f"{r['synapses'] / r['compile_s']:.3g}", f"{r['weights_mib']:.1f}", f"{r['rss_growth_mib']:.1f}",
                     f"{r['peak_rss_mib']:.0f}", f"{r['artifact_mib']:.1f}"])
    goal = next((r for r in results if r["synapses"] == GOAL_SYNAPSES), None)
    print("Loihi 2 compile (quantize + emit Lava artifact) vs np.savez of the float64 weights, dense n x n layer")
    print(markdown_table(["synapses", "compile s", "savez s", "compile / savez", "synapses/s", "float64 weights MiB",
                          "RSS growth MiB", "peak RSS MiB", "artifact MiB"], rows))
    if goal is not None:
        print(f"\ngoal: 1M synapses <= {GOAL_S:g} s: {goal['compile_s']:.2f} s "
              f"({'met' if goal['compile_s'] <= GOAL_S else 'MISSED'})")
    path = write_results("bench_compile", {"runs": results, "quick": args.quick,
                                           "goal": {"synapses": GOAL_SYNAPSES, "seconds": GOAL_S}})
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
