"""Evaluation: the general-simulator path (graphs the layered engine refuses) agrees with the layered one."""
from __future__ import annotations

import numpy as np
import pytest

from snn_deploy.errors import UnsupportedError
from snn_deploy.ir.graph import Graph
from snn_deploy.ir.nodes import CubaLIF
from snn_deploy.reference.evaluation import encoding_of, graph_first_spikes, layered_first_spikes
from snn_deploy.reference.layered import LayeredNetwork
from tests.reference.layered_networks import latency_inputs, skip_graph


def test_simulator_path_equals_layered_path() -> None:
    graph = skip_graph(4)
    # a second target for 'fc3' (a Dense feeding two populations) is outside the layered engine's rules
    extra = CubaLIF.create(2, tau_syn_s=5e-3, tau_mem_s=10e-3, v_threshold=1.0)
    branched = Graph({**graph.nodes, "extra": extra}, graph.edges + (("fc3", "extra"),))
    with pytest.raises(UnsupportedError):
        LayeredNetwork.from_graph(branched)
    inputs = latency_inputs(4, batch=6, units=4)
    layered = layered_first_spikes(LayeredNetwork.from_graph(graph), inputs)
    simulated = graph_first_spikes(branched, inputs)
    assert np.array_equal(np.isfinite(layered), np.isfinite(simulated)) and np.isfinite(layered).any()
    finite = np.isfinite(layered)
    np.testing.assert_allclose(simulated[finite], layered[finite], rtol=0, atol=1e-9)


def test_model_without_encoding_is_refused() -> None:
    with pytest.raises(UnsupportedError, match="model.onnx: metadata has no latency 'encoding'"):
        encoding_of(skip_graph(0), "model.onnx")
