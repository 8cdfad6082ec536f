"""The example Yin-Yang model deployed to Loihi 2 (emulated, at the model's own time step) classifies the whole
test set within 0.5 pp of the exact reference (issue: Loihi 2 target, "Done when")."""
from __future__ import annotations

from pathlib import Path

from snn_deploy.check.equivalence import Tolerances
from snn_deploy.check.runner import dataset_input, run_check
from snn_deploy.ir.io import load

MODEL = Path(__file__).resolve().parents[2] / "examples" / "models" / "yinyang.onnx"


def test_emulated_accuracy_is_within_half_a_point_of_the_exact_reference() -> None:
    graph = load(MODEL)
    check_input = dataset_input(graph, "yinyang")
    run = run_check(graph, str(MODEL), target="loihi2", engine=None, check_input=check_input,
                    tolerances=Tolerances(steps=10.0, min_match=0.9, max_accuracy_drop=0.005))
    verdicts = {c.name: c for c in run.result.criteria()}
    assert run.result.dt_s == graph.metadata["dt_s"]
    assert check_input.labels.size == 1000
    assert verdicts["accuracy_preserved"].passed, verdicts["accuracy_preserved"].message
    assert run.result.classification.accuracy_reference == graph.metadata["test_accuracy"]
