r"""The example classification tasks, as features in [0, 1], and their latency encoding to spike times.

Every dataset has a train, a validation and a test split. Training, and every choice made about a model
(epochs, hyper-parameters, deployment settings), may look at train and validation only; the test split is
built on request (:meth:`Dataset.test`) to measure a model once after it has been selected.

* ``xor``: the 4 points of {0, 1}^2, label ``x1 xor x2``; train = validation = test (the 4 points are the
  whole input space; the split descriptions say so).
* ``iris``: Fisher's 150 flowers (vendored ``data/iris.csv``), 4 features scaled to [0, 1] by the table's
  per-feature min/max and mirrored as for Yin-Yang, ``(f, 1 - f)`` (8 features: under latency coding a
  small value then also fires early); a seeded stratified split, 30 train / 10 validation / 10 test per class (90 / 30 / 30).
* ``yinyang``: Kriener, Goeltz & Petrovici (2022): points ``(x, y)`` uniform in the disc of radius
  ``r_big = 0.5`` centred at ``(0.5, 0.5)``, classes yang (0), yin (1) and dot (2) by :func:`yinyang_class`;
  each sample first draws its class uniformly, then rejection-samples a point of that class; features
  ``(x, 1 - x, y, 1 - y)``; the original protocol's splits: 5000 train (seed 42), 1000 validation (seed 41)
  and 1000 test samples (seed 40). (The definition is the published one; the random stream is numpy's, so the samples are not those of the original code.)
* ``spikeorder``: a spike-sequence-to-label task. Four channels ``A, B, C, D`` each fire exactly once, at
  the four slot centres ``(s + 1/2) / 4`` of the unit interval in a uniformly random order (slot ``s``),
  each moved by a uniform jitter of at most ``SPIKEORDER_JITTER`` slots; the label is
  :func:`spikeorder_class`, ``[t_A < t_B] + 2 [t_C < t_D]`` (4 balanced classes). Every channel fires once
  in every sample, so spike counts (a rate code) carry no information: only the order does, and deciding
  it means holding an early spike until a later one arrives. Feature ``1 - t`` (``t`` the spike's place in
  the unit interval), so latency coding (below) puts the spike at ``t_max_s * t``; 2000 train (seed 7),
  500 validation (seed 9) and 500 test samples (seed 8), each split an independent draw of the generator.

Latency coding (Lee et al.): feature ``f`` becomes one spike at ``t_max_s * (1 - f)``; an optional bias unit
(the last input unit) fires once at ``bias_time_s``.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import numpy as np

from snn_deploy.errors import UnsupportedError

DATASETS: tuple[str, ...] = ("xor", "iris", "yinyang", "spikeorder")

SPLITS: tuple[str, ...] = ("train", "validation", "test")

R_BIG = 0.5
R_SMALL = 0.1
#: the original protocol (Kriener, Goeltz & Petrovici 2022, their ``yin_yang_dataset`` seeds and sizes)
_YINYANG_SEEDS = {"train": 42, "validation": 41, "test": 40}
_YINYANG_SIZES = {"train": 5000, "validation": 1000, "test": 1000}
_IRIS_SPLIT_SEED = 0
#: rows per class of each split (50 per class in the table: 30 / 10 / 10)
_IRIS_PER_CLASS = {"train": 30, "validation": 10, "test": 10}
SPIKEORDER_CHANNELS = 4
#: largest shift of a spike from its slot centre, in slots (< 1/2: spikes of different slots never swap)
SPIKEORDER_JITTER = 0.3
_SPIKEORDER_SEEDS = {"train": 7, "validation": 9, "test": 8}
_SPIKEORDER_SIZES = {"train": 2000, "validation": 500, "test": 500}

@dataclass(frozen=True)
class Dataset:
    """Features ``[samples, features]`` in [0, 1] and integer labels of the train and validation splits.

    The test split is not an attribute: :meth:`test` builds it on each call (:func:`load_test`), so code that
    trains or selects can be shown never to ask for it (the tests replace :func:`load_test` by one that raises).
    ``splits`` says how each split (``train``, ``validation``, ``test``) is made.
    """

    name: str
    classes: int
    train_x: np.ndarray
    train_y: np.ndarray
    validation_x: np.ndarray
    validation_y: np.ndarray
    splits: dict[str, str]

    @property
    def features(self) -> int:
        return int(self.train_x.shape[1])

    def test(self) -> tuple[np.ndarray, np.ndarray]:
        """``(x, y)`` of the held-out test split, built now (only for measuring a model already selected)."""
        return load_test(self.name)

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """``(x, y)`` of the split ``name`` (one of :data:`SPLITS`; ``test`` through :meth:`test`)."""
        if name == "train":
            return self.train_x, self.train_y
        if name == "validation":
            return self.validation_x, self.validation_y
        if name == "test":
            return self.test()
        raise UnsupportedError(f"dataset '{self.name}': unknown split '{name}' (known: {', '.join(SPLITS)})")


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
    """The train and validation splits of the dataset called ``name`` (one of :data:`DATASETS`); deterministic."""
    if name == "xor":
        return xor()
    if name == "iris":
        return iris()
    if name == "yinyang":
        return yinyang()
    if name == "spikeorder":
        return spikeorder()
    raise UnsupportedError(f"unknown dataset '{name}' (known: {', '.join(DATASETS)})")


def load_test(name: str) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` of the test split of ``name``, built on this call (see :class:`Dataset`)."""
    if name == "xor":
        return _xor_points()
    if name == "iris":
        x, y, members = _iris_table()
        return x[members["test"]], y[members["test"]]
    if name == "yinyang":
        return _yinyang_split(_YINYANG_SIZES["test"], _YINYANG_SEEDS["test"])
    if name == "spikeorder":
        return _spikeorder_split(_SPIKEORDER_SIZES["test"], _SPIKEORDER_SEEDS["test"])
    raise UnsupportedError(f"unknown dataset '{name}' (known: {', '.join(DATASETS)})")


