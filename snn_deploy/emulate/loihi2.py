r"""Bit-accurate integer emulator of a Loihi 2 :class:`~snn_deploy.quantize.loihi2.deployment.Deployment`.

Reproduces Lava 0.10's ``fixed_pt`` process models step by step (the rules are those of
:data:`snn_deploy.quantize.loihi2.spec.LOIHI2`). Step ``t`` (0-based; Lava's ``time_step`` is ``t + 1``) is,
for every group:

.. math::

    a_t &= \textstyle\sum_{\text{terms } k} \mathrm{shift}_{e_k}\big(W_k\, s^{\mathrm{src}(k)}_{t - 1 - d_k}\big)
          \quad(\text{Dense delivers one step late, plus the term's delay } d_k)\\
    u_t &= \mathrm{wrap}_{24}\big(\mathrm{wrap}_{32}(\mathrm{trunc_0}(u_{t-1}(4096-du-1)/4096) + 64 a_t)\big)\\
    v_t &= \mathrm{clip}_{\pm(2^{23}-1)}\big(\mathrm{trunc_0}(v_{t-1}(4096-dv)/4096) + u_t + b + c_t\big),\quad
    s_t = [v_t > \vartheta \cdot 64],\quad v_t \leftarrow (v_t - \vartheta \cdot 64) \,\&\, m \text{ where } s_t

where a *term* is one delay bin of one Lava Dense/DelayDense (its weights where the delay is ``d_k``) and
``shift_e`` is ``<< e`` or the flooring ``>> -e``. A coupled group (``CoupledLIF`` process) adds
``c_t = sat_24(floor(M v_{t-1} / 2^s))`` (:meth:`Loihi2Spec.coupling_term`), computed from the previous
step's ``v`` before the update; other groups have ``c_t = 0``. The reset mask ``m`` is the group's
:meth:`Loihi2Spec.reset_mask`: 0 resets to 0 (Lava's LIF), -1 subtracts the threshold (``SubtractLIF``); one
per group, so the neuron loop has no extra branch. Every sample starts from ``u = 0`` and the group's
``v_init`` (0 unless given). Input spikes are unary as Lava's Dense reads
them (``s_in.astype(bool)``): several events of one unit in one step count once (counted in
``merged_input_events``). Wraps of ``u``, clips of ``v`` and saturated coupling terms are counted per
population.

How it runs (``benchmarks/bench_loihi2_scaling.py``, ``bench_bandwidth.py``): one compiled kernel
(:func:`_run_samples`) runs whole samples, every step of every group, so no Python runs per step; samples are
independent and the kernel releases the GIL, so a batch is split over one thread per core. Every synapse
delivers at least one step late, so step ``t`` reads only spikes of steps ``< t``: recurrent and
feed-forward graphs run alike. Work is proportional to synaptic events, not synapses: each step keeps the
indices of the units that spiked (a ring as deep as the longest delay), and a term adds, per spiking input,
its weight row (int16 mantissas into an int32 accumulator when that is exact, see :class:`_Terms`), or for
weights with few non-zeros (unrolled convolutions) the row's non-zeros only. Parts of one projection that
differ only in their non-negative ``weight_exp`` (the quantizer's excitatory / inhibitory split) are merged
into one term, exactly: ``(S W_1) << e_1 + (S W_2) << e_2 = (S (W_1 2^{e_1 - e} + W_2 2^{e_2 - e})) << e``;
with a negative exponent each part floors its own sum, so those stay separate, as in Lava.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numba
import numpy as np
import scipy.sparse

from snn_deploy.parallel import map_batches
from snn_deploy.quantize.loihi2.deployment import Deployment, LifGroup
from snn_deploy.quantize.spec_check import same_spec
from snn_deploy.quantize.loihi2.spec import Loihi2Spec, coupling_term, shift_by_exp

#: terms with at most this fraction of non-zero weights (and enough entries) add only their non-zeros
_SPARSE_DENSITY = 0.1
_SPARSE_MIN_SIZE = 1 << 14

# columns of _Terms.params (one row per term) and _Network.group_params (one row per group)
T_SOURCE, T_TARGET, T_DELAY, T_WEIGHT_EXP, T_DENSE_START, T_SPARSE_START = range(6)
G_U_KEEP, G_V_KEEP, G_VTH_SCALED, G_RESET_INTERVAL, G_RESET_OFFSET, G_COUPLING_START, G_COUPLING_SHIFT, \
    G_RESET_MASK = range(8)
_TERM_COLUMNS = {"source": T_SOURCE, "target": T_TARGET, "delay": T_DELAY, "weight_exp": T_WEIGHT_EXP,
                 "dense_start": T_DENSE_START, "sparse_start": T_SPARSE_START}
_GROUP_COLUMNS = {"u_keep": G_U_KEEP, "v_keep": G_V_KEEP, "vth_scaled": G_VTH_SCALED, "reset_interval": G_RESET_INTERVAL,
                  "reset_offset": G_RESET_OFFSET, "coupling_start": G_COUPLING_START,
                  "coupling_shift": G_COUPLING_SHIFT, "reset_mask": G_RESET_MASK}


class Arithmetic(NamedTuple):
    """The spec's widths the kernel computes with (:data:`LOIHI2`)."""

    decay_bits: int
    act_shift: int
    uv_half: int
    v_limit: int
    channel_half: int  #: half the int32 channel range: sums wrap modulo ``2 * channel_half``


