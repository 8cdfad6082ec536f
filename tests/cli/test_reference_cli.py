"""`snn-deploy train` and `snn-deploy evaluate` end to end on XOR."""
from __future__ import annotations

import json

from click.testing import CliRunner

from snn_deploy.cli import main
from snn_deploy.ir.io import load


def test_train_then_evaluate_xor(tmp_path) -> None:
    model = tmp_path / "xor.onnx"
    runner = CliRunner()
    trained = runner.invoke(main, ["train", "xor", "-o", str(model), "--seed", "0", "--epochs", "150"])
    assert trained.exit_code == 0, trained.output
    summary = json.loads(trained.stdout.strip().splitlines()[-1])
    assert summary.keys() == {"dataset", "seed", "epochs", "train_accuracy", "test_accuracy", "seconds"}
    assert summary["dataset"] == "xor" and summary["epochs"] == 150 and summary["test_accuracy"] == 1.0
    assert load(model).metadata["test_accuracy"] == 1.0

    evaluated = runner.invoke(main, ["evaluate", str(model), "--engine", "reference"])
    assert evaluated.exit_code == 0, evaluated.output
    result = json.loads(evaluated.stdout)
    assert result["dataset"] == "xor" and result["test_accuracy"] == summary["test_accuracy"]
    assert result["test_samples"] == 4

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
