"""Deployment backends: one subpackage per target, found by target name or from an artifact's manifest.

Every backend module exposes the same functions (the CLI calls nothing else):

* ``compile_model(graph, out_dir, options) -> dict`` — quantize, write the artifact directory atomically,
  return the quantization summary;
* ``emulate_artifact(artifact_dir, events, record, record_state) -> (records, dt_s)`` — bit-accurate emulator;
* ``run_artifact(artifact_dir, events, record, record_state) -> (records, dt_s)`` — the vendor engine.

``records`` maps ``<node>/spikes`` (and ``<node>/u``, ``<node>/v``) to ``[batch, steps, units]`` arrays, as
``snn_deploy.spikes.save_engine_output`` writes them. No backend imports another.
"""
from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

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
    path = Path(artifact_dir) / "manifest.json"
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise ModelFormatError(f"{path}: no such file (not a compiled artifact directory)") from None
    except (OSError, ValueError) as exc:
        raise ModelFormatError(f"{path}: unreadable manifest ({type(exc).__name__})") from None
    if not isinstance(manifest, dict) or manifest.get("target") not in TARGETS:
        raise ModelFormatError(f"{path}: manifest names no known target")
    return manifest


def backend_for_artifact(artifact_dir: str | Path) -> ModuleType:
    return backend_for_target(read_manifest(artifact_dir)["target"])
