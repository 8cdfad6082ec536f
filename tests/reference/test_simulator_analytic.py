"""Single-neuron spike times of the exact simulator against analytic solutions derived here.

The reference is the spike-response form of each population (a sum of input kernels, minus a reset
kernel per output spike), solved for its threshold crossings with ``scipy.optimize.brentq`` on a
fine grid. A crossing resets ``v`` from ``v_threshold`` exactly, so "reset to v_reset" subtracts
``v_threshold - v_reset`` at the spike, and "subtract" subtracts ``v_threshold``; the reset then decays
like the membrane, ``e^{-beta s}``.
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq

from snn_deploy.ir.graph import Graph
from snn_deploy.ir.nodes import IF, LIF, CubaLIF, Dense, Input, Output
from snn_deploy.reference.simulator import membrane_traces, simulate
from snn_deploy.spikes import SpikeEvents

TOL_S = 1e-9


def _one_neuron(pop, weight: float = 1.0, bias: float | None = None) -> Graph:
    nodes = {"in": Input((1,)), "w": Dense(np.array([[weight]]), bias=None if bias is None else np.array([bias])),
             "p": pop, "out": Output((1,))}
    return Graph(nodes, [("in", "w"), ("w", "p"), ("p", "out")])


def _srm_spike_times(v_of, t_end: float, theta: float, reset_drop: float, beta: float,
                     grid_s: float = 1e-6) -> list[float]:
    """Threshold crossings of ``v(t) = v_of(t) - reset_drop * sum_j e^{-beta (t - t_j)} [t >= t_j]``."""
    spikes: list[float] = []

    def v(t):
        t = np.asarray(t, dtype=float)
        resets = sum(np.where(t >= s, np.exp(-beta * (t - s)), 0.0) for s in spikes)
        return v_of(t) - reset_drop * resets

    grid = np.arange(0.0, t_end, grid_s)
    while True:
        after = grid[grid > (spikes[-1] if spikes else -1.0)]
        above = np.flatnonzero(v(after) > theta)
        if above.size == 0:
            return spikes
        b = after[above[0]]
        spikes.append(brentq(lambda t: float(v(t)) - theta, b - grid_s, b, xtol=1e-16, rtol=1e-15))


@pytest.mark.parametrize("reset_mode, v_reset", [("subtract", 0.0), ("to_value", -0.3), ("to_value", 0.2)])
@pytest.mark.parametrize("tau_syn_s, tau_mem_s", [(4e-3, 10e-3), (7e-3, 7e-3), (10e-3, 3e-3)])
def test_cuba_lif_matches_spike_response_solution(tau_syn_s, tau_mem_s, reset_mode, v_reset):
    r, w_in, theta, v_leak = 1.3, 0.8, 1.0, 0.25
    times, weights = [1e-3, 2.5e-3, 2.6e-3, 9e-3, 20e-3], [0.05, 0.04, -0.01, 0.06, 0.08]
    alpha, beta = 1 / tau_syn_s, 1 / tau_mem_s
    pop = CubaLIF.create(1, tau_syn_s=tau_syn_s, tau_mem_s=tau_mem_s, v_threshold=theta, v_leak=v_leak, r=r,
                         w_in=w_in, v_reset=v_reset, reset_mode=reset_mode)
    scale = r * w_in / (tau_syn_s * tau_mem_s)

    def kernel(s):
        s = np.maximum(s, 0.0)  # zero before the pulse
        if alpha == beta:
            return scale * s * np.exp(-alpha * s)
        return scale * (np.exp(-beta * s) - np.exp(-alpha * s)) / (alpha - beta)

    def v_of(t):
        return v_leak * (1 - np.exp(-beta * t)) + sum(w * kernel(t - tk) for tk, w in zip(times, weights))

    t_end = 0.05
    drop = theta if reset_mode == "subtract" else theta - v_reset
    expected = _srm_spike_times(v_of, t_end, theta, drop, beta)
    events = SpikeEvents(np.zeros(len(times)), np.arange(len(times)), times, 1, len(times))
    got = simulate(_pulses_graph(pop, weights), events, t_end_s=t_end)["p"].time_s
    assert len(expected) >= 2
    np.testing.assert_allclose(got, expected, atol=TOL_S, rtol=0)


def _pulses_graph(pop, weights) -> Graph:
    """Input unit ``k`` reaches the single neuron with weight ``weights[k]``."""
    n = len(weights)
    nodes = {"in": Input((n,)), "w": Dense(np.array([weights])), "p": pop, "out": Output((1,))}
    return Graph(nodes, [("in", "w"), ("w", "p"), ("p", "out")])


@pytest.mark.parametrize("reset_mode", ["subtract", "to_value"])
def test_delta_synapse_cuba_lif_jumps_and_fires_at_pulses(reset_mode):
    tau_mem_s, r, w_in, theta = 5e-3, 2.0, 0.5, 1.0
    beta = 1 / tau_mem_s
    times, weights = [1e-3, 1.5e-3, 4e-3, 4e-3, 10e-3], [0.004, 0.004, 0.003, 0.004, 0.02]
    pop = CubaLIF.create(1, tau_syn_s=0.0, tau_mem_s=tau_mem_s, v_threshold=theta, r=r, w_in=w_in,
                         v_reset=0.0, reset_mode=reset_mode)
    jump = r * w_in / tau_mem_s
    # v is piecewise exponential decay with jumps; a jump above threshold spikes at the pulse
    v, t_prev, expected = 0.0, 0.0, []
    for t, group in _grouped(times, weights):
        v = v * np.exp(-beta * (t - t_prev)) + jump * group
        t_prev = t
        while v > theta:
            expected.append(t)
            v = v - theta if reset_mode == "subtract" else 0.0
    events = SpikeEvents(np.zeros(len(times)), np.arange(len(times)), times, 1, len(times))
    got = simulate(_pulses_graph(pop, weights), events, t_end_s=0.05)["p"].time_s
    assert len(expected) >= 3
    np.testing.assert_allclose(got, expected, atol=TOL_S, rtol=0)


def _grouped(times, weights):
    """Pulses at equal times summed (they act together), in time order."""
    for t in sorted(set(times)):
        yield t, sum(w for tk, w in zip(times, weights) if tk == t)


@pytest.mark.parametrize("reset_mode, v_reset", [("subtract", 0.0), ("to_value", 0.1)])
def test_lif_with_leak_above_threshold_fires_periodically(reset_mode, v_reset):
    tau_mem_s, v_leak, theta = 4e-3, 1.6, 1.0
    pop = LIF.create(1, tau_mem_s=tau_mem_s, v_threshold=theta, v_leak=v_leak, v_reset=v_reset, reset_mode=reset_mode)
    start = 0.0 if reset_mode == "subtract" else v_reset
    # v(t) = v_leak + (v0 - v_leak) e^{-t / tau}: first from 0, then from the reset value
    first = tau_mem_s * np.log(v_leak / (v_leak - theta))
    period = tau_mem_s * np.log((v_leak - start) / (v_leak - theta))
    t_end = 0.05
    expected = first + period * np.arange(0, int((t_end - first) / period) + 1)
    events = SpikeEvents([], [], [], 1, 1)
    got = simulate(_one_neuron(pop), events, t_end_s=t_end)["p"].time_s
    np.testing.assert_allclose(got, expected, atol=TOL_S, rtol=0)


def test_if_driven_by_dense_bias_fires_at_multiples_of_threshold_over_drive():
    theta, r, bias = 0.7, 2.0, 30.0
    pop = IF.create(1, v_threshold=theta, r=r)
    t_end = 0.1
    expected = theta / (r * bias) * np.arange(1, int(t_end * r * bias / theta) + 1)
    got = simulate(_one_neuron(pop, bias=bias), SpikeEvents([], [], [], 1, 1), t_end_s=t_end)["p"].time_s
    np.testing.assert_allclose(got, expected, atol=TOL_S, rtol=0)


def test_if_pulse_of_several_thresholds_gives_several_spikes_at_once():
    pop = IF.create(1, v_threshold=1.0, r=1.0)
    events = SpikeEvents([0, 0], [0, 0], [1e-3, 2e-3], 1, 1)
    got = simulate(_one_neuron(pop, weight=2.5), events)["p"].time_s
    # 2.5 -> two spikes at 1 ms (0.5 left); 3.0 -> two spikes at 2 ms (1.0 is not > 1.0)
    np.testing.assert_array_equal(got, [1e-3, 1e-3, 2e-3, 2e-3])


def test_strict_threshold_equal_does_not_fire():
    pop = IF.create(1, v_threshold=1.0, r=1.0)
    events = SpikeEvents([0, 0, 0], [0, 0, 0], [1e-3, 2e-3, 3e-3], 1, 1)
    got = simulate(_one_neuron(pop, weight=0.5), events)["p"].time_s
    np.testing.assert_array_equal(got, [3e-3])  # v = 0.5, 1.0 (not > 1.0), 1.5
