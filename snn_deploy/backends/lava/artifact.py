"""The Lava artifact directory: write it atomically and deterministically, read its deployment back.

``DIR/`` holds ``network.py`` (the Lava process graph, a copy of ``network_template.py``),
``weights.npz`` (:meth:`Deployment.to_arrays`), ``network.net`` (lava-dl netx HDF5, feed-forward dense
networks of Lava's own LIF only), ``quantization.json`` and ``manifest.json`` (the schema of
:mod:`snn_deploy.backends.manifest`, plus ``input``, ``populations`` and ``custom_processes``: the groups that
run in snn-deploy's own processes and why).
"""
from __future__ import annotations

from importlib import metadata
from pathlib import Path
from typing import Mapping

import numpy as np

from snn_deploy.artifacts import atomic_directory, dumps_json
from snn_deploy.backends import select_records
from snn_deploy.backends.manifest import load_manifest, spec_from_record, spec_record, versions, write_manifest
from snn_deploy.errors import ModelFormatError, UnsupportedError
from snn_deploy.quantize.loihi2.deployment import Deployment
from snn_deploy.quantize.loihi2.spec import Loihi2Spec, ResetRule
from snn_deploy.spikes import SpikeEvents, read_npz, save_npz

TEMPLATE = Path(__file__).with_name("network_template.py")
LAVA_VERSION = "0.10.0"
TARGET, ENGINE = "loihi2", "lava"


def _versions() -> dict[str, str]:
    try:
        return versions(ENGINE, LAVA_VERSION, h5py=metadata.version("h5py"))
    except metadata.PackageNotFoundError:  # pragma: no cover
        return versions(ENGINE, LAVA_VERSION)


def write_artifact(deployment: Deployment, out_dir: str | Path) -> list[str]:
    """Write the artifact directory atomically; returns the notes on files not written (e.g. no netx)."""
    from snn_deploy.backends.lava.netx_writer import write_netx

    notes: list[str] = []
    with atomic_directory(out_dir) as tmp:
        (tmp / "network.py").write_text(TEMPLATE.read_text())
        save_npz(tmp / "weights.npz", deployment.to_arrays())
        try:
            write_netx(deployment, tmp / "network.net")
        except UnsupportedError as exc:
            notes.append(f"no network.net: {exc}")
        report = dict(deployment.report)
        report["notes"] = [*report.get("notes", []), *notes]
        (tmp / "quantization.json").write_text(dumps_json(report))
        outputs = list(deployment.outputs)
        write_manifest(
            tmp, target=TARGET, engine=ENGINE, spec=spec_record(deployment.spec), dt_s=deployment.dt_s,
            input_units=deployment.input_units, outputs=outputs,
            latency_steps_by_node={**dict(deployment.latency_steps),
                                   **{o: deployment.latency_steps[deployment.outputs[o]] for o in outputs}},
            versions=_versions(),
            extra={"input": deployment.input_name, "populations": dict(deployment.populations),
                   "custom_processes": custom_processes(deployment)})
    return notes


def custom_processes(deployment: Deployment) -> dict[str, str]:
    """Per group that Lava's built-in processes cannot run: snn-deploy's process and what it needs on a chip."""
    out = {}
    for g in deployment.groups:
        if g.coupling is not None:
            out[g.name] = "CoupledLIF (membrane coupling" + (
                ", reset by subtraction" if g.reset is ResetRule.SUBTRACT else "") + "; Python fixed_pt model only)"
        elif g.reset is ResetRule.SUBTRACT:
            out[g.name] = ("SubtractLIF: resets by subtraction, which Lava's built-in LIF cannot do; on a Loihi 2 "
                           "chip it needs a custom microcode neuron (Python fixed_pt model only)")
    return out


def load_deployment(artifact_dir: str | Path) -> Deployment:
    """The artifact's deployment, under the spec it was compiled for, once every file matches its hash."""
    manifest = load_manifest(artifact_dir, TARGET)
    spec = spec_from_record(manifest, Loihi2Spec, artifact_dir)
    path = Path(artifact_dir) / "weights.npz"
    return Deployment.from_arrays(read_npz(path), str(path), spec)


def input_raster(deployment: Deployment, events: SpikeEvents, steps: int | None) -> np.ndarray:
    """Input ``[batch, steps, units]``; by default up to the last event plus the deepest population's latency."""
    if events.units != deployment.input_units:
        raise ModelFormatError(f"input has {events.units} units, the network's input has {deployment.input_units}")
    if steps is None:
        last = int(np.rint(events.time_s.max() / deployment.dt_s)) if events.time_s.size else 0
        steps = last + 1 + max(deployment.latency_steps.values(), default=0)
    return events.to_raster(deployment.dt_s, steps)


def recorded_populations(deployment: Deployment, record: str) -> dict[str, str]:
    """Record key prefix -> population (see :func:`snn_deploy.backends.select_records`)."""
    return select_records(deployment.populations, deployment.outputs, record)


def to_records(chosen: Mapping[str, str], by_population: Mapping[str, np.ndarray], record_state: bool
               ) -> dict[str, np.ndarray]:
    """``<node>/spikes`` (and ``/u``, ``/v``) from per-population ``<population>/...`` arrays."""
    records: dict[str, np.ndarray] = {}
    for key, population in chosen.items():
        records[f"{key}/spikes"] = np.asarray(by_population[f"{population}/spikes"]).astype(np.uint8)
        if record_state:
            records[f"{key}/u"] = np.asarray(by_population[f"{population}/u"]).astype(np.int64)
            records[f"{key}/v"] = np.asarray(by_population[f"{population}/v"]).astype(np.int64)
    return records
