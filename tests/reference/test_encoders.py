"""Encoders: exact latency and bias times, Poisson statistics and determinism."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from snn_deploy.errors import UnsupportedError
from snn_deploy.reference.decoding import spike_counts
from snn_deploy.reference.encoders import add_bias_unit, latency_encode, poisson_encode
from snn_deploy.spikes import SpikeEvents


def test_latency_code_is_t_max_times_one_minus_normalised_feature():
    features = np.array([[0.0, 2.0, 4.0], [1.0, 3.0, 4.0]])
    events = latency_encode(features, 0.01)
    assert (events.batch, events.units, events.time_s.size) == (2, 3, 6)
    times = np.zeros((2, 3))
    times[events.sample, events.unit] = events.time_s
    np.testing.assert_allclose(times, 0.01 * (1 - features / 4.0), rtol=0, atol=1e-18)


def test_latency_code_with_per_unit_range_clips_and_handles_constant_units():
    features = np.array([[5.0, -1.0, 7.0]])
    events = latency_encode(features, 2.0, feature_min=[0.0, 0.0, 7.0], feature_max=[10.0, 1.0, 7.0])
    by_unit = dict(zip(events.unit.tolist(), events.time_s.tolist()))
    assert by_unit == {0: 1.0, 1: 2.0, 2: 2.0}  # 0.5 -> T/2; below min -> T; zero span -> T


def test_bias_unit_fires_once_per_sample_at_its_time():
    events = SpikeEvents([0, 1], [0, 1], [0.002, 0.003], 2, 2)
    with_bias = add_bias_unit(events, 0.001)
    assert with_bias.units == 3
    for b in range(2):
        unit, time = with_bias.for_sample(b)
        assert list(time[unit == 2]) == [0.001]
        assert np.sum(unit < 2) == 1


def test_poisson_counts_and_intervals_follow_the_rate():
    rates = np.array([[50.0, 200.0, 0.0]] * 40)
    a = poisson_encode(rates, 2.0, seed=7)
    b = poisson_encode(rates, 2.0, seed=7)
    np.testing.assert_array_equal(a.time_s, b.time_s)
    assert not np.array_equal(a.time_s, poisson_encode(rates, 2.0, seed=8).time_s)
    counts = spike_counts(a)
    assert counts[:, 2].sum() == 0
    for unit, rate in ((0, 50.0), (1, 200.0)):
        expected = rate * 2.0 * 40
        assert abs(counts[:, unit].sum() - expected) < 5 * np.sqrt(expected)
        # inter-spike intervals of a Poisson process are exponential with mean 1 / rate
        intervals = np.concatenate([np.diff(a.time_s[(a.sample == s) & (a.unit == unit)]) for s in range(40)])
        assert stats.kstest(intervals, "expon", args=(0, 1 / rate)).pvalue > 1e-3


def test_poisson_rejects_negative_rates_and_empty_duration():
    with pytest.raises(UnsupportedError):
        poisson_encode(np.array([[-1.0]]), 1.0, seed=0)
    with pytest.raises(UnsupportedError):
        poisson_encode(np.array([[1.0]]), 0.0, seed=0)
