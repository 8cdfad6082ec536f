r"""Bit-accurate integer emulator of a Loihi 2 :class:`~snn_deploy.quantize.loihi2.deployment.Deployment`.

Reproduces Lava 0.10's ``fixed_pt`` process models step by step (the rules are those of
:data:`snn_deploy.quantize.loihi2.spec.LOIHI2`), over a batch of samples at once. Per step, a numba kernel
updates each group's ``[batch, neurons]`` state in one pass (:func:`_lif_step`) and another adds the weight
columns of the spiking inputs (work proportional to spikes, not to synapses); the Python loop only runs
over steps and processes. Step ``t`` (0-based; Lava's ``time_step`` is ``t + 1``) is, for every group:

.. math::

    a_t &= \textstyle\sum_{\text{synapses}} \mathrm{ring}[t] \quad(\text{what was sent } 1 + d \text{ steps ago})\\
    u_t &= \mathrm{wrap}_{24}\big(\mathrm{wrap}_{32}(\mathrm{trunc_0}(u_{t-1}(4096-du-1)/4096) + 64 a_t)\big)\\
    v_t &= \mathrm{clip}_{\pm(2^{23}-1)}\big(\mathrm{trunc_0}(v_{t-1}(4096-dv)/4096) + u_t + b\big),\quad
    s_t = [v_t > \vartheta \cdot 64],\quad v_t \leftarrow 0 \text{ where } s_t

and then every synapse sends ``(W s_t) << weight_exp`` (per delay bin) to ``ring[t + 1 + d]``. A coupled group
(``CoupledLIF`` process) adds ``c_t = sat_24(floor(M v_{t-1} / 2^s))`` to ``v_t``'s sum (spec.py), computed
from the previous step's ``v`` before the update. Input spikes
are unary as Lava's Dense reads them (``s_in.astype(bool)``): several events of one unit in one step count
once (counted in ``merged_input_events``). Wraps of ``u``, clips of ``v`` and saturated coupling terms are
counted per population.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numba
import numpy as np
import scipy.sparse

from snn_deploy.quantize.loihi2.deployment import Deployment, Synapse
from snn_deploy.quantize.loihi2.spec import LOIHI2, Loihi2Spec

#: synapse matrices with at most this fraction of non-zeros (and enough entries) are kept column-compressed
_SPARSE_DENSITY = 0.1
_SPARSE_MIN_SIZE = 1 << 14


@numba.njit(cache=True, nogil=True)
def _add_dense_columns(spikes, weight_t, out):  # pragma: no cover - compiled
    """``out[b, :] += weight_t[j, :]`` for every spike ``spikes[b, j]``."""
    for b in range(spikes.shape[0]):
        for j in range(spikes.shape[1]):
            if spikes[b, j]:
                for i in range(weight_t.shape[1]):
                    out[b, i] += weight_t[j, i]


@numba.njit(cache=True, nogil=True)
def _add_sparse_columns(spikes, indptr, indices, data, out):  # pragma: no cover - compiled
    """As :func:`_add_dense_columns` with the weights in compressed sparse columns."""
    for b in range(spikes.shape[0]):
        for j in range(spikes.shape[1]):
            if spikes[b, j]:
                for p in range(indptr[j], indptr[j + 1]):
                    out[b, indices[p]] += data[p]


@numba.njit(cache=True, nogil=True)
def _lif_step(u, v, a_in, bias, drive, u_keep, v_keep, vth_scaled, decay_bits, act_shift, uv_half, v_limit,
              channel_half, spikes):  # pragma: no cover - compiled
    """One step of Lava's fixed-point LIF on ``u``, ``v`` ``[batch, n]`` in place; returns (u wraps, v clips).

    The rules and constants are :data:`LOIHI2`'s (``u_keep = 4096 - du - 1``, ``v_keep = 4096 - dv``,
    ``vth_scaled = vth << 6``); int32 sums wrap modulo ``2 * channel_half`` as numpy's int32 does in Lava.
    ``drive`` ``[batch, n]`` is added to ``v`` with the bias: the coupling term of a ``CoupledLIF`` process
    (zeros for Lava's LIF).
    """
    wraps = 0
    clips = 0
    channel_mask = 2 * channel_half - 1
    for b in range(u.shape[0]):
        for i in range(u.shape[1]):
            x = u[b, i] * u_keep
            decayed = (-x >> decay_bits) * -1 if x < 0 else x >> decay_bits
            cur = ((decayed + (a_in[b, i] << act_shift) + channel_half) & channel_mask) - channel_half
            if cur > uv_half:
                cur -= 2 * uv_half
                wraps += 1
            elif cur <= -uv_half:
                cur += 2 * uv_half
                wraps += 1
            y = v[b, i] * v_keep
            decayed = (-y >> decay_bits) * -1 if y < 0 else y >> decay_bits
            volt = ((decayed + cur + bias[i] + drive[b, i] + channel_half) & channel_mask) - channel_half
            if volt > v_limit:
                volt = v_limit
                clips += 1
            elif volt < -v_limit:
                volt = -v_limit
                clips += 1
            fire = volt > vth_scaled
            if fire:
                volt = 0
            u[b, i] = cur
            v[b, i] = volt
            spikes[b, i] = fire
    return wraps, clips


@dataclass
class EmulationResult:
    """Per IR population: spikes ``[batch, steps, units]`` uint8, optional ``u``/``v`` int64, overflow counts."""

    spikes: dict[str, np.ndarray]
    u: dict[str, np.ndarray] = field(default_factory=dict)
    v: dict[str, np.ndarray] = field(default_factory=dict)
    u_wraps: dict[str, int] = field(default_factory=dict)
    v_clips: dict[str, int] = field(default_factory=dict)
    coupling_saturations: dict[str, int] = field(default_factory=dict)  #: coupling terms saturated to 24 bits
    merged_input_events: int = 0


class _Matrix:
    """``spikes -> W spikes`` for a batch of spikes (bool ``[batch, in]``), exactly.

    Spikes are sparse: a compiled loop adds the weight columns of the active inputs (work ``spikes x out``,
    not ``in x out``); weights that are mostly zero (unrolled convolutions) are kept column-compressed. Sums
    are int32 when no row of ``|W|`` adds up to ``2**31`` (twice the SIMD lanes of int64), else int64.
    """

    def __init__(self, weight: np.ndarray) -> None:
        self.n_out = weight.shape[0]
        self.dtype = np.int32 if np.abs(weight).sum(axis=1).max(initial=0) < 2**31 else np.int64
        if weight.size >= _SPARSE_MIN_SIZE and np.count_nonzero(weight) <= _SPARSE_DENSITY * weight.size:
            csc = scipy.sparse.csc_matrix(weight.astype(self.dtype))
            self._sparse = (csc.indptr.astype(np.int64), csc.indices.astype(np.int64), csc.data)
            self._dense_t = None
        else:
            self._sparse = None
            self._dense_t = np.ascontiguousarray(weight.T.astype(self.dtype))

    def __call__(self, spikes: np.ndarray) -> np.ndarray:
        out = np.zeros((spikes.shape[0], self.n_out), self.dtype)
        if self._sparse is None:
            _add_dense_columns(spikes, self._dense_t, out)
        else:
            _add_sparse_columns(spikes, *self._sparse, out)
        return out.astype(np.int64, copy=False)


class _Connection:
    """One Lava Dense/DelayDense: effective weights split by delay, and its ring of in-flight input."""

    def __init__(self, synapse: Synapse, batch: int, spec: Loihi2Spec) -> None:
        mode = spec.sign_mode(synapse.weight)
        weight = spec.effective_weights(synapse.weight, mode, synapse.num_weight_bits)
        delay = synapse.delay if synapse.delay is not None else np.zeros(weight.shape, np.int64)
        self.bins = [(int(d), _Matrix(np.where(delay == d, weight, 0))) for d in np.unique(delay)]
        self.weight_exp = synapse.weight_exp
        self.ring = np.zeros((int(delay.max()) + 2, batch, weight.shape[0]), dtype=np.int64)

    def send(self, spikes: np.ndarray, t: int, spec: Loihi2Spec) -> None:
        if not spikes.any():
            return
        slots = self.ring.shape[0]
        for delay, matrix in self.bins:
            self.ring[(t + 1 + delay) % slots] += spec.shift_by_exp(matrix(spikes), self.weight_exp)

    def receive(self, t: int) -> np.ndarray:
        slot = t % self.ring.shape[0]
        value = self.ring[slot].copy()
        self.ring[slot] = 0
        return value


def emulate(
    deployment: Deployment,
    input_spikes: np.ndarray,
    *,
    record: tuple[str, ...] | None = None,
    record_state: bool = False,
    spec: Loihi2Spec = LOIHI2,
) -> EmulationResult:
    """Run ``deployment`` on ``input_spikes`` ``[batch, steps, input_units]``.

    ``record``: the populations whose spikes (and with ``record_state`` ``u``, ``v``) are kept; None: all.
    """
    input_spikes = np.asarray(input_spikes)
    batch, steps, units = input_spikes.shape
    if units != deployment.input_units:
        raise ValueError(f"input has {units} units, the deployment expects {deployment.input_units}")
    recorded = tuple(deployment.populations) if record is None else tuple(record)
    x_in = input_spikes > 0

    connections = [_Connection(s, batch, spec) for s in deployment.synapses]
    incoming = {g.name: [c for c, s in zip(connections, deployment.synapses) if s.target == g.name]
                for g in deployment.groups}
    outgoing = {name: [c for c, s in zip(connections, deployment.synapses) if s.source == name]
                for name in [deployment.input_name, *(g.name for g in deployment.groups)]}

    u = {g.name: np.zeros((batch, g.size), np.int64) for g in deployment.groups}
    v = {g.name: np.zeros((batch, g.size), np.int64) for g in deployment.groups}
    bias = {g.name: spec.effective_bias(g.bias_mant, g.bias_exp) for g in deployment.groups}
    keep = [g for g in deployment.groups if g.population in recorded]
    out_spikes = {g.name: np.zeros((batch, steps, g.size), np.uint8) for g in keep}
    out_u = {g.name: np.zeros((batch, steps, g.size), np.int64) for g in keep} if record_state else {}
    out_v = {g.name: np.zeros((batch, steps, g.size), np.int64) for g in keep} if record_state else {}
    wraps = {g.name: 0 for g in deployment.groups}
    clips = {g.name: 0 for g in deployment.groups}
    coupling_saturations = {g.name: 0 for g in deployment.groups}
    no_drive = {g.name: np.zeros((batch, g.size), np.int64) for g in deployment.groups}

    for t in range(steps):
        time_step = t + 1
        fired: dict[str, np.ndarray] = {deployment.input_name: x_in[:, t]}
        for g in deployment.groups:
            a_in = sum((c.receive(t) for c in incoming[g.name]), np.zeros((batch, g.size), np.int64))
            if g.reset_interval and time_step % g.reset_interval == g.reset_offset:
                u[g.name][:] = 0
                v[g.name][:] = 0
            spiking = np.empty((batch, g.size), np.bool_)
            drive = no_drive[g.name]
            if g.coupling is not None:  # from the previous step's v, before this step's update
                drive, saturated = spec.coupling_term(v[g.name], g.coupling, g.coupling_shift)
                coupling_saturations[g.name] += saturated
            n_wraps, n_clips = _lif_step(
                u[g.name], v[g.name], a_in, bias[g.name], drive, spec.decay_unity - g.du - spec.du_offset,
                spec.decay_unity - g.dv - spec.dv_offset, g.vth << spec.vth_shift, spec.decay_bits, spec.act_shift,
                spec.uv_half, spec.v_limit, 1 << (spec.channel_bits - 1), spiking,
            )
            wraps[g.name] += n_wraps
            clips[g.name] += n_clips
            fired[g.name] = spiking
            if g.name in out_spikes:
                out_spikes[g.name][:, t] = spiking
                if record_state:
                    out_u[g.name][:, t] = u[g.name]
                    out_v[g.name][:, t] = v[g.name]
        for name, sending in outgoing.items():
            for connection in sending:
                connection.send(fired[name], t, spec)

    result = EmulationResult(spikes={}, merged_input_events=int(np.count_nonzero(input_spikes > 1)))
    for pop in recorded:
        size = deployment.populations[pop]
        members = [g for g in keep if g.population == pop]
        for target, source in ((result.spikes, out_spikes), (result.u, out_u), (result.v, out_v)):
            if source:
                full = np.zeros((batch, steps, size), source[members[0].name].dtype)
                for g in members:
                    full[:, :, g.indices] = source[g.name]
                target[pop] = full
    for pop in deployment.populations:
        members = [g for g in deployment.groups if g.population == pop]
        result.u_wraps[pop] = sum(wraps[g.name] for g in members)
        result.v_clips[pop] = sum(clips[g.name] for g in members)
        result.coupling_saturations[pop] = sum(coupling_saturations[g.name] for g in members)
    return result
