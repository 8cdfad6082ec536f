"""Networks: the exact simulator against a fine-grid forward-Euler integration written here, and graph rules.

The Euler reference integrates ``tau_syn dI/dt = -I + w_in (W S + b)``, ``tau_mem dv/dt = v_leak - v + r I``
(CubaLIF) or ``tau_mem dv/dt = v_leak - v`` with jumps ``r w / tau_mem`` (LIF) on a grid of step ``dt``,
delivers a pulse at the first grid point at or after its arrival, and interpolates each threshold
crossing linearly inside its step. Its spike times converge to the exact ones as O(dt).
"""
from __future__ import annotations

import numpy as np
import pytest

from snn_deploy.errors import UnsupportedError
from snn_deploy.ir.graph import Graph
from snn_deploy.ir.nodes import LIF, CubaLIF, Delay, Dense, Input, Output
from snn_deploy.reference.simulator import membrane_traces, simulate
from snn_deploy.spikes import SpikeEvents

T_END_S = 0.04


def _network(rng: np.random.Generator):
    """in(3) -> d1 (bias) -> p1 CubaLIF(4) with a delayed recurrent Dense; p1 -> d2 -> p2 LIF(2);
    skip path in -> Delay -> d3 -> p2; zero-delay back edge p2 -> back -> p1."""
    pops = {
        "p1": dict(kind="cuba", n=4, tau_syn_s=np.array([3e-3, 5e-3, 5e-3, 8e-3]), tau_mem_s=np.array([6e-3, 5e-3, 10e-3, 4e-3]),
                   theta=1.0, v_leak=np.array([0.0, 0.1, -0.1, 0.0]), r=1.0, w_in=1.0, v_reset=0.0, subtract=True),
        "p2": dict(kind="lif", n=2, tau_mem_s=np.array([5e-3, 8e-3]), theta=0.5, v_leak=0.0, r=1.0, v_reset=-0.1,
                   subtract=False),
    }
    conns = [  # (source, target population, weight [out, in], delay_s [out, in], bias)
        ("in", "p1", rng.uniform(0.004, 0.012, (4, 3)), np.zeros((4, 3)), np.array([0.5, 0.0, 0.3, 0.0])),
        ("p1", "p1", rng.uniform(-0.004, 0.002, (4, 4)), rng.choice([1e-3, 2e-3, 3e-3], (4, 4)), None),
        ("p1", "p2", rng.uniform(0.0008, 0.0015, (2, 4)), np.zeros((2, 4)), None),
        ("in", "p2", rng.uniform(0.001, 0.002, (2, 3)), np.tile([[1e-3, 0.0, 2e-3]], (2, 1)), None),
        ("p2", "p1", rng.uniform(-0.002, 0.0, (4, 2)), np.zeros((4, 2)), None),
    ]
    nodes = {"in": Input((3,))}
    p1, p2 = pops["p1"], pops["p2"]
    nodes["p1"] = CubaLIF.create(4, tau_syn_s=p1["tau_syn_s"], tau_mem_s=p1["tau_mem_s"], v_threshold=p1["theta"],
                                 v_leak=p1["v_leak"], reset_mode="subtract")
    nodes["p2"] = LIF.create(2, tau_mem_s=p2["tau_mem_s"], v_threshold=p2["theta"], v_reset=p2["v_reset"],
                             reset_mode="to_value")
    edges = []
    for k, (source, target, weight, delay, bias) in enumerate(conns):
        if k == 3:  # the skip path goes through a Delay node, then a Dense without delays
            nodes["dly"] = Delay(delay[0])
            nodes[f"d{k}"] = Dense(weight)
            edges += [(source, "dly"), ("dly", f"d{k}"), (f"d{k}", target)]
        else:
            nodes[f"d{k}"] = Dense(weight, bias=bias, delay_s=delay if np.any(delay) else None)
            edges += [(source, f"d{k}"), (f"d{k}", target)]
    nodes["out"] = Output((2,))
    edges.append(("p2", "out"))
    return Graph(nodes, edges), pops, conns


