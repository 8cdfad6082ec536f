"""What a deployed run returns, the same type for every target and engine: :class:`Records`."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from snn_deploy.spikes import SpikeEvents


def _by_node(arrays: Mapping[str, np.ndarray], kind: str) -> dict[str, np.ndarray]:
    return {key.rpartition("/")[0]: value for key, value in arrays.items() if key.rpartition("/")[2] == kind}


@dataclass(frozen=True, eq=False)
class Records:
    """Recorded nodes of a run of a compiled deployment (emulator or vendor engine).

    ``arrays`` maps ``<node>/spikes`` (uint8 counts) and, with recorded state, ``<node>/u`` and ``<node>/v``
    (integers in the target's units) to ``[batch, steps, units]`` arrays; step ``k`` is time ``k * dt_s`` (plus
    the node's latency, :meth:`events`). ``activity`` is the run's activity report of every population
    (:func:`snn_deploy.check.activity.activity_json`, plus ``engine``: ``"emulator"``, ``"lava"``, ``"sinabs"``).
    The layout on disk is the CLI's ``emulate`` / ``run`` output (docs/formats.md).
    """

    arrays: Mapping[str, np.ndarray]
    dt_s: float
    activity: Mapping[str, Any] = field(default_factory=dict)

    @property
    def spikes(self) -> dict[str, np.ndarray]:
        """node -> uint8 spike counts ``[batch, steps, units]``."""
        return _by_node(self.arrays, "spikes")

    @property
    def u(self) -> dict[str, np.ndarray] | None:
        """node -> synaptic state ``[batch, steps, units]`` (None: state was not recorded)."""
        return _by_node(self.arrays, "u") or None

    @property
    def v(self) -> dict[str, np.ndarray] | None:
        """node -> membrane state ``[batch, steps, units]`` (None: state was not recorded)."""
        return _by_node(self.arrays, "v") or None

    @property
    def engine(self) -> str | None:
        return self.activity.get("engine")

    @property
    def silent_populations(self) -> list[str]:
        """Populations that never spiked in this run."""
        return list(self.activity.get("silent_populations", []))

    def silent_lines(self) -> list[str]:
        """One line per silent population: the run it was silent over and, when compile proved it, why."""
        from snn_deploy.check.activity import PopulationActivity, describe_silent

        lines = []
        for name in self.silent_populations:
            entry = {k: v for k, v in self.activity["populations"][name].items() if k != "silent"}
            reason = self.activity.get("structurally_silent", {}).get(name)
            lines.append(describe_silent(PopulationActivity(**entry), reason))
        return lines

    def events(self, node: str, latency_steps: int = 0) -> SpikeEvents:
        """``node``'s spikes as events: step ``k`` is time ``max(k - latency_steps, 0) * dt_s``."""
        from snn_deploy.check.equivalence import raster_to_events
        from snn_deploy.errors import UnsupportedError

        spikes = self.spikes
        if node not in spikes:
            raise UnsupportedError(f"records: no node '{node}' (recorded: {', '.join(sorted(spikes)) or 'none'})")
        return raster_to_events(spikes[node], self.dt_s, latency_steps)

    def save(self, path: str | Path) -> None:
        """Write the CLI's engine-output ``.npz`` (deterministic bytes)."""
        from snn_deploy.spikes import save_engine_output

        save_engine_output(path, self.arrays, self.dt_s, self.activity or None)

    @classmethod
    def load(cls, path: str | Path) -> "Records":
        """Read an engine-output ``.npz`` (``emulate`` / ``run`` / :meth:`save`)."""
        from snn_deploy.spikes import load_engine_activity, load_engine_output

        arrays, dt_s = load_engine_output(path)
        return cls(arrays, dt_s, load_engine_activity(path) or {})
