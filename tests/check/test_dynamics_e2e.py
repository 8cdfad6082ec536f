"""`snn-deploy check` end to end on a population next to the bifurcation |mu| = 1 (a leak of tau_mem = 1.6384 s).

At the model's dt = 0.1 ms the exact decay e^{-dt/tau} = 1 - 6.1e-5 is below Loihi 2's decay resolution: dv rounds
to 0 and the deployed neuron is a perfect integrator (mu = 1). The check must fail naming the population and the
shift, and suggest a step that keeps the leak; at that step (0.4 ms, where 4096 dt / tau = 1 exactly) it passes.
"""
from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from snn_deploy.check.dynamics import compare_spectra, nearby_time_steps
from snn_deploy.cli import main
from snn_deploy.ir import LIF, CoupledLIF, Dense, Graph, Input, Output
from snn_deploy.ir.io import save
from snn_deploy.quantize.loihi2.spec import LOIHI2

UNITY = LOIHI2.decay_unity  # 4096: dv is a 12-bit fraction of it
TAU_MEM_S = UNITY * 4e-4
DT_S = 1e-4


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    rng = np.random.default_rng(5)
    graph = Graph(
        nodes={"in": Input((6,)), "fc": Dense(rng.uniform(0.26, 0.32, (3, 6))),
               "slow": LIF.create(3, tau_mem_s=TAU_MEM_S, r=TAU_MEM_S, v_threshold=1.0, reset_mode="to_value"),
               "out": Output((3,))},
        edges=[("in", "fc"), ("fc", "slow"), ("slow", "out")], metadata={"dt_s": DT_S})
    path = tmp_path_factory.mktemp("bifurcation") / "slow.onnx"
    save(graph, path)
    return path


def _check(model, *args):
    result = CliRunner().invoke(main, ["check", str(model), "--target", "loihi2", "--random", "3", "--rate-hz", "5",
                                       "--duration", "0.4", "--json", *args])
    return result.exit_code, json.loads(result.stdout)


def test_leak_rounded_to_one_fails_and_the_suggested_step_passes(model):
    code, report = _check(model)
    assert code == 1 and not report["passed"]
    slow = report["dynamics"]["slow"]
    assert slow["crossed_stability"] == 1 and not slow["preserved"]
    assert slow["eigenvalues_quantized"] == [[1.0, 0.0]]
    assert slow["max_eigenvalue_shift"] == pytest.approx(-np.expm1(-DT_S / TAU_MEM_S), rel=1e-9)
    verdict = {c["name"]: c for c in report["criteria"]}["dynamics_preserved"]
    assert not verdict["passed"] and "slow:" in verdict["message"] and "-> 1" in verdict["message"]
    # dt/2 and 2 dt still round dv to 0 (4096 dt / tau = 0.125, 0.5); 4 dt gives dv = 1 exactly
    assert report["dynamics_suggestion"].startswith("--dt 0.0004 ")

    code, report = _check(model, "--dt", "0.0004")
    assert code == 0 and report["passed"], report["criteria"]
    slow = report["dynamics"]["slow"]
    assert slow["preserved"] and slow["eigenvalues_quantized"] == [[(UNITY - 1) / UNITY, 0.0]]
    # what is left is the first-order decay's error: e^{-x} - (1 - x) with x = 1/UNITY
    assert slow["max_eigenvalue_shift"] == pytest.approx(np.exp(-1 / UNITY) - (UNITY - 1) / UNITY, rel=1e-6)


def test_uniform_coupling_sits_on_the_real_complex_boundary_and_passes(tmp_path):
    # lambda_kj = 10/s for all k != j: D + Lambda has -1/tau - 10 three times; rounding splits that repeated real
    # eigenvalue into a complex pair with |Im mu| ~ 1e-7 (a period of ~4e7 steps), which is no gained oscillation
    coupling = np.full((4, 4), 10.0) - np.diag(np.full(4, 10.0))
    graph = Graph(
        nodes={"in": Input((2,)), "fc": Dense(np.full((4, 2), 0.015)),
               "bank": CoupledLIF.create(4, tau_syn_s=5e-3, tau_mem_s=20e-3, v_threshold=[0.3, 1.05, 1.8, 2.55],
                                         coupling=coupling, reset_mode="to_value"), "out": Output((4,))},
        edges=[("in", "fc"), ("fc", "bank"), ("bank", "out")])
    save(graph, tmp_path / "bank.onnx")
    code, report = _check(tmp_path / "bank.onnx", "--tolerance-steps", "50", "--min-match", "0.5")
    bank = report["dynamics"]["bank"]
    assert bank["preserved"] and bank["gained_oscillation"] == 0, bank
    assert any(abs(imag) > 1e-9 for _, imag in bank["eigenvalues_quantized"])  # the split is there
    assert code == 0, report["criteria"]


def test_boundary_rules_and_candidate_order():
    inside = np.array([[1 - 6e-5]])
    assert compare_spectra(inside, np.array([[1.0]])).crossed_stability == 1  # onto the circle: the leak is gone
    assert compare_spectra(np.array([[1.0]]), np.array([[1.0]])).preserved  # an IF neuron is on it exactly
    assert compare_spectra(np.array([[1.0]]), np.array([[1 - 1e-3]])).preserved  # exact on the circle never counts
    assert nearby_time_steps(1e-3, 2) == [5e-4, 2e-3, 2.5e-4, 4e-3]
    split = np.array([[0.99, 1e-6], [-1e-6, 0.99]])  # eigenvalues 0.99 +- 1e-6 i
    assert compare_spectra(np.diag([0.99, 0.99]), split).preserved  # a repeated eigenvalue: on the boundary
    assert compare_spectra(np.diag([0.99, 0.98]), np.array([[0.985, 0.01], [-0.01, 0.985]])).gained_oscillation == 1