def _euler(pops, conns, in_unit, in_time, dt: float, t_end: float) -> dict[str, list[list[float]]]:
    steps = int(round(t_end / dt))
    state = {name: (np.zeros(p["n"]), np.zeros(p["n"])) for name, p in pops.items()}
    constant = {name: np.zeros(p["n"]) for name, p in pops.items()}
    for _, target, _, _, bias in conns:
        if bias is not None:
            constant[target] += bias
    arrivals: dict[int, list[tuple[str, np.ndarray]]] = {}

    def send(source: str, unit: int, t: float, now: int = -1) -> None:
        for src, target, weight, delay, _ in conns:
            if src == source:
                for post in range(weight.shape[0]):
                    k = max(int(np.ceil((t + delay[post, unit]) / dt - 1e-9)), now + 1)
                    pulse = np.zeros(pops[target]["n"])
                    pulse[post] = weight[post, unit]
                    arrivals.setdefault(k, []).append((target, pulse))

    for u, t in zip(in_unit, in_time):
        send("in", int(u), float(t))
    spikes = {name: [[] for _ in range(p["n"])] for name, p in pops.items()}
    for k in range(steps):
        for target, pulse in arrivals.pop(k, []):
            i, v = state[target]
            p = pops[target]
            if p["kind"] == "cuba":
                i += p["w_in"] * pulse / p["tau_syn_s"]
            else:
                v += p["r"] * pulse / p["tau_mem_s"]
        fired = []
        for name, p in pops.items():
            i, v = state[name]
            v_old = v.copy()
            if p["kind"] == "cuba":
                v += dt * (p["v_leak"] - v + p["r"] * i) / p["tau_mem_s"]
                i += dt * (-i + p["w_in"] * constant[name]) / p["tau_syn_s"]
            else:
                v += dt * (p["v_leak"] + p["r"] * constant[name] - v) / p["tau_mem_s"]
            for n in np.flatnonzero(v > p["theta"]):
                frac = (p["theta"] - v_old[n]) / (v[n] - v_old[n]) if v_old[n] < p["theta"] else 0.0
                t = (k + frac) * dt
                spikes[name][n].append(t)
                fired.append((name, n, t))
                v[n] = v[n] - p["theta"] if p["subtract"] else p["v_reset"]
        for name, n, t in fired:
            send(name, n, t, now=k)
    return spikes


def _exact(graph, in_unit, in_time):
    events = SpikeEvents(np.zeros(len(in_unit)), in_unit, in_time, 1, 3)
    out = simulate(graph, events, t_end_s=T_END_S, record="all")
    return {name: [list(ev.time_s[ev.unit == n]) for n in range(ev.units)] for name, ev in out.items()}


def test_recurrent_delayed_skip_network_converges_to_fine_grid_euler():
    rng = np.random.default_rng(3)
    graph, pops, conns = _network(rng)
    in_unit = rng.integers(0, 3, 40)
    in_time = np.sort(rng.integers(1, 250, 40)) * 1e-4  # on every Euler grid
    exact = _exact(graph, in_unit, in_time)
    n_spikes = sum(len(t) for per in exact.values() for t in per)
    assert n_spikes >= 20 and all(len(t) for t in exact["p2"])
    errors = []
    for dt in (8e-6, 2e-6, 5e-7):
        euler = _euler(pops, conns, in_unit, in_time, dt, T_END_S)
        diffs = []
        for name in exact:
            for a, b in zip(exact[name], euler[name]):
                assert len(a) == len(b), (name, dt)
                diffs.extend(np.abs(np.subtract(a, b)))
        errors.append(float(np.median(diffs)))
    # O(dt): dividing dt by 4 divides the (median) spike-time error by about 4
    assert 2.5 < errors[0] / errors[1] < 6 and 2.5 < errors[1] / errors[2] < 6, errors
    assert errors[2] < 2e-6


