"""Structural identities the exact simulator must honour: equivalent graphs give identical spikes."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st

from snn_deploy.ir.graph import Graph
from snn_deploy.ir.nodes import LIF, CubaLIF, Delay, Dense, Input, Output
from snn_deploy.reference.encoders import poisson_encode
from snn_deploy.reference.simulator import simulate
from snn_deploy.spikes import SpikeEvents

POP = dict(tau_syn_s=4e-3, tau_mem_s=8e-3, v_threshold=1.0)


def _chain(nodes: dict, edges: list) -> Graph:
    nodes = {"in": Input((4,)), **nodes, "p": CubaLIF.create(3, **POP), "out": Output((3,))}
    return Graph(nodes, edges + [("p", "out")])


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_dense_column_delays_equal_a_delay_node_before_the_dense(seed):
    rng = np.random.default_rng(seed)
    weight = rng.uniform(0.0, 0.03, (3, 4))
    delays = rng.choice([0.0, 1e-3, 2.5e-3], 4)
    events = poisson_encode(np.full((2, 4), 200.0), 0.03, seed=seed)
    a = simulate(_chain({"d": Dense(weight, delay_s=np.tile(delays, (3, 1)))}, [("in", "d"), ("d", "p")]),
                 events, t_end_s=0.04)["p"]
    b = simulate(_chain({"dl": Delay(delays), "d": Dense(weight)}, [("in", "dl"), ("dl", "d"), ("d", "p")]),
                 events, t_end_s=0.04)["p"]
    np.testing.assert_array_equal(a.unit, b.unit)
    np.testing.assert_array_equal(a.time_s, b.time_s)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_parallel_projections_into_one_population_sum(seed):
    rng = np.random.default_rng(seed)
    w1, w2 = rng.uniform(-0.01, 0.03, (2, 3, 4))
    events = poisson_encode(np.full((2, 4), 200.0), 0.03, seed=seed)
    a = simulate(_chain({"d1": Dense(w1), "d2": Dense(w2)}, [("in", "d1"), ("in", "d2"), ("d1", "p"), ("d2", "p")]),
                 events, t_end_s=0.04)["p"]
    b = simulate(_chain({"d": Dense(w1 + w2)}, [("in", "d"), ("d", "p")]), events, t_end_s=0.04)["p"]
    np.testing.assert_array_equal(a.unit, b.unit)
    np.testing.assert_array_equal(a.time_s, b.time_s)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), shift_s=st.floats(1e-3, 0.5))
def test_without_constant_drive_a_time_shift_of_the_input_shifts_the_output(seed, shift_s):
    rng = np.random.default_rng(seed)
    graph = Graph({"in": Input((4,)), "d": Dense(rng.uniform(0.0, 0.03, (3, 4))), "p": CubaLIF.create(3, **POP),
                   "r": Dense(rng.uniform(-0.01, 0.002, (3, 3)), delay_s=np.full((3, 3), 1e-3)),
                   "e": Dense(rng.uniform(0.0, 0.004, (2, 3))), "q": LIF.create(2, tau_mem_s=5e-3, v_threshold=0.5),
                   "out": Output((2,))},
                  [("in", "d"), ("d", "p"), ("p", "r"), ("r", "p"), ("p", "e"), ("e", "q"), ("q", "out")])
    events = poisson_encode(np.full((1, 4), 200.0), 0.03, seed=seed)
    shifted = SpikeEvents(events.sample, events.unit, events.time_s + shift_s, 1, 4)
    a = simulate(graph, events, record="all", max_events=10**6)
    b = simulate(graph, shifted, record="all", max_events=10**6)
    for name in a:
        np.testing.assert_array_equal(a[name].unit, b[name].unit)
        # the shifted times are rounded to the float64 grid near shift_s, and a crossing's time error is the
        # membrane's rounding error over its slope: equal to 1e-11 of the absolute (shifted) time
        np.testing.assert_allclose(b[name].time_s, a[name].time_s + shift_s, rtol=1e-11, atol=0)
