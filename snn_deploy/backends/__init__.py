"""Deployment backends: one subpackage per target, found by target name or from an artifact's manifest.

Every backend module exposes the same functions (the CLI calls nothing else):

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

import importlib
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from snn_deploy.backends import manifest as manifest_file
from snn_deploy.errors import ModelFormatError, UnsupportedError
from snn_deploy.ir.records import select_records  # noqa: F401  (the backends' record selection)

#: target name -> (backend module, vendor engine name)
TARGETS: dict[str, tuple[str, str]] = {
    "loihi2": ("snn_deploy.backends.lava", "lava"),
    "speck": ("snn_deploy.backends.sinabs", "sinabs"),
}


@dataclass(frozen=True)
class CompileOptions:
    """Choices a user can make at compile time (``None`` = the target's documented rule)."""

    dt_s: float | None = None
    allow_leak_removal: bool = False


def backend_for_target(target: str) -> ModuleType:
    if target not in TARGETS:
        raise UnsupportedError(f"unknown target '{target}' (known: {', '.join(sorted(TARGETS))})")
    return importlib.import_module(TARGETS[target][0])


def read_manifest(artifact_dir: str | Path) -> dict:
    """The manifest of ``artifact_dir`` (:mod:`snn_deploy.backends.manifest`), naming a known target.

    Files are not checked here: every backend's loader checks their hashes
    (:func:`snn_deploy.backends.manifest.load_manifest`).
    """
    manifest = manifest_file.read_manifest(artifact_dir)
    if manifest["target"] not in TARGETS:
        raise ModelFormatError(f"{Path(artifact_dir) / manifest_file.MANIFEST_FILE}: names no known target "
                               f"({manifest['target']!r})")
    return manifest


def note(message: str) -> None:
    """Report a note of an emulator or engine run (every backend reports through this one channel: a
    :class:`RuntimeWarning`, which the CLI prints and ``warnings`` filters control)."""
    warnings.warn(message, RuntimeWarning, stacklevel=3)


def backend_for_artifact(artifact_dir: str | Path) -> ModuleType:
    return backend_for_target(read_manifest(artifact_dir)["target"])