class GroupArrays(NamedTuple):
    """Neurons of every group, flat: group ``g`` holds neurons ``start[g]:start[g + 1]``."""

    start: np.ndarray
    params: np.ndarray  #: ``[groups, 8]`` int64, columns ``G_*``
    bias: np.ndarray
    v_init: np.ndarray
    coupling: np.ndarray  #: the coupled groups' mantissas, flat; a group's start is its ``G_COUPLING_START``
    rec_index: np.ndarray  #: per neuron its record column, -1 when not recorded


class TermArrays(NamedTuple):
    """Every term's parameter row (columns ``T_*``) and weights, dense or compressed by input (:class:`_Terms`)."""

    params: np.ndarray
    dense: np.ndarray
    sparse_ptr: np.ndarray
    sparse_index: np.ndarray
    sparse_value: np.ndarray


class Records(NamedTuple):
    """Kernel outputs ``[batch, steps, recorded]`` (``u``, ``v`` with no columns when not recorded) and counts."""

    spikes: np.ndarray
    u: np.ndarray
    v: np.ndarray
    counts: np.ndarray  #: ``[batch, groups, 3]``: u wraps, v clips, coupling saturations


class _Ring(NamedTuple):
    """The units that spiked in the last ``depth`` steps: source ``k``'s are ``index[slot, first[k]:][:count]``."""

    index: np.ndarray
    count: np.ndarray
    first: np.ndarray


@numba.njit(cache=True, nogil=True)
def _lif_step(u, v, a_in, drive, p, arithmetic, spiked):  # pragma: no cover - compiled
    """One step of Lava's fixed-point LIF on one group's ``u``, ``v`` in place; returns (u wraps, v clips).

    The rules and constants are :data:`LOIHI2`'s; the group's row ``p`` of :attr:`GroupArrays.params` gives
    ``u_keep = 4096 - du - 1``, ``v_keep = 4096 - dv``, ``vth_scaled = vth << 6`` and the reset mask; int32
    sums wrap modulo ``2 * channel_half`` as numpy's int32 does in Lava. ``drive`` is the bias plus the
    coupling term (module docstring); a spike leaves ``(v - vth_scaled) & reset_mask``
    (:meth:`Loihi2Spec.reset_mask`). Branch-free, so it compiles to SIMD.
    """
    u_keep, v_keep, vth_scaled, reset_mask = p[G_U_KEEP], p[G_V_KEEP], p[G_VTH_SCALED], p[G_RESET_MASK]
    decay_bits, act_shift, uv_half, v_limit, channel_half = arithmetic
    channel_mask = 2 * channel_half - 1
    wraps = 0
    clips = 0
    for i in range(u.size):
        x = u[i] * u_keep
        decayed = -(-x >> decay_bits) if x < 0 else x >> decay_bits
        cur = ((decayed + (a_in[i] << act_shift) + channel_half) & channel_mask) - channel_half
        up = cur > uv_half
        down = cur <= -uv_half
        cur = cur - 2 * uv_half if up else (cur + 2 * uv_half if down else cur)
        y = v[i] * v_keep
        decayed = -(-y >> decay_bits) if y < 0 else y >> decay_bits
        volt = ((decayed + cur + drive[i] + channel_half) & channel_mask) - channel_half
        high = volt > v_limit
        low = volt < -v_limit
        volt = v_limit if high else (-v_limit if low else volt)
        fire = volt > vth_scaled
        wraps += up | down
        clips += high | low
        u[i] = cur
        v[i] = (volt - vth_scaled) & reset_mask if fire else volt
        spiked[i] = fire
    return wraps, clips


