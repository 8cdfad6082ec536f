"""Datasets: shapes, class balance, determinism, Yin-Yang membership and the latency encoding."""
from __future__ import annotations

import numpy as np
import pytest

from snn_deploy.errors import UnsupportedError
from snn_deploy.reference.datasets import DATASETS, LatencyEncoding, R_BIG, R_SMALL, load, yinyang_class


def _yinyang_label(x: float, y: float) -> int:
    """The published definition, written out point by point (Kriener, Goeltz & Petrovici 2022)."""
    d_right = np.sqrt((x - 0.75) ** 2 + (y - 0.5) ** 2)
    d_left = np.sqrt((x - 0.25) ** 2 + (y - 0.5) ** 2)
    if d_right < 0.1 or d_left < 0.1:
        return 2
    yin = d_right <= 0.1 or 0.1 < d_left <= 0.25 or (y > 0.5 and d_right > 0.25)
    return int(yin)


@pytest.mark.parametrize("name, shapes", [
    ("xor", ((4, 2), (4, 2))), ("iris", ((120, 8), (30, 8))), ("yinyang", ((5000, 4), (1000, 4))),
])
def test_shapes_ranges_and_determinism(name: str, shapes: tuple) -> None:
    data = load(name)
    assert (data.train_x.shape, data.test_x.shape) == shapes
    assert data.train_y.shape == (shapes[0][0],) and data.test_y.shape == (shapes[1][0],)
    for x in (data.train_x, data.test_x):
        assert x.min() >= 0.0 and x.max() <= 1.0
    again = load(name)
    for a, b in ((data.train_x, again.train_x), (data.test_y, again.test_y)):
        np.testing.assert_array_equal(a, b)


def test_class_balance() -> None:
    assert np.bincount(load("xor").train_y).tolist() == [2, 2]
    iris = load("iris")
    assert np.bincount(iris.train_y).tolist() == [40, 40, 40] and np.bincount(iris.test_y).tolist() == [10, 10, 10]
    yy = load("yinyang")
    for labels in (yy.train_y, yy.test_y):
        counts = np.bincount(labels, minlength=3) / labels.size
        assert np.all(np.abs(counts - 1 / 3) < 0.03)


def test_xor_labels() -> None:
    data = load("xor")
    np.testing.assert_array_equal(data.train_y, np.logical_xor(data.train_x[:, 0], data.train_x[:, 1]))


def test_iris_is_fishers_table() -> None:
    iris = load("iris")
    x = np.concatenate([iris.train_x, iris.test_x])
    assert x.shape == (150, 8) and np.unique(x, axis=0).shape[0] == 149  # the table has one duplicate row
    np.testing.assert_allclose(x[:, 4:], 1.0 - x[:, :4])
    assert np.isclose(x.min(axis=0), 0).all() and np.isclose(x.max(axis=0), 1).all()
    assert len(set(map(tuple, iris.train_x)) & set(map(tuple, iris.test_x))) == 0


def test_yinyang_points_follow_the_definition() -> None:
    data = load("yinyang")
    for x4, label in zip(np.concatenate([data.train_x, data.test_x]), np.concatenate([data.train_y, data.test_y])):
        x, one_minus_x, y, one_minus_y = x4
        assert x + one_minus_x == pytest.approx(1.0) and y + one_minus_y == pytest.approx(1.0)
        assert np.hypot(x - R_BIG, y - R_BIG) <= R_BIG
        assert label == _yinyang_label(x, y)
    # hand-picked points: the right dot's centre, the top (yin) and the bottom (yang) of the disc
    assert yinyang_class(np.array([0.75, 0.5, 0.5, 0.25]), np.array([0.5, 0.9, 0.1, 0.5])).tolist() == [2, 1, 0, 2]
    assert R_SMALL == 0.1


def test_train_and_test_differ() -> None:
    data = load("yinyang")
    assert not np.any(np.all(data.train_x[:1000] == data.test_x, axis=1))


def test_latency_encoding() -> None:
    encoding = LatencyEncoding(t_max_s=0.01, bias_time_s=0.002)
    times = encoding.encode(np.array([[0.0, 1.0, 0.25]]))
    np.testing.assert_allclose(times[:, :, 0], [[0.01, 0.0, 0.0075, 0.002]])
    assert encoding.units(3) == 4 and LatencyEncoding(0.01).units(3) == 3


def test_unknown_dataset() -> None:
    with pytest.raises(UnsupportedError, match="unknown dataset"):
        load("mnist")
    assert DATASETS == ("xor", "iris", "yinyang", "spikeorder")
