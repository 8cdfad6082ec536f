r"""Spike encoders: features -> :class:`SpikeEvents` (read-outs are in :mod:`snn_deploy.reference.decoding`).

* :func:`latency_encode`: one spike per feature at :math:`t = T (1 - \hat x)`, :math:`\hat x` the feature
  normalised to [0, 1] (Lee, Haghighatshoar & Karbasi's time-to-first-spike input coding);
* :func:`add_bias_unit`: an extra input unit that fires once at a fixed time in every sample (the
  paper's bias spike, a learnable constant drive through its weights);
* :func:`poisson_encode`: homogeneous Poisson spike trains of given rates, from a seeded generator (the
  scSNN input: a value is the rate of a unit).
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
