"""The exact reference on ``CubaLI`` read-outs: membrane traces against the closed-form solution derived here.

``tau_syn dI/dt = -I + w_in S``, ``tau_mem dv/dt = (v_leak - v) + r I`` with a constant input ``b`` (a Dense bias)
and pulses of weight ``w_k`` at ``t_k``, from ``I = v = 0``: by superposition

    v(t) = (v_leak + r w_in b) (1 - e^{-t/tau_mem}) - r w_in b tau_syn (e^{-t/tau_syn} - e^{-t/tau_mem}) / (tau_syn - tau_mem)
           + sum_k w_k r w_in / (tau_syn tau_mem) kappa(t - t_k),
    kappa(s) = (e^{-s/tau_mem} - e^{-s/tau_syn}) / (1/tau_syn - 1/tau_mem)  (s e^{-s/tau} when equal),

and ``I(t) = w_in b (1 - e^{-t/tau_syn}) + sum_k w_k w_in / tau_syn e^{-(t - t_k)/tau_syn}``. The delta synapse
(``tau_syn = 0``) is ``v`` jumping by ``r w_in w_k / tau_mem``.
"""
from __future__ import annotations

import numpy as np
import pytest

from snn_deploy.errors import GraphValidationError
from snn_deploy.ir.graph import Graph
from snn_deploy.ir.nodes import CubaLI, Dense, Input, Output
from snn_deploy.reference.simulator import membrane_traces, simulate
from snn_deploy.spikes import SpikeEvents

TIMES_S = np.array([1e-3, 2.5e-3, 2.6e-3, 9e-3])
WEIGHTS = np.array([0.5, 0.4, -0.1, 0.6])


def _graph(pop: CubaLI, bias: float) -> Graph:
    nodes = {"in": Input((TIMES_S.size,)), "w": Dense(WEIGHTS[None, :], bias=np.array([bias])), "p": pop,
             "out": Output((1,))}
    return Graph(nodes, [("in", "w"), ("w", "p"), ("p", "out")])


def _expected(t: np.ndarray, tau_syn: float, tau_mem: float, v_leak: float, r: float, w_in: float, b: float):
    def kappa(s):
        s = np.maximum(s, 0.0)
        if tau_syn == tau_mem:
            return s * np.exp(-s / tau_mem)
        return (np.exp(-s / tau_mem) - np.exp(-s / tau_syn)) / (1 / tau_syn - 1 / tau_mem)

    if tau_syn == 0.0:
        v = (v_leak + r * w_in * b) * (1 - np.exp(-t / tau_mem))
        v += sum(w * r * w_in / tau_mem * np.where(t >= tk, np.exp(-(t - tk) / tau_mem), 0.0)
                 for tk, w in zip(TIMES_S, WEIGHTS))
        return np.zeros_like(t), v
    drive = r * w_in * b
    v = (v_leak + drive) * (1 - np.exp(-t / tau_mem)) - drive * kappa(t) / tau_mem
    v += sum(w * r * w_in / (tau_syn * tau_mem) * kappa(t - tk) for tk, w in zip(TIMES_S, WEIGHTS))
    i = w_in * b * (1 - np.exp(-t / tau_syn))
    i += sum(w * w_in / tau_syn * np.where(t >= tk, np.exp(-(t - tk) / tau_syn), 0.0) for tk, w in zip(TIMES_S, WEIGHTS))
    return i, v


@pytest.mark.parametrize("tau_syn_s, tau_mem_s", [(4e-3, 10e-3), (7e-3, 7e-3), (10e-3, 3e-3), (0.0, 5e-3)])
@pytest.mark.parametrize("bias", [0.0, 0.3])
def test_cuba_li_membrane_matches_the_closed_form(tau_syn_s, tau_mem_s, bias):
    v_leak, r, w_in = 0.25, 1.3, 0.8
    pop = CubaLI.create(1, tau_syn_s=tau_syn_s, tau_mem_s=tau_mem_s, v_leak=v_leak, r=r, w_in=w_in)
    events = SpikeEvents(np.zeros(TIMES_S.size), np.arange(TIMES_S.size), TIMES_S, 1, TIMES_S.size)
    probe = np.array([0.5e-3, 1.7e-3, 2.55e-3, 4e-3, 9.5e-3, 20e-3, 40e-3])
    trace = membrane_traces(_graph(pop, bias), events, probe)["p"]
    i, v = _expected(probe, tau_syn_s, tau_mem_s, v_leak, r, w_in, bias)
    assert np.max(np.abs(v)) > 0.1  # the pulses move the membrane
    np.testing.assert_allclose(trace.v[0, :, 0], v, rtol=1e-10, atol=1e-12)
    if tau_syn_s > 0:
        np.testing.assert_allclose(trace.i[0, :, 0], i, rtol=1e-10, atol=1e-12)


def test_cuba_li_never_spikes_however_high_its_membrane():
    pop = CubaLI.create(1, tau_syn_s=2e-3, tau_mem_s=5e-3, r=100.0)
    events = SpikeEvents(np.zeros(TIMES_S.size), np.arange(TIMES_S.size), TIMES_S, 1, TIMES_S.size)
    graph = _graph(pop, 0.0)
    assert simulate(graph, events, t_end_s=0.05)["p"].time_s.size == 0
    assert membrane_traces(graph, events, np.array([3e-3]))["p"].v.max() > 1.0


def test_cuba_li_time_constants_are_validated():
    with pytest.raises(GraphValidationError, match="node 'p': parameter 'tau_syn_s' must be >= 0"):
        _graph(CubaLI.create(1, tau_syn_s=-1e-3, tau_mem_s=5e-3), 0.0).validate()
    with pytest.raises(GraphValidationError, match="node 'p': parameter 'tau_mem_s' must be > 0"):
        _graph(CubaLI.create(1, tau_syn_s=1e-3, tau_mem_s=0.0), 0.0).validate()