def test_spikes_reach_targets_without_hidden_step():
    # in -> Dense(2.0) -> IF (threshold 1) -> Dense(2.0) -> IF -> out: both fire at the input time
    from snn_deploy.ir.nodes import IF

    nodes = {"in": Input((1,)), "a": Dense(np.array([[2.0]])), "p": IF.create(1, v_threshold=1.0),
             "b": Dense(np.array([[2.0]]), delay_s=np.array([[0.5e-3]])), "q": IF.create(1, v_threshold=1.0),
             "out": Output((1,))}
    graph = Graph(nodes, [("in", "a"), ("a", "p"), ("p", "b"), ("b", "q"), ("q", "out")])
    out = simulate(graph, SpikeEvents([0], [0], [1e-3], 1, 1), record="all")
    np.testing.assert_array_equal(out["p"].time_s, [1e-3])
    np.testing.assert_array_equal(out["q"].time_s, [1e-3 + 0.5e-3])


def test_samples_are_independent_and_order_is_deterministic():
    rng = np.random.default_rng(5)
    graph, _, _ = _network(rng)
    unit = rng.integers(0, 3, (2, 30))
    time = np.sort(rng.uniform(0, 0.03, (2, 30)), axis=1)
    both = simulate(graph, SpikeEvents(np.repeat([0, 1], 30), unit.ravel(), time.ravel(), 2, 3), t_end_s=T_END_S)
    for b in range(2):
        alone = simulate(graph, SpikeEvents(np.zeros(30), unit[b], time[b], 1, 3), t_end_s=T_END_S)["p2"]
        units, times = both["p2"].for_sample(b)
        np.testing.assert_array_equal(units, alone.unit)
        np.testing.assert_array_equal(times, alone.time_s)


def test_membrane_trace_is_left_limit_and_matches_closed_form():
    tau_mem_s = 5e-3
    nodes = {"in": Input((1,)), "d": Dense(np.array([[0.01]])),
             "p": LIF.create(1, tau_mem_s=tau_mem_s, v_threshold=10.0), "out": Output((1,))}
    graph = Graph(nodes, [("in", "d"), ("d", "p"), ("p", "out")])
    times = np.array([0.0, 1e-3, 2e-3, 5e-3])
    trace = membrane_traces(graph, SpikeEvents([0], [0], [1e-3], 1, 1), times)["p"]
    jump = 0.01 / tau_mem_s
    expected = [0.0, 0.0, jump * np.exp(-1e-3 / tau_mem_s), jump * np.exp(-4e-3 / tau_mem_s)]
    np.testing.assert_allclose(trace.v[0, :, 0], expected, rtol=1e-14, atol=0)


def test_tonic_neuron_without_t_end_is_refused():
    nodes = {"in": Input((1,)), "d": Dense(np.array([[1.0]])),
             "p": LIF.create(1, tau_mem_s=5e-3, v_threshold=1.0, v_leak=2.0), "out": Output((1,))}
    graph = Graph(nodes, [("in", "d"), ("d", "p"), ("p", "out")])
    with pytest.raises(UnsupportedError, match="node 'p'.*t_end_s"):
        simulate(graph, SpikeEvents([], [], [], 1, 1))


def test_record_selects_populations_by_name_or_output():
    graph, _, _ = _network(np.random.default_rng(0))
    events = SpikeEvents([0], [0], [1e-3], 1, 3)
    assert list(simulate(graph, events, t_end_s=0.01)) == ["p2"]
    assert list(simulate(graph, events, t_end_s=0.01, record="p1,out")) == ["p1", "p2"]
    with pytest.raises(UnsupportedError, match="no population or output named 'd0'"):
        simulate(graph, events, t_end_s=0.01, record="d0")
