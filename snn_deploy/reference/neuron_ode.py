r"""Closed-form sub-threshold dynamics of one uncoupled neuron and its exact next threshold crossing.

Every uncoupled population of the IR (``CubaLIF``, ``LIF``, ``IF``, ``LI``) is, between input pulses,
the linear system

.. math::
    \dot I = -\alpha (I - I_\infty), \qquad \dot v = -\beta v + K_0 + g I

with per-neuron constants (columns of the parameter table, see :data:`PARAM_COLUMNS`). With
:math:`D = I_0 - I_\infty`, :math:`K = K_0 + g I_\infty` and :math:`d = \alpha - \beta` its solution is

.. math::
    I(s) = I_\infty + D e^{-\alpha s}, \qquad
    v(s) = v_0 e^{-\beta s} + K\, s\, h(\beta s) + g D\, s\, e^{-\beta s} h(d s),
    \qquad h(x) = \frac{1 - e^{-x}}{x},\ h(0) = 1,

which is Lee, Haghighatshoar & Karbasi's :math:`A e^{-\alpha s} + B e^{-\beta s} + C` written so that
:math:`\alpha = \beta` (the :math:`s e^{-\alpha s}` kernel) and :math:`\beta = 0` (IF) need no special case.
Its slope is :math:`\dot v(s) = e^{-\beta s} q(s)` with
:math:`q(s) = -\beta v_0 + K + g D (e^{-d s} - \beta s h(d s))` and :math:`\dot q = -\alpha g D e^{-d s}`,
so ``q`` is monotone: ``v`` has at most one stationary point ``s*`` (closed form below) and is monotone on
``[0, s*]`` and ``[s*, inf)``. Before any of that, the bound
:math:`v(s) \le \max(v_0, K/\beta) + \max(g D, 0)\,\varphi_{max}` (``phi_max`` = the peak
:math:`e^{-\beta s_p}/\alpha` of :math:`\varphi`, see :func:`phi_max`), tightened by :func:`_peak_bound`,
rules out most crossings at once. The first crossing of the threshold is therefore bracketed exactly and
refined by safeguarded Newton iteration to :data:`TIME_RTOL` relative (closed form when ``g D = 0``).
"""
from __future__ import annotations

import math

import numba
import numpy as np

#: columns of the per-neuron parameter table (float64 ``[neurons, len(PARAM_COLUMNS)]``)
PARAM_COLUMNS: tuple[str, ...] = (
    "alpha", "beta", "g", "k0", "i_inf", "theta", "v_reset", "jump_i", "jump_v", "phi_max",
)
ALPHA, BETA, G, K0, I_INF, THETA, V_RESET, JUMP_I, JUMP_V, PHI_MAX = range(len(PARAM_COLUMNS))

#: relative tolerance of a computed crossing time (relative to the absolute time of the crossing)
TIME_RTOL = 1e-14
_MAX_ITER = 200


