r"""Dynamics-preserving quantization check (BSNN): eigenvalues of the sub-threshold update before and after.

Between spikes a population's state ``x`` (synaptic currents and membranes) evolves linearly,
:math:`\dot x = M x + c`, so one time step of ``dt`` is exactly :math:`x_{k+1} = e^{M dt} x_k + \dots`.
A deployed population instead applies an integer update whose linear part is a matrix ``A_q`` (decays, and for
coupled populations the quantized coupling). The behaviour near a bifurcation is decided by the eigenvalues of
that matrix: ``|mu| < 1`` decays, ``|mu| > 1`` grows, and a complex pair oscillates. Quantization must not move
an eigenvalue across the unit circle nor turn an oscillatory pair into a real one (or the reverse). Landing ON the
circle counts as crossing it: a leak whose decay rounds to exactly 1 (``|mu| = 1``) makes a neuron a perfect
integrator that never forgets, the bifurcation point itself.

Which way the time step should move depends on the cause. A coarse step aliases fast oscillations (``omega dt``
near ``pi`` puts the pair next to the real axis, where rounding makes it real); a fine step pushes a slow decay
``e^{-dt/tau} = 1 - dt/tau + ...`` within the decays' resolution of 1 (Loihi 2: ``dt/tau < 2^-13`` rounds the
12-bit ``dv`` to 0). :func:`nearby_time_steps` therefore proposes both finer and coarser steps.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

#: eigenvalues closer than this to the unit circle / to the real axis count as on it (float round-off)
_ON_BOUNDARY = 1e-12
#: exact eigenvalues closer than this (relative) to each other count as one repeated eigenvalue (a defective one
#: comes out of ``eigvals`` split by ~sqrt(machine epsilon))
_REPEATED = 1e-7


@dataclass(frozen=True)
class SpectrumComparison:
    """Eigenvalues of the exact and the quantized one-step update, paired by nearest distance."""

    exact: np.ndarray
    quantized: np.ndarray
    max_shift: float
    crossed_stability: int
    lost_oscillation: int
    gained_oscillation: int

    @property
    def preserved(self) -> bool:
        """No eigenvalue crossed |mu| = 1 and no oscillatory pair appeared or vanished."""
        return not (self.crossed_stability or self.lost_oscillation or self.gained_oscillation)

    def describe(self) -> str:
        parts = [f"largest eigenvalue shift {self.max_shift:.3g}"]
        if self.crossed_stability:
            parts.append(f"{self.crossed_stability} eigenvalue(s) crossed the stability boundary |mu| = 1 "
                         f"(exact |mu| {self._crossing_radii()})")
        if self.lost_oscillation:
            parts.append(f"{self.lost_oscillation} oscillatory pair(s) became real")
        if self.gained_oscillation:
            parts.append(f"{self.gained_oscillation} real eigenvalue pair(s) became oscillatory")
        return "; ".join(parts)


    def _crossing_radii(self) -> str:
        moved = _crossed(self.exact, self.quantized)
        pairs = sorted({(round(float(a), 9), round(float(b), 9))
                        for a, b in zip(np.abs(self.exact[moved]), np.abs(self.quantized[moved]))})
        return ", ".join(f"{a:.9g} -> {b:.9g}" for a, b in pairs)


def _crossed(mu_exact: np.ndarray, mu_quant: np.ndarray) -> np.ndarray:
    """Eigenvalues strictly on one side of ``|mu| = 1`` whose partner is on it or on the other side."""
    side_e = _side(mu_exact)
    return (side_e != 0) & (_side(mu_quant) != side_e)


def _side(mu: np.ndarray) -> np.ndarray:
    """-1 inside the unit circle, +1 outside, 0 on it."""
    radius = np.abs(mu)
    return np.where(radius > 1 + _ON_BOUNDARY, 1, np.where(radius < 1 - _ON_BOUNDARY, -1, 0))


def _oscillatory(mu: np.ndarray, scale: float) -> np.ndarray:
    return np.abs(mu.imag) > _ON_BOUNDARY * max(scale, 1.0)


def _repeated(mu: np.ndarray, scale: float) -> np.ndarray:
    """Eigenvalues with another one within ``_REPEATED * scale``: a repeated real eigenvalue is the real/complex
    boundary itself (any perturbation may split it into a real or a complex pair), as ``|mu| = 1`` is for stability.
    """
    distance = np.abs(mu[:, None] - mu[None, :])
    np.fill_diagonal(distance, np.inf)
    return distance.min(axis=1, initial=np.inf) <= _REPEATED * max(scale, 1.0)


def compare_spectra(exact_update: np.ndarray, quantized_update: np.ndarray) -> SpectrumComparison:
    """Pair the eigenvalues of two one-step update matrices (minimum total distance) and compare them.

    A crossing counts an eigenvalue strictly inside the unit circle whose partner is on or outside it, or the
    reverse (an exact eigenvalue on the circle, e.g. an IF neuron's ``mu = 1``, never counts).
    Oscillatory pairs are counted by conjugate pairs (two eigenvalues with nonzero imaginary part = one pair); a
    repeated exact eigenvalue (e.g. of a uniform coupling) sits on the real/complex boundary, so a complex pair split
    off it by rounding does not count as gained (as an exact ``|mu| = 1`` never counts as crossed).
    """
    mu_exact = np.linalg.eigvals(np.asarray(exact_update, dtype=np.float64))
    mu_quant = np.linalg.eigvals(np.asarray(quantized_update, dtype=np.float64))
    cost = np.abs(mu_exact[:, None] - mu_quant[None, :])
    rows, cols = linear_sum_assignment(cost)
    mu_exact, mu_quant = mu_exact[rows], mu_quant[cols]
    crossed = int(np.sum(_crossed(mu_exact, mu_quant)))
    scale = float(np.max(np.abs(mu_exact))) if mu_exact.size else 1.0
    osc_e, osc_q = _oscillatory(mu_exact, scale), _oscillatory(mu_quant, scale)
    return SpectrumComparison(
        exact=mu_exact,
        quantized=mu_quant,
        max_shift=float(cost[rows, cols].max()) if rows.size else 0.0,
        crossed_stability=crossed,
        lost_oscillation=int(np.sum(osc_e & ~osc_q)) // 2,
        gained_oscillation=int(np.sum(~osc_e & osc_q & ~_repeated(mu_exact, scale))) // 2,
    )


def exact_update(system: np.ndarray, dt_s: float) -> np.ndarray:
    r"""The exact one-step update :math:`e^{M dt}` of the linear system :math:`\dot x = M x`."""
    from scipy.linalg import expm

    return expm(np.asarray(system, dtype=np.float64) * float(dt_s))


def nearby_time_steps(dt_s: float, octaves: int = 6) -> list[float]:
    """Candidate time steps ``dt_s 2^-k`` and ``dt_s 2^k`` for ``k = 1..octaves``, nearest first (finer first).

    Both directions (module docstring): a finer step resolves fast oscillations, a coarser one keeps a slow
    decay away from 1.
    """
    return [dt_s * 2.0 ** (sign * k) for k in range(1, octaves + 1) for sign in (-1, 1)]
