"""Class decisions from output spikes: the output neuron that fires first wins.

A sample is classified as -1 (always wrong) when no output neuron fires, or when the earliest first
spike time is shared exactly by several neurons (a tie has no winner).
"""
from __future__ import annotations

import numpy as np


def first_spike_class(first_times: np.ndarray) -> np.ndarray:
    """``[batch]`` predicted classes from ``[batch, classes]`` first spike times (inf = silent)."""
    earliest = first_times.min(axis=1, keepdims=True)
    winners = first_times == earliest
    predicted = np.argmax(winners, axis=1)
    undecided = ~np.isfinite(earliest[:, 0]) | (winners.sum(axis=1) != 1)
    return np.where(undecided, -1, predicted)


def accuracy(first_times: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of samples whose first-spike class equals the label."""
    return float(np.mean(first_spike_class(first_times) == labels))
