"""Predictions deferred to the next input instant give the spikes of predictions made at once.

The event loop skips the exact crossing of a neuron that provably stays below threshold until the next
input instant (:func:`~snn_deploy.reference.neuron_ode.below_until`), and predicts it there if no pulse
touched it meanwhile. The bound must hold on the whole window, and a neuron that the other inputs never
touch must fire exactly as when it is simulated alone with its own inputs.
"""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from snn_deploy.ir.graph import Graph
from snn_deploy.ir.nodes import CubaLIF, Dense, Input, Output
from snn_deploy.reference.network import lower
from snn_deploy.reference.neuron_ode import THETA, below_until, v_and_slope
from snn_deploy.reference.simulator import simulate
from snn_deploy.spikes import SpikeEvents


def _graph(weight: np.ndarray, bias: np.ndarray | None = None, **lif) -> Graph:
    n = weight.shape[0]
    return Graph(
        nodes={"in": Input((weight.shape[1],)), "fc": Dense(weight, bias=bias),
               "pop": CubaLIF.create(n, v_threshold=1.0, reset_mode="subtract", **lif), "out": Output((n,))},
        edges=(("in", "fc"), ("fc", "pop"), ("pop", "out")),
    )


@settings(max_examples=200, deadline=None)
@given(st.floats(-2.0, 5.0), st.floats(-1.0, 1.0), st.floats(0.0, 0.02), st.sampled_from([0.0, 1e-3, 5e-3, 1e-2]),
       st.sampled_from([5e-3, 1e-2, 1.5e-2]), st.floats(-0.5, 1.5))
def test_below_until_bounds_the_membrane_on_the_window(i0: float, v0: float, window_s: float, tau_syn_s: float,
                                                        tau_mem_s: float, bias: float):
    p = lower(_graph(np.ones((1, 1)), np.array([bias]), tau_syn_s=tau_syn_s, tau_mem_s=tau_mem_s)).params[0]
    v0 = min(v0, p[THETA])
    if below_until(i0, v0, window_s, p):
        peak = max(v_and_slope(i0, v0, s, p)[0] for s in np.linspace(0.0, window_s, 2001))
        assert peak <= p[THETA]


def test_a_neuron_no_other_input_touches_fires_as_alone():
    rng = np.random.default_rng(11)
    t_end_s = 0.2
    # unit 0 drives neuron 0 only; unit 1 (dense in time) drives neuron 1 only, so neuron 0 is deferred to
    # every unit-1 instant and predicted there from its last update
    weight = np.array([[0.004, 0.0], [0.0, 0.002]])
    times = [np.sort(rng.uniform(0.0, t_end_s, 60)), np.sort(rng.uniform(0.0, t_end_s, 2000))]
    both = SpikeEvents(np.zeros(2060, dtype=np.int64), np.repeat([0, 1], [60, 2000]), np.concatenate(times), 1, 2)
    lif = dict(tau_syn_s=5e-3, tau_mem_s=1e-2)
    together = simulate(_graph(weight, **lif), both, t_end_s=t_end_s)["pop"]
    alone = simulate(_graph(weight[:1, :1], **lif), SpikeEvents(np.zeros(60), np.zeros(60), times[0], 1, 1),
                     t_end_s=t_end_s)["pop"]
    assert alone.time_s.size > 5
    np.testing.assert_array_equal(together.time_s[together.unit == 0], alone.time_s)
