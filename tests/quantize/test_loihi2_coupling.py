"""CoupledLIF on Loihi 2: the quantized coupling, its update matrices, and sub-threshold agreement with the exact
reference; the coupled process with zero coupling is Lava's LIF; saturated coupling terms are counted."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy.linalg import expm

from snn_deploy.check.dynamics import compare_spectra
from snn_deploy.emulate.loihi2 import emulate
from snn_deploy.errors import UnsupportedError
from snn_deploy.ir import CoupledLIF, Dense, Graph, Input, Output
from snn_deploy.quantize.loihi2.deployment import Deployment, LifGroup, Synapse
from snn_deploy.quantize.loihi2.quantizer import quantize
from snn_deploy.quantize.loihi2.spec import LOIHI2
from snn_deploy.reference.simulator import membrane_traces
from snn_deploy.spikes import SpikeEvents

DT_S = 5e-4


def coupled_graph(rng: np.random.Generator, n: int, *, coupling_per_s: float, tau_syn_s: float = 5e-3,
                  threshold: float | np.ndarray = 1.0, v_leak: float | np.ndarray = 0.0, units: int = 3,
                  input_scale: float = 0.02, dt_s: float = DT_S) -> Graph:
    """Input -> Dense -> CoupledLIF (random coupling of the given scale, heterogeneous membrane time constants)."""
    coupling = rng.normal(0.0, coupling_per_s, (n, n))
    np.fill_diagonal(coupling, 0.0)
    pop = CoupledLIF.create(n, tau_syn_s=tau_syn_s, tau_mem_s=rng.uniform(8e-3, 20e-3, n), v_threshold=threshold,
                            v_leak=v_leak, coupling=coupling, reset_mode="to_value")
    weight = rng.normal(0.3, 1.0, (n, units)) * input_scale
    return Graph(nodes={"in": Input((units,)), "fc": Dense(weight), "pop": pop, "out": Output((n,))},
                 edges=(("in", "fc"), ("fc", "pop"), ("pop", "out")), metadata={"dt_s": dt_s})


def _system(pop: CoupledLIF) -> np.ndarray:
    """The continuous linear system of nodes.py over ``[I, v]`` (written out here, independently of coupling.py)."""
    n = pop.size
    return np.block([[-np.diag(1 / pop.tau_syn_s), np.zeros((n, n))],
                     [np.diag(pop.r * pop.w_in / pop.tau_mem_s), pop.coupling - np.diag(1 / pop.tau_mem_s)]])


@pytest.mark.parametrize("seed", range(4))
def test_quantized_coupling_approximates_the_exact_update(seed):
    rng = np.random.default_rng(seed)
    graph = coupled_graph(rng, 5, coupling_per_s=150.0, threshold=rng.uniform(0.5, 2.0, 5))
    pop = graph.nodes["pop"]
    deployment = quantize(graph)
    (group,) = deployment.groups
    assert group.coupling is not None and np.abs(group.coupling).max() >= 64  # the mantissa range is used
    sigma = 64 * group.vth / pop.v_threshold
    k_v = 1 - group.dv / 4096
    phi = expm((pop.coupling - np.diag(1 / pop.tau_mem_s)) * DT_S)
    target = (phi - k_v * np.eye(5)) * sigma[:, None] / sigma[None, :]
    assert np.abs(group.coupling / 2.0**group.coupling_shift - target).max() <= 2.0 ** -(group.coupling_shift + 1)

    dynamics = deployment.report["dynamics"]["pop"]
    assert dynamics["state"] == "[u_1..u_n, v_1..v_n]" and dynamics["coupling_shift"] == group.coupling_shift
    assert deployment.report["populations"]["pop"]["coupling_shift"] == group.coupling_shift
    exact, quantized = np.array(dynamics["exact_update"]), np.array(dynamics["quantized_update"])
    assert np.allclose(exact, expm(_system(pop) * DT_S), rtol=1e-12, atol=1e-14)
    k_u = 1 - (group.du + 1) / 4096
    assert np.array_equal(quantized[:5, :5], k_u * np.eye(5)) and np.array_equal(quantized[5:, :5], k_u * np.eye(5))
    assert np.array_equal(quantized[5:, 5:], k_v * np.eye(5) + group.coupling / 2.0**group.coupling_shift)
    spectra = compare_spectra(exact, quantized)
    assert spectra.preserved
    # Bauer-Fike on v's block (integer units: S Phi S^-1 vs K_v + M / 2^s), plus the rounding of du
    eigvals, vectors = np.linalg.eig(phi * sigma[:, None] / sigma[None, :])
    error = k_v * np.eye(5) + group.coupling / 2.0**group.coupling_shift - (target + k_v * np.eye(5))
    bound = np.linalg.cond(vectors) * np.linalg.norm(error, 2)
    assert spectra.max_shift <= max(bound, abs(k_u - np.exp(-DT_S / 5e-3))) + 1e-12
    assert spectra.max_shift < 1e-2


def test_plain_populations_report_their_two_by_two_update():
    rng = np.random.default_rng(0)
    graph = coupled_graph(rng, 3, coupling_per_s=0.0)
    nodes = dict(graph.nodes)
    pop = nodes["pop"]
    from snn_deploy.ir import CubaLIF

    nodes["pop"] = CubaLIF.create(3, tau_syn_s=pop.tau_syn_s, tau_mem_s=10e-3, v_threshold=1.0, reset_mode="to_value")
    deployment = quantize(Graph(nodes=nodes, edges=graph.edges, metadata=graph.metadata))
    (group,) = deployment.groups
    dynamics = deployment.report["dynamics"]["pop"]
    assert dynamics["state"] == "[u_1..u_n, v_1..v_n]" and dynamics["population"] == "pop"
    k_u, k_v = 1 - (group.du + 1) / 4096, 1 - group.dv / 4096
    assert dynamics["quantized_update"] == [[k_u, 0.0], [k_u, k_v]]
    assert np.allclose(np.diag(dynamics["exact_update"]), np.exp(-DT_S / np.array([5e-3, 10e-3])))


def _traces(graph: Graph, raster: np.ndarray, times_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Emulated ``v / sigma`` and the exact reference ``v`` at ``times_s`` (sample 0), with no spike on either side."""
    deployment = quantize(graph)
    (group,) = deployment.groups
    result = emulate(deployment, raster, record_state=True)
    assert not result.spikes["pop"].any()
    exact = membrane_traces(graph, SpikeEvents.from_raster(raster, DT_S), times_s, record=["pop"])["pop"].v[0]
    return result.v["pop"][0] / (64 * group.vth / graph.nodes["pop"].v_threshold), exact


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("tau_syn_s", [5e-3, 0.0])
def test_sub_threshold_response_to_input_follows_the_exact_coupled_reference(tau_syn_s, seed):
    """Step ``m`` holds ``v(m dt)``. Tolerance ``||Lambda||_inf dt`` of the peak: one step's input enters ``v``
    without that step's coupling (coupling.py), a first-order error; the mantissa rounding is far below it."""
    rng = np.random.default_rng(seed)
    graph = coupled_graph(rng, 4, coupling_per_s=60.0, tau_syn_s=tau_syn_s,
                          threshold=np.array([1.0, 2.0, 1.5, 1.0]) * 50, input_scale=0.01 if tau_syn_s else 0.002)
    steps = 200
    raster = (rng.random((1, steps, 3)) < 0.1).astype(np.uint8)
    emulated, exact = _traces(graph, raster, np.arange(steps) * DT_S)
    peak = np.abs(exact).max()
    tolerance = np.abs(graph.nodes["pop"].coupling).sum(axis=1).max() * DT_S
    assert peak > 0.1 and tolerance < 0.15
    assert np.abs(emulated - exact).max() < tolerance * peak


