"""`snn-deploy train` and `snn-deploy evaluate` end to end on XOR."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from snn_deploy.cli import main
from snn_deploy.ir.io import load


def test_train_then_evaluate_xor(tmp_path) -> None:
    model = tmp_path / "xor.onnx"
    runner = CliRunner()
    trained = runner.invoke(main, ["train", "xor", "-o", str(model), "--seed", "0", "--epochs", "150"])
    assert trained.exit_code == 0, trained.output
    summary = json.loads(trained.stdout.strip().splitlines()[-1])
    assert summary.keys() == {"dataset", "seed", "epochs", "selected_epoch", "train_accuracy", "validation_accuracy",
                              "seconds"}  # no test number: training does not read the test split
    assert summary["dataset"] == "xor" and summary["epochs"] == 150 and summary["validation_accuracy"] == 1.0
    assert load(model).metadata["validation_accuracy"] == 1.0 and "test_accuracy" not in load(model).metadata

    evaluated = runner.invoke(main, ["evaluate", str(model), "--engine", "reference"])
    assert evaluated.exit_code == 0, evaluated.output
    result = json.loads(evaluated.stdout)
    assert result["dataset"] == "xor" and result["validation_accuracy"] == summary["validation_accuracy"]
    assert result["train_accuracy"] == summary["train_accuracy"] and result["test_accuracy"] == 1.0
    assert result["test_samples"] == result["validation_samples"] == 4
    assert "same 4 points" in result["splits"]["test"]  # XOR says its test split is its training points

    again = tmp_path / "again.onnx"
    assert runner.invoke(main, ["train", "xor", "-o", str(again), "--epochs", "150"]).exit_code == 0
    assert again.read_bytes() == model.read_bytes()  # same seed, same bytes


def test_evaluate_on_the_wrong_dataset_is_a_usage_error(tmp_path) -> None:
    model = tmp_path / "xor.onnx"
    runner = CliRunner()
    assert runner.invoke(main, ["train", "xor", "-o", str(model), "--epochs", "2"]).exit_code == 0
    result = runner.invoke(main, ["evaluate", str(model), "--dataset", "iris"])
    assert result.exit_code == 2
    assert "input has 3 units" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_unknown_dataset_is_refused(tmp_path) -> None:
    result = CliRunner().invoke(main, ["train", "mnist", "-o", str(tmp_path / "m.onnx")])
    assert result.exit_code == 2 and not (tmp_path / "m.onnx").exists()


EXAMPLE_MODELS = [("examples/models/xor.onnx", "examples/models/xor.json"),
                  ("examples/models/iris.onnx", "examples/models/iris.json"),
                  ("examples/models/yinyang.onnx", "examples/models/yinyang.json"),
                  ("examples/mmnd_skip/model.onnx", "examples/mmnd_skip/model.json")]


@pytest.mark.parametrize("model, record", EXAMPLE_MODELS)
def test_evaluate_reports_every_split_of_every_example_model(model: str, record: str) -> None:
    """The numbers committed beside each example model are what `evaluate` measures on its three splits."""
    from tests.conftest import REPO

    done = CliRunner().invoke(main, ["evaluate", str(REPO / model)])
    assert done.exit_code == 0, done.output
    result = json.loads(done.stdout)
    committed = json.loads((REPO / record).read_text())
    for split in ("train", "validation", "test"):
        assert result[f"{split}_samples"] > 0 and split in result["splits"]
        assert result[f"{split}_accuracy"] == committed[f"{split}_accuracy"], split
    assert load(REPO / model).metadata["validation_accuracy"] == result["validation_accuracy"]
