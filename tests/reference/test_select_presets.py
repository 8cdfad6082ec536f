"""scripts/select_presets.py: its whole path never reads the test split, its grids contain the hand-set presets,
its tie rule is the one it states."""
from __future__ import annotations

import dataclasses
import importlib.util

import pytest

from snn_deploy.reference.datasets import load
from snn_deploy.reference.evaluation import evaluate
from tests.conftest import REPO


@pytest.fixture(scope="module")
def selection():
    spec = importlib.util.spec_from_file_location("select_presets", REPO / "scripts" / "select_presets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _refuse_test_split(monkeypatch) -> None:
    from snn_deploy.reference import datasets

    def refuse(dataset: str):
        raise AssertionError(f"the test split of '{dataset}' was read")

    monkeypatch.setattr(datasets, "load_test", refuse)


@pytest.mark.parametrize("dataset", ["xor", "iris", "spikeorder"])
def test_selection_never_reads_the_test_split(selection, dataset: str, monkeypatch) -> None:
    """The script's select() on a small budget (1 epoch, the first two values of each axis; spikeorder on 200 training
    and 100 validation samples) with the test loader replaced by one that raises."""
    _refuse_test_split(monkeypatch)
    data = load(dataset)
    if dataset == "spikeorder":
        data = dataclasses.replace(data, train_x=data.train_x[:200], train_y=data.train_y[:200],
                                   validation_x=data.validation_x[:100], validation_y=data.validation_y[:100])
    grid = selection.GRIDS[dataset]
    small = grid._replace(axes=tuple(axis._replace(values=axis.values[:2]) for axis in grid.axes))
    report = selection.select(dataset, seed=0, grid=small, epochs=1, data=data)
    assert [row["hyperparameters"] for row in report["candidates"]] == small.candidates()
    assert all(row["epochs"] == 1 and 0 <= row["validation_accuracy"] <= 1 for row in report["candidates"])
    assert report["decision"]["hyperparameters"] in small.candidates()
    assert "test split is not read" in report["split"]
    with pytest.raises(AssertionError, match="test split"):  # the guard is live: evaluate does read it
        evaluate(selection.train(selection.candidate_config(dataset, {}), 0, epochs=1, dataset=data).graph, dataset)


def test_each_grid_holds_the_hand_set_preset_and_at_most_the_budget(selection) -> None:
    budget = {"xor": 3, "iris": 9, "spikeorder": 6}
    for dataset, grid in selection.GRIDS.items():
        candidates = grid.candidates()
        assert candidates.count(selection.HAND_SET[dataset]) == 1
        assert len(candidates) <= budget[dataset]
        assert all(axis.reason for axis in grid.axes)


def test_tie_rule(selection) -> None:
    """Highest validation accuracy; among equals the hand-set preset, then the smaller learning rate, then the
    earlier candidate."""
    def row(index: int, validation: float, learning_rate: float, hand_set: bool = False) -> dict:
        return {"index": index, "validation_accuracy": validation, "hand_set": hand_set,
                "hyperparameters": {"learning_rate": learning_rate}}

    assert selection.choose([row(0, 0.9, 0.01, True), row(1, 0.91, 0.02)])["index"] == 1
    assert selection.choose([row(0, 0.9, 0.005), row(1, 0.9, 0.01, True), row(2, 0.9, 0.002)])["index"] == 1
    assert selection.choose([row(0, 0.9, 0.02), row(1, 0.9, 0.005), row(2, 0.8, 0.01, True)])["index"] == 1
    assert selection.choose([row(0, 0.9, 0.005), row(1, 0.9, 0.005), row(2, 0.8, 0.01, True)])["index"] == 0


@pytest.mark.parametrize("dataset", ["xor", "iris", "spikeorder"])
def test_preset_is_the_committed_selection(selection, dataset: str) -> None:
    """examples/models/<dataset>.selection.json was made by this grid and rule, and the preset holds its decision."""
    import json

    from snn_deploy.reference.trainer import PRESETS

    record = json.loads((REPO / "examples" / "models" / f"{dataset}.selection.json").read_text())
    grid = selection.GRIDS[dataset]
    assert record["seed"] == 0 and record["rule"] == selection.RULE and record["split"] == grid.split_note
    assert [row["hyperparameters"] for row in record["candidates"]] == grid.candidates()
    assert [axis["values"] for axis in record["grid"]] == [list(axis.values) for axis in grid.axes]
    assert all(row["epochs"] == PRESETS[dataset].epochs for row in record["candidates"])
    chosen = selection.choose(record["candidates"])
    assert record["decision"]["hyperparameters"] == chosen["hyperparameters"]
    assert {field: getattr(PRESETS[dataset], field) for field in chosen["hyperparameters"]} == \
        chosen["hyperparameters"]
