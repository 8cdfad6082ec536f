"""Loihi 2 as a :class:`~snn_deploy.targets.Target`: an adapter over :mod:`snn_deploy.quantize.loihi2` and the
Lava backend (:mod:`snn_deploy.backends.lava`), whose code stays where it is."""
from __future__ import annotations

from typing import Any

from snn_deploy.ir.graph import Graph
from snn_deploy.targets.adapter import BackendTarget


class Loihi2Target(BackendTarget):
    """Intel Loihi 2 (CUBA-LIF, Lava 0.10 ``fixed_pt``); the vendor engine is Lava."""

    name, engine = "loihi2", "lava"
    backend, spec_ref = "snn_deploy.backends.lava", "snn_deploy.quantize.loihi2.spec:LOIHI2"

    def quantize(self, graph: Graph, dt_s: float | None = None, allow_leak_removal: bool = False) -> Any:
        """The :class:`snn_deploy.quantize.loihi2.deployment.Deployment` (Loihi 2 never removes a leak)."""
        from snn_deploy.quantize.loihi2.quantizer import quantize

        return quantize(graph, dt_s, self.spec)


LOIHI2_TARGET = Loihi2Target()
