r"""The CubaLIF post-synaptic potential in kernel form, and its threshold crossing (numba, scalar).

With ``v_leak = 0`` and ``tau_syn > 0`` (IR semantics in :mod:`snn_deploy.ir.nodes`), a pulse of weight
``w`` arriving at time ``s`` adds to the membrane, for ``t > s``,

.. math:: c\,w\,\varepsilon(t - s),\qquad \varepsilon(\tau) = e^{-\beta\tau} - e^{-\alpha\tau},
          \qquad c = \frac{r\,w_{in}}{\tau_{syn}\tau_{mem}(\alpha - \beta)} = \frac{r\,w_{in}}{\tau_{mem} - \tau_{syn}}

with :math:`\alpha = 1/\tau_{syn}`, :math:`\beta = 1/\tau_{mem}` (:math:`\alpha \ne \beta`). A spike at
:math:`t_k` reached ``v = theta`` continuously, so either reset rule is an additive jump of ``v`` by
``-jump`` (``jump = theta`` for ``subtract``, ``theta - v_reset`` for ``to_value``) that then decays as
:math:`e^{-\beta (t - t_k)}`. Between two events the membrane is therefore (the form Lee et al. use)

.. math:: v(t_0 + \tau) = B\,e^{-\beta\tau} + A\,e^{-\alpha\tau},

which has at most one critical point, so a threshold crossing in an interval is bracketed by a monotone
piece and found by safeguarded Newton iteration to machine precision.
"""
from __future__ import annotations

import math

import numba
import numpy as np

_NEWTON_ITERATIONS = 100


@numba.njit(cache=True)
def psp(tau_s: float, alpha: float, beta: float) -> float:
    """:math:`\\varepsilon(\\tau) = e^{-\\beta\\tau} - e^{-\\alpha\\tau}` (per unit ``c w``)."""
    return math.exp(-beta * tau_s) - math.exp(-alpha * tau_s)


@numba.njit(cache=True)
def psp_slope(tau_s: float, alpha: float, beta: float) -> float:
    """:math:`\\varepsilon'(\\tau) = \\alpha e^{-\\alpha\\tau} - \\beta e^{-\\beta\\tau}`."""
    return alpha * math.exp(-alpha * tau_s) - beta * math.exp(-beta * tau_s)


@numba.njit(cache=True)
def _membrane(b_coef: float, a_coef: float, alpha: float, beta: float, tau_s: float) -> float:
    return b_coef * math.exp(-beta * tau_s) + a_coef * math.exp(-alpha * tau_s)


@numba.njit(cache=True)
def crossing(b_coef: float, a_coef: float, alpha: float, beta: float, theta: float, window_s: float) -> float:
    """First ``tau`` in ``(0, window_s]`` where ``B e^{-beta tau} + A e^{-alpha tau}`` rises above ``theta``.

    Returns -1.0 when the membrane stays at or below ``theta`` on the window (``window_s`` may be inf;
    ``theta > 0`` so a decaying membrane cannot cross after its last extremum). Assumes ``v(0) <= theta``.
    """
    lo = 0.0
    hi = window_s
    if a_coef != 0.0:
        ratio = -beta * b_coef / (alpha * a_coef)
        if ratio > 0.0:
            critical = math.log(ratio) / (beta - alpha)
            if 0.0 < critical < window_s:
                # v'' at the critical point has the sign of B (beta - alpha)
                if b_coef * (beta - alpha) < 0.0:
                    hi = critical
                else:
                    lo = critical
    if not math.isfinite(hi):
        return -1.0
    if _membrane(b_coef, a_coef, alpha, beta, hi) <= theta:
        return -1.0
    x = hi
    for _ in range(_NEWTON_ITERATIONS):
        e_beta = math.exp(-beta * x)
        e_alpha = math.exp(-alpha * x)
        f = b_coef * e_beta + a_coef * e_alpha - theta
        if f > 0.0:
            hi = x
        else:
            lo = x
        slope = -beta * b_coef * e_beta - alpha * a_coef * e_alpha
        step = f / slope if slope > 0.0 else np.inf
        x_new = x - step
        if not (lo < x_new < hi):
            x_new = 0.5 * (lo + hi)
        if abs(x_new - x) <= 1e-15 * (1.0 + x) or hi - lo <= 1e-15 * (1.0 + hi):
            return x_new
        x = x_new
    return x
