"""Loihi 2: each neuron group (one Lava process per distinct decay pair) gets its own ``vth``.

A population with ``tau_mem`` from 10 to 40 ms and thresholds 1 to 2 has weight targets ``gain / theta``
some 8x apart; one ``vth`` for the whole population left its slow neurons a few units of input per spike,
which Lava floors per step (a systematic lag). Per group, every group uses the full weight range and every
group's membrane tracks the exact continuous solution.
"""
from __future__ import annotations

import numpy as np

from snn_deploy.emulate.loihi2 import emulate
from snn_deploy.ir import CubaLIF, Dense, Graph, Input, Output
from snn_deploy.quantize.loihi2.quantizer import quantize
from snn_deploy.reference.simulator import membrane_traces
from snn_deploy.spikes import SpikeEvents

DT_S = 2.5e-4
THRESHOLDS = np.array([1.0, 1.0, 2.0, 2.0])


def _graph() -> Graph:
    pop = CubaLIF.create(4, tau_syn_s=5e-3, tau_mem_s=[10e-3, 10e-3, 40e-3, 40e-3], v_threshold=THRESHOLDS,
                         reset_mode="to_value", v_leak=[-0.2, -0.1, 0.5, -1.0])
    weight = 0.4 * np.array([[0.02, -0.01], [0.015, 0.01], [0.02, -0.01], [0.015, 0.01]])
    return Graph({"in": Input((2,)), "fc": Dense(weight), "pop": pop, "out": Output((4,))},
                 (("in", "fc"), ("fc", "pop"), ("pop", "out")), {"dt_s": DT_S})


def test_every_group_uses_the_full_weight_range() -> None:
    deployment = quantize(_graph())
    assert len(deployment.groups) == 2
    assert len({g.vth for g in deployment.groups}) == 2
    for group in deployment.groups:
        largest = max(int(np.abs(s.weight).max()) << max(s.weight_exp, 0)
                      for s in deployment.synapses if s.target == group.name)
        assert largest >= 127, group.name  # at least half of the 8-bit range
    assert not any("floors each step's sum" in note for note in deployment.report["notes"])
    info = deployment.report["populations"]["pop"]
    assert info["vth"] == "per group" and [g["vth"] for g in info["groups"]] == [g.vth for g in deployment.groups]


def test_every_group_tracks_the_exact_membrane() -> None:
    """Sub-threshold ``v / sigma`` (``sigma = 64 vth / theta`` per group) against the exact reference."""
    graph = _graph()
    deployment = quantize(graph)
    steps = 2000
    raster = (np.random.default_rng(3).random((1, steps, 2)) < 0.004).astype(np.uint8)
    result = emulate(deployment, raster, record_state=True)
    assert not result.spikes["pop"].any()
    vth = np.zeros(4)
    for group in deployment.groups:
        vth[group.indices] = group.vth
    emulated = result.v["pop"][0, 1:] / (64 * vth / THRESHOLDS)  # step k + 1 is v((k + 1) dt) (quantizer docstring)
    times = np.arange(1, steps) * DT_S
    exact = membrane_traces(graph, SpikeEvents.from_raster(raster, DT_S), times, record=["pop"])["pop"].v[0]
    peak = np.abs(exact).max(axis=0)
    assert np.all(peak > 0.2 * THRESHOLDS)
    assert np.all(np.abs(emulated - exact).max(axis=0) < 0.02 * peak)
