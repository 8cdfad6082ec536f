"""Loihi 2 emulator vs a plain scalar re-statement of Lava 0.10's fixed_pt models, and its bookkeeping.

The reference below is written from lava/proc/lif/models.py (AbstractPyLifModelFixed.subthr_dynamics,
PyLifModelBitAcc) and lava/proc/dense/models.py (AbstractPyDenseModelBitAcc, PyDelayDenseModelBitAcc) with
Python integers, one neuron and one synapse at a time: slow, obviously literal, and independent of the
vectorized emulator (it reads no constant from spec.py). Groups that reset by subtraction (snn-deploy's
SubtractLIF process, spec.py) follow the same rules except ``v <- v - (vth << 6)`` on a spike; groups with a
``v_init`` start every sample from it.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from snn_deploy.emulate.loihi2 import emulate
from snn_deploy.errors import UnsupportedError
from snn_deploy.quantize.loihi2.deployment import Deployment, LifGroup, Synapse
from snn_deploy.quantize.loihi2.spec import Loihi2Spec


def _int32(x: int) -> int:
    return (x + 2**31) % 2**32 - 2**31


def _trunc_decay(x: int, keep: int) -> int:
    product = x * keep
    return (1 if product > 0 else -1 if product < 0 else 0) * (abs(product) >> 12)


def _lava_weights(w: np.ndarray, num_weight_bits: int) -> list[list[int]]:
    """clip_weights(num_bits=8) then truncate_weights, as lava/utils/weightutils.py."""
    w = [[int(x) for x in row] for row in w]
    flat = [x for row in w for x in row]
    mode = "exc" if min(flat) >= 0 else "inh" if max(flat) <= 0 else "mixed"
    n = 8 - num_weight_bits + (mode == "mixed")
    out = []
    for row in w:
        new = []
        for x in row:
            if mode == "inh":
                x = -x
            x = min(max(x, -256 if mode == "mixed" else 0), 255)
            x = (x >> n) << n
            new.append(-x if mode == "inh" else x)
        out.append(new)
    return out


def reference(dep: Deployment, spikes: np.ndarray):
    """Per group: spikes, u, v for one sample ``spikes [steps, units]``."""
    steps = spikes.shape[0]
    u = {g.name: [0] * g.size for g in dep.groups}
    v = {g.name: [0] * g.size if g.v_init is None else [int(x) for x in g.v_init] for g in dep.groups}
    weights = {s.name: _lava_weights(s.weight, s.num_weight_bits) for s in dep.synapses}
    pending: dict[tuple[str, int], list[int]] = {}  # (target group, arrival step) -> a_in
    out = {g.name: (np.zeros((steps, g.size), np.uint8), np.zeros((steps, g.size), np.int64),
                    np.zeros((steps, g.size), np.int64)) for g in dep.groups}
    for t in range(steps):
        fired = {dep.input_name: [int(x > 0) for x in spikes[t]]}
        for g in dep.groups:
            a_in = pending.pop((g.name, t), [0] * g.size)
            if g.reset_interval and (t + 1) % g.reset_interval == g.reset_offset:
                u[g.name] = [0] * g.size
                v[g.name] = [0] * g.size
            spk = []
            for i in range(g.size):
                cur = _int32(_trunc_decay(u[g.name][i], 4096 - (g.du + 1)) + _int32(_int32(a_in[i]) << 6))
                if cur > 2**23:
                    cur -= 2**24
                elif cur <= -(2**23):
                    cur += 2**24
                b, e = int(g.bias_mant[i]), int(g.bias_exp[i])
                bias = b << e if e >= 0 else b >> -e
                volt = _int32(_trunc_decay(v[g.name][i], 4096 - g.dv) + cur + bias)
                volt = min(max(volt, -(2**23) + 1), 2**23 - 1)
                s = volt > (g.vth << 6)
                if s:
                    volt = volt - (g.vth << 6) if g.reset.value == "subtract" else 0
                u[g.name][i], v[g.name][i] = cur, volt
                spk.append(int(s))
                out[g.name][0][t, i], out[g.name][1][t, i], out[g.name][2][t, i] = s, cur, volt
            fired[g.name] = spk
        for s in dep.synapses:
            w, x = weights[s.name], fired[s.source]
            delay = s.delay if s.delay is not None else np.zeros(s.weight.shape, np.int64)
            for d in sorted(set(int(k) for k in delay.reshape(-1))):
                acc = [sum(w[i][j] for j in range(len(x)) if x[j] and delay[i, j] == d) for i in range(len(w))]
                shifted = [a << s.weight_exp if s.weight_exp > 0 else a >> -s.weight_exp for a in acc]
                slot = pending.setdefault((s.target, t + 1 + d), [0] * len(w))
                for i, a in enumerate(shifted):
                    slot[i] += a
    return out


@st.composite
def deployments(draw):
    """Random integer networks: 1-3 groups, dense/skip/recurrent/parallel synapses, values near every limit."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    units = draw(st.integers(1, 5))
    n_groups = draw(st.integers(1, 3))
    groups = []
    for k in range(n_groups):
        n = draw(st.integers(1, 4))
        groups.append(LifGroup(
            name=f"g{k}", population=f"g{k}", indices=np.arange(n),
            # -1, 4096 and 2**17: netx's default neuron, one past the fields, which Lava computes as intended
            du=draw(st.sampled_from([-1, 0, 1, 4094, 4095, int(rng.integers(0, 4096))])),
            dv=draw(st.sampled_from([0, 1, 4095, 4096, int(rng.integers(0, 4096))])),
            vth=draw(st.sampled_from([0, 1, 131071, 131072, int(rng.integers(0, 131072))])),
            bias_mant=rng.integers(-4096, 4096, n) * draw(st.sampled_from([0, 1])),
            bias_exp=rng.integers(0, 8, n),
            reset_interval=draw(st.sampled_from([0, 0, 5])), reset_offset=int(rng.integers(0, 5)),
            reset=draw(st.sampled_from(["zero", "subtract"])),
            v_init=draw(st.sampled_from([None, rng.integers(-(2**23) + 1, 2**23, n), rng.integers(-5000, 5000, n)])),
        ))
    names = ["in", *(g.name for g in groups)]
    synapses = []
    for k, target in enumerate(groups):
        # repeated sources make parallel Dense processes into one target (the quantizer's sign split)
        sources = [names[k]] + [names[int(i)] for i in rng.integers(0, len(names), draw(st.integers(0, 2)))]
        for n_syn, source in enumerate(sorted(sources)):
            n_in = units if source == "in" else next(g.size for g in groups if g.name == source)
            sign = draw(st.sampled_from(["mixed", "exc", "inh"]))
            low, high = {"mixed": (-300, 300), "exc": (0, 300), "inh": (-300, 0)}[sign]
            weight = rng.integers(low, high + 1, (target.size, n_in))
            delay = rng.integers(0, 4, weight.shape) if draw(st.booleans()) else None
            synapses.append(Synapse(name=f"{source}->{target.name}/{n_syn}", source=source, target=target.name,
                                    weight=weight, weight_exp=draw(st.integers(-8, 7)),
                                    num_weight_bits=draw(st.sampled_from([8, 8, 6, 3])), delay=delay))
    return Deployment(dt_s=1e-3, input_name="in", input_units=units, groups=tuple(groups),
                      synapses=tuple(synapses), populations={g.name: g.size for g in groups}, outputs={},
                      latency_steps={g.name: 1 for g in groups}), rng


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(deployments())
def test_emulator_matches_scalar_lava_rules(case):
    deployment, rng = case
    spikes = (rng.random((2, 25, deployment.input_units)) < 0.4).astype(np.uint8) * rng.integers(1, 3, (2, 25, 1))
    result = emulate(deployment, spikes, record_state=True)
    by_sample = [reference(deployment, spikes[b]) for b in range(2)]
    # spike-count guard: a draw in which some group never spikes is redrawn (the scalar rules decide)
    assume(all(any(np.any(e[g.name][0]) for e in by_sample) for g in deployment.groups))
    for b, expected in enumerate(by_sample):
        for g in deployment.groups:
            assert np.array_equal(result.spikes[g.population][b], expected[g.name][0]), g.name
            assert np.array_equal(result.u[g.population][b], expected[g.name][1]), g.name
            assert np.array_equal(result.v[g.population][b], expected[g.name][2]), g.name


