"""The trainer: XOR learned to 100 %, deterministic per seed, a valid IR graph the simulator agrees with,
selection on validation only (the test split is never read by training or by the selection script)."""
from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from snn_deploy.ir.graph import graphs_equal
from snn_deploy.ir.nodes import CubaLIF, Dense
from snn_deploy.reference.datasets import load
from snn_deploy.reference.decoding import first_spike_class
from snn_deploy.reference.evaluation import evaluate
from snn_deploy.reference.layered import events_from_times, times_from_events
from snn_deploy.reference.simulator import simulate
from snn_deploy.reference.trainer import PRESETS, train


@pytest.fixture(scope="module")
def xor_result():
    return train(PRESETS["xor"], seed=0, epochs=150)


def test_xor_reaches_100_percent(xor_result) -> None:
    assert xor_result.train_accuracy == 1.0 and xor_result.validation_accuracy == 1.0
    assert len(xor_result.history.loss) == len(xor_result.history.validation_accuracy) == 150
    assert xor_result.history.loss[-1] < xor_result.history.loss[0]


def test_graph_structure_and_metadata(xor_result) -> None:
    graph = xor_result.graph
    assert [graph.nodes[n].kind for n in graph.topological_order()] == [
        "Input", "Dense", "CubaLIF", "Dense", "CubaLIF", "Output"]
    assert isinstance(graph.nodes["fc1"], Dense) and graph.nodes["fc1"].weight.shape == (16, 3)
    assert isinstance(graph.nodes["lif2"], CubaLIF) and graph.nodes["lif2"].size == 2
    meta = graph.metadata
    assert meta["dataset"] == "xor" and meta["seed"] == 0 and meta["epochs"] == 150
    assert meta["encoding"]["t_max_s"] == PRESETS["xor"].encoding.t_max_s
    assert meta["train_accuracy"] == 1.0 and meta["hyperparameters"]["hidden"] == (16,)
    assert meta["validation_accuracy"] == 1.0 and "test_accuracy" not in meta
    assert meta["splits"] == load("xor").splits and "validation" in meta["selection"]


def test_same_seed_same_model(xor_result) -> None:
    again = train(PRESETS["xor"], seed=0, epochs=150)
    assert graphs_equal(again.graph, xor_result.graph)
    other = train(PRESETS["xor"], seed=1, epochs=5)
    assert not np.array_equal(other.graph.nodes["fc1"].weight, xor_result.graph.nodes["fc1"].weight)


def test_general_simulator_agrees_with_training_engine(xor_result) -> None:
    graph = xor_result.graph
    data = load("xor")
    test_x, test_y = data.test()
    inputs = PRESETS["xor"].encoding.encode(test_x)
    spikes = simulate(graph, events_from_times(inputs), record="outputs")["lif2"]
    first = np.full((4, 2), np.inf)
    times = times_from_events(spikes)
    first[:times.shape[0]] = times[..., 0]
    np.testing.assert_array_equal(first_spike_class(first), test_y)
    assert evaluate(graph, "xor")["test_accuracy"] == 1.0


def test_committed_xor_model_is_what_the_preset_trains() -> None:
    """Noise-free presets draw from the seed exactly as before the robustness options existed."""
    from pathlib import Path

    from snn_deploy.ir.io import load as load_model

    committed = load_model(Path(__file__).resolve().parents[2] / "examples" / "models" / "xor.onnx")
    fresh = train(PRESETS["xor"], seed=0)
    assert graphs_equal(fresh.graph, committed)


def test_robust_phase_is_deterministic_and_continues_from_the_selected_model() -> None:
    import dataclasses

    from snn_deploy.reference.trainer import RobustPhase

    robust = RobustPhase(epochs=10, learning_rate=0.01, weight_noise=0.05, time_jitter_s=2e-4)
    config = dataclasses.replace(PRESETS["xor"], robust=robust)
    a = train(config, seed=0, epochs=20)
    b = train(config, seed=0, epochs=20)
    clean = train(PRESETS["xor"], seed=0, epochs=20)
    assert graphs_equal(a.graph, b.graph)
    assert len(a.history.loss) == 30 and a.history.loss[:20] == clean.history.loss  # same main phase
    assert not np.array_equal(a.graph.nodes["fc1"].weight, clean.graph.nodes["fc1"].weight)
    assert a.graph.metadata["selected_epoch"] > 20  # chosen among the robust epochs
    assert a.graph.metadata["hyperparameters"]["robust"]["weight_noise"] == 0.05
    assert "robust" not in clean.graph.metadata["hyperparameters"]
    # the stored accuracies come from the clean network: re-evaluating the saved graph gives them back
    result = evaluate(a.graph, "xor")
    assert (result["train_accuracy"], result["validation_accuracy"]) == (a.train_accuracy, a.validation_accuracy)