@numba.njit(cache=True, nogil=True)
def _add_rows(spiking, dense_rows, acc):  # pragma: no cover - compiled
    """``acc += dense_rows[j]`` for every ``j`` in ``spiking`` (``dense_rows`` flat ``[in, len(acc)]``).

    Four rows per pass over ``acc``: one load and store of the accumulator per four rows read.
    """
    n_out = acc.size
    n_four = spiking.size // 4 * 4
    for p in range(0, n_four, 4):
        row0 = dense_rows[spiking[p] * n_out:(spiking[p] + 1) * n_out]
        row1 = dense_rows[spiking[p + 1] * n_out:(spiking[p + 1] + 1) * n_out]
        row2 = dense_rows[spiking[p + 2] * n_out:(spiking[p + 2] + 1) * n_out]
        row3 = dense_rows[spiking[p + 3] * n_out:(spiking[p + 3] + 1) * n_out]
        for i in range(n_out):
            acc[i] += row0[i] + row1[i] + row2[i] + row3[i]
    for j in spiking[n_four:]:
        row = dense_rows[j * n_out:(j + 1) * n_out]
        for i in range(n_out):
            acc[i] += row[i]


@numba.njit(cache=True, nogil=True)
def _add_sparse_rows(spiking, ptr, index, value, acc):  # pragma: no cover - compiled
    """As :func:`_add_rows` with the rows compressed: row ``j`` is ``value[ptr[j]:ptr[j + 1]]`` at ``index``."""
    for j in spiking:
        for q in range(ptr[j], ptr[j + 1]):
            acc[index[q]] += value[q]


_shift_by_exp = numba.njit(inline="always")(shift_by_exp)  # Loihi2Spec.shift_by_exp, compiled
_coupling_term = numba.njit(inline="always")(coupling_term)  # Loihi2Spec.coupling_term, compiled


@numba.njit(cache=True, nogil=True)
def _coupling_drive(v, mant, shift, bias, v_limit, drive):  # pragma: no cover - compiled
    """``drive = bias + sat_24(floor(M v / 2^shift))`` (:meth:`Loihi2Spec.coupling_term`); returns the saturations."""
    n = v.size
    saturated = 0
    for i in range(n):
        total = np.int64(0)
        for j in range(n):
            total += mant[i * n + j] * v[j]
        term = _coupling_term(total, shift, v_limit)
        saturated += term != total >> shift
        drive[i] = bias[i] + term
    return saturated


@numba.njit(cache=True, nogil=True)
def _synaptic_input(t, ring, groups, terms, acc, a_in):  # pragma: no cover - compiled
    """``a_in`` of step ``t``: what every term's source sent ``1 + delay`` steps ago, shifted by its exponent."""
    depth = ring.count.shape[0]
    a_in[:] = 0
    for k in range(terms.params.shape[0]):
        row = terms.params[k]
        source, target, delay = row[T_SOURCE], row[T_TARGET], row[T_DELAY]
        if t - 1 - delay < 0:
            continue
        slot = (t - 1 - delay) % depth
        count = ring.count[slot, source]
        if count == 0:
            continue
        sent = ring.index[slot, ring.first[source]:ring.first[source] + count]
        lo, hi = groups.start[target], groups.start[target + 1]
        term = acc[:hi - lo]
        term[:] = 0
        if row[T_DENSE_START] >= 0:
            _add_rows(sent, terms.dense[row[T_DENSE_START]:], term)
        else:
            _add_sparse_rows(sent, terms.sparse_ptr[row[T_SPARSE_START]:], terms.sparse_index, terms.sparse_value,
                             term)
        a_target = a_in[lo:hi]
        for i in range(hi - lo):
            a_target[i] += _shift_by_exp(np.int64(term[i]), row[T_WEIGHT_EXP])


