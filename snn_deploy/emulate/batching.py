"""Run a compiled per-sample kernel over a batch (the emulators' entry to :mod:`snn_deploy.parallel`).

The emulators' kernels release the GIL and samples are independent, so a batch splits into contiguous
slices, one per thread; each slice's results are written to its own rows, and the result does not depend on
the split. ``threads=None``: :func:`snn_deploy.parallel.default_threads` (``SNN_DEPLOY_THREADS`` or the CPUs
this process may use).
"""
from __future__ import annotations

from typing import Callable

from snn_deploy.parallel import map_batches


def over_batch(batch: int, run: Callable[[slice], None], threads: int | None = None) -> None:
    """``run(samples)`` for contiguous slices covering ``range(batch)``, one slice per thread."""
    map_batches(run, batch, threads)
