r"""Membrane coupling of a ``CoupledLIF`` population on Loihi 2, and the one-step update matrices.

The IR's population (nodes.py), sub-threshold, in the state ``x = [I_1..I_n, v_1..v_n]``:

.. math:: \dot x = M x + \text{const}, \qquad
          M = \begin{pmatrix} -T_{syn}^{-1} & 0 \\ R\,T_{mem}^{-1} & D + \Lambda \end{pmatrix},
          \quad D = -T_{mem}^{-1},\; R = \mathrm{diag}(r\,w_{in}),

so ``v``'s own linear map over one step is exactly :math:`\Phi = e^{(D + \Lambda)\,dt}` (``M`` is block
triangular). The ``CoupledLIF`` process (spec.py) applies ``v <- K_v v + c + u + b`` with the realised
:math:`K_v = \mathrm{diag}(1 - dv/4096)` (ONE ``dv`` for the population) and ``c ~ C v`` from the previous
step's ``v``. The quantizer takes the EXACT update

.. math:: C = \Phi - K_v \quad (\text{in integer units } C_{int} = S C S^{-1},\; S = \mathrm{diag}(\sigma)),

so ``K_v + C = Phi`` before rounding: the spectrum of ``v``'s update is the exact one up to the mantissa
rounding, and ``C``'s diagonal corrects the rounding of ``dv`` and the neurons' different ``tau_mem``
against the one ``dv`` (the first-order ``C = dt Lambda`` would leave both, plus an ``O(dt^2)`` error).
Rounding: one shift ``s`` per population, the largest in ``0..31`` whose mantissas
``M = round(C_int 2^s)`` fit the signed ``coupling_mant_bits`` (12; else ``s = 0`` and the rest is clipped,
counted); the process floors ``M v / 2^s``, so ``c`` is off by at most ``n max|v| 2^{-s-1} + 1`` units.
The input path (``u`` into ``v``) keeps the uncoupled form: coupling acts on it from the next step on (an
``O(dt Lambda)`` difference in how one step's input spreads).

Update matrices (``quantization.json`` ``"dynamics"``): per population (per LIF process for split
populations) the exact one-step update ``e^{M dt}`` of the IR's linear system and the linear part of the
integer update, in the state order given there: ``[u, v]`` per neuron block with ``u`` updated first and
``v`` using the NEW ``u`` and the OLD ``v`` (``v_t = K_v v_{t-1} + C v_{t-1} + K_u u_{t-1} + 64 a_t + b``):

.. math:: A_q = \begin{pmatrix} K_u & 0 \\ K_u & K_v + C_q \end{pmatrix},
          \quad K_u = \mathrm{diag}(1 - (du + 1)/4096),\; C_q = M / 2^s .

Without a synaptic state (``tau_syn = 0``, LIF, IF; ``u`` lasts one step, ``K_u = 0``) both are ``v``'s block
alone. The exact update is in the IR's units, the quantized one in integer units; they are similar matrices
(diagonal rescaling), so their eigenvalues compare directly (:func:`snn_deploy.check.dynamics.compare_spectra`).
Rounding toward zero in the decays and the floor of ``c`` are left out of ``A_q`` (each at most one unit per step).
"""
from __future__ import annotations

import numpy as np
from scipy.linalg import expm

from snn_deploy.quantize.loihi2.spec import Loihi2Spec


def coupling_target(coupling: np.ndarray, tau_mem_s: np.ndarray, dt_s: float, k_v: float,
                    sigma: np.ndarray) -> np.ndarray:
    """``C_int = S (e^{(D + Lambda) dt} - K_v) S^{-1}`` (module docstring) in integer units of ``v``."""
    phi = expm((np.asarray(coupling, np.float64) - np.diag(1.0 / tau_mem_s)) * dt_s)
    target = phi - k_v * np.eye(len(sigma))
    return target * sigma[:, None] / sigma[None, :]


def coupling_mantissas(target: np.ndarray, spec: Loihi2Spec) -> tuple[np.ndarray, int, int]:
    """Mantissas ``M``, shift ``s`` and the clipped count for ``M / 2^s ~ target``."""
    low, high = spec.coupling_mant_min, spec.coupling_mant_max
    for shift in range(spec.coupling_shift_max, -1, -1):
        mant = np.rint(target * 2.0**shift)
        if mant.max(initial=0) <= high and mant.min(initial=0) >= low:
            return mant.astype(np.int64), shift, 0
    mant = np.rint(target)
    clipped = int(np.count_nonzero((mant > high) | (mant < low)))
    return np.clip(mant, low, high).astype(np.int64), 0, clipped


def coupled_steady_bias(coupling: np.ndarray, tau_mem_s: np.ndarray, drive: np.ndarray, dt_s: float,
                        phi_v: np.ndarray) -> np.ndarray:
    r"""Per-step bias ``b`` (IR units) whose integer steady state is the coupled continuous one.

    ``dv/dt = (D + Lambda) v + drive / tau_mem`` rests at ``v* = -(D + Lambda)^{-1} drive / tau_mem``; the
    integer update ``v <- Phi v + b`` rests there when ``b = (1 - Phi) v*``. A singular ``D + Lambda`` (no rest
    state) falls back to the first-order ``b = dt drive / tau_mem``.
    """
    system = np.asarray(coupling, np.float64) - np.diag(1.0 / tau_mem_s)
    rate = drive / tau_mem_s
    try:
        v_star = np.linalg.solve(-system, rate)
    except np.linalg.LinAlgError:
        return dt_s * rate
    return (np.eye(len(rate)) - phi_v) @ v_star


def update_matrices(*, tau_syn_s: np.ndarray, tau_mem_s: np.ndarray | None, gain_in: np.ndarray,
                    coupling: np.ndarray | None, dt_s: float, k_u: float, k_v: float,
                    coupling_q: np.ndarray | None) -> dict[str, list]:
    """Exact and quantized one-step updates of one LIF process (module docstring: state order and units).

    ``tau_mem_s`` None is IF (no leak); ``gain_in`` is ``r w_in`` per neuron; ``coupling_q`` is ``M / 2^s``.
    """
    n = len(gain_in)
    leak = np.zeros(n) if tau_mem_s is None else 1.0 / tau_mem_s
    v_block = -np.diag(leak) + (np.zeros((n, n)) if coupling is None else np.asarray(coupling, np.float64))
    quant_v = k_v * np.eye(n) + (np.zeros((n, n)) if coupling_q is None else coupling_q)
    if np.all(tau_syn_s > 0) and k_u > 0:
        system = np.block([[-np.diag(1.0 / tau_syn_s), np.zeros((n, n))], [np.diag(gain_in * leak), v_block]])
        quantized = np.block([[k_u * np.eye(n), np.zeros((n, n))], [k_u * np.eye(n), quant_v]])
        state = "[u_1..u_n, v_1..v_n]"
    else:
        system, quantized, state = v_block, quant_v, "[v_1..v_n]"
    return {"state": state, "exact_update": expm(system * dt_s).tolist(), "quantized_update": quantized.tolist()}
