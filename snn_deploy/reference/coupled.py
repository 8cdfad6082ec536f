r"""Exact sub-threshold dynamics of a ``CoupledLIF`` population and the detection of its threshold crossings.

Between input pulses the population is linear: with the state :math:`x = [I; v; 1]` (``2n + 1`` values)

.. math::
    \dot x = M x, \qquad
    M = \begin{bmatrix} -\mathrm{diag}(\alpha) & 0 & \alpha \odot I_\infty \\
                        \mathrm{diag}(g) & -\mathrm{diag}(\beta) + \Lambda & K_0 \\ 0 & 0 & 0 \end{bmatrix}

(the columns of :mod:`snn_deploy.reference.neuron_ode`; ``Lambda = coupling`` in 1/s), so
:math:`x(t + s) = e^{M s} x(t)`. A block keeps a grid step ``h`` (:func:`grid_step_s`) and the exact
propagators :math:`e^{M h 2^j}` (``scipy.linalg.expm``): an advance by ``s`` applies the binary digits of
``floor(s / h)`` and the Taylor series of :math:`e^{M r} x` for the rest ``r < h`` (``|M| r <= 1/8``, so
20 terms reach double precision). A delta-synapse neuron (``tau_syn_s = 0``) has ``I = 0`` for ever; its
``I`` row decays at rate 1 only to keep ``M`` invertible.

Crossing detection (the documented guarantee): the membrane is sampled every ``h`` seconds; on each
grid interval a neuron crosses if ``v > theta`` at its end, or if ``dv/dt`` turns from positive to
negative inside it and ``v`` at that maximum (found by bisection on ``dv/dt``) exceeds theta. A crossing
is missed only if one neuron's ``dv/dt`` changes sign three or more times within one interval ``h``
(``h`` is 1/16 of the fastest time scale of ``M``, so only for oscillations faster than that). A found
crossing is refined by bisection to :data:`snn_deploy.reference.neuron_ode.TIME_RTOL`.
"""
from __future__ import annotations

import math

import numba
import numpy as np
import scipy.linalg

from snn_deploy.reference.neuron_ode import ALPHA, BETA, G, I_INF, K0, TIME_RTOL

#: number of precomputed propagators e^{M h 2^j}
POWERS = 48
#: grid intervals examined per prediction before the block is looked at again (a "re-check" event)
WINDOW_STEPS = 64


def block_matrix(table: np.ndarray, coupling: np.ndarray) -> np.ndarray:
    """The ``(2n + 1) x (2n + 1)`` matrix ``M`` of one population from its parameter rows and coupling."""
    n = table.shape[0]
    alpha = np.where(table[:, ALPHA] > 0, table[:, ALPHA], 1.0)
    m = np.zeros((2 * n + 1, 2 * n + 1))
    idx = np.arange(n)
    m[idx, idx] = -alpha
    m[idx, 2 * n] = table[:, ALPHA] * table[:, I_INF]
    m[n + idx, idx] = table[:, G]
    m[n:2 * n, n:2 * n] = coupling - np.diag(table[:, BETA])
    m[n + idx, 2 * n] = table[:, K0]
    return m


def grid_step_s(m: np.ndarray) -> float:
    """``h = 1 / (16 max(|M|_inf, 1/s))``: 1/16 of the fastest time scale of the block."""
    return 1.0 / (16.0 * max(float(np.abs(m).sum(axis=1).max()), 1.0))


def propagators(m: np.ndarray, h: float) -> np.ndarray:
    """``[POWERS, d, d]``: ``e^{M h 2^j}`` for ``j = 0 .. POWERS - 1``."""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.stack([scipy.linalg.expm(m * (h * 2.0**j)) for j in range(POWERS)])


def rest_state(m: np.ndarray) -> np.ndarray | None:
    """The fixed point ``x`` with ``M x = 0`` and ``x[-1] = 1``; None unless every mode decays (Re λ < 0)."""
    d = m.shape[0] - 1
    if np.any(np.linalg.eigvals(m[:d, :d]).real >= 0):
        return None
    x = np.ones(d + 1)
    x[:d] = np.linalg.solve(m[:d, :d], -m[:d, d])
    return x


@numba.njit(cache=True)
def taylor_apply(m: np.ndarray, x: np.ndarray, s: float) -> np.ndarray:
    """``e^{M s} x`` by its Taylor series (for ``|M s| <= 1``)."""
    y = x.copy()
    term = x.copy()
    for k in range(1, 40):
        term = (m @ term) * (s / k)
        y += term
        if np.abs(term).max() <= 1e-18 * np.abs(y).max():
            break
    return y


@numba.njit(cache=True)
def advance(m: np.ndarray, powers: np.ndarray, h: float, x: np.ndarray, s: float) -> np.ndarray:
    """``e^{M s} x``: whole steps ``h`` from the propagators (binary digits), the rest by Taylor series."""
    steps = math.floor(s / h)
    rest = s - steps * h
    j = 0
    while steps > 0 and j < powers.shape[0]:
        if steps & 1:
            x = powers[j] @ x
        steps >>= 1
        j += 1
    return taylor_apply(m, x, rest) if rest > 0.0 else x


@numba.njit(cache=True)
def _bisect_time(m: np.ndarray, x0: np.ndarray, lo: float, hi: float, row: int, theta: float, slope: bool,
                 t0: float) -> float:
    """Bisection on ``(lo, hi]`` for ``v_row = theta`` (``slope=False``) or ``dv_row/ds = 0`` (``slope=True``).

    ``x0`` is the state at ``s = 0``; ``lo < hi <= h``. The sign at ``lo`` is "below" (``v <= theta``,
    resp. ``dv/ds > 0``).
    """
    while hi - lo > TIME_RTOL * (t0 + hi):
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            break
        x = taylor_apply(m, x0, mid)
        value = (m[row] @ x) if slope else x[row] - theta
        above = value <= 0.0 if slope else value > 0.0
        if above:
            hi = mid
        else:
            lo = mid
    return hi


@numba.njit(cache=True)
def predict(m: np.ndarray, powers: np.ndarray, h: float, x: np.ndarray, theta: np.ndarray, spiking: np.ndarray,
            horizon: float, t0: float) -> tuple[float, int]:
    """The first crossing within ``min(horizon, WINDOW_STEPS h)``: ``(s, neuron in block)``, or ``(s_end, -1)``
    when none was found up to ``s_end`` (``inf`` when ``s_end`` reached the horizon)."""
    n = theta.size
    prev = x.copy()
    s_prev = 0.0
    for k in range(1, WINDOW_STEPS + 1):
        s_next = min(k * h, horizon)
        step = s_next - s_prev
        nxt = powers[0] @ prev if step == h else taylor_apply(m, prev, step)
        best_s, best_j = math.inf, -1
        slope_prev = m[n:2 * n] @ prev
        slope_next = m[n:2 * n] @ nxt
        for j in range(n):
            if not spiking[j]:
                continue
            end = step
            if not nxt[n + j] > theta[j]:
                if not (slope_prev[j] > 0.0 and slope_next[j] < 0.0):
                    continue
                top = _bisect_time(m, prev, 0.0, step, n + j, 0.0, True, t0 + s_prev)
                if not taylor_apply(m, prev, top)[n + j] > theta[j]:
                    continue
                end = top
            s = _bisect_time(m, prev, 0.0, end, n + j, theta[j], False, t0 + s_prev)
            if s < best_s:
                best_s, best_j = s, j
        if best_j >= 0:
            return s_prev + best_s, best_j
        if s_next >= horizon:
            return math.inf, -1
        prev = nxt
        s_prev = s_next
    return s_prev, -1