def _single_neuron(weight: int, weight_exp: int, du: int, dv: int, vth: int) -> Deployment:
    group = LifGroup(name="n", population="n", indices=[0], du=du, dv=dv, vth=vth, bias_mant=[0], bias_exp=[0])
    synapse = Synapse(name="in->n", source="in", target="n", weight=[[weight]], weight_exp=weight_exp)
    return Deployment(dt_s=1e-3, input_name="in", input_units=1, groups=(group,), synapses=(synapse,),
                      populations={"n": 1}, outputs={}, latency_steps={"n": 1})


def test_u_wraps_once_and_is_counted():
    # du = 0: u keeps 4095/4096 per step, and every step adds 255 << 7 << 6 until it passes 2**23
    dep = _single_neuron(weight=255, weight_exp=7, du=0, dv=4095, vth=131071)
    steps = 300
    spikes = np.ones((1, steps, 1), np.uint8)
    result = emulate(dep, spikes, record_state=True)
    u = result.u["n"][0, :, 0]
    jump = (255 << 7) << 6  # what one input adds to u
    pre = np.concatenate([[0], u[:-1]])
    pre = np.sign(pre * 4095) * (np.abs(pre * 4095) >> 12) + np.where(np.arange(steps) >= 1, jump, 0)
    wrapped = pre > 2**23
    assert wrapped.any()
    assert np.array_equal(u, np.where(wrapped, pre - 2**24, pre))
    assert result.u_wraps["n"] == int(np.count_nonzero(wrapped))


