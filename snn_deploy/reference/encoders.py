r"""Spike encoders (features -> :class:`SpikeEvents`) and firing-rate read-outs (spikes -> rates).

* :func:`latency_encode`: one spike per feature at :math:`t = T (1 - \hat x)`, :math:`\hat x` the feature
  normalised to [0, 1] (Lee, Haghighatshoar & Karbasi's time-to-first-spike input coding);
* :func:`add_bias_unit`: an extra input unit that fires once at a fixed time in every sample (the
  paper's bias spike, a learnable constant drive through its weights);
* :func:`poisson_encode`: homogeneous Poisson spike trains of given rates, from a seeded generator;
* :func:`spike_counts` / :func:`window_rate`: spikes per unit in ``[t_start, t_end)``, and that count
  divided by the window length (Hz);
* :func:`smoothed_rate`: the causal exponential-kernel rate
  :math:`r(t) = \sum_{t_k \le t} e^{-(t - t_k)/\tau} / \tau` (Hz; its time integral is the spike count).
"""
from __future__ import annotations

import numpy as np

from snn_deploy.errors import UnsupportedError
from snn_deploy.spikes import SpikeEvents


def _batch_units(values: np.ndarray, name: str) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 2 or not np.all(np.isfinite(array)):
        raise UnsupportedError(f"{name} must be a finite [batch, units] array, got shape {array.shape}")
    return array


def latency_encode(
    features: np.ndarray, t_max_s: float, *, feature_min: float | np.ndarray | None = None,
    feature_max: float | np.ndarray | None = None,
) -> SpikeEvents:
    """One spike per feature at ``t_max_s * (1 - (x - min) / (max - min))`` (clipped to ``[0, t_max_s]``).

    ``features`` is ``[batch, units]``; ``feature_min``/``feature_max`` (scalars or per unit) default to
    the smallest and largest value in ``features``. A unit with ``max == min`` fires at ``t_max_s``.
    """
    x = _batch_units(features, "features")
    if not t_max_s > 0:
        raise UnsupportedError(f"t_max_s must be > 0, got {t_max_s}")
    lo = np.broadcast_to(np.min(x) if feature_min is None else np.asarray(feature_min, float), x.shape[1:])
    hi = np.broadcast_to(np.max(x) if feature_max is None else np.asarray(feature_max, float), x.shape[1:])
    span = hi - lo
    if np.any(span < 0):
        raise UnsupportedError("latency_encode: feature_max must be >= feature_min")
    normalised = np.divide(x - lo, span, out=np.zeros_like(x), where=span > 0)
    times = t_max_s * (1.0 - np.clip(normalised, 0.0, 1.0))
    batch, units = x.shape
    sample, unit = np.divmod(np.arange(batch * units), units)
    return SpikeEvents(sample, unit, times.ravel(), batch, units)


def add_bias_unit(events: SpikeEvents, time_s: float) -> SpikeEvents:
    """``events`` plus a unit (index ``events.units``) firing once at ``time_s`` in every sample."""
    if not (np.isfinite(time_s) and time_s >= 0):
        raise UnsupportedError(f"bias spike time must be finite and >= 0, got {time_s}")
    sample = np.concatenate([events.sample, np.arange(events.batch)])
    unit = np.concatenate([events.unit, np.full(events.batch, events.units)])
    time = np.concatenate([events.time_s, np.full(events.batch, float(time_s))])
    return SpikeEvents(sample, unit, time, events.batch, events.units + 1)


def poisson_encode(rates_hz: np.ndarray, t_end_s: float, seed: int) -> SpikeEvents:
    """Independent homogeneous Poisson trains on ``[0, t_end_s)``: counts ~ Poisson(rate T), times uniform.

    ``rates_hz`` is ``[batch, units]``; the same seed gives the same events.
    """
    rates = _batch_units(rates_hz, "rates_hz")
    if np.any(rates < 0) or not t_end_s > 0:
        raise UnsupportedError("poisson_encode: rates must be >= 0 and t_end_s > 0")
    rng = np.random.default_rng(seed)
    counts = rng.poisson(rates * t_end_s).ravel()
    cell = np.repeat(np.arange(counts.size), counts)
    times = rng.uniform(0.0, t_end_s, cell.size)
    sample, unit = np.divmod(cell, rates.shape[1])
    return SpikeEvents(sample, unit, times, rates.shape[0], rates.shape[1])


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


def smoothed_rate(events: SpikeEvents, times_s: np.ndarray, tau_s: float) -> np.ndarray:
    """``[batch, len(times_s), units]``: :math:`\\sum_{t_k \\le t} e^{-(t - t_k)/\\tau} / \\tau` in Hz."""
    if not tau_s > 0:
        raise UnsupportedError(f"smoothed_rate: tau_s must be > 0, got {tau_s}")
    times = np.asarray(times_s, dtype=np.float64).reshape(-1)
    rate = np.zeros((events.batch, times.size, events.units))
    lag = times[None, :] - events.time_s[:, None]  # [spikes, times]
    kernel = np.where(lag >= 0, np.exp(-np.maximum(lag, 0.0) / tau_s) / tau_s, 0.0)
    np.add.at(rate, (events.sample[:, None], np.arange(times.size)[None, :], events.unit[:, None]), kernel)
    return rate