@numba.njit(cache=True, nogil=True)
def _group_step(b, t, g, state, groups, arithmetic, spiked, out):  # pragma: no cover - compiled
    """Step ``t`` of group ``g`` in sample ``b``: periodic reset, coupling, the LIF update, counts and records.

    ``state`` is ``(u, v, a_in, drive)`` of every neuron; leaves the group's spikes in ``spiked[:size]``.
    """
    u, v, a_in, drive = state
    p = groups.params[g]
    lo, hi = groups.start[g], groups.start[g + 1]
    u_g, v_g, drive_g, rec_g = u[lo:hi], v[lo:hi], drive[lo:hi], groups.rec_index[lo:hi]
    if p[G_RESET_INTERVAL] > 0 and (t + 1) % p[G_RESET_INTERVAL] == p[G_RESET_OFFSET]:
        u_g[:] = 0
        v_g[:] = 0
    if p[G_COUPLING_START] >= 0:  # from the previous step's v, before this step's update
        out.counts[b, g, 2] += _coupling_drive(v_g, groups.coupling[p[G_COUPLING_START]:], p[G_COUPLING_SHIFT],
                                               groups.bias[lo:hi], arithmetic.v_limit, drive_g)
    else:
        drive_g[:] = groups.bias[lo:hi]
    n_wraps, n_clips = _lif_step(u_g, v_g, a_in[lo:hi], drive_g, p, arithmetic, spiked[:hi - lo])
    out.counts[b, g, 0] += n_wraps
    out.counts[b, g, 1] += n_clips
    record_state = out.u.shape[2] > 0
    for i in range(hi - lo):
        if rec_g[i] >= 0:
            out.spikes[b, t, rec_g[i]] = spiked[i]
            if record_state:
                out.u[b, t, rec_g[i]] = u_g[i]
                out.v[b, t, rec_g[i]] = v_g[i]


@numba.njit(cache=True, nogil=True)
def _run_samples(x_in, groups, terms, arithmetic, acc_proto, ring_depth, out):  # pragma: no cover - compiled
    """Run every sample of ``x_in`` (bool ``[batch, steps, units]``) through the packed network (:class:`_Network`).

    Writes spikes (and, when ``out.u`` has columns, ``u`` and ``v``) of recorded neurons to column
    ``groups.rec_index[i]`` of ``out`` ``[batch, steps, recorded]``, and per sample and group the u wraps,
    v clips and coupling saturations to ``out.counts``.
    """
    batch, steps, units = x_in.shape
    n_groups = groups.start.size - 1
    n_neurons = groups.start[n_groups]
    u = np.zeros(n_neurons, np.int64)
    v = np.zeros(n_neurons, np.int64)
    drive = np.zeros(n_neurons, np.int64)
    a_in = np.zeros(n_neurons, np.int64)
    acc = np.zeros_like(acc_proto)
    spiked = np.zeros(acc_proto.size, np.bool_)
    ring = _Ring(np.zeros((ring_depth, n_neurons + units), np.int32), np.zeros((ring_depth, n_groups + 1), np.int64),
                 np.append(groups.start[:-1], n_neurons))
    for b in range(batch):
        u[:] = 0
        v[:] = groups.v_init
        ring.count[:] = 0
        for t in range(steps):
            slot = t % ring_depth
            spiking = np.flatnonzero(x_in[b, t])
            ring.index[slot, n_neurons:n_neurons + spiking.size] = spiking
            ring.count[slot, n_groups] = spiking.size
            _synaptic_input(t, ring, groups, terms, acc, a_in)
            for g in range(n_groups):
                _group_step(b, t, g, (u, v, a_in, drive), groups, arithmetic, spiked, out)
                lo, hi = groups.start[g], groups.start[g + 1]
                fired = ring.index[slot, lo:hi]
                n_fired = 0
                for i in range(hi - lo):
                    if spiked[i]:
                        fired[n_fired] = i
                        n_fired += 1
                ring.count[slot, g] = n_fired


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


def _smallest_int(low: int, high: int) -> type:
    """The narrowest of int16, int32, int64 that holds ``low..high``."""
    for dtype in (np.int16, np.int32):
        if np.iinfo(dtype).min <= low and high <= np.iinfo(dtype).max:
            return dtype
    return np.int64


def _delay_bins(weight: np.ndarray, delay: np.ndarray | None):
    """``(d, weight where delay == d)`` for every delay ``d`` whose weights are not all zero."""
    if delay is None:
        yield 0, weight
        return
    for d in np.unique(delay):
        binned = np.where(delay == d, weight, 0)
        if binned.any():
            yield int(d), binned


def _term_row(**values: int) -> list[int]:
    """One row of :attr:`TermArrays.params`, its columns by name (``T_*``)."""
    row = [0] * len(_TERM_COLUMNS)
    for name, value in values.items():
        row[_TERM_COLUMNS[name]] = int(value)
    return row


def _group_row(**values: int) -> list[int]:
    """One row of :attr:`GroupArrays.params`, its columns by name (``G_*``)."""
    row = [0] * len(_GROUP_COLUMNS)
    for name, value in values.items():
        row[_GROUP_COLUMNS[name]] = int(value)
    return row


