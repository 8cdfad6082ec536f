"""Loihi 2 quantizer: dt rule, decay rounding, weight exponents that use the range, clip reports, folding and
splitting, latency padding, unsupported nodes, and integer dynamics that follow the continuous equations."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snn_deploy.emulate.loihi2 import emulate
from snn_deploy.errors import UnsupportedError
from snn_deploy.ir import IF, LI, LIF, CoupledLIF, CubaLIF, Dense, Graph, Input, Output
from snn_deploy.quantize.loihi2.deployment import Deployment
from snn_deploy.quantize.loihi2.quantizer import quantize, weight_mantissas
from snn_deploy.quantize.loihi2.spec import LOIHI2, ResetRule, SignMode

DT_S = 1e-3


def _chain(pop, weight, *, metadata=None, bias=None) -> Graph:
    n_out, n_in = np.shape(weight)
    return Graph(nodes={"in": Input((n_in,)), "fc": Dense(weight, bias=bias), "pop": pop, "out": Output((n_out,))},
                 edges=(("in", "fc"), ("fc", "pop"), ("pop", "out")), metadata=metadata or {})


def _cuba(n, **params):
    return CubaLIF.create(n, **{"tau_syn_s": 5e-3, "tau_mem_s": 10e-3, "v_threshold": 1.0,
                               "reset_mode": "to_value", **params})


def test_dt_rule_metadata_and_override():
    graph = _chain(_cuba(2, tau_syn_s=[2e-3, 4e-3], tau_mem_s=8e-3), np.ones((2, 3)))
    assert quantize(graph).dt_s == pytest.approx(4e-5)
    assert quantize(graph).report["dt_rule"] == "min(tau) / 50"
    with_meta = _chain(_cuba(2), np.ones((2, 3)), metadata={"dt_s": 5e-4})
    assert quantize(with_meta).dt_s == 5e-4
    assert quantize(with_meta, dt_s=2e-3).dt_s == 2e-3


def _tau_for(decay_times_4096: float) -> float:
    """The time constant whose ideal 12-bit decay ``4096 (1 - e^{-dt/tau})`` is the given value."""
    return -DT_S / math.log(1 - decay_times_4096 / 4096)


def test_decays_round_to_nearest_with_the_du_offset():
    taus_syn = [_tau_for(1000.4), _tau_for(1000.6), 0.0]
    taus_mem = [_tau_for(2047.6), _tau_for(12.2), _tau_for(12.2)]
    graph = _chain(_cuba(3, tau_syn_s=taus_syn, tau_mem_s=taus_mem), np.ones((3, 1)), metadata={"dt_s": DT_S})
    deployment = quantize(graph)
    by_neuron = {int(i): (g.du, g.dv) for g in deployment.groups for i in g.indices}
    assert by_neuron == {0: (999, 2048), 1: (1000, 12), 2: (4095, 12)}  # du + 1 = round(ideal)
    if_pop = IF.create(2, v_threshold=1.0, reset_mode="to_value")
    assert {(g.du, g.dv) for g in quantize(_chain(if_pop, np.ones((2, 1)), metadata={"dt_s": DT_S})).groups} == {
        (4095, 0)}


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, st.integers(1, 30), elements=st.floats(-3.2e4, 3.2e4, allow_subnormal=False)))
@example(np.array([-0.00390625, 0.995]))  # the negative weight rounds to 0: the mantissas are single-sign
def test_weight_exponent_uses_the_range(x):
    mant, exp, clipped = weight_mantissas(x)
    mode = LOIHI2.sign_mode(mant)  # a tiny weight of the other sign may round to 0: Lava sees the mantissas
    low, high = LOIHI2.weight_range(mode)
    high = high - 1 if mode is SignMode.MIXED else high
    assert clipped == 0 and low <= mant.min() and mant.max() <= high
    assert np.array_equal(LOIHI2.effective_weights(mant, LOIHI2.sign_mode(mant), 8), mant)  # Lava keeps them
    step = 2 if LOIHI2.sign_mode(x) is SignMode.MIXED else 1  # the grid x was rounded on
    assert np.all(np.abs(mant * 2.0**exp - x) <= step * 2.0**exp / 2 + 1e-9)
    if exp > LOIHI2.weight_exp_min:  # one exponent smaller would not fit or Lava would change it: range used
        smaller = step * np.rint(x / (step * 2.0 ** (exp - 1)))
        kept = np.array_equal(LOIHI2.effective_weights(smaller, LOIHI2.sign_mode(smaller), 8), smaller)
        assert not kept or smaller.max() > high or smaller.min() < low


def test_weight_exponent_example():
    mant, exp, _ = weight_mantissas(np.array([100.3, -50.2]))
    assert (exp, mant.tolist()) == (-1, [200, -100])  # mixed: even mantissas up to 254


def test_clipping_is_counted_in_the_report():
    pop = IF.create(1, v_threshold=1.0, reset_mode="to_value")
    report = quantize(_chain(pop, np.array([[1e9, 1.0]]), metadata={"dt_s": DT_S})).report
    weight = next(a for a in report["arrays"] if a["name"].endswith(".weight"))
    assert weight["clipped"] == 1 and report["clipped_total"] >= 1
    leak = _cuba(1, v_leak=1e9)
    report = quantize(_chain(leak, np.ones((1, 1)), metadata={"dt_s": DT_S})).report
    assert next(a for a in report["arrays"] if a["name"] == "pop.bias")["clipped"] == 1


def test_heterogeneous_time_constants_split_and_thresholds_fold():
    pop = _cuba(4, tau_mem_s=[10e-3, 10e-3, 20e-3, 20e-3], v_threshold=[1.0, 2.0, 1.0, 1.0])
    deployment = quantize(_chain(pop, np.full((4, 1), 0.01), metadata={"dt_s": DT_S}))
    info = deployment.report["populations"]["pop"]
    assert info["split"] and len(deployment.groups) == 2 and "folded" in info["threshold"]
    first = next(g for g in deployment.groups if 0 in g.indices)
    weights = next(s for s in deployment.synapses if s.target == first.name).weight[:, 0]
    assert weights[0] == pytest.approx(2 * weights[1], abs=2)  # threshold 2 -> half the weight, same vth


def test_skip_layers_are_padded_to_equal_latency():
    nodes = {"in": Input((2,)), "a": Dense(np.ones((2, 2)) * 0.01), "p1": _cuba(2), "b": Dense(np.ones((2, 2)) * 0.01),
             "p2": _cuba(2), "skip": Dense(np.ones((2, 2)) * 0.01), "out": Output((2,))}
    edges = (("in", "a"), ("a", "p1"), ("p1", "b"), ("b", "p2"), ("in", "skip"), ("skip", "p2"), ("p2", "out"))
    deployment = quantize(Graph(nodes=nodes, edges=edges, metadata={"dt_s": DT_S}))
    assert dict(deployment.latency_steps) == {"p1": 1, "p2": 2}
    skip = next(s for s in deployment.synapses if s.source == "in" and s.target == "p2")
    assert skip.delay is not None and np.all(skip.delay == 1)


@pytest.mark.parametrize("pop, match", [
    (LI.create(2, tau_mem_s=1e-2), "'pop': LI"),
    (_cuba(2, v_reset=[0.5, 1.0]), "'pop': parameter 'v_reset' must be below 'v_threshold'"),
    # 1e-7 below the threshold: in v' the threshold is 1e-7 and the drive (v_leak - v_reset) 1e7 times larger
    (_cuba(2, v_reset=1.0 - 1e-7), "'pop': parameter 'v_reset' shifts the bias"),
    (IF.create(2, v_threshold=1.0, v_reset=1.0 - 1e-7, reset_mode="to_value"), "'pop': parameter 'v_reset' puts"),
    (CoupledLIF.create(2, tau_syn_s=1e-3, tau_mem_s=1e-2, v_threshold=1.0, v_reset=-0.5, reset_mode="to_value",
                       coupling=np.zeros((2, 2))), "'pop': parameter 'v_reset' must be 0 for a CoupledLIF"),
    (_cuba(2, v_threshold=0.0), "'pop': parameter 'v_threshold'"),
    (_cuba(2, v_threshold=[1.0, 0.0], reset_mode="subtract"), "'pop': parameter 'v_threshold' must be > 0"),
])
def test_unsupported_nodes_are_named(pop, match):
    with pytest.raises(UnsupportedError, match=match):
        quantize(_chain(pop, np.ones((2, 2))))


def _run(graph: Graph, steps: int, spikes_every: int | None):
    deployment = quantize(graph)
    raster = np.zeros((1, steps, deployment.input_units), np.uint8)
    if spikes_every:
        raster[0, ::spikes_every] = 1
    return deployment, emulate(deployment, raster, record_state=True)


def test_if_counts_inputs_to_threshold_as_the_continuous_model():
    # v jumps by r w = 1/3.5 per input: the 4th input crosses the threshold 1 and resets v to 0
    graph = _chain(IF.create(1, v_threshold=1.0, reset_mode="to_value"), np.array([[1 / 3.5]]),
                   metadata={"dt_s": DT_S})
    _, result = _run(graph, 41, 1)
    fired = np.flatnonzero(result.spikes["pop"][0, :, 0])
    assert fired.tolist() == list(range(4, 41, 4))  # input k arrives at step k + 1


def test_subtractive_reset_keeps_the_remainder_as_the_continuous_model():
    # v grows by 0.29 per input and loses 1 per spike: input k fires iff floor(0.29 k) > floor(0.29 (k - 1))
    graph = _chain(IF.create(1, v_threshold=1.0, reset_mode="subtract"), np.array([[0.29]]), metadata={"dt_s": DT_S})
    deployment, result = _run(graph, 60, 1)
    assert [g.reset for g in deployment.groups] == [ResetRule.SUBTRACT]
    fired = np.flatnonzero(result.spikes["pop"][0, :, 0])
    expected = [k for k in range(1, 60) if (29 * k) // 100 > (29 * (k - 1)) // 100]  # input k arrives at step k
    assert fired.tolist() == expected and len(expected) == 17
    assert any("custom microcode neuron" in note for note in deployment.report["notes"])
    to_zero = _run(_chain(IF.create(1, v_threshold=1.0, reset_mode="to_value"), np.array([[0.29]]),
                          metadata={"dt_s": DT_S}), 60, 1)[1]
    assert np.flatnonzero(to_zero.spikes["pop"][0, :, 0]).tolist() == list(range(4, 60, 4))  # remainder dropped


def test_v_reset_folds_into_shifted_coordinates_with_the_analytic_periods():
    # tau dv/dt = 2 - v: from v = 0 the first spike after tau ln 2 = 6.93 steps, then from v_reset = -0.5 every
    # tau ln(2.5 / 1) = 9.16 steps (dt = tau / 10); in v' = v - v_reset = v + 0.5: threshold 1.5, v_leak' 2.5, start 0.5
    graph = _chain(LIF.create(1, tau_mem_s=10e-3, v_leak=2.0, v_threshold=1.0, v_reset=-0.5, reset_mode="to_value"),
                   np.zeros((1, 1)), metadata={"dt_s": DT_S})
    deployment, result = _run(graph, 300, None)
    group = deployment.groups[0]
    assert group.reset is ResetRule.ZERO and group.v_init.tolist() == [round(0.5 * 64 * group.vth / 1.5)]
    assert result.v["pop"][0, 0, 0] > group.v_init[0]  # rises from v_init toward the shifted rest
    fired = np.flatnonzero(result.spikes["pop"][0, :, 0])
    intervals = np.diff(fired)
    assert abs(fired[0] - 10 * math.log(2)) <= 1.0
    # v resets at the step that crosses, so every period is the analytic one rounded up (v_reset = 0 gives 7)
    assert intervals.size > 20 and set(intervals.tolist()) == {math.ceil(10 * math.log(2.5))}
    assert deployment.report["populations"]["pop"]["v_reset_shifted"]


def test_reset_rule_and_v_init_survive_the_weights_npz_round_trip():
    nodes = {"in": Input((2,)), "a": Dense(np.ones((2, 2)) * 0.3), "p1": _cuba(2, reset_mode="subtract"),
             "b": Dense(np.ones((3, 2)) * 0.3), "p2": _cuba(3, v_reset=[-0.5, 0.0, 0.25]), "out": Output((3,))}
    edges = (("in", "a"), ("a", "p1"), ("p1", "b"), ("b", "p2"), ("p2", "out"))
    deployment = quantize(Graph(nodes=nodes, edges=edges, metadata={"dt_s": DT_S}))
    again = Deployment.from_arrays(deployment.to_arrays())
    assert [(g.reset, g.v_init is None) for g in again.groups] == [(ResetRule.SUBTRACT, True), (ResetRule.ZERO, False)]
    assert np.array_equal(again.group("p2").v_init, deployment.group("p2").v_init)
    assert again.group("p2").v_init[1] == 0 and again.group("p2").v_init[0] > 0 > again.group("p2").v_init[2]
    old = deployment.to_arrays()  # an artifact written before resets were stored: reset to 0 from v = 0
    structure = json.loads(str(old["structure"]))
    for group in structure["groups"]:
        del group["reset"], group["v_init"]
    legacy = Deployment.from_arrays({**old, "structure": np.array(json.dumps(structure))})
    assert all(g.reset is ResetRule.ZERO and g.v_init is None for g in legacy.groups)


def test_inputs_of_many_thresholds_per_spike_are_noted():
    # IF: one pulse of weight 500 lifts v by 500 thresholds; vth cannot go below 1, so the report says so
    strong = quantize(_chain(IF.create(1, v_threshold=1.0, reset_mode="to_value"), np.array([[500.0]]),
                             metadata={"dt_s": DT_S}))
    assert strong.groups[0].vth == 1 and any("500 thresholds" in note for note in strong.report["notes"])
    usual = quantize(_chain(IF.create(1, v_threshold=1.0, reset_mode="to_value"), np.array([[0.5]]),
                            metadata={"dt_s": DT_S}))
    assert not any("thresholds (weights" in note for note in usual.report["notes"])


def test_leak_drive_fires_with_the_analytic_period():
    # tau dv/dt = v_leak - v from 0 to threshold 1 with v_leak = 2: T = tau ln 2 = 6.93 steps
    graph = _chain(LIF.create(1, tau_mem_s=10e-3, v_leak=2.0, v_threshold=1.0, reset_mode="to_value"),
                   np.zeros((1, 1)), metadata={"dt_s": DT_S})
    _, result = _run(graph, 200, None)
    intervals = np.diff(np.flatnonzero(result.spikes["pop"][0, :, 0]))
    assert intervals.size > 20 and abs(intervals.mean() - 10 * math.log(2)) < 1.0


def test_dense_bias_reaches_the_continuous_steady_state():
    # I = w_in c, v -> r w_in c = 0.5 (below the threshold 1); sigma = 64 vth / v_threshold
    graph = _chain(_cuba(1, w_in=0.25, r=2.0), np.zeros((1, 1)), bias=np.array([1.0]), metadata={"dt_s": DT_S})
    deployment, result = _run(graph, 400, None)
    sigma = 64 * deployment.groups[0].vth / 1.0
    assert result.v["pop"][0, -1, 0] / sigma == pytest.approx(0.5, rel=0.02)
    assert any("steady state" in note for note in deployment.report["notes"])


@pytest.mark.parametrize("tau_syn_s", [0.0, 2e-3, 5e-3])
def test_membrane_follows_the_exact_reference(tau_syn_s):
    """Sub-threshold ``v`` of the integer network, divided by ``sigma``, tracks the exact continuous solution."""
    from snn_deploy.reference.simulator import membrane_traces
    from snn_deploy.spikes import SpikeEvents

    pop = _cuba(2, tau_syn_s=tau_syn_s, tau_mem_s=[10e-3, 20e-3], v_threshold=[1.0, 2.0], w_in=0.7, r=1.3)
    graph = _chain(pop, np.array([[2e-3, -1e-3], [3e-3, 1e-3]]), metadata={"dt_s": 2.5e-4})
    deployment = quantize(graph)
    assert deployment.report["notes"] == []  # one spike's input is resolved to < 1/16
    steps = 400
    rng = np.random.default_rng(5)
    raster = (rng.random((1, steps, 2)) < 0.08).astype(np.uint8)
    result = emulate(deployment, raster, record_state=True)
    assert not result.spikes["pop"].any()
    sigma = 64 * np.array([g.vth for g in sorted(deployment.groups, key=lambda g: g.indices[0])]) / [1.0, 2.0]
    emulated = result.v["pop"][0, 1:] / sigma  # step k + 1 holds the response to inputs up to step k
    times = np.arange(steps - 1) * deployment.dt_s
    exact = membrane_traces(graph, SpikeEvents.from_raster(raster, deployment.dt_s), times + deployment.dt_s / 2,
                            record=["pop"])["pop"].v[0]
    peak = np.abs(exact).max(axis=0)
    assert peak.min() > 0.5  # a sizeable fraction of the thresholds 1 and 2
    assert np.all(np.abs(emulated - exact).max(axis=0) < 0.05 * peak)


def test_small_inputs_per_spike_are_noted():
    pop = _cuba(1, v_threshold=100.0)
    report = quantize(_chain(pop, np.array([[1e-3]]), metadata={"dt_s": 2.5e-4})).report
    assert any("floors each step's sum" in note for note in report["notes"])


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_mixed_sign_projections_split_into_excitatory_and_inhibitory_dense(seed):
    """Each sign gets its own Dense with 255 levels: per entry the error is half a unit of that part's exponent."""
    rng = np.random.default_rng(seed)
    weight = rng.normal(0.0, 1.0, (4, 6)) * rng.uniform(1e-3, 1.0)
    weight[0, 0], weight[0, 1] = abs(weight[0, 0]), -abs(weight[0, 1])  # both signs present
    graph = _chain(_cuba(4), weight, metadata={"dt_s": DT_S})
    split = quantize(graph)
    exc, inh = split.synapses
    assert (exc.name, inh.name) == ("in->pop(exc)", "in->pop(inh)")
    assert LOIHI2.sign_mode(exc.weight) is SignMode.EXCITATORY and LOIHI2.sign_mode(inh.weight) is SignMode.INHIBITORY
    assert exc.weight.max() <= 255 and inh.weight.min() >= -255
    report = split.report["synapses"]
    assert report["in->pop(exc)"]["sign_split"] == "excitatory" and report["in->pop(inh)"]["sign_split"] == "inhibitory"
    assert report["in->pop(exc)"]["projection"] == report["in->pop(inh)"]["projection"] == "in->pop"

    single = quantize(graph, split_signs=False)
    (mixed,) = single.synapses
    assert LOIHI2.sign_mode(mixed.weight) is SignMode.MIXED
    assert single.report["synapses"]["in->pop"]["sign_split"] is None
    # the targets X = vth g w / v_threshold (module docstring: scaling, r = w_in = v_threshold = 1)
    group = split.groups[0]
    k_u, k_v = 1 - (group.du + 1) / 4096, 1 - group.dv / 4096
    target = group.vth * DT_S * (k_v - k_u) / math.log(k_v / k_u) / (10e-3 * 5e-3) * weight
    for part, sign in ((exc, weight > 0), (inh, weight < 0)):
        assert np.all(part.weight[~sign] == 0)
        assert np.all(np.abs(part.weight * 2.0**part.weight_exp - target)[sign] <= 2.0**part.weight_exp / 2 + 1e-9)
    assert np.all(np.abs(mixed.weight * 2.0**mixed.weight_exp - target) <= 2.0**mixed.weight_exp + 1e-9)
    # 255 levels per sign: each part's exponent is at most the mixed one (whose mantissas are even)
    assert exc.weight_exp <= mixed.weight_exp and inh.weight_exp <= mixed.weight_exp


