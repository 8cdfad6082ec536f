r"""Loihi 2's CUBA-LIF arithmetic as Lava 0.10 models it in fixed point (``select_tag='fixed_pt'``).

:data:`LOIHI2` is the ONE object holding the target's bit widths and integer rules; the quantizer,
the emulator (:mod:`snn_deploy.emulate.loihi2`) and the Lava emitter all read it. Every rule below was
read from the installed lava-nc 0.10.0 source (``.venv-lava/lib/python3.10/site-packages/lava``):

Synapses (``proc/dense/models.py``, ``AbstractPyDenseModelBitAcc.run_spk`` and
``PyDelayDenseModelBitAcc.run_spk``; ``utils/weightutils.py``)
    * weights are first clipped to 8 bits by ``clip_weights(w, sign_mode, num_bits=8)``: mixed signs to
      ``[-256, 255]``, excitatory to ``[0, 255]``, inhibitory (negated, clipped, negated) to ``[-255, 0]``;
    * then ``truncate_weights`` zeroes the lowest ``8 - num_weight_bits + is_mixed`` bits with an
      arithmetic shift (``(w >> n) << n``; negated around the shift for inhibitory weights);
    * the sign mode is ``determine_sign_mode``: all ``>= 0`` excitatory, else all ``<= 0`` inhibitory, else mixed;
    * per step ``a = sum_j w_ij s_j`` (exact, int64), then ``a << weight_exp`` (``weight_exp > 0``) or
      ``a >> -weight_exp`` (arithmetic: rounds toward minus infinity); with delays the shift is applied per
      delay bin of one step's spikes;
    * the result is what the neuron receives ONE step later (``a_buff`` is sent before ``s_in`` is read);
      a ``DelayDense`` delay ``d`` adds ``d`` steps (``0 <= d <= 63``);
    * channels carry ``np.int32`` (``a_out`` of the bit-accurate models); Lava does not saturate them.

Neuron (``proc/lif/models.py``, ``AbstractPyLifModelFixed.subthr_dynamics``, ``PyLifModelBitAcc``)
    * ``u <- trunc0(u (4096 - (du + 1)) / 4096) + (a << 6)`` where ``trunc0`` rounds toward zero
      (``sign(x) * (|x| >> 12)``); ``ds_offset = 1`` is the ``+1`` on ``du`` so a full decay is possible;
      the sum is int32 (wraps modulo ``2**32``), then ONE correction to 24 bits: ``u > 2**23`` subtracts
      ``2**24``, ``u <= -2**23`` adds ``2**24`` (not a modulo);
    * ``v <- trunc0(v (4096 - dv) / 4096) + u + (bias_mant << bias_exp)`` (int32), clipped to
      ``[-(2**23 - 1), 2**23 - 1]``; ``dm_offset = 0``;
    * spike when ``v > vth << 6`` (strict, ``spiking_activation``); on a spike ``v <- 0`` (``reset_voltage``);
      ``u`` is not reset; no refractory period;
    * widths (process model ``LavaPyType`` precisions): ``du``, ``dv`` unsigned 12 bits, ``vth`` unsigned 17
      bits, ``bias_mant`` signed 13 bits, ``bias_exp`` 3 bits, ``u``/``v`` 24 bits. The simulator computes
      with Python ints and does not enforce them: netx's default neuron (``du = -1``, ``dv = 4096``,
      ``vth = 2**17``) runs as its arithmetic says (no current decay, no voltage memory, never fires).
    * ``PyLifResetModelBitAcc.run_spk`` (``LIFReset``) zeroes ``u`` and ``v`` before the step whose
      (1-based) ``time_step % reset_interval == reset_offset``.

Coupled neurons (snn-deploy's own ``CoupledLIF`` process, defined in the emitted ``network.py``; no Lava model)
    A population with membrane coupling runs in ONE custom process: Lava's LIF arithmetic above (one ``du``,
    one ``dv``, ``vth``, per-neuron bias), plus, per step, the coupling term of the PREVIOUS step's ``v``
    (after its reset) ``c_k = sat_24(floor(sum_j M_kj v_j / 2^s))``: ``M`` signed ``coupling_mant_bits``
    mantissas (12 bits: ``v``'s steady state amplifies the coupling's relative error by about
    ``max|lambda| tau_mem``, so 8 bits left ~3 % errors in tests where 12 bits leave 0.2 %), one right shift
    ``s`` in ``0..coupling_shift_max`` per population, the sum exact in int64 (``|v| < 2^23``, ``|M| <= 2^11``:
    exact for fewer than ``2^29`` neurons), the shift an arithmetic one (floor), the result saturated to
    ``+-(2^23 - 1)`` (counted). Then
    ``v <- clip_24(trunc0(v (4096 - dv) / 4096) + u + bias + c)``: the int32 sum cannot wrap, since every
    term is below ``2^23``. The order within a step: ``a_in``; (periodic reset); ``c`` from the old ``v``;
    ``u``; ``v``; spike and reset; send.

Reset by subtraction (snn-deploy's own ``SubtractLIF`` process, defined in the emitted ``network.py``)
    Lava's built-in LIF can only reset ``v`` to 0 (``reset_voltage`` above), and so can Loihi 2's built-in
    neuron model: a population that resets by subtraction runs in a custom process whose fixed_pt model is
    Lava's ``AbstractPyLifModelFixed`` (the same ``u``, ``v`` arithmetic, clip and strict threshold) with ONE
    change, on a spike ``v <- v - (vth << 6)`` (:class:`ResetRule`). On a chip it needs a custom microcode
    neuron. One spike per step at most: when ``v`` exceeds twice the threshold the neuron fires once and keeps
    the remainder ``v - (vth << 6)`` (still above the threshold), so it fires again in the next steps until
    the remainder is below it; this is NIR's (and snnTorch's) subtractive reset, once per step. The result is
    exact in 24 bits: ``vth << 6 < v <= 2^23 - 1`` before the reset, so ``0 < v - (vth << 6) < 2^23``. A
    ``CoupledLIF`` group resets by the same rule when its ``reset`` says so. Neurons of both kinds may start
    from a non-zero ``v`` (``LifGroup.v_init``; Lava's ``Var`` init; ``u`` starts at 0), restored before
    every sample.

The neuron update itself is compiled in :func:`snn_deploy.emulate.loihi2._lif_step` from these constants.
The weight exponent is not bounded by Lava 0.10's simulator; :attr:`Loihi2Spec.weight_exp_min` /
``weight_exp_max`` hold the signed 4-bit range of the Loihi synapse exponent, which the quantizer keeps to.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from enum import Enum
from typing import Any, Mapping

import numpy as np


class SignMode(Enum):
    """Weight sign modes of a synapse process (values as ``lava.utils.weightutils.SignMode``)."""

    MIXED = 1
    EXCITATORY = 2
    INHIBITORY = 3


class ResetRule(Enum):
    """What a spike does to ``v`` (``LifGroup.reset``; module docstring)."""

    ZERO = "zero"  #: Lava's LIF, LIFReset and CoupledLIF: ``v <- 0``
    SUBTRACT = "subtract"  #: snn-deploy's SubtractLIF (or a CoupledLIF with this rule): ``v <- v - (vth << 6)``


def shift_by_exp(accumulated, weight_exp):
    """``a << weight_exp`` or ``a >> -weight_exp`` (arithmetic shift: toward minus infinity).

    Plain Python on integers or integer arrays, so the emulator's compiled kernel compiles this same function.
    """
    return accumulated << weight_exp if weight_exp > 0 else accumulated >> -weight_exp


def coupling_term(total, shift, v_limit):
    """``sat(floor(total / 2^shift))`` to ``+-v_limit``: one neuron's coupling term from its exact int64 sum
    ``total = sum_j M_kj v_j`` (module docstring). Plain Python on integers, compiled into the emulator's kernel."""
    term = total >> shift
    return v_limit if term > v_limit else (-v_limit if term < -v_limit else term)


