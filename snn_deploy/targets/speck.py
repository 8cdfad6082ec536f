"""Speck as a :class:`~snn_deploy.targets.Target`: an adapter over :mod:`snn_deploy.quantize.speck` and the
Sinabs backend (:mod:`snn_deploy.backends.sinabs`), whose code stays where it is."""
from __future__ import annotations

from typing import Any

from snn_deploy.ir.graph import Graph
from snn_deploy.targets.adapter import BackendTarget


class SpeckTarget(BackendTarget):
    """SynSense Speck (IAF convolutional cores, MultiSpike); the vendor engine is sinabs on the CPU."""

    name, engine = "speck", "sinabs"
    backend, spec_ref = "snn_deploy.backends.sinabs", "snn_deploy.quantize.speck.spec:SPECK"

    def quantize(self, graph: Graph, dt_s: float | None = None, allow_leak_removal: bool = False) -> Any:
        """The :class:`snn_deploy.quantize.speck.quantizer.SpeckQuantization` (deployment, reports); leak
        removal turns LIF into IAF (stated in the report)."""
        from snn_deploy.quantize.speck.quantizer import quantize

        return quantize(graph, dt_s, allow_leak_removal)


SPECK_TARGET = SpeckTarget()
