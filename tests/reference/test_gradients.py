"""Exact spike-time gradients (implicit function theorem) against central finite differences and each other."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq

from snn_deploy.ir.graph import Graph
from snn_deploy.ir.nodes import CubaLIF, Dense, Input, Output
from snn_deploy.reference.gradients import backward, causal_graph, forward_propagation
from snn_deploy.reference.layered import LayeredNetwork, forward
from tests.reference.layered_networks import finite_difference_pairs, latency_inputs, perturbed, skip_graph

MAX_SPIKES = 64
STEP = 1e-6  # relative to the largest weight of the projection


@pytest.mark.parametrize("reset_mode", ["subtract", "to_value"])
@pytest.mark.parametrize("seed", [0, 3, 4, 5])
def test_reverse_accumulation_equals_finite_differences(seed: int, reset_mode: str) -> None:
    """L = sum_k c_k t_k over the spikes of every layer; every weight whose +-h keeps the spike counts."""
    network = LayeredNetwork.from_graph(skip_graph(seed, reset_mode))
    inputs = latency_inputs(seed, batch=3, units=network.input_size)
    spikes = forward(network, inputs, MAX_SPIKES)
    rng = np.random.default_rng(seed)
    coefficients = [rng.normal(size=t.shape) for t in spikes.times]
    grads = backward(network, spikes, coefficients)
    exact, numeric = finite_difference_pairs(network, inputs, coefficients, grads, MAX_SPIKES, STEP)
    assert len(exact) >= 30
    assert np.linalg.norm(exact - numeric) / np.linalg.norm(numeric) < 1e-5


@pytest.mark.parametrize("seed", [0, 5])
def test_forward_propagation_equals_reverse_accumulation(seed: int) -> None:
    """Algorithm 2 (solve (I - D) T = G forward in time) and the transposed solve give the same dL/dw."""
    network = LayeredNetwork.from_graph(skip_graph(seed))
    inputs = latency_inputs(seed, batch=2, units=network.input_size)
    spikes = forward(network, inputs, MAX_SPIKES)
    rng = np.random.default_rng(seed)
    coefficients = [rng.normal(size=t.shape) for t in spikes.times]
    sample = 1
    masked = [np.where(np.arange(c.shape[0])[:, None, None] == sample, c, 0.0) for c in coefficients]
    reverse = np.concatenate([g.reshape(-1) for layer in backward(network, spikes, masked) for g in layer])
    graph = causal_graph(network, spikes, sample)
    assert np.all(np.triu(graph.parents) == 0)  # causal: lower triangular in time order
    assert np.all(np.diff(graph.time_s) >= 0)
    jacobian = forward_propagation(graph)
    weights = np.array([coefficients[l][sample, n, k] for l, n, k in graph.spike])
    np.testing.assert_allclose(weights @ jacobian, reverse, rtol=1e-10, atol=1e-12 * np.abs(reverse).max())


# --------------------------------------------------------------------------------------------------
# A hand-checkable three-neuron network (stands in for the paper's appendix example, whose text we
# could not consult): input spike at 0 -> A (fires twice) -> B; A and B -> C (a skip edge A -> C).
# --------------------------------------------------------------------------------------------------
TAU_SYN, TAU_MEM = 5e-3, 10e-3
ALPHA, BETA = 1 / TAU_SYN, 1 / TAU_MEM
GAIN = 1 / (TAU_MEM - TAU_SYN)


def _three_neurons() -> Graph:
    lif = dict(tau_syn_s=TAU_SYN, tau_mem_s=TAU_MEM, v_threshold=1.0, reset_mode="subtract")
    nodes = {
        "input": Input((1,)),
        "w_ia": Dense(weight=[[0.04]]), "A": CubaLIF.create(1, **lif),
        "w_ab": Dense(weight=[[0.015]]), "B": CubaLIF.create(1, **lif),
        "w_ac": Dense(weight=[[0.008]]), "w_bc": Dense(weight=[[0.015]]), "C": CubaLIF.create(1, **lif),
        "output": Output((1,)),
    }
    edges = (("input", "w_ia"), ("w_ia", "A"), ("A", "w_ab"), ("w_ab", "B"), ("A", "w_ac"), ("w_ac", "C"),
             ("B", "w_bc"), ("w_bc", "C"), ("C", "output"))
    return Graph(nodes, edges).validate()


def _psp(tau: float) -> float:
    return np.exp(-BETA * tau) - np.exp(-ALPHA * tau)


def test_three_neuron_example_causal_structure() -> None:
    network = LayeredNetwork.from_graph(_three_neurons())
    spikes = forward(network, np.zeros((1, 1, 1)), MAX_SPIKES)
    a, b, c = (t[0, 0][np.isfinite(t[0, 0])] for t in spikes.times)
    assert (a.size, b.size, c.size) == (2, 1, 1)
    assert a[0] < a[1] < b[0] < c[0]
    # A's first spike: GAIN * w * eps(t) = 1, solved independently
    w_ia = 0.04
    t_a1 = brentq(lambda t: GAIN * w_ia * _psp(t) - 1.0, 1e-6, np.log(ALPHA / BETA) / (ALPHA - BETA))
    assert abs(a[0] - t_a1) < 1e-12
    graph = causal_graph(network, spikes, 0)
    order = {spike: k for k, spike in enumerate(graph.spike)}
    a1, a2, b1, c1 = order[(0, 0, 0)], order[(0, 0, 1)], order[(1, 0, 0)], order[(2, 0, 0)]
    assert [a1, a2, b1, c1] == [0, 1, 2, 3]
    expected = np.zeros((4, 4), dtype=bool)
    expected[a2, a1] = True                      # A's reset
    expected[b1, [a1, a2]] = True                # B hears both A spikes
    expected[c1, [a1, a2, b1]] = True            # C hears A (skip) and B
    np.testing.assert_array_equal(graph.parents != 0, expected)
    # a neuron driven only by network spikes moves with them: its row of D sums to 1 (time-shift invariance)
    np.testing.assert_allclose(graph.parents[[b1, c1]].sum(axis=1), 1.0, rtol=1e-12)
    # dt_A2/dt_A1 = J beta e^{-beta (t2 - t1)} / vdot(t2), vdot from the kernel form
    vdot = GAIN * w_ia * (ALPHA * np.exp(-ALPHA * a[1]) - BETA * np.exp(-BETA * a[1])) + BETA * np.exp(-BETA * (a[1] - a[0]))
    assert abs(graph.parents[a2, a1] - BETA * np.exp(-BETA * (a[1] - a[0])) / vdot) < 1e-9 * abs(graph.parents[a2, a1])
    # the total Jacobian against finite differences, every spike and every weight
    jacobian = forward_propagation(graph)
    for column, (l, p) in enumerate([(0, 0), (1, 0), (2, 0), (2, 1)]):
        w = network.layers[l].weights[p][0, 0]
        h = 1e-7 * abs(w)
        times = [np.concatenate([t[0, 0][np.isfinite(t[0, 0])] for t in forward(
            perturbed(network, l, p, (0, 0), s * h), np.zeros((1, 1, 1)), MAX_SPIKES).times]) for s in (1, -1)]
        numeric = (times[0] - times[1]) / (2 * h)
        np.testing.assert_allclose(jacobian[:, column], numeric, rtol=1e-5)
