"""examples/mmnd_skip: the committed model is what its seed trains (byte for byte), and the example's path —
evaluate, compile for Loihi 2, emulate, check against Lava — passes on a small budget."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from snn_deploy.ir.io import save
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
def test_example_passes_its_check_against_lava(tmp_path):
    done = subprocess.run([sys.executable, str(EXAMPLE / "run.py"), "--limit", "1", "--emulate-limit", "20",
                           "--out", str(tmp_path)], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASS bit_exact" in done.stdout and "PASS spike_time_equivalence" in done.stdout
    assert "exact reference: train accuracy" in done.stdout and "emulated deployment" in done.stdout