def phi_max(alpha: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Peak of ``phi(s) = (e^{-alpha s} - e^{-beta s}) / (beta - alpha)``: ``e^{-beta s_p} / alpha`` at
    ``s_p = ln(alpha / beta) / (alpha - beta)`` (``1 / alpha`` when ``alpha = beta``); 0 without a synapse."""
    alpha, beta = np.broadcast_arrays(np.asarray(alpha, float), np.asarray(beta, float))
    peak = np.zeros(alpha.shape)
    syn = (alpha > 0) & (beta > 0)
    a, b = alpha[syn], beta[syn]
    with np.errstate(divide="ignore", invalid="ignore"):
        s_p = np.where(a == b, 1.0 / a, np.log(a / b) / (a - b))
    peak[syn] = np.exp(-b * s_p) / a
    return peak


@numba.njit(cache=True, inline="always")
def rel_expm1(x: float) -> float:
    """``h(x) = (1 - e^{-x}) / x`` with ``h(0) = 1``, accurate for every ``x``."""
    if x == 0.0:
        return 1.0
    return -math.expm1(-x) / x


@numba.njit(cache=True)
def _kernels(s: float, alpha: float, beta: float) -> tuple[float, float, float, float]:
    """``(e^{-beta s}, s h(beta s), phi(s), phi'(s))`` with ``phi = (e^{-alpha s} - e^{-beta s}) / (beta - alpha)``.

    ``phi = s e^{-beta s} h(d s)`` and ``phi' = e^{-beta s} (e^{-d s} - beta s h(d s))`` while ``|d s| < 1``
    (no cancellation, exact at ``alpha = beta``); the plain differences beyond (no overflow, no ``0 * inf``).
    """
    e_beta = math.exp(-beta * s)
    d = alpha - beta
    if abs(d * s) < 1.0:
        h_d = rel_expm1(d * s)
        phi = s * e_beta * h_d
        dphi = e_beta * (math.exp(-d * s) - beta * s * h_d)
    else:
        e_alpha = math.exp(-alpha * s)
        phi = (e_alpha - e_beta) / (beta - alpha)
        dphi = (alpha * e_alpha - beta * e_beta) / d
    return e_beta, s * rel_expm1(beta * s), phi, dphi


@numba.njit(cache=True)
def v_and_slope(i0: float, v0: float, s: float, p: np.ndarray) -> tuple[float, float]:
    """``(v(s), dv/ds)`` from one evaluation of the kernels."""
    g, i_inf = p[G], p[I_INF]
    k = p[K0] + g * i_inf
    e_beta, leak_integral, phi, dphi = _kernels(s, p[ALPHA], p[BETA])
    gd = g * (i0 - i_inf)
    return v0 * e_beta + k * leak_integral + gd * phi, (k - p[BETA] * v0) * e_beta + gd * dphi


@numba.njit(cache=True)
def decay(s: float, alpha: float, beta: float) -> tuple[float, float, float, float, float]:
    """``(e^{-alpha s}, e^{-beta s}, s h(beta s), phi(s), phi'(s))``: everything :func:`state_after` needs
    that depends on ``s`` and the time constants only (shared by all neurons advanced over the same ``s``)."""
    return (math.exp(-alpha * s),) + _kernels(s, alpha, beta)


@numba.njit(cache=True)
def state_after_decay(i0: float, v0: float, kernels: tuple[float, float, float, float, float], p
                      ) -> tuple[float, float]:
    """:func:`state_after` from the :func:`decay` kernels of ``s`` and ``p``'s time constants."""
    e_alpha, e_beta, leak_integral, phi = kernels[0], kernels[1], kernels[2], kernels[3]
    g, i_inf = p[G], p[I_INF]
    k = p[K0] + g * i_inf
    gd = g * (i0 - i_inf)
    return i_inf + (i0 - i_inf) * e_alpha, v0 * e_beta + k * leak_integral + gd * phi


@numba.njit(cache=True)
def state_after(i0: float, v0: float, s: float, p) -> tuple[float, float]:
    """``(I(s), v(s))`` after ``s >= 0`` seconds without input, from ``(i0, v0)``; ``p`` is one table row."""
    return state_after_decay(i0, v0, decay(s, p[ALPHA], p[BETA]), p)


@numba.njit(cache=True)
def _stationary_point(i0: float, v0: float, p: np.ndarray) -> float:
    """The ``s > 0`` where ``q(s) = 0`` (``inf`` when there is none); requires ``g D != 0``.

    ``q(s) = 0`` ⇔ ``e^{-d s} - beta (1 - e^{-d s}) / d = X`` with ``X = (beta v0 - K) / (g D)``, i.e.
    ``e^{-d s} = (X d + beta) / alpha`` (``d != 0``) or ``s = (1 - X) / beta`` (``d = 0``).
    """
    alpha, beta, g = p[ALPHA], p[BETA], p[G]
    gd = g * (i0 - p[I_INF])
    x = (beta * v0 - p[K0] - g * p[I_INF]) / gd
    d = alpha - beta
    if d == 0.0:
        s = (1.0 - x) / beta if beta > 0.0 else math.inf
    else:
        arg = (x * d + beta) / alpha
        s = -math.log(arg) / d if arg > 0.0 else math.inf
    return s if s > 0.0 else math.inf


@numba.njit(cache=True)
def _refine(i0: float, v0: float, lo: float, hi: float, t0: float, p: np.ndarray) -> float:
    """The crossing of ``v = theta`` in ``(lo, hi]`` where ``v(lo) <= theta < v(hi)`` and ``v`` is monotone.

    Newton steps from the bracket end nearer the root, replaced by bisection whenever they leave the
    bracket; stops when the step is below ``TIME_RTOL * (t0 + hi)``.
    """
    theta = p[THETA]
    x = hi
    for _ in range(_MAX_ITER):
        v, slope = v_and_slope(i0, v0, x, p)
        f = v - theta
        if f > 0.0:
            hi = x
        else:
            lo = x
        step = -f / slope if slope != 0.0 else math.inf
        x_new = x + step
        if not (lo < x_new < hi):
            x_new = 0.5 * (lo + hi)
        tol = TIME_RTOL * (t0 + hi) + 1e-300
        if abs(x_new - x) <= tol or hi - lo <= tol:
            return x_new
        x = x_new
    return hi


@numba.njit(cache=True, inline="always")
def _peak_bound(v0: float, k: float, gd: float, p) -> float:
    r"""An upper bound of ``v`` on ``[0, inf)`` without transcendental functions (requires ``beta > 0``).

    ``max(v0, K/beta) + max(g D, 0) phi_max``, and when ``g D > 0`` and ``alpha > beta`` also: with
    ``x = e^{-beta s}``, ``r = alpha / beta`` and ``B = g D / (alpha - beta) > 0``,
    ``v - K/beta = (v0 - K/beta + B) x - B x^r`` and Bernoulli's ``x^r >= 1 + r (x - 1)`` make the right side
    at most piecewise linear in ``x``, whose maximum on ``(0, 1]`` is at ``x = 0, 1 - 1/r`` or ``1``:
    ``v <= max(K/beta, v0, (K + (alpha - beta) v0 + g D) / alpha)``.
    """
    alpha, beta = p[ALPHA], p[BETA]
    rest = max(v0, k / beta)
    bound = rest + max(gd, 0.0) * p[PHI_MAX]
    if gd > 0.0 and alpha > beta:
        bound = min(bound, max(rest, (k + (alpha - beta) * v0 + gd) / alpha))
    return bound


@numba.njit(cache=True)
def below_until(i0: float, v0: float, s: float, p) -> bool:
    r"""True if ``v`` provably stays at or below ``theta`` on ``[0, s]`` (transcendental-free, ``s`` finite).

    While ``I = I_\infty + D e^{-\alpha u}``, ``\dot v = -\beta v + K + g D e^{-\alpha u} \le c - \beta v`` with
    ``c = K + \max(g D, 0)``, so ``v(u) \le c/\beta + (v_0 - c/\beta) e^{-\beta u}`` (comparison principle), and
    ``1 - e^{-x} \le x`` gives ``v(u) \le v_0 + u \max(c - \beta v_0, 0)`` (also for ``beta = 0``). The test keeps
    a margin of ``1e-12 (|theta| + |v_0|)`` against rounding.
    """
    theta = p[THETA]
    c = p[K0] + p[G] * p[I_INF] + max(p[G] * (i0 - p[I_INF]), 0.0)
    return v0 + s * max(c - p[BETA] * v0, 0.0) <= theta - 1e-12 * (abs(theta) + abs(v0))


@numba.njit(cache=True)
def first_crossing(i0: float, v0: float, horizon: float, t0: float, p: np.ndarray) -> float:
    """Seconds from now to the first time ``v > theta`` (strict) within ``(0, horizon]``; ``inf`` if none.

    ``(i0, v0)`` is the state now (absolute time ``t0``, used only for the tolerance), with ``v0 <= theta``.
    """
    theta = p[THETA]
    beta = p[BETA]
    gd = p[G] * (i0 - p[I_INF])
    k = p[K0] + p[G] * p[I_INF]
    if gd == 0.0:
        # v relaxes monotonically towards k / beta (beta > 0) or drifts linearly at rate k (beta = 0)
        if beta > 0.0:
            target = k / beta
            if not target > theta:
                return math.inf
            s = math.log1p((theta - v0) / (target - theta)) / beta
        else:
            if not k > 0.0:
                return math.inf
            s = (theta - v0) / k
        return s if s <= horizon else math.inf
    if beta > 0.0 and _peak_bound(v0, k, gd, p) <= theta:
        return math.inf
    s_star = _stationary_point(i0, v0, p)
    # segment 1: [0, min(s*, horizon)], v monotone; rising iff q(0) = K - beta v0 + g D > 0
    end1 = min(s_star, horizon)
    if k - beta * v0 + gd > 0.0:
        if end1 == math.inf:
            # rising for ever: v -> k / beta (beta > 0) or unbounded (beta = 0)
            if beta > 0.0 and not k / beta > theta:
                return math.inf
            return _refine_unbounded(i0, v0, 0.0, 1.0 / max(p[ALPHA], beta), t0, p)
        if v_and_slope(i0, v0, end1, p)[0] > theta:
            return _refine(i0, v0, 0.0, end1, t0, p)
        # either the horizon ends the search or v falls for ever after a maximum below theta
        return math.inf
    if s_star >= horizon:
        return math.inf
    # segment 2: [s*, horizon], v rising (it fell on segment 1, so q is increasing)
    if horizon == math.inf:
        if beta > 0.0 and not k / beta > theta:
            return math.inf
        return _refine_unbounded(i0, v0, s_star, 1.0 / min(p[ALPHA], beta) if beta > 0.0 else s_star + 1.0, t0, p)
    if not v_and_slope(i0, v0, horizon, p)[0] > theta:
        return math.inf
    return _refine(i0, v0, s_star, horizon, t0, p)


@numba.njit(cache=True)
def _refine_unbounded(i0: float, v0: float, lo: float, width: float, t0: float, p: np.ndarray) -> float:
    """As :func:`_refine` when ``v`` rises on ``[lo, inf)`` towards a limit above threshold: doubles ``width``
    until ``v(lo + width) > theta`` (the limit exceeds theta, so this ends; capped against NaN)."""
    for _ in range(2100):
        if v_and_slope(i0, v0, lo + width, p)[0] > p[THETA]:
            return _refine(i0, v0, lo, lo + width, t0, p)
        width *= 2.0
    return math.inf
