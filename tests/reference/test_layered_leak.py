"""Per-neuron resting potential ``v_leak`` (the mMND neuron's ``a``) in the layered engine and its gradients.

The layered pass must give the general event-driven simulator's spike times (it solves the leak's
relaxation ``a (1 - e^{-beta t})`` in closed form, the simulator through its ODE rows), and the exact
gradients must equal central finite differences with the leak in the membrane slope.
"""
from __future__ import annotations

import numpy as np
import pytest

from snn_deploy.ir.graph import Graph
from snn_deploy.ir.nodes import CubaLIF
from snn_deploy.reference.gradients import backward
from snn_deploy.reference.layered import LayeredNetwork, events_from_times, forward, times_from_events
from snn_deploy.reference.simulator import simulate
from tests.reference.layered_networks import finite_difference_pairs, latency_inputs, skip_graph

MAX_SPIKES = 64


def _leaky_graph(seed: int) -> Graph:
    """:func:`skip_graph` with a resting potential per neuron in ``[-0.5, 0.6] v_threshold`` and ``r`` in ``[0.7, 1.4]``."""
    graph = skip_graph(seed, "to_value")
    rng = np.random.default_rng(seed + 7)
    nodes = dict(graph.nodes)
    for name, node in graph.nodes.items():
        if isinstance(node, CubaLIF):
            nodes[name] = node.replace(v_leak=node.v_threshold * rng.uniform(-0.5, 0.6, node.size),
                                       r=rng.uniform(0.7, 1.4, node.size))
    return Graph(nodes, graph.edges).validate()


@pytest.mark.parametrize("seed", range(4))
def test_leaky_layered_pass_equals_simulator(seed: int) -> None:
    graph = _leaky_graph(seed)
    network = LayeredNetwork.from_graph(graph)
    assert any(np.any(layer.v_leak != 0) for layer in network.layers)
    inputs = latency_inputs(seed, batch=5, units=network.input_size)
    spikes = forward(network, inputs, max_spikes=200)
    reference = simulate(graph, events_from_times(inputs), record="all")
    total = 0
    for index, layer in enumerate(network.layers):
        expected = times_from_events(reference[layer.name])
        expected = np.concatenate([expected, np.full((5 - expected.shape[0], *expected.shape[1:]), np.inf)])
        width = max(expected.shape[2], 1)
        ours = spikes.times[index]
        assert np.all(np.isinf(ours[..., width:]))
        ours = ours[..., :width]
        assert np.array_equal(np.isfinite(ours), np.isfinite(expected)), layer.name
        finite = np.isfinite(ours)
        np.testing.assert_allclose(ours[finite], expected[finite], rtol=0, atol=1e-9)
        total += int(finite.sum())
    assert total >= 10


def test_leak_changes_spike_times() -> None:
    """The leak really enters the pass (a test of the test: zeroing it moves spikes)."""
    graph = _leaky_graph(0)
    plain = Graph({n: (v.replace(v_leak=0.0 * v.v_leak) if isinstance(v, CubaLIF) else v)
                   for n, v in graph.nodes.items()}, graph.edges)
    inputs = latency_inputs(0, batch=3, units=4)
    leaky = forward(LayeredNetwork.from_graph(graph), inputs, 200).times[-1]
    flat = forward(LayeredNetwork.from_graph(plain), inputs, 200).times[-1]
    assert not np.array_equal(leaky, flat)


@pytest.mark.parametrize("seed", [0, 2])
def test_leaky_gradients_equal_finite_differences(seed: int) -> None:
    """``L = sum_k c_k t_k`` over every layer's spikes; weights whose +-h keeps every spike count."""
    network = LayeredNetwork.from_graph(_leaky_graph(seed))
    inputs = latency_inputs(seed, batch=3, units=network.input_size)
    spikes = forward(network, inputs, MAX_SPIKES)
    rng = np.random.default_rng(seed)
    coefficients = [rng.normal(size=t.shape) for t in spikes.times]
    grads = backward(network, spikes, coefficients)
    exact, numeric = finite_difference_pairs(network, inputs, coefficients, grads, MAX_SPIKES, 1e-6)
    assert len(exact) >= 30
    assert np.linalg.norm(exact - numeric) / np.linalg.norm(numeric) < 1e-5
