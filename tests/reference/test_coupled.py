"""CoupledLIF: with zero coupling it is CubaLIF (to 1e-12 s); with coupling it converges to a fine-grid
forward-Euler integration of ``dv_k/dt = ((v_leak - v_k) + r I_k) / tau_mem + sum_j lambda_kj v_j`` written here."""
from __future__ import annotations

import numpy as np
import pytest

from snn_deploy.errors import UnsupportedError
from snn_deploy.ir.graph import Graph
from snn_deploy.ir.nodes import CoupledLIF, CubaLIF, Dense, Input, Output
from snn_deploy.reference.simulator import membrane_traces, simulate
from snn_deploy.spikes import SpikeEvents

PARAMS = dict(
    tau_syn_s=np.array([4e-3, 6e-3, 0.0, 5e-3]), tau_mem_s=np.array([8e-3, 6e-3, 5e-3, 10e-3]),
    v_threshold=1.0, v_leak=np.array([0.0, 0.2, 0.0, -0.1]), r=np.array([1.0, 1.5, 1.0, 2.0]), w_in=0.9,
)


def _graph(pop, weight: np.ndarray, bias: np.ndarray | None = None) -> Graph:
    nodes = {"in": Input((weight.shape[1],)), "w": Dense(weight, bias=bias), "p": pop, "out": Output((pop.size,))}
    return Graph(nodes, [("in", "w"), ("w", "p"), ("p", "out")])


def _events(rng, n_events: int, units: int, t_max: float) -> SpikeEvents:
    return SpikeEvents(np.zeros(n_events), rng.integers(0, units, n_events), rng.uniform(0, t_max, n_events), 1, units)


@pytest.mark.parametrize("reset_mode", ["subtract", "to_value"])
def test_zero_coupling_equals_cuba_lif(reset_mode):
    rng = np.random.default_rng(1)
    weight = rng.uniform(0.0, 0.02, (4, 3))
    bias = np.array([0.3, 0.0, 0.5, 0.0])
    cuba = CubaLIF.create(4, reset_mode=reset_mode, v_reset=-0.2 if reset_mode == "to_value" else 0.0, **PARAMS)
    coupled_pop = CoupledLIF.create(4, coupling=np.zeros((4, 4)), reset_mode=reset_mode,
                                    v_reset=-0.2 if reset_mode == "to_value" else 0.0, **PARAMS)
    events = _events(rng, 60, 3, 0.05)
    a = simulate(_graph(cuba, weight, bias), events, t_end_s=0.06)["p"]
    b = simulate(_graph(coupled_pop, weight, bias), events, t_end_s=0.06)["p"]
    assert a.time_s.size > 20
    np.testing.assert_array_equal(a.unit, b.unit)
    np.testing.assert_allclose(b.time_s, a.time_s, rtol=0, atol=1e-12)


def test_zero_coupling_equals_cuba_lif_at_equal_time_constants():
    rng = np.random.default_rng(2)
    params = dict(PARAMS, tau_syn_s=5e-3, tau_mem_s=5e-3)  # alpha == beta: M has a Jordan block
    weight = rng.uniform(0.0, 0.02, (4, 3))
    events = _events(rng, 60, 3, 0.05)
    a = simulate(_graph(CubaLIF.create(4, **params), weight), events, t_end_s=0.06)["p"]
    b = simulate(_graph(CoupledLIF.create(4, coupling=np.zeros((4, 4)), **params), weight), events, t_end_s=0.06)["p"]
    assert a.time_s.size > 10
    np.testing.assert_array_equal(a.unit, b.unit)
    np.testing.assert_allclose(b.time_s, a.time_s, rtol=0, atol=1e-12)


