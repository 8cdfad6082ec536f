"""The ``Target`` interface every chip implements, and the registry that finds a target by name.

A target is one object with five parts (:class:`Target`): its ``spec`` (the chip's integer formats and limits),
``quantize`` (an IR graph to the chip's integer deployment, in memory), ``emit`` (quantize and write the
artifact directory atomically, returning the compile report), ``emulate`` (snn-deploy's bit-accurate integer
emulator on an artifact) and ``engine`` (the vendor simulator's name) with ``run`` (the artifact in that
simulator). :mod:`snn_deploy.api` and the CLI call nothing else, so adding a third target means adding one
package that implements :class:`Target` and calling :func:`register_target` with it.

Records (what ``emulate`` and ``run`` return with the step ``dt_s``) map ``<node>/spikes`` (and with
``record_state`` ``<node>/u``, ``<node>/v``) to ``[batch, steps, units]`` integer arrays.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Protocol, runtime_checkable

from snn_deploy.errors import UnsupportedError
from snn_deploy.ir.graph import Graph
from snn_deploy.spikes import SpikeEvents
from snn_deploy.targets.adapter import RecordArrays, import_reference


@runtime_checkable
class Target(Protocol):
    """One chip: what snn-deploy needs to deploy a graph to it and to run the result."""

    #: the name users pass (``compile --target NAME``) and the artifact's manifest stores
    name: str
    #: the vendor simulator that runs this target's artifacts (``run --engine NAME``)
    engine: str

    @property
    def spec(self) -> Any:
        """The chip's integer formats and limits (a frozen dataclass of the target's spec module)."""

    def quantize(self, graph: Graph, dt_s: float | None, allow_leak_removal: bool) -> Any:
        """The target's integer deployment of ``graph``, in memory (nothing written)."""

    def emit(self, graph: Graph, out_dir: str | Path, dt_s: float | None, allow_leak_removal: bool
             ) -> dict[str, Any]:
        """Quantize ``graph`` and write the artifact to ``out_dir`` atomically; returns the compile report
        (JSON-ready: ``dt_s``, ``clipped_total``, ``notes``, ``silent_populations``, ``text``, ...)."""

    def emulate(self, artifact_dir: str | Path, events: SpikeEvents, *, steps: int | None, record: str,
                record_state: bool) -> tuple[RecordArrays, float]:
        """snn-deploy's bit-accurate integer emulator on the artifact: (records, dt_s)."""

    def run(self, artifact_dir: str | Path, events: SpikeEvents, *, steps: int | None, record: str,
            record_state: bool) -> tuple[RecordArrays, float]:
        """The artifact in the vendor engine :attr:`engine` (a subprocess): (records, dt_s)."""


#: target name -> "module:attribute" of a built-in target, imported on first use (no chip code at start-up)
_BUILT_IN: Mapping[str, str] = {
    "loihi2": "snn_deploy.targets.loihi2:LOIHI2_TARGET",
    "speck": "snn_deploy.targets.speck:SPECK_TARGET",
}
_registered: dict[str, Target] = {}


def register_target(target: Target) -> None:
    """Make ``target`` known by its name (a later registration of the same name replaces the earlier one)."""
    missing = [part for part in ("name", "engine", "spec", "quantize", "emit", "emulate", "run")
               if not hasattr(target, part)]
    if missing:
        raise UnsupportedError(f"target {target!r} does not implement Target (missing: {', '.join(missing)})")
    _registered[target.name] = target


def target_names() -> list[str]:
    """Every known target name, sorted."""
    return sorted({*_BUILT_IN, *_registered})


def get_target(name: str) -> Target:
    """The target called ``name``; an unknown name is an :class:`UnsupportedError` listing the known ones."""
    if not isinstance(name, str):
        raise UnsupportedError(f"a target is named by a string, got {type(name).__name__} "
                               f"(known: {', '.join(target_names())})")
    if name not in _registered and name in _BUILT_IN:
        register_target(import_reference(_BUILT_IN[name]))
    if name not in _registered:
        raise UnsupportedError(f"unknown target '{name}' (known: {', '.join(target_names())})")
    return _registered[name]


def engine_names() -> list[str]:
    """The vendor engine of every known target, in the order of :func:`target_names`."""
    return [get_target(name).engine for name in target_names()]

