"""The ``CoupledLIF`` process emitted in ``network.py`` == the emulator, every spike, step, ``u`` and ``v``, in Lava.

Hypothesis draws 32 networks input -> Dense -> CoupledLIF (-> Dense -> CubaLIF), with optional recurrent
Dense on the coupled population, random coupling scales (some strong enough to clip ``v``), reset to 0 or
by subtraction, delta and current synapses, leaks, Dense biases and mixed-sign weights, compiled by the
Loihi 2 quantizer. Three integer deployments add: a coupled process with ``M = 0`` next to the same neurons
as Lava's own LIF or SubtractLIF (both must agree with each other), and coupling terms that saturate at 24
bits. All run in ONE Lava process.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import strategies as st

from snn_deploy.backends.lava.artifact import write_artifact
from snn_deploy.backends.lava.engine import run_many
from snn_deploy.emulate.loihi2 import emulate
from snn_deploy.ir import CoupledLIF, CubaLIF, Dense, Graph, Input, Output
from snn_deploy.quantize.loihi2.quantizer import quantize
from snn_deploy.quantize.loihi2.spec import ResetRule
from tests.backends.test_lava_bitexact import _collect, assert_same_records
from tests.quantize.test_loihi2_coupling import saturating_deployment

STEPS = 40


@st.composite
def coupled_graphs(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    units, n, n_out = draw(st.integers(1, 5)), draw(st.integers(2, 7)), draw(st.integers(1, 4))
    dt_s = draw(st.sampled_from([5e-4, 1e-3]))
    coupling = rng.normal(0.0, draw(st.sampled_from([20.0, 80.0, 300.0])), (n, n))
    np.fill_diagonal(coupling, 0.0)
    tau_syn = draw(st.sampled_from([0.0, 2e-3, 5e-3]))
    threshold = rng.uniform(0.5, 2.0, n)
    v_leak = rng.uniform(-0.5, 1.5, n) * threshold if draw(st.booleans()) else np.zeros(n)
    pop = CoupledLIF.create(n, tau_syn_s=tau_syn, tau_mem_s=rng.uniform(5e-3, 30e-3, n), v_threshold=threshold,
                            v_leak=v_leak, coupling=coupling,
                            reset_mode=draw(st.sampled_from(["to_value", "subtract"])))
    charge = threshold * (0.03 if tau_syn else 0.006)
    bias = rng.normal(0, 20, n) if draw(st.booleans()) else None
    nodes = {"in": Input((units,)), "fc": Dense(rng.normal(0.3, 1.0, (n, units)) * charge[:, None], bias=bias),
             "pop": pop, "out": Output((n,))}
    edges = [("in", "fc"), ("fc", "pop"), ("pop", "out")]
    if draw(st.booleans()):
        nodes["rec"] = Dense(rng.normal(0.0, 1.0, (n, n)) * charge[:, None])
        edges += [("pop", "rec"), ("rec", "pop")]
    if draw(st.booleans()):
        nodes["fc2"] = Dense(rng.normal(0.3, 1.0, (n_out, n)) * 0.01)
        nodes["p2"] = CubaLIF.create(n_out, tau_syn_s=5e-3, tau_mem_s=10e-3, v_threshold=1.0, reset_mode="to_value")
        nodes["out2"] = Output((n_out,))
        edges += [("pop", "fc2"), ("fc2", "p2"), ("p2", "out2")]
    return Graph(nodes=nodes, edges=tuple(edges), metadata={"dt_s": dt_s}), rng


@pytest.mark.lava
@pytest.mark.xdist_group("lava")
def test_coupled_process_in_lava_equals_emulator(tmp_path):
    cases = _collect(tmp_path, coupled_graphs(), 32, lambda example: (quantize(example[0]), example[1]))
    assert all(any(g.coupling is not None for g in d.groups) for _, d, _ in cases)
    subtracting = [d for _, d, _ in cases if any(g.coupling is not None and g.reset is ResetRule.SUBTRACT
                                                 for g in d.groups)]
    assert len(subtracting) >= 5
    rng = np.random.default_rng(0)
    coupled = cases[0][1]
    (group,) = [g for g in coupled.groups if g.coupling is not None]
    plain = replace(coupled, groups=tuple(replace(g, coupling=None, coupling_shift=0) if g is group else g
                                          for g in coupled.groups))
    zero = replace(coupled, groups=tuple(replace(g, coupling=np.zeros_like(g.coupling)) if g is group else g
                                         for g in coupled.groups))
    raster = (rng.random((2, STEPS, coupled.input_units)) < 0.4).astype(np.uint8)
    for name, deployment, spikes in (("plain", plain, raster), ("zero", zero, raster),
                                     ("saturating", saturating_deployment(), np.ones((2, STEPS, 1), np.uint8))):
        write_artifact(deployment, tmp_path / name)
        cases.append((tmp_path / name, deployment, spikes))

    results = run_many([(directory, spikes, list(d.populations)) for directory, d, spikes in cases],
                       record_state=True)
    saturated = clipped = fired = 0
    for (directory, deployment, spikes), lava in zip(cases, results):
        emulated = emulate(deployment, spikes, record_state=True)
        saturated += sum(emulated.coupling_saturations.values())
        clipped += sum(emulated.v_clips.values())
        fired += int(emulated.spikes[group.population].sum()) if directory.name.startswith("net") else 0
        assert_same_records(directory.name, deployment, emulated, lava)
    plain_run, zero_run = results[-3], results[-2]
    for key in plain_run:  # Lava's LIF and the coupled process with M = 0: the same integers
        assert np.array_equal(plain_run[key], zero_run[key]), key
    assert saturated > 0 and clipped > 0 and fired > 100
