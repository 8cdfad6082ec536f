"""The batched layered forward pass agrees with the general event-driven simulator and refuses what it cannot do."""
from __future__ import annotations

import numpy as np
import pytest

from snn_deploy.errors import UnsupportedError
from snn_deploy.ir.graph import Graph
from snn_deploy.ir.nodes import CubaLIF, Dense, Input, Output
from snn_deploy.reference.layered import (
    LayeredNetwork, events_from_times, first_output_spikes, forward, times_from_events,
)
from snn_deploy.reference.simulator import simulate
from tests.reference.layered_networks import latency_inputs, skip_graph


@pytest.mark.parametrize("reset_mode", ["subtract", "to_value"])
@pytest.mark.parametrize("seed", range(6))
def test_same_spike_times_as_simulator(seed: int, reset_mode: str) -> None:
    graph = skip_graph(seed, reset_mode)
    network = LayeredNetwork.from_graph(graph)
    inputs = latency_inputs(seed, batch=5, units=network.input_size)
    spikes = forward(network, inputs, max_spikes=200)
    reference = simulate(graph, events_from_times(inputs), record="all")
    total = 0
    for index, layer in enumerate(network.layers):
        assert not spikes.saturated(index)
        expected = times_from_events(reference[layer.name])
        ours = spikes.times[index]
        width = max(expected.shape[2], 1)
        assert np.all(np.isinf(ours[..., width:]))
        ours = ours[..., :width]
        if expected.shape[0] < ours.shape[0]:  # trailing samples without any spike
            pad = np.full((ours.shape[0] - expected.shape[0], *expected.shape[1:]), np.inf)
            expected = np.concatenate([expected, pad])
        assert np.array_equal(np.isfinite(ours), np.isfinite(expected)), layer.name
        finite = np.isfinite(ours)
        np.testing.assert_allclose(ours[finite], expected[finite], rtol=0, atol=1e-9)
        total += int(finite.sum())
    assert total >= 10  # the networks really spike


def test_spike_cap_keeps_the_first_spikes() -> None:
    graph = skip_graph(0)
    network = LayeredNetwork.from_graph(graph)
    inputs = latency_inputs(0, batch=3, units=network.input_size)
    full = forward(network, inputs, max_spikes=200)
    capped = forward(network, inputs, max_spikes=(200, 200, 1))
    np.testing.assert_array_equal(capped.times[-1][..., 0], full.times[-1][..., 0])
    assert capped.saturated(2) and not full.saturated(2)


def test_events_times_round_trip() -> None:
    times = np.array([[[0.1, 0.3], [np.inf, np.inf]], [[0.2, np.inf], [0.0, np.inf]]])
    np.testing.assert_array_equal(times_from_events(events_from_times(times)), times)


def _two_layer(**lif) -> Graph:
    params = dict(tau_syn_s=5e-3, tau_mem_s=10e-3, v_threshold=1.0) | lif
    return Graph({"in": Input((2,)), "fc": Dense(weight=np.ones((2, 2))), "lif": CubaLIF.create(2, **params),
                  "out": Output((2,))}, (("in", "fc"), ("fc", "lif"), ("lif", "out")))


@pytest.mark.parametrize("lif, rule", [
    (dict(tau_syn_s=0.0), "tau_syn_s"),
    (dict(tau_syn_s=10e-3), "must differ"),
    (dict(v_leak=1.0), "v_leak"),
    (dict(v_threshold=-1.0), "v_threshold"),
])
def test_unsupported_populations_are_named(lif: dict, rule: str) -> None:
    with pytest.raises(UnsupportedError, match=rule):
        LayeredNetwork.from_graph(_two_layer(**lif))


def test_recurrent_edge_is_refused() -> None:
    graph = _two_layer()
    graph = Graph({**graph.nodes, "rec": Dense(weight=np.eye(2))}, graph.edges + (("lif", "rec"), ("rec", "lif")))
    with pytest.raises(UnsupportedError, match="recurrent"):
        LayeredNetwork.from_graph(graph)


def test_chunked_first_spikes_equal_one_pass() -> None:
    network = LayeredNetwork.from_graph(skip_graph(2))
    inputs = latency_inputs(2, batch=7, units=network.input_size)
    first, saturated = first_output_spikes(network, inputs, (200, 200, 1), chunk=3)
    whole = forward(network, inputs, (200, 200, 1))
    np.testing.assert_array_equal(first, whole.first_spikes())
    assert saturated == tuple(whole.saturated(i) for i in range(3))
