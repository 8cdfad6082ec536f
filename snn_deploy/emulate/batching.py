"""Run a compiled per-sample kernel over a batch on one thread per core.

The emulators' kernels release the GIL and samples are independent, so a batch splits into contiguous
slices, one per core; each slice's results are written to its own rows, and the result does not depend on
the split.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import numpy as np


def over_batch(batch: int, run: Callable[[slice], None]) -> None:
    """``run(samples)`` for contiguous slices covering ``range(batch)``, one thread per core."""
    chunks = [c for c in np.array_split(np.arange(batch), max(1, min(batch, os.cpu_count() or 1))) if c.size]
    with ThreadPoolExecutor(max_workers=max(1, len(chunks))) as pool:
        list(pool.map(run, [slice(int(c[0]), int(c[-1]) + 1) for c in chunks]))