def _xor_points() -> tuple[np.ndarray, np.ndarray]:
    return np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]), np.array([0, 1, 1, 0])


def xor() -> Dataset:
    x, y = _xor_points()
    same = "the same 4 points as train (XOR has no held-out data: the 4 points are its whole input space)"
    return Dataset("xor", 2, x, y, x.copy(), y.copy(),
                   {"train": "the 4 points of {0, 1}^2", "validation": same, "test": same})


def _iris_table() -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Scaled, mirrored features, labels and per split a boolean row mask (seeded, stratified: per class,
    first the test rows, then the validation rows are drawn from the rest, the remaining rows train)."""
    text = resources.files("snn_deploy.reference").joinpath("data/iris.csv").read_text()
    table = np.loadtxt(text.splitlines()[1:], delimiter=",")
    features, labels = table[:, :4], table[:, 4].astype(np.int64)
    low, high = features.min(axis=0), features.max(axis=0)
    scaled = (features - low) / (high - low)
    scaled = np.concatenate([scaled, 1.0 - scaled], axis=1)
    rng = np.random.default_rng(_IRIS_SPLIT_SEED)
    members = {split: np.zeros(labels.size, dtype=bool) for split in SPLITS}
    for split in ("test", "validation"):
        for label in np.unique(labels):
            free = np.flatnonzero((labels == label) & ~members["test"] & ~members["validation"])
            members[split][rng.choice(free, _IRIS_PER_CLASS[split], replace=False)] = True
    members["train"] = ~members["test"] & ~members["validation"]
    return scaled, labels, members


def iris() -> Dataset:
    x, y, members = _iris_table()
    splits = {split: f"{_IRIS_PER_CLASS[split]} rows per class, stratified, seed {_IRIS_SPLIT_SEED}"
              for split in SPLITS}
    return Dataset("iris", 3, x[members["train"]], y[members["train"]], x[members["validation"]],
                   y[members["validation"]], splits)


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


def _generated_splits(sizes: dict[str, int], seeds: dict[str, int]) -> dict[str, str]:
    return {split: f"{sizes[split]} samples drawn from seed {seeds[split]}" for split in SPLITS}


def yinyang() -> Dataset:
    train_x, train_y = _yinyang_split(_YINYANG_SIZES["train"], _YINYANG_SEEDS["train"])
    validation_x, validation_y = _yinyang_split(_YINYANG_SIZES["validation"], _YINYANG_SEEDS["validation"])
    return Dataset("yinyang", 3, train_x, train_y, validation_x, validation_y,
                   _generated_splits(_YINYANG_SIZES, _YINYANG_SEEDS))


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
    validation_x, validation_y = _spikeorder_split(_SPIKEORDER_SIZES["validation"], _SPIKEORDER_SEEDS["validation"])
    return Dataset("spikeorder", SPIKEORDER_CHANNELS, train_x, train_y, validation_x, validation_y,
                   _generated_splits(_SPIKEORDER_SIZES, _SPIKEORDER_SEEDS))