@pytest.mark.parametrize("tau_syn_s", [5e-3, 0.0])
def test_sub_threshold_leak_drive_follows_the_exact_coupled_reference(tau_syn_s):
    """Without input, step ``m`` holds ``v((m + 1) dt)`` (the bias acts from the first step, no synapse latency);
    the coupled steady-state bias and the 12-bit coupling keep ``v`` within 1 % of its peak."""
    rng = np.random.default_rng(11)
    graph = coupled_graph(rng, 4, coupling_per_s=60.0, tau_syn_s=tau_syn_s, v_leak=np.array([0.2, -0.3, 0.0, 0.4]),
                          input_scale=0.01 if tau_syn_s else 0.002)  # weights set vth, vth the bias resolution
    steps = 200
    emulated, exact = _traces(graph, np.zeros((1, steps, 3), np.uint8), np.arange(1, steps + 1) * DT_S)
    peak = np.abs(exact).max()
    assert peak > 0.1 and np.abs(emulated - exact).max() < 0.01 * peak


def test_zero_coupling_process_is_lava_lif():
    """A coupled group with M = 0 computes exactly what the plain LIF group computes (same integer fields)."""
    rng = np.random.default_rng(3)
    deployment = quantize(coupled_graph(rng, 4, coupling_per_s=100.0, v_leak=0.3))
    (group,) = deployment.groups
    plain = replace(deployment, groups=(replace(group, coupling=None, coupling_shift=0),))
    zero = replace(deployment, groups=(replace(group, coupling=np.zeros((4, 4), np.int64)),))
    raster = (rng.random((3, 80, 3)) < 0.3).astype(np.uint8)
    a, b = emulate(plain, raster, record_state=True), emulate(zero, raster, record_state=True)
    assert a.spikes["pop"].sum() > 10
    for mine, theirs in ((a.spikes, b.spikes), (a.u, b.u), (a.v, b.v)):
        assert np.array_equal(mine["pop"], theirs["pop"])


