"""Rate read-outs: the window rate is count / length; the IFR equals its closed form on hand-built trains."""
from __future__ import annotations

import numpy as np
import pytest

from snn_deploy.errors import UnsupportedError
from snn_deploy.reference.decoding import instantaneous_rate, spike_counts, window_rate
from snn_deploy.spikes import SpikeEvents


def test_window_rate_is_count_over_window():
    events = SpikeEvents([0, 0, 0, 0], [1, 1, 0, 1], [0.01, 0.02, 0.03, 0.05], 1, 2)
    np.testing.assert_array_equal(spike_counts(events, 0.0, 0.04), [[1, 2]])
    np.testing.assert_allclose(window_rate(events, 0.0, 0.04), [[25.0, 50.0]])
    with pytest.raises(UnsupportedError):
        window_rate(events, 0.1, 0.1)


def test_ifr_of_a_regular_train_is_the_geometric_series():
    # spikes every P from 0: just after the k-th spike (t = (k - 1) P), r = (1 - q^k) / (tau (1 - q)), q = e^{-P/tau};
    # over the period after the last (n-th) spike its mean is (1 - q^n) / P -> the train's rate 1/P.
    period, tau, n = 0.01, 0.05, 40
    train = SpikeEvents(np.zeros(n, int), np.zeros(n, int), period * np.arange(n), 1, 1)
    q = np.exp(-period / tau)
    k = np.array([1, 2, 10, 40])
    rate = instantaneous_rate(train, period * (k - 1), tau)[0, :, 0]
    np.testing.assert_allclose(rate, (1 - q**k) / (tau * (1 - q)), rtol=1e-12)
    grid = period * (n - 1) + np.linspace(0, period, 20_001)
    mean = np.trapezoid(instantaneous_rate(train, grid, tau)[0, :, 0], grid) / period
    np.testing.assert_allclose(mean, (1 - q**n) / period, rtol=1e-6)


def test_ifr_is_causal_per_sample_and_unit_and_integrates_to_the_count():
    events = SpikeEvents([0, 0, 0, 1], [1, 1, 0, 1], [0.01, 0.02, 0.03, 0.015], 2, 2)
    tau = 0.01
    rate = instantaneous_rate(events, [0.0, 0.01, 0.025], tau)
    np.testing.assert_allclose(rate[0, :, 1], [0.0, 1 / tau, (np.exp(-1.5) + np.exp(-0.5)) / tau])
    np.testing.assert_allclose(rate[1, :, 1], [0.0, 0.0, np.exp(-1.0) / tau])
    assert np.all(rate[:, :, 0][:, :2] == 0)
    grid = np.linspace(0, 1.0, 200_001)
    integral = np.trapezoid(instantaneous_rate(events, grid, tau), grid, axis=1)
    np.testing.assert_allclose(integral, [[1.0, 2.0], [0.0, 1.0]], rtol=1e-3, atol=1e-12)
    with pytest.raises(UnsupportedError):
        instantaneous_rate(events, [0.0], 0.0)