class _Terms:
    """Every term (one delay bin of one Dense) as the kernel reads it: a parameter row and packed weights.

    A term's weights are ``[in, out]`` rows, dense or (few non-zeros) compressed by input. Any sum of a row's
    subset of weights fits the accumulator: int32 when no output's ``sum |w|`` reaches ``2**31`` (8-bit
    mantissas: fewer than ``2**23`` inputs), else int64; the mantissas are stored as int16 when they fit.
    """

    def __init__(self, deployment: Deployment, source_index: dict[str, int], spec: Loihi2Spec) -> None:
        merged: dict[tuple[int, int, int, int], tuple[np.ndarray, int]] = {}  # (source, target, delay, tag) -> W, exp
        for k, synapse in enumerate(deployment.synapses):
            weight = spec.effective_weights(synapse.weight, spec.sign_mode(synapse.weight), synapse.num_weight_bits)
            for delay, binned in _delay_bins(weight, synapse.delay):
                exp = synapse.weight_exp  # a negative one floors each part's own sum: never merged
                key = (source_index[synapse.source], source_index[synapse.target], delay, -1 - k if exp < 0 else 0)
                if key in merged:
                    previous, previous_exp = merged[key]
                    exp = min(exp, previous_exp)
                    binned = (previous << (previous_exp - exp)) + (binned << (synapse.weight_exp - exp))
                merged[key] = (binned, exp)
        weights = [w for w, _ in merged.values()]
        bound = max((int(np.abs(w).sum(axis=1).max()) for w in weights), default=0)
        self.acc_dtype = np.int32 if bound <= np.iinfo(np.int32).max else np.int64
        value_dtype = _smallest_int(min((int(w.min()) for w in weights), default=0),
                                    max((int(w.max()) for w in weights), default=0))
        dense, ptrs, indices, values, params = [], [], [], [], []
        dense_size = sparse_size = ptr_size = 0
        for (source, target, delay, _), (weight, exp) in merged.items():
            if weight.size >= _SPARSE_MIN_SIZE and np.count_nonzero(weight) <= _SPARSE_DENSITY * weight.size:
                by_input = scipy.sparse.csr_matrix(weight.T)
                ptrs.append(by_input.indptr.astype(np.int64) + sparse_size)
                indices.append(by_input.indices.astype(np.int32))
                values.append(by_input.data.astype(value_dtype))
                params.append(_term_row(source=source, target=target, delay=delay, weight_exp=exp, dense_start=-1,
                                        sparse_start=ptr_size))
                sparse_size += by_input.nnz
                ptr_size += by_input.indptr.size
            else:
                dense.append(weight.T.astype(value_dtype).reshape(-1))
                params.append(_term_row(source=source, target=target, delay=delay, weight_exp=exp,
                                        dense_start=dense_size, sparse_start=-1))
                dense_size += weight.size
        self.arrays = TermArrays(
            params=np.array(params, np.int64).reshape(-1, len(_TERM_COLUMNS)),
            dense=np.concatenate(dense) if dense else np.zeros(0, value_dtype),
            sparse_ptr=np.concatenate(ptrs) if ptrs else np.zeros(0, np.int64),
            sparse_index=np.concatenate(indices) if indices else np.zeros(0, np.int32),
            sparse_value=np.concatenate(values) if values else np.zeros(0, value_dtype))
        self.ring_depth = int(self.arrays.params[:, T_DELAY].max(initial=0)) + 2


