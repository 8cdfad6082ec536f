"""Shared benchmark plumbing: timing, machine description, memory bandwidth, Markdown tables, JSON results."""
from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

#: where scripts write their JSON; run_all.py --quick points it at results/quick so a quick run never
#: overwrites the committed full-run results
RESULTS = Path(os.environ.get("SNN_DEPLOY_BENCH_RESULTS", Path(__file__).resolve().parent / "results"))


def best_of(fn: Callable[[], Any], repeats: int = 3) -> tuple[float, Any]:
    """Smallest wall time (s) of ``repeats`` calls and the last result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def require_equal(what: str, ours: Any, theirs: Any, need_spikes: bool = True) -> None:
    """Stop the benchmark (``SystemExit``, exit 1) unless ``ours`` and ``theirs`` are equal element by element.

    Called on every output both sides produced BEFORE any figure is printed or written, so a timing is only
    ever reported for outputs proven identical. Explicit code, not ``assert``: it also runs under ``python -O``.
    ``need_spikes``: an all-zero output proves nothing, so it stops the run too.
    """
    a, b = np.asarray(ours), np.asarray(theirs)
    if a.shape != b.shape:
        raise SystemExit(f"{what}: outputs differ in shape ({a.shape} vs {b.shape}); no timing reported")
    differ = np.argwhere(a != b)
    if differ.size:
        raise SystemExit(f"{what}: outputs differ in {len(differ)} of {a.size} elements, first at index "
                         f"{tuple(int(i) for i in differ[0])}; no timing reported")
    if need_spikes and not np.any(a):
        raise SystemExit(f"{what}: both outputs are all zero (no spikes): equality proves nothing; no timing reported")


def verdict(ok: bool) -> str:
    """``met`` or ``MISSED``: every goal row says one of the two against its number."""
    return "met" if ok else "MISSED"


def times(ratio: float) -> str:
    """A speed ratio as text: ``0.83x``, ``6.1x``, ``321x``."""
    return f"{ratio:.2g}x" if ratio < 10 else f"{ratio:.0f}x"


def machine() -> dict[str, Any]:
    """CPU model, core count, memory, Python and numpy versions."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem_gib, 1),
            "python": platform.python_version(), "numpy": np.__version__}


def memory_bandwidth_gbs(n_bytes: int = 1 << 28) -> float:
    """Copy bandwidth (read + write bytes per second, GB/s) of a large numpy array copy."""
    src = np.ones(n_bytes // 8)
    dst = np.empty_like(src)
    seconds, _ = best_of(lambda: np.copyto(dst, src), repeats=5)
    return 2 * src.nbytes / seconds / 1e9


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def fmt(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:.4g}"
        return str(value)

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def write_results(name: str, payload: dict[str, Any]) -> Path:
    """Write ``benchmarks/results/<name>.json`` with the machine description added."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), **payload}, indent=2, sort_keys=True) + "\n")
    return path
