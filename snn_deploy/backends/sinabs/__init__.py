"""Speck backend: compile an IR graph to a Sinabs artifact, emulate it bit-exactly, run it with sinabs.

The backend interface is in :mod:`snn_deploy.backends`. Imports neither torch nor sinabs: compiling and
emulating need neither, and sinabs runs in its own engine interpreter (:mod:`.engine`, ``.venv-sinabs``).
Never imports ``samna`` or ``sinabs.backend.dynapcnn`` (the emitted ``model.py`` is ready for
``DynapcnnNetwork`` on a machine that has samna).

Records: ``<node>/spikes`` are spike counts per step (MultiSpike: several per step are possible, at most 255);
with ``record_state``, ``<node>/u`` is the layer's integer input of the step (conv or linear output plus bias:
an IAF has no synaptic current) and ``<node>/v`` the membrane after reset and low bound. Speck adds no
latency: ``latency_steps`` is 0 (every layer sees the spikes of the layer before in the same step).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from snn_deploy.backends import CompileOptions, note, select_records
from snn_deploy.backends.sinabs.artifact import input_raster, load_deployment, to_records, write_artifact
from snn_deploy.backends.sinabs.engine import run_sinabs
from snn_deploy.emulate.speck import emulate
from snn_deploy.ir.graph import Graph
from snn_deploy.ir.io.reset_reading import reading_notes
from snn_deploy.quantize.speck.deployment import SpeckDeployment
from snn_deploy.quantize.speck.quantizer import quantize
from snn_deploy.spikes import SpikeEvents

__all__ = ["compile_model", "emulate_artifact", "run_artifact"]


def _chosen(deployment: SpeckDeployment, record: str) -> dict[str, str]:
    return select_records([layer.population for layer in deployment.layers], deployment.outputs, record)


def compile_model(graph: Graph, out_dir: str | Path, options: CompileOptions) -> dict:
    """Quantize ``graph`` for Speck and write the artifact; returns the quantization summary (with ``"text"``)."""
    quantization = quantize(graph, options.dt_s, options.allow_leak_removal)
    write_artifact(quantization, out_dir)
    summary = quantization.to_dict()
    summary["compatibility"] = quantization.compatibility.to_dict()
    summary["notes"] = [*reading_notes(graph), *summary["notes"]]
    summary["text"] = "\n".join([
        quantization.compatibility.text(),
        *(f"  note: {note}" for note in reading_notes(graph)),
        f"dt_s = {quantization.deployment.dt_s:g}; clipped values: {summary['clipped_total']}",
        *(f"  {a.name}: int {a.int_min}..{a.int_max}, max rel. error {a.max_rel_error:.3g}"
          for a in quantization.arrays),
        f"wrote {out_dir}",
    ])
    return summary


def emulate_artifact(artifact_dir: str | Path, events: SpikeEvents, *, steps: int | None = None,
                     record: str = "outputs", record_state: bool = False) -> tuple[dict[str, np.ndarray], float]:
    """snn-deploy's integer emulator on the artifact's deployment."""
    deployment = load_deployment(artifact_dir)
    traces = emulate(deployment, input_raster(deployment, events, steps), record_state)
    for name, trace in traces.items():
        if trace.state_overflow:
            note(f"speck: layer '{name}': v + input left the {deployment.spec.state_bits}-bit state range "
                 f"{trace.state_overflow} times (neuron x step); sinabs does not model this, the chip would overflow")
    spikes = {name: trace.spikes for name, trace in traces.items()}
    state = {name: (trace.u, trace.v) for name, trace in traces.items()} if record_state else None
    return to_records(_chosen(deployment, record), spikes, state), deployment.dt_s


def run_artifact(artifact_dir: str | Path, events: SpikeEvents, *, steps: int | None = None,
                 record: str = "outputs", record_state: bool = False) -> tuple[dict[str, np.ndarray], float]:
    """The artifact's ``model.py`` run by sinabs on the CPU, in the Sinabs engine interpreter (a subprocess)."""
    deployment = load_deployment(artifact_dir)
    layer_spikes, layer_state = run_sinabs(artifact_dir, input_raster(deployment, events, steps), record_state)
    names = [layer.population for layer in deployment.layers]
    spikes = dict(zip(names, layer_spikes))
    state = dict(zip(names, layer_state)) if layer_state is not None else None
    return to_records(_chosen(deployment, record), spikes, state), deployment.dt_s
