"""`snn-deploy check` end to end on the Speck target (sinabs runs in-process, so this is fast):
a bit-exact pass, a perturbed engine run that fails naming the first difference, exit codes, JSON schema,
JUnit XML parsed back, report plots written."""
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
    assert suite.get("failures") == "0" and {c.get("name") for c in suite} == {"bit_exact", "spike_time_equivalence"}
    written = sorted(p.name for p in (tmp_path / "report").iterdir())
    assert "report.json" in written and "raster_h.png" in written and "membrane_o.png" in written
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
