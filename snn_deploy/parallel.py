"""Running the independent samples of a batch on several threads: the one batch runner of snn-deploy.

The compiled kernels (the exact reference's event loop, the emulators) release the GIL and samples do not
interact, so a batch splits into contiguous slices of samples run on a thread pool; each slice writes (or
returns) its own samples only, and the result does not depend on the split or the thread count.

The thread count is, in this order: the ``threads`` argument, the environment variable
``SNN_DEPLOY_THREADS`` (a positive integer), or the CPUs this process may run on
(``os.sched_getaffinity``; ``os.cpu_count`` where the platform has no affinity).
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, TypeVar

from snn_deploy.errors import SnnDeployError

#: environment variable that sets the default thread count
THREADS_ENV = "SNN_DEPLOY_THREADS"

T = TypeVar("T")


class ThreadSettingError(SnnDeployError):
    """A thread count (argument or ``SNN_DEPLOY_THREADS``) that is not a positive integer."""


def _available_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def default_threads() -> int:
    """``SNN_DEPLOY_THREADS`` if set, else the number of CPUs this process may use."""
    value = os.environ.get(THREADS_ENV)
    if value is None or not value.strip():
        return _available_cpus()
    try:
        threads = int(value.strip())
    except ValueError:
        threads = 0
    if threads < 1:
        raise ThreadSettingError(f"environment variable {THREADS_ENV}={value!r}: expected a positive integer")
    return threads


def resolve_threads(threads: int | None) -> int:
    """``threads`` checked (a positive integer), or :func:`default_threads` for ``None``."""
    if threads is None:
        return default_threads()
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ThreadSettingError(f"threads={threads!r}: expected a positive integer")
    return threads


def batch_slices(batch: int, parts: int) -> list[slice]:
    """``range(batch)`` as ``min(batch, parts)`` contiguous slices of sizes differing by at most one."""
    parts = max(1, min(batch, parts))
    base, extra = divmod(batch, parts)
    bounds = [0]
    for k in range(parts):
        bounds.append(bounds[-1] + base + (1 if k < extra else 0))
    return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]


def map_batches(fn: Callable[[slice], T], batch: int, threads: int | None = None, *,
                samples_per_call: int | None = None) -> list[T]:
    """``[fn(s) for s in slices]`` over contiguous slices covering ``range(batch)``, on ``threads`` threads.

    By default one slice per thread (kernels vectorized over a slice pay one call each);
    ``samples_per_call=1`` hands out one sample at a time, so threads that finish early take the next sample
    (samples of very different cost). Results are in slice order.
    """
    workers = resolve_threads(threads)
    if samples_per_call is None:
        slices = batch_slices(batch, workers)
    else:
        slices = [slice(a, min(a + samples_per_call, batch)) for a in range(0, batch, samples_per_call)]
    if workers == 1 or len(slices) <= 1:
        return [fn(s) for s in slices]
    with ThreadPoolExecutor(max_workers=min(workers, len(slices))) as pool:
        return list(pool.map(fn, slices))
