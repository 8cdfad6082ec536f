"""The event loop's fast paths give the same numbers as the plain per-neuron computation.

Also: the transcendental-free bound that lets the crossing predictor skip most neurons is an upper
bound of the membrane (checked on a fine grid of the closed form).

The loop reuses one :func:`~snn_deploy.reference.neuron_ode.decay` evaluation for every neuron advanced
over the same interval with the same time constants, and reads a neuron's parameters as a tuple. A
population whose neurons all receive the same input (a dense fan-out) but have different time constants
must spike exactly as each neuron simulated alone (where nothing is shared), and the advanced state
must be the closed form the crossing predictor uses, bit for bit.
"""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from snn_deploy.ir.graph import Graph
from snn_deploy.ir.nodes import CubaLIF, Dense, Input, Output
from snn_deploy.reference.event_loop import _row
from snn_deploy.reference.network import lower
from snn_deploy.reference.neuron_ode import G, I_INF, K0, PARAM_COLUMNS, _peak_bound, state_after, v_and_slope
from snn_deploy.reference.simulator import simulate
from snn_deploy.spikes import SpikeEvents

T_END_S = 0.1


def _graph(weight: np.ndarray, tau_syn_s: np.ndarray, tau_mem_s: np.ndarray) -> Graph:
    n = tau_mem_s.size
    return Graph(
        nodes={"in": Input((weight.shape[1],)), "fc": Dense(weight),
               "pop": CubaLIF.create(n, tau_syn_s=tau_syn_s, tau_mem_s=tau_mem_s, v_threshold=1.0,
                                     reset_mode="subtract"),
               "out": Output((n,))},
        edges=(("in", "fc"), ("fc", "pop"), ("pop", "out")),
    )


def test_population_spikes_as_its_neurons_alone():
    rng = np.random.default_rng(3)
    n, n_in = 6, 20
    # pairs of neurons share time constants, so the loop both reuses and recomputes the decay kernels
    tau_syn_s = np.repeat([2e-3, 5e-3, 5e-3], 2)
    tau_mem_s = np.repeat([1e-2, 1e-2, 2e-2], 2)
    weight = rng.uniform(0.0, 0.004, (n, n_in))
    count = 300
    events = SpikeEvents(np.zeros(count, dtype=np.int64), rng.integers(0, n_in, count),
                         np.sort(rng.uniform(0.0, T_END_S, count)), 1, n_in)
    together = simulate(_graph(weight, tau_syn_s, tau_mem_s), events, t_end_s=T_END_S)["pop"]
    assert together.time_s.size > 10
    for j in range(n):
        alone = simulate(_graph(weight[j:j + 1], tau_syn_s[j:j + 1], tau_mem_s[j:j + 1]), events,
                         t_end_s=T_END_S)["pop"]
        np.testing.assert_array_equal(together.time_s[together.unit == j], alone.time_s)


def test_row_is_the_whole_parameter_row():
    network = lower(_graph(np.ones((3, 2)), np.array([2e-3, 3e-3, 4e-3]), np.array([1e-2, 2e-2, 3e-2])))
    assert network.params.shape[1] == len(PARAM_COLUMNS)
    for n in range(network.params.shape[0]):
        assert _row(network.params, n) == tuple(network.params[n])


@settings(max_examples=50, deadline=None)
@given(st.floats(-2.0, 2.0), st.floats(-1.0, 1.0), st.floats(0.0, 0.05), st.sampled_from([1e-3, 5e-3, 1e-2]))
def test_state_after_is_the_predictors_closed_form(i0: float, v0: float, s: float, tau_syn_s: float):
    network = lower(_graph(np.ones((1, 1)), np.array([tau_syn_s]), np.array([1e-2])))
    p = network.params[0]
    assert state_after(i0, v0, s, p)[1] == v_and_slope(i0, v0, s, p)[0]


@settings(max_examples=200, deadline=None)
@given(st.floats(-2.0, 5.0), st.floats(-1.0, 1.0), st.sampled_from([1e-3, 2e-3, 5e-3, 1e-2, 2e-2]),
       st.sampled_from([5e-3, 1e-2, 1.5e-2]), st.floats(-0.5, 0.5))
def test_peak_bound_bounds_the_membrane(i0: float, v0: float, tau_syn_s: float, tau_mem_s: float, v_leak: float):
    graph = Graph(
        nodes={"in": Input((1,)), "fc": Dense(np.ones((1, 1))),
               "pop": CubaLIF.create(1, tau_syn_s=tau_syn_s, tau_mem_s=tau_mem_s, v_leak=v_leak, v_threshold=1.0),
               "out": Output((1,))},
        edges=(("in", "fc"), ("fc", "pop"), ("pop", "out")),
    )
    p = lower(graph).params[0]
    k = p[K0] + p[G] * p[I_INF]
    gd = p[G] * (i0 - p[I_INF])
    bound = _peak_bound(v0, k, gd, p)
    peak = max(v_and_slope(i0, v0, s, p)[0] for s in np.linspace(0.0, 10 * max(tau_syn_s, tau_mem_s), 4001))
    assert peak <= bound + 1e-12 * (1.0 + abs(bound))