def test_single_sign_projections_are_not_split():
    deployment = quantize(_chain(_cuba(2), -np.full((2, 3), 0.01), metadata={"dt_s": DT_S}))
    (synapse,) = deployment.synapses
    assert synapse.name == "in->pop" and deployment.report["synapses"]["in->pop"]["sign_split"] is None


@pytest.mark.parametrize("tau_syn_s", [0.0, 3e-3])
def test_impulse_response_equals_the_realised_continuous_kernel_at_the_grid_points(tau_syn_s):
    """One pulse: ``v_n / sigma = v(n dt)`` of the IR neuron with the realised leaks ``tau' = -dt / ln k``."""
    pop = _cuba(1, tau_syn_s=tau_syn_s, tau_mem_s=7e-3, v_threshold=50.0, r=1.5, w_in=0.8)
    deployment = quantize(_chain(pop, np.array([[0.1]]), metadata={"dt_s": 2.5e-4}))
    (group,) = deployment.groups
    raster = np.zeros((1, 60, 1), np.uint8)
    raster[0, 0, 0] = 1
    v = emulate(deployment, raster, record_state=True).v["pop"][0, 1:, 0] / (64 * group.vth / 50.0)
    t = np.arange(1, 60) * 2.5e-4
    tau_v = -2.5e-4 / math.log(1 - group.dv / 4096)
    if tau_syn_s:
        tau_u = -2.5e-4 / math.log(1 - (group.du + 1) / 4096)
        exact = 1.5 * 0.8 * 0.1 / (7e-3 * tau_syn_s) * (np.exp(-t / tau_v) - np.exp(-t / tau_u)) / (
            1 / tau_u - 1 / tau_v)
    else:
        exact = 1.5 * 0.8 * 0.1 / 7e-3 * np.exp(-t / tau_v)
    assert np.abs(v - exact).max() < 5e-3 * exact.max()  # weight rounding (~0.3 %) and truncation only
