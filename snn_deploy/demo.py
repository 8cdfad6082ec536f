"""The main job run by ``make demo``: every shared model through inspect and convert, with a summary table.

For each model under ``$SNN_DEPLOY_SHARED/models`` (default: ``../shared/models`` next to the repo):
read it (NIR or lava-dl netx), write native ONNX and read it back, write NIR from that and read it
back where NIR can express the graph, and check every round trip is lossless (``graphs_equal``).
Output files go to ``OUT_DIR`` (first argument; default: a temporary directory that is removed).
Exit code 0 when every round trip is lossless, 1 otherwise.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from snn_deploy.errors import UnsupportedError
from snn_deploy.ir.graph import Graph, graphs_equal
from snn_deploy.ir.io import load, save
from snn_deploy.ir.io.summary import graph_summary

REPO = Path(__file__).resolve().parents[1]


def shared_models() -> list[Path]:
    """The shared model files (NIR and netx), sorted."""
    root = Path(os.environ.get("SNN_DEPLOY_SHARED", REPO.parent / "shared")) / "models"
    return sorted(p for p in root.rglob("*") if p.suffix in (".nir", ".net"))


def round_trip(graph: Graph, path: Path) -> str:
    """Write ``graph`` to ``path``, read it back: "ok", "LOSSY" or why the format cannot hold it."""
    try:
        save(graph, path)
    except UnsupportedError as exc:
        return f"n/a ({exc})"
    return "ok" if graphs_equal(load(path), graph) else "LOSSY"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    with tempfile.TemporaryDirectory(prefix="snn-deploy-demo-") as tmp:
        out_dir = Path(argv[0]) if argv else Path(tmp)
        out_dir.mkdir(parents=True, exist_ok=True)
        header = f"{'model':40s} {'nodes':>5s} {'neurons':>8s} {'synapses':>9s} {'onnx MB':>8s}  onnx  nir   s"
        print(header)
        failures = 0
        for model in shared_models():
            start = time.perf_counter()
            graph = load(model)
            totals = graph_summary(graph)["totals"]
            onnx_path = out_dir / f"{model.stem}.onnx"
            onnx_result = round_trip(graph, onnx_path)
            nir_result = round_trip(load(onnx_path), out_dir / f"{model.stem}.nir")
            failures += onnx_result != "ok" or nir_result == "LOSSY"
            print(f"{model.name:40s} {totals['nodes']:5d} {totals['neurons']:8d} {totals['synapses']:9d} "
                  f"{onnx_path.stat().st_size / 1e6:8.2f}  {onnx_result:4s}  {nir_result.split(' ')[0]:4s} "
                  f"{time.perf_counter() - start:5.2f}")
        print(f"{'all round trips lossless' if not failures else f'{failures} round trip(s) failed'}; "
              f"files in {out_dir if argv else '(temporary directory, removed)'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