def _signed_range(bits: int) -> tuple[int, int]:
    """(min, max) of a ``bits``-bit two's-complement field."""
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


@dataclass(frozen=True)
class Loihi2Spec:
    """Bit widths and integer rules of Loihi 2 CUBA-LIF neurons and Dense synapses (Lava 0.10 fixed_pt)."""

    name: str = "loihi2"  #: the target name (an artifact's manifest records it with the values)
    decay_bits: int = 12  #: decays are 12-bit fractions of ``decay_unity``
    du_offset: int = 1  #: ``ds_offset``: the effective current decay is ``du + 1``
    dv_offset: int = 0  #: ``dm_offset``
    uv_bits: int = 24  #: width of ``u`` and ``v``
    act_shift: int = 6  #: synaptic input is shifted left by this before it is added to ``u``
    vth_shift: int = 6  #: the threshold mantissa is shifted left by this
    vth_bits: int = 17  #: unsigned threshold mantissa
    bias_mant_bits: int = 13  #: signed bias mantissa
    bias_exp_max: int = 7  #: 3-bit bias exponent, ``0..7``
    weight_bits: int = 8  #: synaptic weights are clipped to 8 bits (+ sign in mixed mode)
    weight_exp_min: int = -8
    weight_exp_max: int = 7
    max_delay_steps: int = 63  #: ``DelayDense`` accepts delays ``0..63``
    channel_bits: int = 32  #: synapse -> neuron messages are int32
    coupling_mant_bits: int = 12  #: signed coupling mantissas of the ``CoupledLIF`` process (-2048..2047)
    coupling_shift_max: int = 31  #: the coupling sum is shifted right by ``0..31``

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> "Loihi2Spec":
        """The spec whose fields are ``values`` (an artifact manifest's ``spec.values``); every field required."""
        missing = sorted({f.name for f in fields(cls)} - set(values))
        if missing:
            raise KeyError(f"missing {', '.join(missing)}")
        return cls(**values)

    # ------------------------------------------------------------------ derived constants
    @property
    def act_scale(self) -> int:
        """``2**act_shift``: ``u`` gains this many units per unit of synaptic input ``a``."""
        return 1 << self.act_shift

    @property
    def vth_scale(self) -> int:
        """``2**vth_shift``: the threshold in units of ``v`` per unit of the mantissa ``vth``."""
        return 1 << self.vth_shift

    @property
    def decay_unity(self) -> int:
        return 1 << self.decay_bits

    @property
    def decay_max(self) -> int:
        """Largest ``du`` / ``dv`` (12 bits unsigned)."""
        return self.decay_unity - 1

    @property
    def uv_half(self) -> int:
        """``2**23``: ``u`` wraps above this, ``v`` is clipped one below it."""
        return 1 << (self.uv_bits - 1)

    @property
    def v_limit(self) -> int:
        return self.uv_half - 1

    @property
    def vth_max(self) -> int:
        return (1 << self.vth_bits) - 1

    @property
    def bias_mant_max(self) -> int:
        return _signed_range(self.bias_mant_bits)[1]

    @property
    def bias_mant_min(self) -> int:
        return _signed_range(self.bias_mant_bits)[0]

    def weight_range(self, mode: SignMode) -> tuple[int, int]:
        """Clip range of ``clip_weights(w, mode, num_bits=8)``."""
        top = (1 << self.weight_bits) - 1
        if mode is SignMode.MIXED:
            return -(1 << self.weight_bits), top
        if mode is SignMode.EXCITATORY:
            return 0, top
        return -top, 0

    def kept_weight_range(self, mode: SignMode) -> tuple[int, int]:
        """Mantissas Lava keeps unchanged at ``num_weight_bits = weight_bits``: :meth:`weight_range`, with mixed
        signs only the even values (``truncate_weights`` zeroes their LSB): ``-256..254``."""
        low, high = self.weight_range(mode)
        return (low, high - 1) if mode is SignMode.MIXED else (low, high)

    def exact_weight_range(self, mode: SignMode) -> tuple[int, int]:
        """Integer weights ``w`` a Dense sums exactly per spike: one sign as they are (``weight_exp = 0``), mixed
        signs as ``2 w`` with ``weight_exp = -1`` (even mantissas): ``-128..127``."""
        low, high = self.kept_weight_range(mode)
        return (low // 2, high // 2) if mode is SignMode.MIXED else (low, high)

    @property
    def coupling_mant_max(self) -> int:
        return _signed_range(self.coupling_mant_bits)[1]

    @property
    def coupling_mant_min(self) -> int:
        return _signed_range(self.coupling_mant_bits)[0]

    #: ``c_k = sat_24(floor(total_k / 2^shift))`` of one neuron's exact sum ``total_k = sum_j M_kj v_j``
    coupling_term = staticmethod(coupling_term)

    # ------------------------------------------------------------------ synapse rules
    @staticmethod
    def sign_mode(weight: np.ndarray) -> SignMode:
        """``determine_sign_mode``: excitatory if all >= 0, inhibitory if all <= 0, else mixed."""
        weight = np.asarray(weight)
        if weight.size == 0 or weight.min() >= 0:
            return SignMode.EXCITATORY
        if weight.max() <= 0:
            return SignMode.INHIBITORY
        return SignMode.MIXED

    def truncated_bits(self, mode: SignMode, num_weight_bits: int) -> int:
        """Low bits ``truncate_weights`` zeroes: ``8 - num_weight_bits + is_mixed``."""
        return self.weight_bits - int(num_weight_bits) + int(mode is SignMode.MIXED)

    def effective_weights(self, weight: np.ndarray, mode: SignMode, num_weight_bits: int) -> np.ndarray:
        """The int64 weights Lava's bit-accurate Dense multiplies with: clip to 8 bits, then truncate."""
        low, high = self.weight_range(mode)
        w = np.clip(np.asarray(weight, dtype=np.int64), low, high)
        n = self.truncated_bits(mode, num_weight_bits)
        if mode is SignMode.INHIBITORY:
            return -((-w >> n) << n)
        return (w >> n) << n

    #: ``a << weight_exp`` or ``a >> -weight_exp`` (arithmetic: toward minus infinity)
    shift_by_exp = staticmethod(shift_by_exp)

    # ------------------------------------------------------------------ neuron rules
    @staticmethod
    def reset_mask(rule: ResetRule) -> int:
        """``m`` with ``v_after = (v - (vth << 6)) & m`` on a spike: 0 (to 0) or -1 (subtract; all bits kept)."""
        return -1 if rule is ResetRule.SUBTRACT else 0

    def reset_voltage(self, v: np.ndarray, spiked: np.ndarray, vth: int, rule: ResetRule) -> np.ndarray:
        """``v`` after the spikes ``spiked`` of one step under ``rule`` (module docstring)."""
        v = np.asarray(v, np.int64)
        return np.where(spiked, (v - (int(vth) << self.vth_shift)) & self.reset_mask(rule), v)

    def effective_bias(self, bias_mant: np.ndarray, bias_exp: np.ndarray) -> np.ndarray:
        """``bias_mant << bias_exp`` (``>> -bias_exp`` for a negative exponent), as ``scale_bias``."""
        mant = np.asarray(bias_mant, dtype=np.int64)
        exp = np.asarray(bias_exp, dtype=np.int64)
        return np.where(exp >= 0, mant << np.maximum(exp, 0), mant >> np.maximum(-exp, 0))


LOIHI2 = Loihi2Spec()
