"""Emulator == Lava 0.10 fixed_pt, every spike, step, ``u`` and ``v``, through the real subprocess engine.

Hypothesis generates the networks: 50 IR graphs compiled by the Loihi 2 quantizer (dense chains,
skip-layer, recurrent, mixed-sign weights (deployed as an excitatory + an inhibitory Dense into one
LIF, summed by Lava's port) and single-sign weights, heterogeneous time constants that split populations
into several LIF processes, per-neuron thresholds, leaks, Dense biases, synaptic delays, non-zero
``v_reset`` folded into shifted coordinates), 15 more that reset by subtraction (snn-deploy's SubtractLIF
process; driven so that every population spikes, and some neuron fires in consecutive steps), and 15 integer
deployments built directly with values at the wrap/clip limits (either reset rule, random ``v_init``), plus
two that surely wrap ``u`` / clip ``v``. All artifacts run in ONE Lava process (``network.py --jobs``), since
Lava's start-up costs seconds.

Spike-count guard: a drawn case in which some population never spikes on its input (as the emulator runs it) is
rejected and redrawn, so every random comparison covers spikes in every population (about 40 % of the graphs
and 75 % of the integer networks are redrawn; the emulator that decides is the one Lava is then compared with).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, reject, settings
from hypothesis import strategies as st

from snn_deploy.backends.lava.artifact import write_artifact
from snn_deploy.backends.lava.engine import run_many
from snn_deploy.emulate.loihi2 import emulate
from snn_deploy.ir import IF, LIF, CubaLIF, Dense, Graph, Input, Output
from snn_deploy.quantize.loihi2.quantizer import quantize
from snn_deploy.quantize.loihi2.spec import ResetRule
from tests.emulate.test_loihi2_emulator import _single_neuron, deployments

DT_S = 1e-3
STEPS = 30


def _population(draw, rng, size: int, subtract: bool):
    """A population; ``subtract``: reset by subtraction with a leak drive above threshold (it surely spikes)."""
    kind = draw(st.sampled_from(["CubaLIF", "CubaLIF", "LIF", "IF"]))
    threshold = rng.uniform(0.5, 2.0, size) if draw(st.booleans()) else np.full(size, rng.uniform(0.5, 2.0))
    heterogeneous = draw(st.booleans())
    tau_mem = rng.choice([4e-3, 10e-3, 30e-3], size) if heterogeneous else np.full(size, 10e-3)
    if subtract:
        v_leak = rng.uniform(2.0, 4.0, size) * threshold
        common = dict(v_threshold=threshold, reset_mode="subtract", v_reset=0.0)
    else:
        v_leak = rng.uniform(-0.5, 1.5, size) * threshold if draw(st.booleans()) else np.zeros(size)
        v_reset = rng.uniform(-0.8, 0.8, size) * threshold if draw(st.booleans()) else np.zeros(size)
        common = dict(v_threshold=threshold, reset_mode="to_value", v_reset=v_reset)
    if kind == "IF":
        return IF.create(size, **common), np.ones(size) * 0.4
    if kind == "LIF":
        return LIF.create(size, tau_mem_s=tau_mem, v_leak=v_leak, **common), tau_mem * 0.6
    tau_syn = rng.choice([0.0, 2e-3, 5e-3], size) if heterogeneous else np.full(size, 5e-3)
    return CubaLIF.create(size, tau_syn_s=tau_syn, tau_mem_s=tau_mem, v_leak=v_leak, **common), tau_mem * 0.6


def _dense(draw, rng, n_out: int, n_in: int, charge: np.ndarray, delays: bool, subtract: bool = False) -> Dense:
    """Weights whose pulses carry ~0.6 of a threshold (``charge`` per target neuron), in a random sign mode
    (``subtract``: excitatory, several thresholds per pulse, so a neuron fires in consecutive steps; no
    negative bias)."""
    weight = rng.normal(0.3, 1.0, (n_out, n_in)) * charge[:, None] * (4 if subtract else 1)
    sign = draw(st.sampled_from(["excitatory"] if subtract else ["mixed", "mixed", "excitatory", "inhibitory"]))
    if sign != "mixed":
        weight = np.abs(weight) * (1 if sign == "excitatory" else -1)
    bias = rng.normal(0, 20, n_out) if draw(st.booleans()) else None
    if subtract and bias is not None:
        bias = np.abs(bias)
    delay_s = rng.integers(0, 3, (n_out, n_in)) * DT_S if delays else None
    return Dense(weight, bias=bias, delay_s=delay_s)


@st.composite
def graphs(draw, subtract: bool = False):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    topology = draw(st.sampled_from(["chain", "skip", "recurrent", "skip+recurrent"]))
    delays = draw(st.booleans())
    units, n1, n2 = draw(st.integers(1, 6)), draw(st.integers(1, 6)), draw(st.integers(1, 5))
    (p1, c1), (p2, c2) = _population(draw, rng, n1, subtract), _population(draw, rng, n2, subtract)
    nodes = {"in": Input((units,)), "fc1": _dense(draw, rng, n1, units, c1 * p1.v_threshold, delays, subtract),
             "p1": p1, "fc2": _dense(draw, rng, n2, n1, c2 * p2.v_threshold, delays, subtract), "p2": p2,
             "out": Output((n2,))}
    edges = [("in", "fc1"), ("fc1", "p1"), ("p1", "fc2"), ("fc2", "p2"), ("p2", "out")]
    if "skip" in topology:
        nodes["skip"] = _dense(draw, rng, n2, units, c2 * p2.v_threshold, delays, subtract)
        edges += [("in", "skip"), ("skip", "p2")]
    if "recurrent" in topology:
        on_first = draw(st.booleans())
        target, size, charge = ("p1", n1, c1 * p1.v_threshold) if on_first else ("p2", n2, c2 * p2.v_threshold)
        nodes["rec"] = _dense(draw, rng, size, size, charge, False, subtract)
        edges += [(target, "rec"), ("rec", target)]
    metadata = {"dt_s": DT_S} if subtract or delays or draw(st.booleans()) else {}  # subtract: spikes in 30 steps
    return Graph(nodes=nodes, edges=tuple(edges), metadata=metadata), rng


def _collect(tmp_path: Path, strategy, count: int, make) -> list:
    """Draw ``count`` examples with hypothesis in which every population spikes (module docstring), compile
    each into its own artifact directory."""
    cases: list = []

    @settings(max_examples=count, deadline=None, phases=[Phase.generate], database=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def draw(example):
        deployment, rng = make(example)
        raster = (rng.random((2, STEPS, deployment.input_units)) < 0.35).astype(np.uint8)
        if not all(train.any() for train in emulate(deployment, raster).spikes.values()):
            reject()
        directory = tmp_path / f"net{len(cases)}"
        write_artifact(deployment, directory)
        cases.append((directory, deployment, raster))

    draw()
    return cases


def assert_same_records(name: str, deployment, emulated, lava: dict) -> None:
    """Spikes, ``u`` and ``v`` of every population equal; else fail naming the first difference."""
    for pop in deployment.populations:
        for what, mine in (("spikes", emulated.spikes), ("u", emulated.u), ("v", emulated.v)):
            theirs = lava[f"{pop}/{what}"]
            if not np.array_equal(mine[pop], theirs):
                b, t, i = np.argwhere(mine[pop] != theirs)[0]
                pytest.fail(f"{name} {pop}/{what}: first difference at sample {b}, step {t}, "
                            f"unit {i}: emulator {mine[pop][b, t, i]}, Lava {theirs[b, t, i]}")


@pytest.mark.lava
@pytest.mark.xdist_group("lava")
def test_emulator_equals_lava_on_random_networks(tmp_path):
    cases = _collect(tmp_path, graphs(), 50, lambda example: (quantize(example[0]), example[1]))
    subtract = _collect(tmp_path / "sub", graphs(subtract=True), 15, lambda example: (quantize(example[0]), example[1]))
    integer = _collect(tmp_path / "int", deployments(), 15, lambda example: example)
    assert (len(cases), len(subtract), len(integer)) == (50, 15, 15)  # no draw ran out of spiking cases
    cases += subtract + integer
    for k, (weight, du, dv) in enumerate([(255, 0, 4095), (-255, 4095, 0)]):  # u surely wraps, v surely clips
        limit = _single_neuron(weight=weight, weight_exp=7, du=du, dv=dv, vth=131071)
        write_artifact(limit, tmp_path / f"limit{k}")
        cases.append((tmp_path / f"limit{k}", limit, np.ones((2, STEPS, 1), np.uint8)))
    split = sum(len(d.groups) > len(d.populations) for _, d, _ in cases)
    delayed = sum(any(s.delay is not None for s in d.synapses) for _, d, _ in cases)
    sign_split = sum(any(s.name.endswith("(inh)") for s in d.synapses) for _, d, _ in cases)
    assert split >= 5 and delayed >= 5 and sign_split >= 10, (split, delayed, sign_split)  # the generator covers these
    shifted = sum(any(g.v_init is not None for g in d.groups) for _, d, _ in cases)
    subtracting = sum(any(g.reset is ResetRule.SUBTRACT for g in d.groups) for _, d, _ in cases)
    assert shifted >= 10 and subtracting >= 20, (shifted, subtracting)

    results = run_many([(directory, raster, list(d.populations)) for directory, d, raster in cases],
                       record_state=True)
    overflow = bursts = 0
    subtracting_dirs = {directory for directory, _, _ in subtract}
    for (directory, deployment, raster), lava in zip(cases, results):
        emulated = emulate(deployment, raster, record_state=True)
        overflow += sum(emulated.u_wraps.values()) + sum(emulated.v_clips.values())
        assert_same_records(directory.name, deployment, emulated, lava)
        if directory in subtracting_dirs:  # spike-count guard: every subtracting population spiked
            for pop, train in emulated.spikes.items():
                assert train.sum() > 0, f"{directory.name}: population {pop} never spiked"
                bursts += int(np.count_nonzero(train[:, 1:] & train[:, :-1]))
    assert overflow > 0  # the limit cases did wrap u / clip v, and Lava agreed
    assert bursts > 0  # some subtracting neuron fired in consecutive steps
