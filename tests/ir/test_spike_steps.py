"""Per-step spike reading (:mod:`snn_deploy.ir.spike_steps`) on the shared Norse export and constructed graphs."""
from __future__ import annotations

import numpy as np
import pytest

from snn_deploy.errors import UnsupportedError
from snn_deploy.ir.graph import Graph
from snn_deploy.ir.io import load
from snn_deploy.ir.nodes import LIF, Dense, Input, Output, SumPool2d
from snn_deploy.ir.spike_steps import per_step_spikes
from snn_deploy.reference.simulator import membrane_traces, simulate
from snn_deploy.spikes import SpikeEvents

STEP_S = 1e-4


def _pulses(times_s) -> SpikeEvents:
    times = np.asarray(times_s, dtype=np.float64)
    return SpikeEvents(np.zeros(times.size, np.int64), np.zeros(times.size, np.int64), times, 1, 1)


def _norse_step_model(n_steps: int, spike_steps: set[int], w: float, tau_s: float, theta: float) -> list[int]:
    """Norse's LIF box, forward Euler with a spike counted 1 in its step: v += dt/tau (-v) + dt/tau w s; reset 0."""
    v, fired = 0.0, []
    for k in range(n_steps):
        v = v + STEP_S / tau_s * (-v + w * (k in spike_steps))
        if v > theta:
            fired.append(k)
            v = 0.0
    return fired


def test_norse_lif_read_per_step_fires_on_the_step_norse_fires(shared_models):
    graph = load(shared_models / "lif_norse.nir")
    node = graph.nodes["1"]
    tau_s, theta, w = float(node.tau_mem_s[0]), float(node.v_threshold[0]), float(graph.nodes["0"].weight[0, 0])
    steps = [10, 11, 12, 13, 14, 15, 40]
    expected = _norse_step_model(60, set(steps), w, tau_s, theta)
    assert expected, "the constructed input must make Norse's neuron fire"
    stepped = per_step_spikes(graph, STEP_S)
    got = simulate(stepped, _pulses([k * STEP_S for k in steps]), t_end_s=60 * STEP_S, record="all")["1"].time_s
    np.testing.assert_allclose(got, [k * STEP_S for k in expected], rtol=0, atol=1e-12)
    # read as unit-area pulses, the first pulse alone carries w r / tau / theta = 4000 thresholds
    raw = simulate(graph, _pulses([10 * STEP_S]), t_end_s=60 * STEP_S, record="all")["1"].time_s
    assert raw.size == 1 and raw[0] == pytest.approx(10 * STEP_S)


def test_weights_scale_biases_do_not():
    nodes = {"in": Input((2,)), "w": Dense(np.array([[0.5, -2.0]]), bias=np.array([0.3])),
             "p": LIF.create(1, tau_mem_s=1e-2, v_threshold=1.0), "out": Output((1,))}
    graph = Graph(nodes, [("in", "w"), ("w", "p"), ("p", "out")]).validate()
    stepped = per_step_spikes(graph, 2e-3)
    np.testing.assert_array_equal(stepped.nodes["w"].weight, [[0.5 * 2e-3, -2.0 * 2e-3]])
    np.testing.assert_array_equal(stepped.nodes["w"].bias, [0.3])
    assert stepped.metadata["spike_step_s"] == 2e-3
    # the membrane jump of one pulse is r w dt / tau: the forward-Euler step of the exporter
    trace = membrane_traces(stepped, SpikeEvents([0], [0], [1e-3], 1, 2), np.array([1e-3 + 1e-15]), record="all")
    bias_part = 0.3 * (1 - np.exp(-1e-3 / 1e-2))
    assert trace["p"].v[0, 0, 0] == pytest.approx(bias_part + 0.5 * 2e-3 / 1e-2, rel=1e-9)


def test_population_fed_without_weights_is_refused():
    nodes = {"in": Input((1, 2, 2)), "pool": SumPool2d(kernel_size=2, stride=2),
             "p": LIF.create((1, 1, 1), tau_mem_s=1e-2, v_threshold=1.0), "out": Output((1, 1, 1))}
    graph = Graph(nodes, [("in", "pool"), ("pool", "p"), ("p", "out")]).validate()
    with pytest.raises(UnsupportedError, match="node 'p'.*'in'.*no weighted projection"):
        per_step_spikes(graph, 1e-3)


@pytest.mark.parametrize("step_s", [0.0, -1e-3, float("nan")])
def test_step_must_be_positive(step_s):
    with pytest.raises(UnsupportedError, match="positive"):
        per_step_spikes(Graph({"in": Input((1,)), "out": Output((1,))}, [("in", "out")]), step_s)