def test_selected_epoch_is_the_best_validation_epoch() -> None:
    """iris (held-out validation): the returned model is the earliest epoch of the best validation accuracy."""
    result = train(PRESETS["iris"], seed=0, epochs=30)
    curve = result.history.validation_accuracy
    assert result.graph.metadata["selected_epoch"] == int(np.argmax(curve)) + 1
    assert max(curve) > min(curve)  # the curve moves, so the choice is not the first epoch by default
    assert result.validation_accuracy == evaluate(result.graph, "iris")["validation_accuracy"]


def test_finishing_a_main_phase_gives_the_model_train_gives() -> None:
    """The selection script finishes several robust phases from one main phase: each is what train() makes."""
    import dataclasses

    from snn_deploy.reference.trainer import RobustPhase, main_phase

    robust = RobustPhase(epochs=4, learning_rate=0.01, weight_noise=0.05, time_jitter_s=2e-4)
    config = dataclasses.replace(PRESETS["iris"], robust=robust, deploy_dt_s=1e-4)
    main = main_phase(dataclasses.replace(config, robust=None, deploy_dt_s=None), seed=0, epochs=6)
    first, plain, again = main.finish(robust, 1e-4), main.finish(None), main.finish(robust, 1e-4)
    assert graphs_equal(first.graph, train(config, seed=0, epochs=6).graph)
    assert graphs_equal(again.graph, first.graph) and first.graph.metadata["dt_s"] == 1e-4
    assert graphs_equal(plain.graph, train(PRESETS["iris"], seed=0, epochs=6).graph)
    assert len(first.history.loss) == 10 and len(plain.history.loss) == 6


def _refuse_test_split(monkeypatch) -> None:
    from snn_deploy.reference import datasets

    def refuse(dataset: str):
        raise AssertionError(f"the test split of '{dataset}' was read")

    monkeypatch.setattr(datasets, "load_test", refuse)


@pytest.mark.parametrize("name, epochs", [("xor", 3), ("iris", 3), ("spikeorder", 1)])
def test_training_never_reads_the_test_split(name: str, epochs: int, monkeypatch) -> None:
    _refuse_test_split(monkeypatch)
    result = train(PRESETS[name], seed=0, epochs=epochs)
    assert len(result.history.validation_accuracy) == epochs
    with pytest.raises(AssertionError, match="test split"):  # the guard is live: evaluate does read it
        evaluate(result.graph, name)


def test_selection_script_never_reads_the_test_split(monkeypatch) -> None:
    """scripts/select_yinyang.py's whole path (main phase, robust phases, Loihi 2 compile + emulation on
    validation, the choice) on a small budget, with the test loader replaced by one that raises."""
    import dataclasses

    from snn_deploy.reference.trainer import main_phase
    from tests.conftest import REPO

    spec = importlib.util.spec_from_file_location("select_yinyang", REPO / "scripts" / "select_yinyang.py")
    selection = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(selection)
    _refuse_test_split(monkeypatch)
    data = load("yinyang")
    small = dataclasses.replace(data, train_x=data.train_x[:300], train_y=data.train_y[:300],
                                validation_x=data.validation_x[:100], validation_y=data.validation_y[:100])
    base = dataclasses.replace(PRESETS["yinyang"], robust=None, deploy_dt_s=None)
    variants = {name: None if robust is None else dataclasses.replace(robust, epochs=1)
                for name, robust in list(selection.VARIANTS.items())[:2]}
    report = selection.select(main_phase(base, seed=0, epochs=1, dataset=small), variants, dts=(1e-4,), limit=20)
    assert [row["variant"] for row in report["candidates"]] == list(variants)
    assert all(row["samples"] == 20 and row["dt_s"] == 1e-4 for row in report["candidates"])
    assert report["decision"]["variant"] in variants and report["decision"]["deploy_dt_s"] == 1e-4


def test_yinyang_preset_is_the_committed_selection() -> None:
    """The preset's robust phase and deployment step are the decision recorded by scripts/select_yinyang.py."""
    import dataclasses
    import json

    from tests.conftest import REPO

    record = json.loads((REPO / "examples" / "models" / "yinyang.selection.json").read_text())
    preset = PRESETS["yinyang"]
    assert record["split"].startswith("validation") and record["seed"] == 0
    assert record["main_epochs"] == preset.epochs
    robust = None if preset.robust is None else dataclasses.asdict(preset.robust)
    assert record["decision"] == {"variant": record["decision"]["variant"], "robust": robust,
                                  "deploy_dt_s": preset.deploy_dt_s}
    best = max(row["deployed_validation_accuracy"] for row in record["candidates"])
    chosen = [row for row in record["candidates"] if (row["variant"], row["dt_s"]) ==
              (record["decision"]["variant"], record["decision"]["deploy_dt_s"])]
    assert len(chosen) == 1 and chosen[0]["deployed_validation_accuracy"] == best
