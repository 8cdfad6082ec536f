"""The ``--report DIR`` of a check: ``report.json`` and PNG plots (rasters, spike-time errors, quantization
errors, spikes per population with the silent ones marked, membrane traces of the worst-matching neurons).
Written atomically."""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

import numpy as np

from snn_deploy.artifacts import atomic_directory, dumps_json
from snn_deploy.check import plots
from snn_deploy.check.equivalence import CheckResult, latency_of, raster_to_events
from snn_deploy.ir.graph import Graph
from snn_deploy.spikes import SpikeEvents


def worst_neuron(reference: SpikeEvents, deployed: SpikeEvents) -> tuple[int, int]:
    """(sample, unit) whose spike counts differ most between the two sides (ties: lowest indices)."""
    shape = (reference.batch, reference.units)
    diff = np.abs(np.bincount(reference.sample * reference.units + reference.unit, minlength=np.prod(shape))
                  - np.bincount(deployed.sample * deployed.units + deployed.unit, minlength=np.prod(shape)))
    flat = int(np.argmax(diff))
    return flat // reference.units, flat % reference.units


def write_report(report_dir: str | Path, result: CheckResult, graph: Graph, events: SpikeEvents,
                 reference: Mapping[str, SpikeEvents], emulated: Mapping[str, np.ndarray],
                 manifest: Mapping) -> list[str]:
    """Write report.json and the plots; returns the file names written."""
    from snn_deploy.reference.simulator import membrane_traces

    written: list[str] = []
    with atomic_directory(report_dir) as tmp:
        (tmp / "report.json").write_text(dumps_json(result.to_json()))
        written.append("report.json")
        gaps = [r.dt_abs_s for r in result.populations.values()]
        plots.error_histogram(tmp / "spike_time_errors.png",
                              np.concatenate(gaps) / result.dt_s if gaps else np.zeros(0), result.tolerances.steps)
        written.append("spike_time_errors.png")
        if result.silence is not None:
            silence = result.silence
            plots.population_spikes(tmp / "population_spikes.png", silence.reference_spikes,
                                    {name: a.spikes for name, a in silence.deployed.items()})
            written.append("population_spikes.png")
        if result.quantization:
            plots.quantization_errors(tmp / "quantization_errors.png", result.quantization)
            written.append("quantization_errors.png")
        for node in result.populations:
            spikes = emulated[f"{node}/spikes"]
            deployed = raster_to_events(spikes, result.dt_s, latency_of(manifest, node))
            safe = node.replace("/", "_")
            plots.raster(tmp / f"raster_{safe}.png", node, reference[node], deployed)
            written.append(f"raster_{safe}.png")
            if f"{node}/v" not in emulated:
                continue
            sample, unit = worst_neuron(reference[node], deployed)
            latency = latency_of(manifest, node)
            steps = spikes.shape[1]
            deployed_t = (np.arange(steps) - latency) * result.dt_s
            keep = deployed_t >= 0
            probe = np.linspace(0.0, max(float(deployed_t[-1]), result.dt_s), 400)
            single = SpikeEvents(*_one_sample(events, sample))
            trace = membrane_traces(graph, single, probe, record=[node])[node]
            v_ref = trace.v[0].reshape(probe.size, -1)[:, unit]
            v_dep = emulated[f"{node}/v"][sample].reshape(steps, -1)[:, unit]
            threshold = float(np.asarray(graph.nodes[node].v_threshold).reshape(-1)[unit]) \
                if hasattr(graph.nodes[node], "v_threshold") else float("nan")
            plots.membrane_traces(tmp / f"membrane_{safe}.png", (probe, v_ref), threshold,
                                  (deployed_t[keep], v_dep[keep]),
                                  title=f"{node} neuron {unit}, sample {sample} (largest spike-count mismatch)")
            written.append(f"membrane_{safe}.png")
    return written


def _one_sample(events: SpikeEvents, sample: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    unit, time_s = events.for_sample(sample)
    return np.zeros(unit.size, np.int64), unit, time_s, 1, events.units