def test_v_clips_are_counted_and_batches_are_independent():
    dep = _single_neuron(weight=-255, weight_exp=7, du=4095, dv=0, vth=10)
    rng = np.random.default_rng(1)
    spikes = (rng.random((3, 40, 1)) < 0.6).astype(np.uint8)
    together = emulate(dep, spikes, record_state=True)
    v = together.v["n"]
    assert v.min() == -(2**23 - 1)
    assert together.v_clips["n"] > 0
    for b in range(3):
        alone = emulate(dep, spikes[b:b + 1], record_state=True)
        assert np.array_equal(alone.v["n"][0], v[b]) and np.array_equal(alone.spikes["n"][0], together.spikes["n"][b])
    assert sum(emulate(dep, spikes[b:b + 1]).v_clips["n"] for b in range(3)) == together.v_clips["n"]


def _sparse_recurrent() -> Deployment:
    """Input -> 130 neurons -> themselves, both weight matrices above 2^14 entries with ~5 % non-zeros and delays."""
    rng = np.random.default_rng(7)
    n, units = 130, 140
    group = LifGroup(name="g", population="g", indices=np.arange(n), du=300, dv=200, vth=40, bias_mant=np.zeros(n),
                     bias_exp=np.zeros(n))
    synapses = []
    for source, n_in, exp in (("in", units, 1), ("g", n, -2)):
        weight = rng.integers(-255, 256, (n, n_in)) * (rng.random((n, n_in)) < 0.05)
        synapses.append(Synapse(name=f"{source}->g", source=source, target="g", weight=weight, weight_exp=exp,
                                delay=rng.integers(0, 3, (n, n_in))))
    return Deployment(dt_s=1e-3, input_name="in", input_units=units, groups=(group,), synapses=tuple(synapses),
                      populations={"g": n}, outputs={}, latency_steps={"g": 1})


def test_sparse_weights_match_scalar_lava_rules():
    """Weights with few non-zeros (as unrolled convolutions) take the compressed-row path; same rules."""
    deployment = _sparse_recurrent()
    assert len(deployment.synapses[0].weight.reshape(-1)) >= 2**14
    spikes = (np.random.default_rng(8).random((2, 20, deployment.input_units)) < 0.3).astype(np.uint8)
    result = emulate(deployment, spikes, record_state=True)
    assert result.spikes["g"].any()
    for b in range(2):
        expected = reference(deployment, spikes[b])["g"]
        for ours, theirs in zip((result.spikes, result.u, result.v), expected):
            assert np.array_equal(ours["g"][b], theirs)


