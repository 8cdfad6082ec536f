"""first_above against numpy's polynomial roots: the first crossing of theta, or none, for peaks that graze
theta from either side, and termination where the peak touches theta exactly."""
from __future__ import annotations

import numpy as np
import pytest
from numpy.polynomial import Polynomial
from scipy.optimize import brentq

from snn_deploy.reference.polynomial_crossing import first_above, hermite_upper


def _peaks(p: Polynomial, width: float) -> np.ndarray:
    """The interior stationary points of ``p`` on ``(0, width)`` (real roots of ``p'``)."""
    roots = p.deriv().roots()
    real = roots[np.abs(roots.imag) <= 1e-9 * width].real
    return np.sort(real[(real > 0) & (real < width)])


def _first_root(p: Polynomial, theta: float, width: float) -> float | None:
    """The first crossing from samples and the stationary points, bracketed and found by brentq."""
    s = np.sort(np.r_[np.linspace(0.0, width, 2001), _peaks(p, width)])
    above = np.flatnonzero(p(s) > theta)
    if above.size == 0:
        return None
    k = above[0]
    return brentq(lambda t: p(t) - theta, s[k - 1], s[k], xtol=1e-22, rtol=8.9e-16)


def test_grazing_peaks_of_random_polynomials_match_the_roots():
    rng = np.random.default_rng(3)
    width = 2e-4
    crossings = misses = 0
    for _ in range(300):
        # v' with two roots inside: - -> + -> - (or + -> -), plus small higher-order terms, as on a grid step
        s1, s2 = np.sort(rng.uniform(-0.3, 1.0, 2)) * width
        cubic = Polynomial.fromroots([s1, s2]).integ() * (-3.0 * 10.0 ** rng.uniform(3, 8))
        p = cubic + Polynomial(np.r_[rng.uniform(-1, 1), np.zeros(3), rng.normal(0, 1e8, 5)])
        peaks = _peaks(p, width)
        if peaks.size == 0:
            continue
        top = peaks[np.argmax(p(peaks))]
        if p(top) <= max(p(0.0), p(width)):
            continue
        gap = min(10.0 ** rng.uniform(-13, -6), 0.5 * (p(top) - max(p(0.0), p(width))))
        theta = p(top) - gap if rng.integers(0, 2) else p(top) + gap
        got = first_above(p.coef, theta, width, 0.1)
        expected = _first_root(p, theta, width)
        if expected is None:
            misses += 1
            assert got == -1.0, (p, theta, got)
        else:
            crossings += 1
            slope = abs(p.deriv()(expected))
            assert p(got) > theta and abs(got - expected) <= 1e-13 / slope + 2e-15, (p, theta, got, expected)
    assert crossings >= 60 and misses >= 60, (crossings, misses)


def test_a_peak_touching_theta_ends_the_search():
    """``p = 1/2 - 2^20 (s - 2^-14)^2`` (coefficients exact in binary) touches 1/2 at ``s0 = 2^-14``: the search
    ends, with no crossing or one within the ~1e-11 s where the computed ``p`` can round above 1/2."""
    s0 = 2.0**-14
    tangent = np.array([0.5 - 2.0**-8, 2.0**7, -(2.0**20)])
    got = first_above(tangent, 0.5, 1e-4, 0.0)
    assert got == -1.0 or abs(got - s0) < 1e-10, got
    assert first_above(tangent, np.nextafter(0.5, 0.0), 1e-4, 0.0) == pytest.approx(s0, rel=1e-6)
    assert first_above(tangent, 0.2, 1e-4, 0.0) == 0.0  # above at s = 0


def test_hermite_upper_bounds_a_function_with_a_known_fourth_derivative():
    rng = np.random.default_rng(5)
    for _ in range(200):
        omega, phase, width = rng.uniform(0.1, 3.0), rng.uniform(0, 2 * np.pi), rng.uniform(0.1, 2.0)
        s = np.linspace(0.0, width, 401)
        f = np.sin(omega * s + phase)
        slope = omega * np.cos(omega * s + phase)
        bound = hermite_upper(f[0], slope[0], f[-1], slope[-1], width, omega**4)
        assert f.max() <= bound + 1e-15
