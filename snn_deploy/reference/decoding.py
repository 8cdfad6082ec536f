r"""Read-outs: what output spikes say, as a class (first spike) or as firing rates (window, IFR).

* :func:`first_spike_class` / :func:`accuracy`: the output neuron that fires first wins. A sample is
  classified as -1 (always wrong) when no output neuron fires, or when the earliest first spike time is
  shared exactly by several neurons (a tie has no winner).
* :func:`spike_counts` / :func:`window_rate`: spikes per unit in ``[t_0, t_1)``, and that count divided by
  the window length, :math:`r = N[t_0, t_1) / (t_1 - t_0)` (Hz).
* :func:`instantaneous_rate`: the instantaneous firing rate (IFR) read-out of scSNN (Zhang & Zhou,
  NeurIPS'22), estimated with a causal exponential kernel

  .. math:: r(t) = \frac{1}{\tau} \sum_{t_k \le t} e^{-(t - t_k)/\tau} \quad \text{(Hz)},

  whose time integral is the spike count and whose mean, for a Poisson train of constant rate
  :math:`\rho` observed long after its start, is :math:`\rho`.
"""
from __future__ import annotations

import numpy as np

from snn_deploy.errors import UnsupportedError
from snn_deploy.spikes import SpikeEvents


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


def spike_counts(events: SpikeEvents, t_start_s: float = 0.0, t_end_s: float = np.inf) -> np.ndarray:
    """``[batch, units]`` int64: spikes of each unit in ``[t_start_s, t_end_s)``."""
    keep = (events.time_s >= t_start_s) & (events.time_s < t_end_s)
    counts = np.zeros((events.batch, events.units), dtype=np.int64)
    np.add.at(counts, (events.sample[keep], events.unit[keep]), 1)
    return counts


def window_rate(events: SpikeEvents, t_start_s: float, t_end_s: float) -> np.ndarray:
    """``[batch, units]`` firing rate in Hz: the spike count in ``[t_start_s, t_end_s)`` over the window length."""
    if not t_end_s > t_start_s:
        raise UnsupportedError(f"window_rate: t_end_s ({t_end_s}) must exceed t_start_s ({t_start_s})")
    return spike_counts(events, t_start_s, t_end_s) / (t_end_s - t_start_s)


def instantaneous_rate(events: SpikeEvents, times_s: np.ndarray, tau_s: float) -> np.ndarray:
    r"""``[batch, len(times_s), units]``: the IFR :math:`\sum_{t_k \le t} e^{-(t - t_k)/\tau} / \tau` in Hz."""
    if not (np.isfinite(tau_s) and tau_s > 0):
        raise UnsupportedError(f"instantaneous_rate: tau_s must be > 0, got {tau_s}")
    times = np.asarray(times_s, dtype=np.float64).reshape(-1)
    rate = np.zeros((events.batch, times.size, events.units))
    lag = times[None, :] - events.time_s[:, None]  # [spikes, times]
    kernel = np.where(lag >= 0, np.exp(-np.maximum(lag, 0.0) / tau_s) / tau_s, 0.0)
    np.add.at(rate, (events.sample[:, None], np.arange(times.size)[None, :], events.unit[:, None]), kernel)
    return rate
