"""The Speck artifact directory: writing it (atomically, deterministically) and reading it back.

Files: ``manifest.json`` (the schema of :mod:`snn_deploy.backends.manifest`, plus ``input_shape`` and
``"speck"``: the deployment's layers), ``quantization.json``,
``compatibility.json`` (rules checked, notes, layer -> core map with the memories), ``model.py`` (sinabs
builder) and ``weights.npz`` (integer weights and biases). Writing needs neither torch nor sinabs: the weights
go to ``.npz`` through :func:`snn_deploy.spikes.save_npz` (deterministic bytes, no pickle, numpy alone reads
it) and ``model.py`` turns them into tensors when a sinabs environment builds the model.
"""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

import numpy as np

from snn_deploy.artifacts import atomic_directory, dumps_json
from snn_deploy.backends.manifest import load_manifest, spec_from_record, spec_record, versions, write_manifest
from snn_deploy.backends.sinabs.emit import render_model_py
from snn_deploy.backends.sinabs.engine import SINABS_VERSION
from snn_deploy.errors import ModelFormatError, UnsupportedError
from snn_deploy.quantize.speck.deployment import SpeckDeployment
from snn_deploy.quantize.speck.quantizer import SpeckQuantization
from snn_deploy.quantize.speck.spec import SPECK, SpeckSpec
from snn_deploy.spikes import SpikeEvents, read_npz, save_npz

WEIGHTS_FILE = "weights.npz"
MODEL_FILE = "model.py"
ENGINE = "sinabs"


def write_artifact(quantization: SpeckQuantization, out_dir: str | Path) -> None:
    """Write the artifact of ``quantization`` to ``out_dir`` (replaced atomically)."""
    deployment = quantization.deployment
    with atomic_directory(out_dir) as tmp:
        save_npz(tmp / WEIGHTS_FILE, deployment.arrays())
        (tmp / MODEL_FILE).write_text(render_model_py(deployment))
        (tmp / "quantization.json").write_text(dumps_json(quantization.to_dict()))
        (tmp / "compatibility.json").write_text(dumps_json(quantization.compatibility.to_dict()))
        write_manifest(
            tmp, target=deployment.spec.name, engine=ENGINE, spec=spec_record(deployment.spec), dt_s=deployment.dt_s,
            input_units=deployment.input_units, outputs=sorted(deployment.outputs),
            latency_steps_by_node={layer.population: 0 for layer in deployment.layers},
            versions=versions(ENGINE, SINABS_VERSION),
            extra={"input_shape": list(deployment.input_shape), "speck": deployment.describe()})


def load_deployment(artifact_dir: str | Path) -> SpeckDeployment:
    """Read an artifact back, under the spec it was compiled for, once every file matches its hash."""
    artifact_dir = Path(artifact_dir)
    manifest = load_manifest(artifact_dir, SPECK.name)
    if "speck" not in manifest:
        raise ModelFormatError(f"{artifact_dir}/manifest.json: not a Speck artifact (no 'speck' layers)")
    spec = spec_from_record(manifest, SpeckSpec, artifact_dir)
    arrays = read_npz(artifact_dir / WEIGHTS_FILE)
    return SpeckDeployment.from_stored(manifest["speck"], arrays, str(artifact_dir), spec)


def input_raster(deployment: SpeckDeployment, events: SpikeEvents, steps: int | None) -> np.ndarray:
    """Input counts ``[batch, steps, units]``; by default up to the last event (Speck adds no latency)."""
    if events.units != deployment.input_units:
        raise ModelFormatError(f"input has {events.units} units, the network's input has {deployment.input_units}")
    return events.to_raster(deployment.dt_s, steps)


def to_records(chosen: Mapping[str, str], spikes: Mapping[str, np.ndarray],
               state: Mapping[str, tuple[np.ndarray, np.ndarray]] | None) -> dict[str, np.ndarray]:
    """``<node>/spikes`` (uint8) and, with ``state`` (population -> (u, v)), ``<node>/u``, ``<node>/v``.

    Arrays come in as ``[batch, steps, ...]`` and go out as ``[batch, steps, units]``; a count over 255 in one
    step raises :class:`UnsupportedError` (the records hold uint8).
    """
    records: dict[str, np.ndarray] = {}
    for key, population in chosen.items():
        counts = np.asarray(spikes[population])
        counts = counts.reshape(counts.shape[0], counts.shape[1], -1)
        if counts.size and counts.max() > SPECK.max_spikes_per_step:
            raise UnsupportedError(f"node '{population}': {int(counts.max())} spikes in one step; records hold at "
                                   f"most {SPECK.max_spikes_per_step}")
        records[f"{key}/spikes"] = counts.astype(np.uint8)
        if state is not None:
            u, v = state[population]
            records[f"{key}/u"] = np.asarray(u).reshape(counts.shape).astype(np.int64)
            records[f"{key}/v"] = np.asarray(v).reshape(counts.shape).astype(np.int64)
    return records
