"""`snn-deploy check` end to end on the Speck target (sinabs runs in-process, so this is fast):
a bit-exact pass, a perturbed engine run that fails naming the first difference, exit codes, JSON schema,
JUnit XML parsed back, report plots written; a population that dies on the target fails the check by name."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from click.testing import CliRunner

from snn_deploy.cli import main
from snn_deploy.ir import IF, Dense, Graph, Input, Output
from snn_deploy.ir.io import save
from snn_deploy.spikes import SpikeEvents, save_input

JSON_KEYS = {"target", "engine", "bit_exact", "matched_fraction", "max_abs_dt_steps", "accuracy_reference",
             "accuracy_deployed", "passed"}


@pytest.fixture(scope="module")
def model_and_input(tmp_path_factory):
    rng = np.random.default_rng(1)
    graph = Graph(
        nodes={"in": Input((12,)), "fc1": Dense(rng.normal(0.3, 0.3, (16, 12))), "h": IF.create(16, v_threshold=1.0),
               "fc2": Dense(rng.normal(0.3, 0.3, (4, 16))), "o": IF.create(4, v_threshold=1.0), "out": Output((4,))},
        edges=[("in", "fc1"), ("fc1", "h"), ("h", "fc2"), ("fc2", "o"), ("o", "out")],
    )
    root = tmp_path_factory.mktemp("check")
    save(graph, root / "if.onnx")
    n = 300
    save_input(root / "in.npz", SpikeEvents(rng.integers(0, 3, n), rng.integers(0, 12, n), rng.uniform(0, 0.1, n), 3, 12))
    return root


def _check(root, *args):
    return CliRunner().invoke(main, ["check", str(root / "if.onnx"), "--target", "speck", "--input",
                                     str(root / "in.npz"), *args])


def test_bit_exact_pass_json_junit_and_report(model_and_input, tmp_path):
    root = model_and_input
    result = _check(root, "--engine", "sinabs", "--tolerance-steps", "3", "--min-match", "0.5", "--json",
                    "--junit", str(tmp_path / "junit.xml"), "--report", str(tmp_path / "report"))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert JSON_KEYS <= report.keys() and report["bit_exact"] is True and report["passed"] is True
    suite = ET.parse(tmp_path / "junit.xml").getroot().find("testsuite")
    assert suite.get("failures") == "0"
    assert {c.get("name") for c in suite} == {"bit_exact", "spike_time_equivalence", "no_silent_populations"}
    populations = report["populations"]
    assert all(p["reference_spikes"] > 0 and p["deployed_spikes_all_steps"] > 0 for p in populations.values())
    assert report["silent_populations"]["deployment_only"] == report["silent_populations"]["both"] == []
    written = sorted(p.name for p in (tmp_path / "report").iterdir())
    assert "report.json" in written and "raster_h.png" in written and "membrane_o.png" in written
    assert "population_spikes.png" in written
    assert all((tmp_path / "report" / name).stat().st_size > 2000 for name in written if name.endswith(".png"))
    assert json.loads((tmp_path / "report" / "report.json").read_text()) == report


def test_perturbed_engine_fails_naming_first_difference(model_and_input, monkeypatch):
    import snn_deploy.backends.sinabs as backend

    real_run = backend.run_artifact

    def perturbed(*args, **kwargs):
        records, dt_s = real_run(*args, **kwargs)
        records = {k: v.copy() for k, v in records.items()}
        records["h/spikes"][2, 40, 7] ^= 1
        records["o/spikes"][0, 60, 1] ^= 1
        return records, dt_s

    monkeypatch.setattr(backend, "run_artifact", perturbed)
    result = _check(model_and_input, "--engine", "sinabs", "--tolerance-steps", "3", "--min-match", "0.5", "--json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert report["bit_exact"] is False and report["passed"] is False
    first = report["first_difference"]
    assert (first["population"], first["neuron"], first["step"], first["sample"]) == ("h", 7, 40, 2)
    assert first["emulator"]["spikes"] != first["engine"]["spikes"]


def test_strict_tolerance_fails_with_exit_1(model_and_input):
    result = _check(model_and_input, "--tolerance-steps", "0", "--min-match", "1.0")
    assert result.exit_code == 1
    assert "FAIL spike_time_equivalence" in result.stdout


@pytest.mark.parametrize("args, message", [
    (["--dataset", "xor"], "exactly one of"),
    (["--engine", "lava"], "runs on engine 'sinabs'"),
])
def test_bad_usage_exits_2_with_one_line(model_and_input, args, message):
    result = _check(model_and_input, *args)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_missing_model_exits_2(tmp_path):
    result = CliRunner().invoke(main, ["check", str(tmp_path / "nope.onnx"), "--target", "speck", "--random", "2"])
    assert result.exit_code == 2 and result.stderr.strip().startswith("error:")
    assert len(result.stderr.strip().splitlines()) == 1


def test_random_poisson_input_is_seeded(model_and_input):
    args = ["check", str(model_and_input / "if.onnx"), "--target", "speck", "--random", "3", "--seed", "4",
            "--rate-hz", "200", "--min-match", "0", "--json"]
    first, second = (CliRunner().invoke(main, args) for _ in range(2))
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    assert report["populations"]["h"]["reference_spikes"] > 0
    assert first.stdout == second.stdout


def _outlier_graph(fc2_weight: np.ndarray) -> Graph:
    """in (12) -> h (8 IF) -> o (4 IF). h's weights are 3.0 except -1000 from input unit 0 (which never spikes):
    Speck's one 8-bit scale per layer (127/1000) rounds every 3.0 to 0, so h and o can never spike deployed,
    while in the reference four input spikes make h fire (threshold 10)."""
    w1 = np.full((8, 12), 3.0)
    w1[:, 0] = -1000.0
    return Graph(
        nodes={"in": Input((12,)), "fc1": Dense(w1), "h": IF.create(8, v_threshold=10.0), "fc2": Dense(fc2_weight),
               "o": IF.create(4, v_threshold=1.0), "out": Output((4,))},
        edges=[("in", "fc1"), ("fc1", "h"), ("h", "fc2"), ("fc2", "o"), ("o", "out")],
    )


@pytest.fixture(scope="module")
def dead_on_speck(tmp_path_factory):
    root = tmp_path_factory.mktemp("dead")
    save(_outlier_graph(np.full((4, 8), 2.0)), root / "if.onnx")
    rng = np.random.default_rng(2)
    n = 200  # units 1..11 only: the outlier's unit 0 stays quiet
    save_input(root / "in.npz", SpikeEvents(rng.integers(0, 3, n), rng.integers(1, 12, n), rng.uniform(0, 0.1, n),
                                            3, 12))
    return root


def test_population_silent_only_when_deployed_fails_naming_it(dead_on_speck, tmp_path):
    result = _check(dead_on_speck, "--min-match", "0", "--json", "--junit", str(tmp_path / "junit.xml"),
                    "--report", str(tmp_path / "report"))
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    verdicts = {c["name"]: c for c in report["criteria"]}
    assert verdicts["spike_time_equivalence"]["passed"]  # --min-match 0: only the silence criterion can fail
    assert not verdicts["no_silent_populations"]["passed"] and not report["passed"]
    populations = report["populations"]
    assert populations["h"]["reference_spikes"] > 50 and populations["o"]["reference_spikes"] > 50
    assert populations["h"]["deployed_spikes_all_steps"] == populations["o"]["deployed_spikes_all_steps"] == 0
    assert populations["h"]["steps"] > 100 and populations["h"]["samples"] == 3
    assert report["silent_populations"]["deployment_only"] == ["h", "o"]
    message = verdicts["no_silent_populations"]["message"]
    assert "h (reference" in message and "o (reference" in message and "rounded to 0" in message
    assert "h" in report["silent_populations"]["structurally_silent"]
    failure = ET.parse(tmp_path / "junit.xml").getroot().find("testsuite/testcase[@name='no_silent_populations']")
    assert failure.find("failure") is not None and "h (reference" in failure.find("failure").get("message")
    assert json.loads((tmp_path / "report" / "report.json").read_text()) == report


def test_silent_population_text_names_it(dead_on_speck):
    result = _check(dead_on_speck, "--min-match", "0")
    assert result.exit_code == 1
    assert "FAIL no_silent_populations: silent in the deployment, spiking in the reference: h (" in result.stdout
    assert "population h: reference " in result.stdout and "(SILENT in the deployment)" in result.stdout


def test_population_silent_in_both_is_stated_not_failed(model_and_input, tmp_path):
    graph = Graph(
        nodes={"in": Input((12,)), "fc1": Dense(np.full((16, 12), 0.6)), "h": IF.create(16, v_threshold=1.0),
               "fc2": Dense(np.full((4, 16), -1.0)), "o": IF.create(4, v_threshold=1.0), "out": Output((4,))},
        edges=[("in", "fc1"), ("fc1", "h"), ("h", "fc2"), ("fc2", "o"), ("o", "out")],
    )
    save(graph, tmp_path / "if.onnx")
    (tmp_path / "in.npz").write_bytes((model_and_input / "in.npz").read_bytes())
    result = _check(tmp_path, "--min-match", "0", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["populations"]["h"]["reference_spikes"] > 50 and report["populations"]["h"]["deployed_spikes_all_steps"] > 50
    assert report["silent_populations"]["both"] == ["o"] and report["silent_populations"]["deployment_only"] == []
    verdict = {c["name"]: c for c in report["criteria"]}["no_silent_populations"]
    assert verdict["passed"] and "silent in both the reference and the deployment (not a failure): o" in verdict["message"]