def test_wide_mantissas_match_the_equivalent_8_bit_network():
    """Mantissas of 24 bits need int32 storage and (2^24 x 200 inputs > 2^31) int64 sums: ``W 2^16`` shifted by
    ``-10`` is exactly ``W`` shifted by ``6``, so the run must equal the 8-bit one (checked above against Lava's
    rules)."""
    rng = np.random.default_rng(3)
    n, units = 5, 200
    group = LifGroup(name="g", population="g", indices=np.arange(n), du=100, dv=100, vth=2**16, bias_mant=np.zeros(n),
                     bias_exp=np.zeros(n))
    weight = rng.integers(0, 256, (n, units))  # one sign: no mantissa bit is truncated in either width

    def network(mantissas: np.ndarray, weight_exp: int, num_weight_bits: int) -> Deployment:
        synapse = Synapse(name="in->g", source="in", target="g", weight=mantissas, weight_exp=weight_exp,
                          num_weight_bits=num_weight_bits)
        return Deployment(dt_s=1e-3, input_name="in", input_units=units, groups=(group,), synapses=(synapse,),
                          populations={"g": n}, outputs={}, latency_steps={"g": 1},
                          spec=Loihi2Spec(weight_bits=num_weight_bits))

    spikes = (rng.random((3, 30, units)) < 0.5).astype(np.uint8)
    narrow = emulate(network(weight, 6, 8), spikes, record_state=True)
    wide = emulate(network(weight << 16, -10, 24), spikes, record_state=True)
    assert narrow.spikes["g"].any() and narrow.u_wraps["g"] > 0
    for ours, theirs in ((wide.spikes, narrow.spikes), (wide.u, narrow.u), (wide.v, narrow.v)):
        assert np.array_equal(ours["g"], theirs["g"])
    assert (wide.u_wraps, wide.v_clips) == (narrow.u_wraps, narrow.v_clips)


def test_a_spec_other_than_the_deployments_is_refused():
    """The deployment's integers were made for its spec: emulating it under another one is an error naming the
    fields that differ; the deployment's own spec (given or not) runs."""
    dep = _single_neuron(weight=100, weight_exp=0, du=0, dv=0, vth=10)
    spikes = np.ones((1, 5, 1), np.uint8)
    assert np.array_equal(emulate(dep, spikes, spec=dep.spec).spikes["n"], emulate(dep, spikes).spikes["n"])
    with pytest.raises(UnsupportedError, match=r"another Loihi 2 spec .*\(weight_bits 8 vs 24\)"):
        emulate(dep, spikes, spec=Loihi2Spec(weight_bits=24))


def test_subtract_reset_fires_once_per_step_and_keeps_the_remainder():
    """One pulse of ``255 << 7`` lifts ``v`` ~5 thresholds at once (no decay): it fires in that step and the next
    four, each time ``v -= vth << 6``, then rests at the remainder; a reset-to-0 neuron fires once."""
    dep = _single_neuron(weight=255, weight_exp=7, du=4095, dv=0, vth=6000)
    group = dep.groups[0]
    subtract = Deployment(**{**dep.__dict__, "groups": (LifGroup(**{**group.__dict__, "reset": "subtract"}),)})
    spikes = np.zeros((1, 12, 1), np.uint8)
    spikes[0, 2, 0] = 1
    jump = (255 << 7) << 6  # u after the pulse, one step after it was sent; u lasts one step (du = 4095)
    for dep_, fired in ((dep, 1), (subtract, jump // (6000 << 6))):
        result = emulate(dep_, spikes, record_state=True)
        train = result.spikes["n"][0, :, 0]
        assert np.flatnonzero(train).tolist() == list(range(3, 3 + fired))
        remainder = jump - fired * (6000 << 6) if fired > 1 else 0
        assert result.v["n"][0, -1, 0] == remainder
    assert fired == 5 and 0 < remainder <= 6000 << 6


def test_v_init_is_where_every_sample_starts():
    dep = _single_neuron(weight=0, weight_exp=0, du=0, dv=2048, vth=10)
    group = LifGroup(**{**dep.groups[0].__dict__, "v_init": [-40000]})
    start = Deployment(**{**dep.__dict__, "groups": (group,)})
    result = emulate(start, np.zeros((2, 3, 1), np.uint8), record_state=True)
    for b in range(2):  # v halves each step (dv = 2048), toward zero, from -40000 in both samples
        assert result.v["n"][b, :, 0].tolist() == [-20000, -10000, -5000]
