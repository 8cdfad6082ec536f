"""Deployment backends: one subpackage per target; :mod:`snn_deploy.targets` is the registry that finds a
target (and so its backend) by name or from an artifact's manifest.

Every backend module exposes the same functions (its :class:`~snn_deploy.targets.Target` adapter calls them):

* ``compile_model(graph, out_dir, options) -> dict`` — quantize, write the artifact directory atomically,
  return the quantization summary;
* ``emulate_artifact(artifact_dir, events, *, steps, record, record_state) -> (records, dt_s)`` — the
  bit-accurate emulator;
* ``run_artifact(artifact_dir, events, *, steps, record, record_state) -> (records, dt_s)`` — the vendor engine.

``records`` maps ``<node>/spikes`` (and ``<node>/u``, ``<node>/v``) to ``[batch, steps, units]`` arrays, as
``snn_deploy.spikes.save_engine_output`` writes them. No backend imports another. Every artifact carries the
one manifest schema of :mod:`snn_deploy.backends.manifest`, and every backend's loader checks its files' hashes
there; notes of a run (overflow counts, merged input events) go through :func:`note`.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

from snn_deploy.ir.records import select_records  # noqa: F401  (the backends' record selection)


@dataclass(frozen=True)
class CompileOptions:
    """Choices a user can make at compile time (``None`` = the target's documented rule)."""

    dt_s: float | None = None
    allow_leak_removal: bool = False


def note(message: str) -> None:
    """Report a note of an emulator or engine run (every backend reports through this one channel: a
    :class:`RuntimeWarning`, which the CLI prints and ``warnings`` filters control)."""
    warnings.warn(message, RuntimeWarning, stacklevel=3)
