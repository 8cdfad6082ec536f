r"""The example classification tasks, as features in [0, 1], and their latency encoding to spike times.

* ``xor``: the 4 points of {0, 1}^2, label ``x1 xor x2``; train = test.
* ``iris``: Fisher's 150 flowers (vendored ``data/iris.csv``), 4 features scaled to [0, 1] by the table's
  per-feature min/max and mirrored as for Yin-Yang, ``(f, 1 - f)`` (8 features: under latency coding a
  small value then also fires early); a fixed stratified split, 40 train / 10 test per class (120 / 30).
* ``yinyang``: Kriener, Goeltz & Petrovici (2022): points ``(x, y)`` uniform in the disc of radius
  ``r_big = 0.5`` centred at ``(0.5, 0.5)``, classes yang (0), yin (1) and dot (2) by :func:`yinyang_class`;
  each sample first draws its class uniformly, then rejection-samples a point of that class; features
  ``(x, 1 - x, y, 1 - y)``; 5000 train and 1000 test samples from fixed seeds. (The definition is the
  published one; the random stream is numpy's, so the samples are not those of the original code.)
* ``spikeorder``: a spike-sequence-to-label task. Four channels ``A, B, C, D`` each fire exactly once, at
  the four slot centres ``(s + 1/2) / 4`` of the unit interval in a uniformly random order (slot ``s``),
  each moved by a uniform jitter of at most ``SPIKEORDER_JITTER`` slots; the label is
  :func:`spikeorder_class`, ``[t_A < t_B] + 2 [t_C < t_D]`` (4 balanced classes). Every channel fires once
  in every sample, so spike counts (a rate code) carry no information: only the order does, and deciding
  it means holding an early spike until a later one arrives. Feature ``1 - t`` (``t`` the spike's place in
  the unit interval), so latency coding (below) puts the spike at ``t_max_s * t``; 2000 train and 500 test
  samples from fixed seeds.

Latency coding (Lee et al.): feature ``f`` becomes one spike at ``t_max_s * (1 - f)``; an optional bias unit
(the last input unit) fires once at ``bias_time_s``.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import numpy as np

from snn_deploy.errors import UnsupportedError

DATASETS: tuple[str, ...] = ("xor", "iris", "yinyang", "spikeorder")

R_BIG = 0.5
R_SMALL = 0.1
_YINYANG_SEEDS = {"train": 42, "test": 40}
_YINYANG_SIZES = {"train": 5000, "test": 1000}
_IRIS_SPLIT_SEED = 0
_IRIS_TEST_PER_CLASS = 10
SPIKEORDER_CHANNELS = 4
#: largest shift of a spike from its slot centre, in slots (< 1/2: spikes of different slots never swap)
SPIKEORDER_JITTER = 0.3
_SPIKEORDER_SEEDS = {"train": 7, "test": 8}
_SPIKEORDER_SIZES = {"train": 2000, "test": 500}


@dataclass(frozen=True)
class Dataset:
    """Features ``[samples, features]`` in [0, 1] and integer labels, split into train and test."""

    name: str
    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray

    @property
    def classes(self) -> int:
        return int(max(self.train_y.max(), self.test_y.max())) + 1

    @property
    def features(self) -> int:
        return int(self.train_x.shape[1])


@dataclass(frozen=True)
class LatencyEncoding:
    """Feature ``f`` in [0, 1] -> one spike at ``t_max_s (1 - f)``; a bias unit firing at ``bias_time_s``."""

    t_max_s: float
    bias_time_s: float | None = None

    def units(self, features: int) -> int:
        return features + (self.bias_time_s is not None)

    def encode(self, features: np.ndarray) -> np.ndarray:
        """``[samples, units, 1]`` spike times (bias unit last)."""
        times = self.t_max_s * (1.0 - np.asarray(features, dtype=np.float64))
        if self.bias_time_s is not None:
            times = np.concatenate([times, np.full((times.shape[0], 1), float(self.bias_time_s))], axis=1)
        return times[:, :, None]

    def as_metadata(self) -> dict:
        return {"kind": "latency", "t_max_s": self.t_max_s, "bias_time_s": self.bias_time_s,
                "rule": "t = t_max_s * (1 - feature); bias unit (last) at bias_time_s"}


def load(name: str) -> Dataset:
    """The dataset called ``name`` (one of :data:`DATASETS`); deterministic."""
    if name == "xor":
        return xor()
    if name == "iris":
        return iris()
    if name == "yinyang":
        return yinyang()
    if name == "spikeorder":
        return spikeorder()
    raise UnsupportedError(f"unknown dataset '{name}' (known: {', '.join(DATASETS)})")


def xor() -> Dataset:
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0])
    return Dataset("xor", x, y, x.copy(), y.copy())


def iris() -> Dataset:
    text = resources.files("snn_deploy.reference").joinpath("data/iris.csv").read_text()
    table = np.loadtxt(text.splitlines()[1:], delimiter=",")
    features, labels = table[:, :4], table[:, 4].astype(np.int64)
    low, high = features.min(axis=0), features.max(axis=0)
    scaled = (features - low) / (high - low)
    scaled = np.concatenate([scaled, 1.0 - scaled], axis=1)
    rng = np.random.default_rng(_IRIS_SPLIT_SEED)
    test = np.zeros(labels.size, dtype=bool)
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        test[rng.choice(members, _IRIS_TEST_PER_CLASS, replace=False)] = True
    return Dataset("iris", scaled[~test], labels[~test], scaled[test], labels[test])


def yinyang_class(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Class of points inside the big disc: 2 (dot) within ``r_small`` of a dot centre, 1 (yin), 0 (yang).

    Dots are centred at ``(0.25, 0.5)`` (left) and ``(0.75, 0.5)`` (right). Yin is the right dot's disc,
    the ring ``r_small < d_left <= r_big / 2`` around the left dot, and the upper half outside the
    right half-disc (``y > r_big`` and ``d_right > r_big / 2``).
    """
    d_right = np.hypot(x - 1.5 * R_BIG, y - R_BIG)
    d_left = np.hypot(x - 0.5 * R_BIG, y - R_BIG)
    yin = (d_right <= R_SMALL) | ((d_left > R_SMALL) & (d_left <= 0.5 * R_BIG)) | ((y > R_BIG) & (d_right > 0.5 * R_BIG))
    dot = (d_right < R_SMALL) | (d_left < R_SMALL)
    return np.where(dot, 2, yin.astype(np.int64))


