"""examples/mmnd_skip: the committed model is what its seed trains (byte for byte), and the example's path —
evaluate, compile for Loihi 2, emulate, check against Lava — passes on a small budget."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from snn_deploy.check.tolerance import tolerance_steps
from snn_deploy.ir.io import load, save
from snn_deploy.reference.trainer import PRESETS, train
from tests.conftest import REPO

EXAMPLE = REPO / "examples" / "mmnd_skip"


@pytest.mark.slow
def test_committed_model_is_what_its_seed_trains(tmp_path):
    record = json.loads((EXAMPLE / "model.json").read_text())
    assert record["command"] == f"snn-deploy train spikeorder -o examples/mmnd_skip/model.onnx --seed {record['seed']}"
    result = train(PRESETS["spikeorder"], seed=record["seed"])
    save(result.graph, tmp_path / "model.onnx")
    assert (tmp_path / "model.onnx").read_bytes() == (EXAMPLE / "model.onnx").read_bytes()
    assert (result.train_accuracy, result.validation_accuracy) == (record["train_accuracy"],
                                                                   record["validation_accuracy"])
    assert result.validation_accuracy > 0.5  # chance is 0.25 (four balanced classes)


@pytest.mark.lava
@pytest.mark.xdist_group("lava")
def test_example_checks_against_lava_bit_exact_on_the_derived_criteria(tmp_path):
    """The script runs check with check's own criteria (derived from tau and dt before the run, not the
    example's): it exits with the final check's verdict, and the deployment is bit-exact with Lava either way."""
    done = subprocess.run([sys.executable, str(EXAMPLE / "run.py"), "--limit", "1", "--emulate-limit", "20",
                           "--out", str(tmp_path)], capture_output=True, text=True, cwd=REPO)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    assert "exact reference: train accuracy" in done.stdout and "emulated deployment" in done.stdout
    final = done.stdout.split("snn-deploy check against Lava")[1]
    assert "PASS bit_exact" in final
    dt_s = json.loads((tmp_path / "loihi2" / "quantization.json").read_text())["dt_s"]
    steps = tolerance_steps(load(EXAMPLE / "model.onnx"), dt_s)
    assert f"within {steps:g} steps" in done.stdout and f"within {steps:g} step(s)" in final
    assert done.returncode == (1 if "FAIL " in final else 0)
