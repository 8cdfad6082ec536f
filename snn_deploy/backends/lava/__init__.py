"""Loihi 2 backend: compile an IR graph to a Lava artifact, emulate it bit-exactly, run it with Lava.

The backend interface is in :mod:`snn_deploy.backends`. Lava itself runs in its own Python 3.10
interpreter (:mod:`snn_deploy.backends.lava.engine`); nothing here imports lava.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from snn_deploy.backends import CompileOptions, note
from snn_deploy.backends.lava.artifact import (
    input_raster, load_deployment, recorded_populations, to_records, write_artifact,
)
from snn_deploy.emulate.loihi2 import EmulationResult, emulate
from snn_deploy.ir.graph import Graph
from snn_deploy.ir.io.reset_reading import reading_notes
from snn_deploy.quantize.loihi2.quantizer import quantize
from snn_deploy.quantize.loihi2.reachability import silent_populations
from snn_deploy.spikes import SpikeEvents

__all__ = ["compile_model", "emulate_artifact", "run_artifact"]


def summary_text(report: dict, out_dir: str | Path, notes: list[str]) -> str:
    """The human-readable compile report."""
    lines = [f"loihi2: dt_s = {report['dt_s']:g} ({report['dt_rule']}); clipped values: {report['clipped_total']}"]
    for pop, info in report["populations"].items():
        groups = ", ".join(f"{g['name']} (du={g['du']}, dv={g['dv']}, {g['neurons']} neurons)" for g in info["groups"])
        kind = f"{info.get('process', 'LIF')} processes" if info.get("coupling_shift") is None else \
            f"CoupledLIF process (coupling mantissas >> {info['coupling_shift']})"
        kind += f", reset {info.get('reset', 'zero')}"
        lines.append(f"  {pop}: vth={info['vth']}, {info['threshold']}; {kind}: {groups}")
    for array in report["arrays"]:
        lines.append(f"  {array['name']}: int {array['int_min']}..{array['int_max']}, "
                     f"max rel. error {array['max_rel_error']:.3g}, clipped {array['clipped']}")
    for error in report["latency_errors"]:
        lines.append(f"  latency: {error['source']} -> {error['target']} is {error['extra_steps']} step(s) late "
                     f"({error['why']})")
    lines += [f"  note: {note}" for note in notes]
    lines.append(f"wrote {out_dir}")
    return "\n".join(lines)


def compile_model(graph: Graph, out_dir: str | Path, options: CompileOptions) -> dict:
    """Quantize ``graph`` for Loihi 2 and write the Lava artifact; returns the quantization summary."""
    deployment = quantize(graph, options.dt_s)
    silent = [population.to_dict() for population in silent_populations(deployment)]
    deployment = replace(deployment, report={**deployment.report, "silent_populations": silent})
    notes = [*reading_notes(graph), *deployment.report.get("notes", []), *write_artifact(deployment, out_dir)]
    summary = dict(deployment.report, notes=notes)
    summary["text"] = summary_text(summary, out_dir, notes)
    return summary


def _note_overflow(result: EmulationResult) -> None:
    for pop in result.u_wraps:
        wraps, clips, saturated = result.u_wraps[pop], result.v_clips[pop], result.coupling_saturations[pop]
        if wraps or clips or saturated:
            note(f"loihi2 emulator: population '{pop}': u wrapped {wraps} times, v clipped {clips} times, "
                 f"coupling saturated {saturated} times")
    merged = result.merged_input_events
    if merged:
        note(f"loihi2: {merged} input bins held more than one event; Loihi spikes are unary")


def emulate_artifact(artifact_dir: str | Path, events: SpikeEvents, *, steps: int | None = None,
                     record: str = "outputs", record_state: bool = False) -> tuple[dict[str, np.ndarray], float]:
    """snn-deploy's bit-accurate integer emulator on the artifact's deployment."""
    deployment = load_deployment(artifact_dir)
    chosen = recorded_populations(deployment, record)
    result = emulate(deployment, input_raster(deployment, events, steps), record=tuple(set(chosen.values())),
                     record_state=record_state)
    _note_overflow(result)
    by_population = {f"{p}/spikes": s for p, s in result.spikes.items()}
    by_population.update({f"{p}/u": a for p, a in result.u.items()})
    by_population.update({f"{p}/v": a for p, a in result.v.items()})
    return to_records(chosen, by_population, record_state), deployment.dt_s


def run_artifact(artifact_dir: str | Path, events: SpikeEvents, *, steps: int | None = None,
                 record: str = "outputs", record_state: bool = False) -> tuple[dict[str, np.ndarray], float]:
    """The artifact's ``network.py`` run by Lava (``Loihi2SimCfg(select_tag='fixed_pt')``) in a subprocess."""
    from snn_deploy.backends.lava.engine import run_network

    deployment = load_deployment(artifact_dir)
    chosen = recorded_populations(deployment, record)
    raster = input_raster(deployment, events, steps)
    by_population = run_network(Path(artifact_dir), raster, sorted(set(chosen.values())), record_state)
    return to_records(chosen, by_population, record_state), deployment.dt_s