def _yinyang_split(size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    goals = rng.integers(0, 3, size)
    points = np.full((size, 2), np.nan)
    missing = np.arange(size)
    while missing.size:
        xy = rng.uniform(0.0, 2.0 * R_BIG, (missing.size, 2))
        inside = np.hypot(xy[:, 0] - R_BIG, xy[:, 1] - R_BIG) <= R_BIG
        hit = inside & (yinyang_class(xy[:, 0], xy[:, 1]) == goals[missing])
        points[missing[hit]] = xy[hit]
        missing = missing[~hit]
    x, y = points[:, 0], points[:, 1]
    return np.stack([x, 1.0 - x, y, 1.0 - y], axis=1), goals


def yinyang() -> Dataset:
    train_x, train_y = _yinyang_split(_YINYANG_SIZES["train"], _YINYANG_SEEDS["train"])
    test_x, test_y = _yinyang_split(_YINYANG_SIZES["test"], _YINYANG_SEEDS["test"])
    return Dataset("yinyang", train_x, train_y, test_x, test_y)


def spikeorder_class(times: np.ndarray) -> np.ndarray:
    """``[t_A < t_B] + 2 [t_C < t_D]`` for ``[samples, 4]`` spike times of channels A, B, C, D."""
    times = np.asarray(times)
    return (times[:, 0] < times[:, 1]).astype(np.int64) + 2 * (times[:, 2] < times[:, 3]).astype(np.int64)


def _spikeorder_split(size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    slots = rng.permuted(np.tile(np.arange(SPIKEORDER_CHANNELS), (size, 1)), axis=1)
    jitter = rng.uniform(-SPIKEORDER_JITTER, SPIKEORDER_JITTER, slots.shape)
    times = (slots + 0.5 + jitter) / SPIKEORDER_CHANNELS
    return 1.0 - times, spikeorder_class(times)


def spikeorder() -> Dataset:
    train_x, train_y = _spikeorder_split(_SPIKEORDER_SIZES["train"], _SPIKEORDER_SEEDS["train"])
    test_x, test_y = _spikeorder_split(_SPIKEORDER_SIZES["test"], _SPIKEORDER_SEEDS["test"])
    return Dataset("spikeorder", train_x, train_y, test_x, test_y)
