"""Eigenvalue comparison: a constructed boundary crossing and a lost oscillation are flagged; a faithful one passes."""
from __future__ import annotations

import numpy as np

from snn_deploy.check.dynamics import compare_spectra, exact_update


def _rotation(radius: float, angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return radius * np.array([[c, -s], [s, c]])


def test_exact_update_matches_closed_form_of_a_damped_oscillator():
    # x' = M x with eigenvalues -a +- i w  ->  e^{M dt} has eigenvalues e^{-a dt} e^{+- i w dt}
    a, w, dt = 20.0, 300.0, 1e-3
    system = np.array([[-a, -w], [w, -a]])
    mu = np.linalg.eigvals(exact_update(system, dt))
    assert np.allclose(np.sort(np.abs(mu)), np.exp(-a * dt))
    assert np.allclose(np.sort(np.abs(np.angle(mu))), w * dt)


def test_crossing_the_unit_circle_is_flagged_and_a_small_shift_is_not():
    near = _rotation(0.999, 0.3)
    assert compare_spectra(near, _rotation(0.9995, 0.3)).preserved
    crossed = compare_spectra(near, _rotation(1.0005, 0.3))
    assert crossed.crossed_stability == 2 and not crossed.preserved
    assert "crossed the stability boundary" in crossed.describe()


def test_oscillatory_pair_turning_real_is_flagged():
    oscillating = _rotation(0.95, 0.01)
    damped_real = np.diag([0.95, 0.94])
    result = compare_spectra(oscillating, damped_real)
    assert result.lost_oscillation == 1 and result.gained_oscillation == 0 and not result.preserved
    assert compare_spectra(damped_real, oscillating).gained_oscillation == 1