class _Network:
    """A deployment packed into flat arrays for :func:`_run_samples`: groups, neurons, terms, record layout."""

    def __init__(self, deployment: Deployment, recorded: tuple[str, ...], spec: Loihi2Spec) -> None:
        groups = deployment.groups
        group_start = np.cumsum([0] + [g.size for g in groups]).astype(np.int64)
        source_index = {g.name: k for k, g in enumerate(groups)} | {deployment.input_name: len(groups)}
        coupling, coupling_size, params = [], 0, []
        for g in groups:
            coupling_start = -1
            if g.coupling is not None:
                coupling.append(g.coupling.reshape(-1))
                coupling_start, coupling_size = coupling_size, coupling_size + g.coupling.size
            params.append(_group_row(
                u_keep=spec.decay_unity - g.du - spec.du_offset, v_keep=spec.decay_unity - g.dv - spec.dv_offset,
                vth_scaled=g.vth << spec.vth_shift, reset_interval=g.reset_interval, reset_offset=g.reset_offset,
                coupling_start=coupling_start, coupling_shift=g.coupling_shift, reset_mask=spec.reset_mask(g.reset)))
        # recorded neurons write to column population offset + index of the output arrays
        rec_index = np.full(int(group_start[-1]), -1, np.int64)
        self.record_offset: dict[str, int] = {}
        for pop in recorded:
            self.record_offset[pop] = sum(deployment.populations[p] for p in self.record_offset)
        for g, lo in zip(groups, group_start):
            if g.population in self.record_offset:
                rec_index[lo:lo + g.size] = self.record_offset[g.population] + g.indices
        self.record_units = sum(deployment.populations[p] for p in recorded)
        self.groups = GroupArrays(
            start=group_start, params=np.array(params, np.int64).reshape(-1, len(_GROUP_COLUMNS)),
            bias=np.concatenate([spec.effective_bias(g.bias_mant, g.bias_exp) for g in groups]).astype(np.int64),
            v_init=np.concatenate([np.zeros(g.size, np.int64) if g.v_init is None else g.v_init
                                   for g in groups]).astype(np.int64),
            coupling=np.concatenate(coupling) if coupling else np.zeros(0, np.int64), rec_index=rec_index)
        self.terms = _Terms(deployment, source_index, spec)
        self.arithmetic = Arithmetic(decay_bits=spec.decay_bits, act_shift=spec.act_shift, uv_half=spec.uv_half,
                                     v_limit=spec.v_limit, channel_half=1 << (spec.channel_bits - 1))

    def run(self, x_in: np.ndarray, out: Records) -> None:
        """:func:`_run_samples` on these samples (a slice of the batch)."""
        acc_proto = np.zeros(int(np.diff(self.groups.start).max(initial=0)), self.terms.acc_dtype)
        _run_samples(x_in, self.groups, self.terms.arrays, self.arithmetic, acc_proto, self.terms.ring_depth, out)


def _population_counts(groups: tuple[LifGroup, ...], per_group: np.ndarray, populations) -> dict[str, int]:
    return {pop: int(sum(n for g, n in zip(groups, per_group) if g.population == pop)) for pop in populations}


def emulate(
    deployment: Deployment,
    input_spikes: np.ndarray,
    *,
    record: tuple[str, ...] | None = None,
    record_state: bool = False,
    spec: Loihi2Spec | None = None,
) -> EmulationResult:
    """Run ``deployment`` on ``input_spikes`` ``[batch, steps, input_units]``.

    ``record``: the populations whose spikes (and with ``record_state`` ``u``, ``v``) are kept; None: all.
    ``spec``: the deployment's own (:attr:`Deployment.spec`) when None; another one is refused
    (:class:`UnsupportedError`), since its integers were made for the deployment's.
    """
    spec = same_spec(deployment.spec, spec, "Loihi 2")
    input_spikes = np.asarray(input_spikes)
    batch, steps, units = input_spikes.shape
    if units != deployment.input_units:
        raise ValueError(f"input has {units} units, the deployment expects {deployment.input_units}")
    recorded = tuple(deployment.populations) if record is None else tuple(record)
    network = _Network(deployment, recorded, spec)
    x_in = np.ascontiguousarray(input_spikes > 0)
    state_units = network.record_units if record_state else 0
    out = Records(spikes=np.zeros((batch, steps, network.record_units), np.uint8),
                  u=np.zeros((batch, steps, state_units), np.int64), v=np.zeros((batch, steps, state_units), np.int64),
                  counts=np.zeros((batch, len(deployment.groups), 3), np.int64))

    map_batches(lambda s: network.run(x_in[s], Records(*(array[s] for array in out))), batch)
    out_spikes, out_u, out_v, counts = out

    result = EmulationResult(spikes={}, merged_input_events=int(np.count_nonzero(input_spikes > 1)))
    for pop, offset in network.record_offset.items():
        columns = slice(offset, offset + deployment.populations[pop])
        result.spikes[pop] = np.ascontiguousarray(out_spikes[:, :, columns])
        if record_state:
            result.u[pop] = np.ascontiguousarray(out_u[:, :, columns])
            result.v[pop] = np.ascontiguousarray(out_v[:, :, columns])
    per_group = counts.sum(axis=0)
    result.u_wraps = _population_counts(deployment.groups, per_group[:, 0], deployment.populations)
    result.v_clips = _population_counts(deployment.groups, per_group[:, 1], deployment.populations)
    result.coupling_saturations = _population_counts(deployment.groups, per_group[:, 2], deployment.populations)
    return result
