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

Crossing detection (:func:`predict`; what is proved). The prediction walks grid intervals
``[s_k, s_k + w]`` (``w <= h``) from the state it holds at their start, ``x_k`` (``x_0`` the block's state,
``x_{k+1} = e^{M h} x_k`` by the first propagator). For a spiking neuron ``j`` let
:math:`v_j(s) = (e^{M s} x_k)_{n+j}`. Since :math:`|M|_\infty \le 1/(16 h)`, the cubic-Hermite remainder
on the interval is :math:`|v_j''''|\, w^4 / 384 \le |M|^4 e^{|M| w} |x_k|_\infty w^4 / 384
\le 4.3 \cdot 10^{-8} |x_k|_\infty`, so

1. the **screen** (:func:`~snn_deploy.reference.polynomial_crossing.hermite_upper` on ``v, dv/ds`` at the
   interval's ends) proves :math:`v_j \le \theta_j` on the interval for every neuron whose cubic-Hermite
   control points stay below :math:`\theta_j - 4.3 \cdot 10^{-8} |x_k|_\infty` — nearly all of them;
2. any other neuron is **searched** on :math:`p_j`, the degree-:data:`TAYLOR_DEGREE` Taylor polynomial of
   :math:`v_j` (:func:`membrane_taylor`, :math:`|v_j - p_j| \le |x_k|_\infty (1/16)^{13} / 13! \cdot 1.005
   < 4 \cdot 10^{-26} |x_k|_\infty`) by :func:`~snn_deploy.reference.polynomial_crossing.first_above`, which
   proves :math:`p_j \le \theta_j` before the first ``s`` with computed :math:`p_j(s) > \theta_j` (and
   everywhere, if there is none) by Hermite, monotonicity and derivative bounds, subdividing as needed.

The crossing reported is the earliest over the block's neurons (ties: the lowest index) in the first interval
that has one, its time the first ``s`` with :math:`p_j(s) > \theta_j` to ``TIME_RTOL`` times the absolute
time of the interval's end (:data:`snn_deploy.reference.neuron_ode.TIME_RTOL`, 1e-14). No hump of any shape
inside an interval is missed: a crossing can be missed only where floating point decides, that is (a) a peak
above :math:`\theta_j` by less than the rounding of the computed ``v``, ``dv/ds`` and :math:`p_j` (a few ulp
of :math:`|x_k|_\infty`, plus the 4e-26 above), which may be reported or not, as may a peak below
:math:`\theta_j` by as little; (b) ``x_k`` itself carries the rounding of up to :data:`WINDOW_STEPS`
matrix-vector products (and of :func:`advance` from the last update), so the proof is about the computed
trajectory, which differs from the exact one by about ``k d`` ulp relative; (c) the time of a grazing
crossing is ill-conditioned (a value error ``e`` moves it by ``e / |dv/ds|``), so only its bracket, not its
distance from the exact crossing, is 1e-14 relative.
"""
from __future__ import annotations

import math

import numba
import numpy as np
import scipy.linalg

from snn_deploy.reference.neuron_ode import ALPHA, BETA, G, I_INF, K0
from snn_deploy.reference.polynomial_crossing import first_above, hermite_upper

#: number of precomputed propagators e^{M h 2^j}
POWERS = 48
#: grid intervals examined per prediction before the block is looked at again (a "re-check" event)
WINDOW_STEPS = 64
#: degree of the Taylor polynomial of ``v`` searched on a grid interval: with ``|M| h <= 1/16`` it is within
#: ``4e-26 |x|_inf`` of the exact membrane
TAYLOR_DEGREE = 12


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
def membrane_taylor(m: np.ndarray, x: np.ndarray, n: int) -> np.ndarray:
    """``[n, TAYLOR_DEGREE + 1]``: ``c[j, k] = (M^k x)_{n + j} / k!``, the Taylor coefficients of the membranes
    ``v_j(s) = (e^{M s} x)_{n + j}``."""
    c = np.empty((n, TAYLOR_DEGREE + 1))
    y = x.copy()
    c[:, 0] = y[n:2 * n]
    for k in range(1, TAYLOR_DEGREE + 1):
        y = (m @ y) / k
        c[:, k] = y[n:2 * n]
    return c


@numba.njit(cache=True)
def _first_in_interval(m: np.ndarray, x0: np.ndarray, x1: np.ndarray, slope0: np.ndarray, slope1: np.ndarray,
                       interval: tuple[float, float, float], theta: np.ndarray, spiking: np.ndarray
                       ) -> tuple[float, int]:
    """The first crossing in ``[0, width]`` from state ``x0`` (``x1`` at ``width``, ``slope = dv/ds`` at both):
    ``(s, neuron)``, or ``(inf, -1)``. ``interval = (width, rate, t0)``: ``rate >= |M|_inf`` and
    ``rate width <= 1/16``; ``t0`` is the absolute time of ``s = 0``. Screen: :func:`hermite_upper` with the fourth-derivative bound
    ``rate^4 e^{rate width} |x0|_inf``; a neuron it does not clear is searched on its Taylor polynomial
    (:func:`first_above`)."""
    width, rate, t0 = interval
    n = theta.size
    bound4 = rate**4 * math.exp(rate * width) * np.abs(x0).max()
    coeffs = np.empty((0, TAYLOR_DEGREE + 1))
    best_s, best_j = math.inf, -1
    for j in range(n):
        if not spiking[j] or hermite_upper(x0[n + j], slope0[j], x1[n + j], slope1[j], width, bound4) <= theta[j]:
            continue
        if coeffs.shape[0] == 0:
            coeffs = membrane_taylor(m, x0, n)
        s = first_above(coeffs[j], theta[j], width, t0)
        if 0.0 <= s < best_s:
            best_s, best_j = s, j
    return best_s, best_j


@numba.njit(cache=True)
def predict(m: np.ndarray, powers: np.ndarray, h: float, x: np.ndarray, theta: np.ndarray, spiking: np.ndarray,
            horizon: float, t0: float) -> tuple[float, int]:
    """The first crossing within ``min(horizon, WINDOW_STEPS h)``: ``(s, neuron in block)``, or ``(s_end, -1)``
    when none was found up to ``s_end`` (``inf`` when ``s_end`` reached the horizon). Requires
    ``h <= grid_step_s(m)`` (so ``|M|_inf <= 1 / (16 h)``)."""
    n = theta.size
    rate = 1.0 / (16.0 * h)
    prev = x.copy()
    slope_prev = m[n:2 * n] @ prev
    s_prev = 0.0
    for k in range(1, WINDOW_STEPS + 1):
        s_next = min(k * h, horizon)
        step = s_next - s_prev
        nxt = powers[0] @ prev if step == h else taylor_apply(m, prev, step)
        slope_next = m[n:2 * n] @ nxt
        s, j = _first_in_interval(m, prev, nxt, slope_prev, slope_next, (step, rate, t0 + s_prev), theta, spiking)
        if j >= 0:
            return s_prev + s, j
        if s_next >= horizon:
            return math.inf, -1
        prev, slope_prev = nxt, slope_next
        s_prev = s_next
    return s_prev, -1
