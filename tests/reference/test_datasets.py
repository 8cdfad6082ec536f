"""Datasets: shapes, class balance, determinism, Yin-Yang membership and the latency encoding."""
from __future__ import annotations

import numpy as np
import pytest

from snn_deploy.errors import UnsupportedError
from snn_deploy.reference import datasets
from snn_deploy.reference.datasets import (DATASETS, SPLITS, LatencyEncoding, R_BIG, R_SMALL, load, load_test,
                                            yinyang_class)


def _yinyang_label(x: float, y: float) -> int:
    """The published definition, written out point by point (Kriener, Goeltz & Petrovici 2022)."""
    d_right = np.sqrt((x - 0.75) ** 2 + (y - 0.5) ** 2)
    d_left = np.sqrt((x - 0.25) ** 2 + (y - 0.5) ** 2)
    if d_right < 0.1 or d_left < 0.1:
        return 2
    yin = d_right <= 0.1 or 0.1 < d_left <= 0.25 or (y > 0.5 and d_right > 0.25)
    return int(yin)


@pytest.mark.parametrize("name, sizes", [
    ("xor", (4, 4, 4)), ("iris", (90, 30, 30)), ("yinyang", (5000, 1000, 1000)), ("spikeorder", (2000, 500, 500)),
])
def test_shapes_ranges_and_determinism(name: str, sizes: tuple) -> None:
    data = load(name)
    splits = [data.split(split) for split in SPLITS]
    assert [x.shape[0] for x, _ in splits] == [y.size for _, y in splits] == list(sizes)
    assert data.splits.keys() == set(SPLITS) and all(data.splits.values())
    for x, y in splits:
        assert x.shape[1] == data.features and x.min() >= 0.0 and x.max() <= 1.0
        assert set(np.unique(y)) == set(range(data.classes))
    again = load(name)
    for split, (x, y) in zip(SPLITS, splits):
        np.testing.assert_array_equal(x, again.split(split)[0])
        np.testing.assert_array_equal(y, again.split(split)[1])


def test_class_balance() -> None:
    assert np.bincount(load("xor").train_y).tolist() == [2, 2]
    iris = load("iris")
    assert [np.bincount(iris.split(split)[1]).tolist() for split in SPLITS] == [[30] * 3, [10] * 3, [10] * 3]
    yy = load("yinyang")
    for split in SPLITS:
        labels = yy.split(split)[1]
        counts = np.bincount(labels, minlength=3) / labels.size
        assert np.all(np.abs(counts - 1 / 3) < 0.04)


def test_xor_labels_and_its_splits_say_they_are_the_same_points() -> None:
    data = load("xor")
    np.testing.assert_array_equal(data.train_y, np.logical_xor(data.train_x[:, 0], data.train_x[:, 1]))
    for split in ("validation", "test"):
        np.testing.assert_array_equal(data.split(split)[0], data.train_x)
        assert "same 4 points" in data.splits[split]


def test_iris_is_fishers_table_split_without_overlap() -> None:
    iris = load("iris")
    parts = [iris.split(split)[0] for split in SPLITS]
    x = np.concatenate(parts)
    assert x.shape == (150, 8) and np.unique(x, axis=0).shape[0] == 149  # the table has one duplicate row
    np.testing.assert_allclose(x[:, 4:], 1.0 - x[:, :4])
    assert np.isclose(x.min(axis=0), 0).all() and np.isclose(x.max(axis=0), 1).all()
    rows = [set(map(tuple, part)) for part in parts]
    assert not (rows[0] & rows[1]) and not (rows[0] & rows[2]) and not (rows[1] & rows[2])


def test_yinyang_points_follow_the_definition() -> None:
    data = load("yinyang")
    splits = [data.split(split) for split in SPLITS]
    for x4, label in zip(np.concatenate([x for x, _ in splits]), np.concatenate([y for _, y in splits])):
        x, one_minus_x, y, one_minus_y = x4
        assert x + one_minus_x == pytest.approx(1.0) and y + one_minus_y == pytest.approx(1.0)
        assert np.hypot(x - R_BIG, y - R_BIG) <= R_BIG
        assert label == _yinyang_label(x, y)
    # hand-picked points: the right dot's centre, the top (yin) and the bottom (yang) of the disc
    assert yinyang_class(np.array([0.75, 0.5, 0.5, 0.25]), np.array([0.5, 0.9, 0.1, 0.5])).tolist() == [2, 1, 0, 2]
    assert R_SMALL == 0.1


@pytest.mark.parametrize("name", ["yinyang", "spikeorder"])
def test_generated_splits_are_distinct_draws(name: str) -> None:
    data = load(name)
    x = {split: data.split(split)[0] for split in SPLITS}
    for a, b in (("train", "validation"), ("train", "test"), ("validation", "test")):
        assert not set(map(tuple, x[a])) & set(map(tuple, x[b])), (a, b)


def test_yinyang_follows_the_original_protocol() -> None:
    assert load("yinyang").splits == {"train": "5000 samples drawn from seed 42",
                                      "validation": "1000 samples drawn from seed 41",
                                      "test": "1000 samples drawn from seed 40"}


@pytest.mark.parametrize("name", DATASETS)
def test_the_test_split_is_built_only_when_asked(name: str, monkeypatch) -> None:
    def refuse(dataset: str):
        raise AssertionError(f"test split of {dataset} read")

    expected = load_test(name)
    monkeypatch.setattr(datasets, "load_test", refuse)
    data = load(name)  # train and validation only
    assert not any("test" in field for field in vars(data) if field != "splits")
    with pytest.raises(AssertionError, match="test split"):
        data.test()
    monkeypatch.undo()
    np.testing.assert_array_equal(data.test()[0], expected[0])


def test_latency_encoding() -> None:
    encoding = LatencyEncoding(t_max_s=0.01, bias_time_s=0.002)
    times = encoding.encode(np.array([[0.0, 1.0, 0.25]]))
    np.testing.assert_allclose(times[:, :, 0], [[0.01, 0.0, 0.0075, 0.002]])
    assert encoding.units(3) == 4 and LatencyEncoding(0.01).units(3) == 3


def test_unknown_dataset() -> None:
    with pytest.raises(UnsupportedError, match="unknown dataset"):
        load("mnist")
    with pytest.raises(UnsupportedError, match="unknown split 'dev'"):
        load("xor").split("dev")
    assert DATASETS == ("xor", "iris", "yinyang", "spikeorder")