def _euler(weight, coupling, p, in_unit, in_time, dt, t_end):
    n = coupling.shape[0]
    tau_syn, tau_mem = np.broadcast_to(p["tau_syn_s"], n), np.broadcast_to(p["tau_mem_s"], n)
    i, v = np.zeros(n), np.zeros(n)
    arrive = np.ceil(np.asarray(in_time) / dt - 1e-9).astype(int)
    spikes = [[] for _ in range(n)]
    delta = tau_syn == 0
    for k in range(int(round(t_end / dt))):
        pulse = weight[:, in_unit[arrive == k]].sum(axis=1)
        i += np.where(delta, 0.0, p["w_in"] * pulse / np.where(delta, 1.0, tau_syn))
        v += np.where(delta, p["r"] * p["w_in"] * pulse / tau_mem, 0.0)
        v_old = v.copy()
        dv = (p["v_leak"] - v + p["r"] * i) / tau_mem + coupling @ v
        i = i - dt * i / np.where(delta, 1.0, tau_syn)
        v = v + dt * dv
        for j in np.flatnonzero(v > p["v_threshold"]):
            frac = (p["v_threshold"] - v_old[j]) / (v[j] - v_old[j]) if v_old[j] < p["v_threshold"] else 0.0
            spikes[j].append((k + frac) * dt)
            v[j] -= p["v_threshold"]
    return spikes


def test_coupled_population_converges_to_fine_grid_euler():
    rng = np.random.default_rng(4)
    coupling = rng.uniform(-40.0, 60.0, (4, 4))
    np.fill_diagonal(coupling, 0.0)
    weight = rng.uniform(0.0, 0.015, (4, 3))
    in_unit = rng.integers(0, 3, 40)
    in_time = np.sort(rng.integers(1, 300, 40)) * 1e-4
    pop = CoupledLIF.create(4, coupling=coupling, **PARAMS)
    got = simulate(_graph(pop, weight), SpikeEvents(np.zeros(40), in_unit, in_time, 1, 3), t_end_s=0.04)["p"]
    exact = [got.time_s[got.unit == j] for j in range(4)]
    assert got.time_s.size > 15
    errors = []
    for dt in (8e-6, 2e-6, 5e-7):
        euler = _euler(weight, coupling, PARAMS, in_unit, in_time, dt, 0.04)
        diffs = []
        for a, b in zip(exact, euler):
            assert len(a) == len(b), dt
            diffs.extend(np.abs(a - np.array(b)))
        errors.append(float(np.median(diffs)))
    # O(dt): the error falls with dt, by about 16 over the 16-fold refinement
    assert errors[0] > errors[1] > errors[2] and 8 < errors[0] / errors[2] < 32, errors
    assert errors[2] < 2e-6


def test_coupled_trace_matches_matrix_exponential():
    from scipy.linalg import expm

    coupling = np.array([[0.0, 50.0], [-30.0, 0.0]])
    pop = CoupledLIF.create(2, tau_syn_s=5e-3, tau_mem_s=[10e-3, 4e-3], v_threshold=10.0, coupling=coupling)
    graph = _graph(pop, np.array([[0.01], [0.02]]))
    times = np.array([1e-3, 2e-3, 7.5e-3, 30e-3])
    trace = membrane_traces(graph, SpikeEvents([0], [0], [1e-3], 1, 1), times)["p"]
    m = np.zeros((4, 4))
    m[0, 0], m[1, 1] = -200.0, -200.0
    m[2, 0], m[3, 1] = 1 / 10e-3, 1 / 4e-3
    m[2:, 2:] = coupling - np.diag([100.0, 250.0])
    x0 = np.array([0.01 / 5e-3, 0.02 / 5e-3, 0.0, 0.0])
    for k, t in enumerate(times[1:], start=1):
        np.testing.assert_allclose(trace.v[0, k], (expm(m * (t - 1e-3)) @ x0)[2:], rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(trace.v[0, 0], [0.0, 0.0])


def test_unstable_coupling_needs_t_end():
    pop = CoupledLIF.create(2, tau_syn_s=5e-3, tau_mem_s=10e-3, v_threshold=1.0,
                            coupling=np.array([[0.0, 500.0], [500.0, 0.0]]))
    with pytest.raises(UnsupportedError, match="node 'p'.*t_end_s"):
        simulate(_graph(pop, np.ones((2, 1))), SpikeEvents([0], [0], [1e-3], 1, 1))
