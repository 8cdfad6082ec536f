r"""The first threshold crossing of a polynomial on an interval, with a proof for every part it skips.

Given :math:`p(s) = \sum_{k=0}^{K} c_k s^k` on :math:`[0, w]` and a threshold :math:`\theta`,
:func:`first_above` returns the smallest ``s`` (to a time tolerance ``tol``) with :math:`p(s) > \theta`,
after proving :math:`p \le \theta` on everything before it, or proves :math:`p \le \theta` on all of
``[0, w]``. It subdivides ``[0, w]`` depth first, left half first; on a piece ``[a, b]`` of width ``u``
it uses ``p, p'`` at both ends and the coefficient bounds, valid on ``[0, b]`` (``a >= 0``),

.. math::
    |p'''| \le B_3 = \sum_{k \ge 3} k(k-1)(k-2)\,|c_k|\, b^{k-3}, \qquad
    |p''''| \le B_4 = \sum_{k \ge 4} k(k-1)(k-2)(k-3)\,|c_k|\, b^{k-4}.

A piece (whose left end has :math:`p_a \le \theta`, proved by the pieces before it) is settled by:

* **below** (:func:`hermite_upper`): the cubic Hermite interpolant ``H`` of ``p, p'`` at ``a, b`` lies in
  the convex hull of its Bernstein control points
  :math:`p_a,\ p_a + u p'_a / 3,\ p_b - u p'_b / 3,\ p_b`, and
  :math:`|p - H| \le B_4 u^4 / 384` (the Hermite remainder :math:`p''''(\xi) (s-a)^2 (s-b)^2 / 24`). If the
  largest control point plus that remainder is at most :math:`\theta`, there is no crossing;
* **monotone**: :math:`p' \ge \min(p'_a, p'_b) - B_3 u^2 / 8` (the linear-interpolation remainder of
  ``p'``). If that is positive, ``p`` increases on the piece: no crossing when :math:`p_b \le \theta`, else
  exactly one, refined by bisection to ``tol`` (:func:`_refine`). Likewise ``p`` decreasing from
  :math:`p_a \le \theta` has none;
* **resolution**: a piece no wider than ``tol`` ends the search at ``b`` if :math:`p_b > \theta` and is
  dropped otherwise (an excursion above :math:`\theta` inside it lasts less than ``tol`` and rises at most
  :math:`\max |p''|\, \mathrm{tol}^2 / 8` above :math:`\theta`, far below rounding).

Otherwise the piece is halved. Pieces are visited in time order, so the first piece not proved free holds
the first crossing. The bounds hold exactly for the polynomial; the decisions compare computed values of
``p`` and ``p'`` (Horner's rule, rounding error a few ulp of :math:`\sum_k |c_k| s^k`) with
:math:`\theta`, so a peak within that rounding of :math:`\theta` can be decided either way (see
:mod:`snn_deploy.reference.coupled` for the complete guarantee).
"""
from __future__ import annotations

import numba
import numpy as np

from snn_deploy.reference.neuron_ode import TIME_RTOL

#: pieces held at once: the depth first search holds at most one per level plus one, and pieces stop being
#: halved at ``TIME_RTOL`` times the interval's end time (at least ``w``), below ``w 2^-47``
STACK = 64


@numba.njit(cache=True, inline="always")
def value_and_slope(c: np.ndarray, s: float) -> tuple[float, float]:
    """``(p(s), p'(s))`` by Horner's rule."""
    p, dp = 0.0, 0.0
    for k in range(c.size - 1, -1, -1):
        dp = dp * s + p
        p = p * s + c[k]
    return p, dp


@numba.njit(cache=True)
def derivative_bounds(c: np.ndarray, b: float) -> tuple[float, float]:
    """``(B_3, B_4)``: bounds of ``|p'''|`` and ``|p''''|`` on ``[0, b]`` (``b >= 0``) from the coefficients."""
    b3, b4 = 0.0, 0.0
    for k in range(c.size - 1, 2, -1):
        falling = k * (k - 1) * (k - 2) * abs(c[k])
        b3 = b3 * b + falling
        if k >= 4:
            b4 = b4 * b + falling * (k - 3)
    return b3, b4


@numba.njit(cache=True, inline="always")
def hermite_upper(v_a: float, d_a: float, v_b: float, d_b: float, width: float, b4: float) -> float:
    """An upper bound on ``[a, a + width]`` of a function with values ``v``, slopes ``d`` at the two ends and
    ``|f''''| <= b4``: the largest Bernstein control point of its cubic Hermite interpolant plus
    ``b4 width^4 / 384``."""
    top = max(max(v_a, v_b), max(v_a + width * d_a / 3.0, v_b - width * d_b / 3.0))
    return top + b4 * width**4 / 384.0


@numba.njit(cache=True)
def _refine(c: np.ndarray, theta: float, lo: float, hi: float, tol: float) -> float:
    """The crossing in ``(lo, hi]`` of a ``p`` increasing there with ``p(lo) <= theta < p(hi)``: bisection to
    ``tol``; returns the upper end (where ``p > theta``)."""
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            break
        if value_and_slope(c, mid)[0] > theta:
            hi = mid
        else:
            lo = mid
    return hi


@numba.njit(cache=True)
def _settle(c: np.ndarray, theta: float, a: float, b: float, tol: float) -> float:
    """One piece ``[a, b]`` (``p(a) <= theta``): ``-1`` if proved free of crossings, ``-2`` if it must be
    halved, else the first crossing in it."""
    v_a, d_a = value_and_slope(c, a)
    v_b, d_b = value_and_slope(c, b)
    width = b - a
    b3, b4 = derivative_bounds(c, b)
    if hermite_upper(v_a, d_a, v_b, d_b, width, b4) <= theta:
        return -1.0
    spread = b3 * width * width / 8.0
    if min(d_a, d_b) - spread > 0.0:
        return _refine(c, theta, a, b, tol) if v_b > theta else -1.0
    if max(d_a, d_b) + spread < 0.0:
        return -1.0
    mid = 0.5 * (a + b)
    if width <= tol or mid <= a or mid >= b:
        return b if v_b > theta else -1.0
    return -2.0


@numba.njit(cache=True)
def first_above(c: np.ndarray, theta: float, width: float, t0: float) -> float:
    """The first ``s`` in ``[0, width]`` with ``p(s) > theta`` (``0`` if ``p(0) > theta``), to
    ``TIME_RTOL (t0 + width)``, or ``-1`` when ``p <= theta`` is proved on ``[0, width]`` (up to pieces
    narrower than the tolerance that stay at or below ``theta``). ``t0 >= 0`` is the absolute time of
    ``s = 0``, so the tolerance is relative to the absolute time of the interval's end."""
    if value_and_slope(c, 0.0)[0] > theta:
        return 0.0
    tol = TIME_RTOL * (t0 + width)
    lo = np.empty(STACK)
    hi = np.empty(STACK)
    lo[0], hi[0] = 0.0, width
    top = 1
    while top > 0:
        top -= 1
        a, b = lo[top], hi[top]
        s = _settle(c, theta, a, b, tol)
        if s >= 0.0:
            return s
        if s == -2.0:
            mid = 0.5 * (a + b)
            lo[top], hi[top] = mid, b
            lo[top + 1], hi[top + 1] = a, mid
            top += 2
    return -1.0

