"""First-spike cross-entropy and the silence penalty: values and gradients against finite differences."""
from __future__ import annotations

import numpy as np

from snn_deploy.reference.decoding import accuracy, first_spike_class
from snn_deploy.reference.losses import FirstSpikeLoss, SilencePenalty

LOSS = FirstSpikeLoss(tau0_s=2.5e-3, tau1_s=32e-3, gamma=0.005, t_silent_s=15e-3)


def test_loss_value_matches_its_equation() -> None:
    times = np.array([[4e-3, 6e-3, 9e-3]])
    loss, _ = LOSS(times, np.array([1]))
    p = np.exp(-times[0] / LOSS.tau0_s) / np.exp(-times[0] / LOSS.tau0_s).sum()
    assert np.isclose(loss, -np.log(p[1]) + LOSS.gamma * (np.exp(6e-3 / LOSS.tau1_s) - 1), rtol=1e-14)


def test_loss_gradient_equals_finite_differences() -> None:
    rng = np.random.default_rng(0)
    times = rng.uniform(2e-3, 12e-3, (6, 3))
    times[1, 2] = times[4, 0] = np.inf  # silent neurons, one of them a label
    labels = np.array([0, 1, 2, 0, 0, 1])
    _, grad = LOSS(times, labels)
    h = 1e-9
    for index in zip(*np.nonzero(np.isfinite(times))):
        plus, minus = times.copy(), times.copy()
        plus[index] += h
        minus[index] -= h
        numeric = (LOSS(plus, labels)[0] - LOSS(minus, labels)[0]) / (2 * h)
        assert abs(grad[index] - numeric) <= 1e-6 * max(1.0, abs(numeric))
    assert grad[1, 2] == 0 and grad[4, 0] == 0


def test_silent_neurons_count_as_firing_at_t_silent() -> None:
    labels = np.array([0])
    silent, _ = LOSS(np.array([[np.inf, 5e-3]]), labels)
    late, _ = LOSS(np.array([[LOSS.t_silent_s, 5e-3]]), labels)
    assert silent == late and np.isfinite(silent)


def test_silence_penalty_gradient_is_exact() -> None:
    rng = np.random.default_rng(1)
    u = rng.normal(0.2, 0.3, (3, 4))
    activity = rng.integers(0, 3, (5, 4)).astype(float)
    mask = rng.random((5, 3)) < 0.5
    penalty = SilencePenalty(kappa=0.7)

    def value(w: np.ndarray) -> float:
        return penalty.kappa * np.sum(mask * np.maximum(0.0, 1.0 - activity @ w.T)) / activity.shape[0]

    grad = penalty.gradient(u, activity, mask)
    h = 1e-7
    for index in np.ndindex(u.shape):
        plus, minus = u.copy(), u.copy()
        plus[index] += h
        minus[index] -= h
        assert abs(grad[index] - (value(plus) - value(minus)) / (2 * h)) < 1e-6
    assert np.any(grad != 0)


def test_first_spike_decisions() -> None:
    times = np.array([[3.0, 1.0, 2.0], [np.inf, np.inf, np.inf], [1.0, 1.0, 4.0], [5.0, np.inf, 6.0]])
    np.testing.assert_array_equal(first_spike_class(times), [1, -1, -1, 0])
    assert accuracy(times, np.array([1, 0, 0, 0])) == 0.5
