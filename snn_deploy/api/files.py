"""Spike files (layouts in docs/formats.md): input events, and the exact reference's output spikes."""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

from snn_deploy.ir.graph import Graph
from snn_deploy.spikes import SpikeEvents


def input_units(graph: Graph) -> int:
    """Input units of ``graph`` (the size its events must have)."""
    from snn_deploy.reference.simulator import input_units as units_of

    return units_of(graph)


def read_events(path: str | Path, units: int | None = None) -> SpikeEvents:
    """Input events from a ``.npz`` in either layout (dense ``spikes`` + ``dt_s``, or ``sample`` / ``unit`` /
    ``time_s`` + ``batch`` / ``units``); ``units`` (e.g. :func:`input_units`) is checked when given."""
    from snn_deploy.spikes import load_input

    return load_input(path, units=units)[0]


def write_events(path: str | Path, events: SpikeEvents) -> None:
    """Write input events in the event layout (deterministic bytes)."""
    from snn_deploy.api.deployment import _check_events
    from snn_deploy.spikes import save_input

    save_input(path, _check_events(events, None, "write_events"))


def write_spikes(path: str | Path, spikes: Mapping[str, SpikeEvents]) -> None:
    """Write :func:`snn_deploy.simulate`'s output (``<node>/sample``, ``<node>/unit``, ``<node>/time_s``)."""
    from snn_deploy.spikes import save_reference_output

    save_reference_output(path, spikes)


def read_spikes(path: str | Path, batch: int, units: Mapping[str, int]) -> dict[str, SpikeEvents]:
    """Read what :func:`write_spikes` wrote; the file stores no sizes, so ``batch`` and each node's ``units``
    are given."""
    from snn_deploy.spikes import load_reference_output

    return load_reference_output(path, batch, units)
