"""How much each population of a deployed run spiked, and which never did (``emulate``, ``run``, ``check``).

A run that completes with a population that never spiked is usually a wrong deployment (a threshold that
cannot be reached, weights that rounded to 0, a layer imported as a neuron that cannot fire), so every run
reports per population its spike count, the steps and samples it ran, and the silent ones by name. Where the
compiled artifact's ``quantization.json`` proved a population silent on every input (``silent_populations``,
:mod:`snn_deploy.quantize.reachability`), that reason is attached.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np


@dataclass(frozen=True)
class PopulationActivity:
    """Spikes of one population over a ``samples x steps`` run of its ``neurons``."""

    population: str
    spikes: int
    steps: int
    samples: int
    neurons: int
    active_neurons: int  #: neurons that spiked at least once (in any sample)

    @property
    def silent(self) -> bool:
        return self.spikes == 0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "silent": self.silent}


def population_activity(records: Mapping[str, np.ndarray], populations: Sequence[str]) -> dict[str, PopulationActivity]:
    """Activity of each of ``populations`` from ``<population>/spikes`` records ``[batch, steps, units]``
    (counts); a population without a record is an error (it would pass as silent or as active unseen)."""
    activity: dict[str, PopulationActivity] = {}
    for population in populations:
        key = f"{population}/spikes"
        if key not in records:
            raise KeyError(f"no record '{key}': the run did not record population '{population}'")
        spikes = np.asarray(records[key])
        batch, steps = spikes.shape[:2]
        per_neuron = spikes.reshape(batch, steps, -1).sum(axis=(0, 1), dtype=np.int64)
        activity[population] = PopulationActivity(population, int(per_neuron.sum()), int(steps), int(batch),
                                                  int(per_neuron.size), int(np.count_nonzero(per_neuron)))
    return activity


def artifact_populations(manifest: Mapping[str, Any]) -> list[str]:
    """Every population of a compiled artifact, from its manifest: ``populations`` where the target writes it,
    else the nodes of ``latency_steps_by_node`` that are not outputs (both targets write that key)."""
    if isinstance(manifest.get("populations"), Mapping):
        return list(manifest["populations"])
    outputs = set(manifest.get("outputs") or [])
    return [name for name in manifest.get("latency_steps_by_node") or {} if name not in outputs]


def silent_reasons(quantization: object) -> dict[str, str]:
    """Population -> reason, from a ``quantization.json`` object's ``silent_populations`` (compile's proof)."""
    entries = quantization.get("silent_populations") if isinstance(quantization, dict) else None
    return {entry["population"]: entry["reason"] for entry in entries or []}


def structurally_silent(artifact_dir: str | Path) -> dict[str, str]:
    """:func:`silent_reasons` of the artifact's ``quantization.json`` (none when it cannot be read)."""
    try:
        return silent_reasons(json.loads((Path(artifact_dir) / "quantization.json").read_text()))
    except (OSError, ValueError):
        return {}


def silent_names(activity: Mapping[str, PopulationActivity]) -> list[str]:
    return [name for name, a in activity.items() if a.silent]


def describe_silent(a: PopulationActivity, structural_reason: str | None = None) -> str:
    """One line naming a silent population, the run it was silent over and, when known, why."""
    line = (f"population '{a.population}' never spiked: 0 spikes from {a.neurons} neurons in {a.samples} "
            f"sample(s) x {a.steps} steps")
    if structural_reason:
        line += f" (compile: it can never spike: {structural_reason})"
    return line


def activity_json(activity: Mapping[str, PopulationActivity], structural: Mapping[str, str]) -> dict[str, Any]:
    """``populations`` (per population the counts), ``silent_populations`` (names) and ``structurally_silent``."""
    return {
        "populations": {name: a.to_dict() for name, a in activity.items()},
        "silent_populations": silent_names(activity),
        "structurally_silent": dict(structural),
    }