def saturating_deployment() -> Deployment:
    """Two neurons whose coupling term surely exceeds 24 bits: M = 127 at shift 0 and a large ``v``."""
    group = LifGroup(name="pop", population="pop", indices=np.arange(2), du=0, dv=0, vth=131071,
                     bias_mant=np.full(2, 4095), bias_exp=np.full(2, 7),
                     coupling=np.array([[0, 127], [-128, 0]]), coupling_shift=0)
    synapse = Synapse(name="in->pop", source="in", target="pop", weight=np.full((2, 1), 255), weight_exp=7)
    return Deployment(dt_s=1e-3, input_name="in", input_units=1, groups=(group,), synapses=(synapse,),
                      populations={"pop": 2}, outputs={"out": "pop"}, latency_steps={"pop": 1})


def test_saturated_coupling_terms_are_counted():
    result = emulate(saturating_deployment(), np.ones((1, 30, 1), np.uint8), record_state=True)
    assert result.coupling_saturations["pop"] > 0 and np.abs(result.v["pop"]).max() <= LOIHI2.v_limit


def test_coupled_population_needs_one_synaptic_time_constant():
    rng = np.random.default_rng(0)
    graph = coupled_graph(rng, 2, coupling_per_s=10.0)
    nodes = dict(graph.nodes)
    nodes["pop"] = nodes["pop"].replace(tau_syn_s=np.array([2e-3, 5e-3]))
    with pytest.raises(UnsupportedError, match="'pop': CoupledLIF needs one tau_syn_s"):
        quantize(Graph(nodes=nodes, edges=graph.edges, metadata=graph.metadata))


def test_coupling_survives_the_weights_npz_round_trip():
    deployment = saturating_deployment()
    again = Deployment.from_arrays(deployment.to_arrays())
    assert np.array_equal(again.groups[0].coupling, deployment.groups[0].coupling)
    assert again.groups[0].coupling_shift == 0 and again.to_arrays()["structure"] == deployment.to_arrays()["structure"]
