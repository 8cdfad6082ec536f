"""The ``manifest.json`` every artifact directory carries, and the one loader that checks it, for every target.

Schema (``"schema": "snn-deploy artifact 2"``; keys common to every target):

* ``target`` (the name ``compile --target`` takes), ``engine`` (the vendor simulator ``run --engine`` takes);
* ``spec``: ``{"name", "values"}``, the target spec the deployment was quantized with (every field of the spec
  object, :func:`spec_record`); the emulator refuses a deployment under another spec;
* ``dt_s``, ``input_units``, ``outputs`` (output node names), ``latency_steps`` (the deepest output's latency) and
  ``latency_steps_by_node`` (steps the target's pipeline adds per population and output node);
* ``versions``: ``snn-deploy``, ``<engine> (engine)`` (the release the spec was read from), ``numpy``,
  ``python`` and whatever else the target names;
* ``hashes``: the sha256 of every other file of the directory.

A target adds its own keys beside them (Loihi 2: ``input``, ``populations``, ``custom_processes``; Speck:
``input_shape``, ``speck``). :func:`load_manifest` is the only reader: it refuses a directory whose manifest
is missing, of another schema (artifacts of earlier snn-deploy releases: compile again), of another target, or
whose files do not match their hashes, each with a one-line :class:`ModelFormatError` naming the file.
"""
from __future__ import annotations

import dataclasses
import json
import platform
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from snn_deploy import __version__
from snn_deploy.artifacts import dumps_json, sha256_file
from snn_deploy.errors import ModelFormatError

SCHEMA = "snn-deploy artifact 2"
MANIFEST_FILE = "manifest.json"


def spec_record(spec: Any) -> dict[str, Any]:
    """``{"name", "values"}`` of a frozen spec dataclass with a ``name`` (nested dataclasses become objects)."""
    return {"name": spec.name, "values": dataclasses.asdict(spec)}


def spec_from_record(manifest: Mapping[str, Any], spec_type: type, artifact_dir: str | Path) -> Any:
    """The spec object ``spec_type.from_values`` makes of the manifest's ``spec`` record."""
    record = manifest["spec"]
    try:
        spec = spec_type.from_values(record["values"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFormatError(f"{Path(artifact_dir) / MANIFEST_FILE}: 'spec' is not a {spec_type.__name__} "
                               f"({type(exc).__name__}: {exc})") from None
    if spec.name != record.get("name"):
        raise ModelFormatError(f"{Path(artifact_dir) / MANIFEST_FILE}: 'spec' names {record.get('name')!r}, "
                               f"its values {spec.name!r}")
    return spec


def versions(engine: str, engine_version: str, **more: str) -> dict[str, str]:
    """What wrote the artifact and the vendor release it targets."""
    return {"snn-deploy": __version__, f"{engine} (engine)": engine_version, "numpy": np.__version__,
            "python": platform.python_version(), **more}


def write_manifest(directory: Path, *, target: str, engine: str, spec: Mapping[str, Any], dt_s: float,
                   input_units: int, outputs: list[str], latency_steps_by_node: Mapping[str, int],
                   versions: Mapping[str, str], extra: Mapping[str, Any]) -> dict[str, Any]:
    """Write ``directory/manifest.json`` over the files already in ``directory``; returns the manifest."""
    hashes = {p.name: sha256_file(p) for p in sorted(directory.iterdir()) if p.name != MANIFEST_FILE}
    latency = {name: int(steps) for name, steps in latency_steps_by_node.items()}
    manifest = {
        "schema": SCHEMA, "target": target, "engine": engine, "spec": dict(spec), "dt_s": float(dt_s),
        "input_units": int(input_units), "outputs": list(outputs),
        "latency_steps": max((latency[o] for o in outputs if o in latency), default=0),
        "latency_steps_by_node": latency, "versions": dict(versions), "hashes": hashes, **extra,
    }
    (directory / MANIFEST_FILE).write_text(dumps_json(manifest))
    return manifest


def read_manifest(artifact_dir: str | Path) -> dict[str, Any]:
    """The manifest of ``artifact_dir`` (schema checked, files not: :func:`load_manifest` checks them)."""
    path = Path(artifact_dir) / MANIFEST_FILE
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise ModelFormatError(f"{path}: no such file (not a compiled artifact directory)") from None
    except (OSError, ValueError) as exc:
        raise ModelFormatError(f"{path}: unreadable manifest ({type(exc).__name__})") from None
    if not isinstance(manifest, dict):
        raise ModelFormatError(f"{path}: not a JSON object")
    if manifest.get("schema") != SCHEMA:
        raise ModelFormatError(f"{path}: schema {manifest.get('schema')!r}, this snn-deploy reads {SCHEMA!r} "
                               "(written by another release: compile the model again)")
    for key, kind in (("target", str), ("spec", dict), ("hashes", dict), ("dt_s", (int, float))):
        if not isinstance(manifest.get(key), kind):
            raise ModelFormatError(f"{path}: '{key}' is missing or malformed")
    return manifest


def verify_hashes(artifact_dir: str | Path, manifest: Mapping[str, Any]) -> None:
    """Every file the manifest lists exists and has its sha256, else :class:`ModelFormatError` naming it."""
    for name, digest in sorted(manifest["hashes"].items()):
        path = Path(artifact_dir) / name
        if Path(name).name != name or name == MANIFEST_FILE:
            raise ModelFormatError(f"{Path(artifact_dir) / MANIFEST_FILE}: hash entry {name!r} is not a file name")
        if not path.is_file():
            raise ModelFormatError(f"{path}: missing (the manifest lists it)")
        if sha256_file(path) != digest:
            raise ModelFormatError(f"{path}: changed since compile (sha256 differs from the manifest)")


def load_manifest(artifact_dir: str | Path, target: str) -> dict[str, Any]:
    """The manifest of a ``target`` artifact whose files all match their hashes (module docstring)."""
    manifest = read_manifest(artifact_dir)
    if manifest["target"] != target:
        raise ModelFormatError(f"{artifact_dir}: compiled for {manifest['target']}, not {target}")
    verify_hashes(artifact_dir, manifest)
    return manifest
