"""The part of a :class:`~snn_deploy.targets.Target` that a backend module of :mod:`snn_deploy.backends`
already provides (``compile_model``, ``emulate_artifact``, ``run_artifact``): emit, emulate and run delegate
to it unchanged, so an artifact written through a target is the one ``snn-deploy compile`` writes."""
from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import Any

from snn_deploy.ir.graph import Graph
from snn_deploy.spikes import SpikeEvents

RecordArrays = dict[str, Any]  #: ``<node>/spikes`` (``/u``, ``/v``) -> ``[batch, steps, units]`` arrays


def import_reference(reference: str) -> Any:
    """The object ``"module:attribute"`` names."""
    module, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module), attribute)


class BackendTarget:
    """A target whose artifact, emulator and engine are the backend module ``backend`` and whose spec is the
    object ``spec_ref`` (``"module:attribute"``), both imported on first use."""

    name: str
    engine: str
    backend: str
    spec_ref: str

    @property
    def spec(self) -> Any:
        return import_reference(self.spec_ref)

    def _backend(self) -> ModuleType:
        return importlib.import_module(self.backend)

    def emit(self, graph: Graph, out_dir: str | Path, dt_s: float | None = None,
             allow_leak_removal: bool = False) -> dict[str, Any]:
        from snn_deploy.backends import CompileOptions

        options = CompileOptions(dt_s=dt_s, allow_leak_removal=allow_leak_removal)
        return self._backend().compile_model(graph, out_dir, options)

    def emulate(self, artifact_dir: str | Path, events: SpikeEvents, *, steps: int | None = None,
                record: str = "outputs", record_state: bool = False) -> tuple[RecordArrays, float]:
        return self._backend().emulate_artifact(artifact_dir, events, steps=steps, record=record,
                                                record_state=record_state)

    def run(self, artifact_dir: str | Path, events: SpikeEvents, *, steps: int | None = None,
            record: str = "outputs", record_state: bool = False) -> tuple[RecordArrays, float]:
        return self._backend().run_artifact(artifact_dir, events, steps=steps, record=record,
                                            record_state=record_state)

    def __repr__(self) -> str:
        return f"<target {self.name} (engine {self.engine})>"
