"""The numba-compiled event loop of the exact simulator: one sample, all populations, exact spike times.

Each neuron keeps its state ``(I, v)`` at the time it was last touched and is advanced lazily with the
closed form of :mod:`snn_deploy.reference.neuron_ode`. A binary heap holds two kinds of future events:
delayed pulses and predicted threshold crossings (a prediction is invalidated by a version counter
when the neuron is touched again). The loop handles one *instant* ``t`` at a time, in this order:

1. neurons whose predicted crossing is at ``t`` fire (ascending neuron index): ``v = theta``, then reset;
2. every pulse arriving at ``t`` (from the heap, from input events at ``t`` and from the spikes of
   step 1, in the order they were scheduled) is added to its target: pulses arriving at the same
   instant are summed before any threshold test;
3. the touched neurons, in ascending index, fire while ``v > theta`` (several spikes per instant are
   possible with subtractive reset). Zero-delay pulses of these spikes arrive at the same ``t`` and
   form the next round of step 2, until a round emits no spike.

Finally the crossing of every touched neuron is predicted again, unless the neuron provably stays below
threshold until the next input instant (:func:`~snn_deploy.reference.neuron_ode.below_until`): then its
prediction waits for that instant, where most neurons are touched again (a dense fan-out) and the rest are
predicted from their last update, with the very numbers an immediate prediction would have used. Spikes
reach their targets at the emission time plus the synapse delay: there is no hidden time step.

A ``CoupledLIF`` population is one *block* (:mod:`snn_deploy.reference.coupled`): its neurons share
one update time and one prediction, keyed by the block's first neuron. A block's prediction covers a
window of grid steps; when it finds no crossing the heap gets a *re-check* event at the window's end,
unless the block has settled at a rest state below threshold (with ``t_end = inf``).
"""
from __future__ import annotations

import math
from collections import namedtuple

import numba
import numpy as np

from snn_deploy.reference import coupled
from snn_deploy.reference.neuron_ode import (
    ALPHA, BETA, JUMP_I, JUMP_V, THETA, V_RESET, below_until, decay, first_crossing, state_after,
    state_after_decay,
)

#: The coupled populations as the loop reads them: ``block_of`` [neurons] (-1: uncoupled); per block ``first``
#: neuron, ``size``, grid step ``h_s``; its matrix M, propagators and rest state (NaN: no stable rest) flattened
#: in ``mats`` / ``powers`` / ``rests`` from ``*_offset[b]`` (see :mod:`snn_deploy.reference.coupled`).
Blocks = namedtuple("Blocks", ["block_of", "first", "size", "h_s", "mats", "mat_offset", "powers", "power_offset",
                               "rests", "rest_offset"])
#: The lowered network (:class:`snn_deploy.reference.network.EventNetwork`): the parameter table, which neurons
#: spike and reset by subtraction, and the fan-out, CSR over source units (the ``n_inputs`` input units, then
#: the neurons): synapses ``indptr[u]:indptr[u + 1]`` reach ``target`` with ``weight`` after ``delay_s``.
Network = namedtuple("Network", ["params", "spiking", "subtract", "n_inputs", "indptr", "target", "delay_s",
                                 "weight", "blocks"])
#: What is asked of one sample: its input events sorted by time, the end time, the recorded neurons (bool
#: mask), the probe times and the probed neurons, and the bound on synaptic events.
Sample = namedtuple("Sample", ["in_unit", "in_time", "t_end", "recorded", "probe_times", "probe_neurons",
                               "max_events"])
#: What one sample gives: a status (:data:`OK`, ...), the recorded spikes, and the probed ``I`` and ``v``
#: ``[probe times, probed neurons]``.
SampleResult = namedtuple("SampleResult", ["status", "spike_neuron", "spike_time", "probe_i", "probe_v"])
#: Per-neuron state of one sample, fixed size: ``(I, v)`` at ``t_last``, the prediction version, the key
#: neuron holding the update time and prediction (itself, or its block's first), the neurons touched at this
#: instant, in this round, fired, and whose prediction waits for the next input instant (see the module
#: docstring); the probed states.
_State = namedtuple("_State", ["i", "v", "t_last", "version", "key_of", "touched", "touched_list", "in_round",
                               "round_list", "fire_list", "deferred", "is_deferred", "deferred_version",
                               "probe_i", "probe_v"])
#: Buffers that grow (only outside the per-neuron and per-synapse loops: an array variable rebound inside a loop
#: costs reference counting on every iteration): the heap, the synapses whose pulses arrive in this round, the
#: source units spiking in this round with their spike counts, the recorded spikes.
_Buffers = namedtuple("_Buffers", ["heap", "pending", "emitters", "emit_count", "out_neuron", "out_time"])
# heap rows: (time, sequence number, kind, index, version); the index of a pulse is its synapse
_TIME, _SEQ, _KIND, _IDX, _VER = range(5)
_CROSSING, _PULSE, _RECHECK = 0.0, 1.0, 2.0

#: statuses returned by :func:`run_sample`
OK, TOO_MANY_EVENTS, ZENO = 0, 1, 2
#: spike rounds allowed within one instant before the loop reports a zero-delay spike cascade (``ZENO``)
MAX_ROUNDS = 100_000


@numba.njit(cache=True)
def _grow(array: np.ndarray, length: int) -> np.ndarray:
    """``array`` copied into one at least twice as long and at least ``length`` long."""
    bigger = np.empty((max(2 * array.shape[0], length),) + array.shape[1:], dtype=array.dtype)
    bigger[: array.shape[0]] = array
    return bigger


@numba.njit(cache=True)
def _less(heap: np.ndarray, a: int, b: int) -> bool:
    return heap[a, _TIME] < heap[b, _TIME] or (heap[a, _TIME] == heap[b, _TIME] and heap[a, _SEQ] < heap[b, _SEQ])


@numba.njit(cache=True)
def _swap(heap: np.ndarray, a: int, b: int) -> None:
    for c in range(heap.shape[1]):
        heap[a, c], heap[b, c] = heap[b, c], heap[a, c]


@numba.njit(cache=True)
def _push(heap: np.ndarray, size: int, time: float, seq: int, kind: float, idx: int, version: int) -> None:
    """Write a row at position ``size < len(heap)`` and sift it up."""
    heap[size, _TIME], heap[size, _SEQ], heap[size, _KIND] = time, seq, kind
    heap[size, _IDX], heap[size, _VER] = idx, version
    i = size
    while i > 0:
        parent = (i - 1) // 2
        if not _less(heap, i, parent):
            break
        _swap(heap, i, parent)
        i = parent


@numba.njit(cache=True)
def _pop(heap: np.ndarray, size: int) -> None:
    """Move the top row to position ``size - 1`` and restore the heap on ``size - 1`` rows."""
    last = size - 1
    _swap(heap, 0, last)
    i = 0
    while True:
        child = 2 * i + 1
        if child >= last:
            break
        if child + 1 < last and _less(heap, child + 1, child):
            child += 1
        if not _less(heap, child, i):
            break
        _swap(heap, i, child)
        i = child


@numba.njit(cache=True)
def _row(params: np.ndarray, n: int) -> tuple:
    """Row ``n`` of the parameter table as a tuple of floats (a row view would count references)."""
    return (params[n, 0], params[n, 1], params[n, 2], params[n, 3], params[n, 4], params[n, 5], params[n, 6],
            params[n, 7], params[n, 8], params[n, 9])


@numba.njit(cache=True)
def _ascending(values: np.ndarray) -> np.ndarray:
    """``values`` sorted in place; a round's targets usually arrive sorted (one fan-out row is ascending),
    and checking that is O(n) where sorting is not."""
    for k in range(1, values.size):
        if values[k] < values[k - 1]:
            values.sort()
            break
    return values


@numba.njit(cache=True)
def _reset(v: float, theta: float, v_reset: float, subtract: bool) -> float:
    """The membrane after a spike fired at potential ``v``: ``v - theta`` or ``v_reset``."""
    return v - theta if subtract else v_reset


@numba.njit(cache=True)
def _advanced(i0: float, v0: float, s: float, p: tuple, cache: tuple) -> tuple[float, float, tuple]:
    """``(I, v)`` of an uncoupled neuron ``s > 0`` seconds on, and the decay cache for the next call.

    ``cache`` is ``(s, alpha, beta, *decay(s, alpha, beta))`` of the previous call: neurons advanced over
    the same interval with the same time constants (a whole population after a fan-out) share one
    :func:`decay`. Scalars and tuples only, so the loop's per-pulse path counts no references.
    """
    if not (s == cache[0] and p[ALPHA] == cache[1] and p[BETA] == cache[2]):
        cache = (s, p[ALPHA], p[BETA]) + decay(s, p[ALPHA], p[BETA])
    i, v = state_after_decay(i0, v0, (cache[3], cache[4], cache[5], cache[6], cache[7]), p)
    return i, v, cache


@numba.njit(cache=True)
def _block(b: int, blocks):
    """``(first neuron, size, M, propagators, h, rest state)`` of block ``b``."""
    d = 2 * blocks.size[b] + 1
    m = blocks.mats[blocks.mat_offset[b]:blocks.mat_offset[b] + d * d].reshape((d, d))
    start = blocks.power_offset[b]
    powers = blocks.powers[start:start + coupled.POWERS * d * d].reshape((coupled.POWERS, d, d))
    rest = blocks.rests[blocks.rest_offset[b]:blocks.rest_offset[b] + d]
    return blocks.first[b], blocks.size[b], m, powers, blocks.h_s[b], rest


@numba.njit(cache=True)
def _block_state(b: int, blocks, i_state: np.ndarray, v_state: np.ndarray, s: float) -> np.ndarray:
    """The block's state ``[I; v; 1]`` ``s`` seconds after its last update."""
    first, n, m, powers, h, _ = _block(b, blocks)
    x = np.ones(2 * n + 1)
    x[:n] = i_state[first:first + n]
    x[n:2 * n] = v_state[first:first + n]
    return coupled.advance(m, powers, h, x, s) if s > 0.0 else x


@numba.njit(cache=True)
def _advance_block(b: int, t: float, blocks, i_state, v_state, t_last) -> None:
    """Bring coupled block ``b`` to time ``t``."""
    first, size = blocks.first[b], blocks.size[b]
    if t_last[first] >= t:
        return
    x = _block_state(b, blocks, i_state, v_state, t - t_last[first])
    i_state[first:first + size] = x[:size]
    v_state[first:first + size] = x[size:2 * size]
    t_last[first:first + size] = t


@numba.njit(cache=True)
def _predict_block(b: int, t: float, t_end: float, params, spiking, blocks, i_state, v_state
                   ) -> tuple[float, float, int]:
    """Next event of coupled block ``b`` (updated at ``t``): ``(time, kind, neuron)``: a crossing, or a
    re-check at the end of the window; time ``inf`` if none."""
    first, n, m, powers, h, rest = _block(b, blocks)
    key = first
    x = _block_state(b, blocks, i_state, v_state, 0.0)
    s, j = coupled.predict(m, powers, h, x, params[first:first + n, THETA], spiking[first:first + n], t_end - t, t)
    if j >= 0:
        return t + s, _CROSSING, first + j
    if s == math.inf:
        return math.inf, _RECHECK, key
    if t_end == math.inf and not np.isnan(rest[0]):
        settled = np.abs(x - rest).max() <= 1e-12 * (1.0 + np.abs(rest).max())
        below = True
        for k in range(n):
            if spiking[first + k] and rest[n + k] >= params[first + k, THETA]:
                below = False
        if settled and below:
            return math.inf, _RECHECK, key
    return t + s, _RECHECK, key


@numba.njit(cache=True)
def _probe(t: float, probe_neurons, params, blocks, state, out_i, out_v) -> None:
    """``(I, v)`` of ``probe_neurons`` at ``t`` into ``out_i``/``out_v``, from ``state = (I, v, t_last)`` (no
    update of the simulation state)."""
    i_state, v_state, t_last = state
    block_of = blocks.block_of
    last_block = -1
    x = np.empty(0)
    for j in range(probe_neurons.size):
        n = probe_neurons[j]
        b = block_of[n]
        if b < 0:
            out_i[j], out_v[j] = state_after(i_state[n], v_state[n], t - t_last[n], params[n])
            continue
        first, size = blocks.first[b], blocks.size[b]
        if b != last_block:
            x = _block_state(b, blocks, i_state, v_state, t - t_last[first])
            last_block = b
        out_i[j], out_v[j] = x[n - first], x[size + n - first]


@numba.njit(cache=True)
def _new_state(net, sample):
    """The state of a sample at ``t = 0``: every neuron at ``I = v = 0``, nothing touched."""
    n_neurons, block_of, first = net.params.shape[0], net.blocks.block_of, net.blocks.first
    key_of = np.arange(n_neurons)
    for n in range(n_neurons):
        if block_of[n] >= 0:
            key_of[n] = first[block_of[n]]
    probes = (sample.probe_times.size, sample.probe_neurons.size)
    return _State(np.zeros(n_neurons), np.zeros(n_neurons), np.zeros(n_neurons), np.zeros(n_neurons, dtype=np.int64),
                  key_of, np.zeros(n_neurons, dtype=np.bool_), np.empty(n_neurons, dtype=np.int64),
                  np.zeros(n_neurons, dtype=np.bool_), np.empty(n_neurons, dtype=np.int64),
                  np.empty(n_neurons, dtype=np.int64), np.empty(n_neurons, dtype=np.int64),
                  np.zeros(n_neurons, dtype=np.bool_), np.zeros(n_neurons, dtype=np.int64), np.empty(probes),
                  np.empty(probes))


@numba.njit(cache=True)
def _new_buffers(net):
    n_sources = net.n_inputs + net.params.shape[0] + 1
    return _Buffers(np.empty((1024, 5)), np.empty(1024, dtype=np.int64), np.empty(n_sources, dtype=np.int64),
                    np.empty(n_sources, dtype=np.int64), np.empty(256, dtype=np.int64), np.empty(256))


@numba.njit(cache=True)
def _touch_all(key_of, touched, touched_list) -> int:
    """Mark every key neuron touched (listed once, in neuron order); returns how many."""
    n_touched = 0
    for n in range(key_of.size):
        key = key_of[n]
        if not touched[key]:
            touched[key] = True
            touched_list[n_touched] = key
            n_touched += 1
    return n_touched


@numba.njit(cache=True, nogil=True)
def run_sample(net, sample):
    """Simulate one sample (:data:`Network`, :data:`Sample`) in the order of the module docstring; returns a
    :data:`SampleResult`. Input events must be sorted by time. Probes give the state just before the events at
    each probe time (the left limit). Runs without the GIL: samples can be simulated on several threads.

    The per-pulse and per-prediction paths index arrays only in this body and call functions of scalars and
    tuples: an array handed to a helper inside these loops costs atomic reference-count updates that dominated
    the loop's time (and contended between threads sharing the network arrays). That is also why the steps of
    an instant are not helpers and this body is longer than 80 lines (numba forces it): a step helper binds every
    array it reads, one atomic reference-count update each per call; the steps as ``inline="always"`` helpers
    over the named tuples measured 1.45x the CPU time of this body on the benchmark's 100-100-10 network
    (``benchmarks/bench_reference.py``), identical spikes.
    """
    params, spiking, subtract, n_inputs, indptr, target, delay_s, weight, blocks = net
    in_unit, in_time, t_end, recorded, probe_times, probe_neurons, max_events = sample
    block_of = blocks.block_of
    (i_state, v_state, t_last, version, key_of, touched, touched_list, in_round, round_list, fire_list, deferred,
     is_deferred, deferred_version, probe_i, probe_v) = _new_state(net, sample)
    heap, pending, emitters, emit_count, out_neuron, out_time = _new_buffers(net)
    cache = (math.nan, math.nan, math.nan, math.nan, math.nan, math.nan, math.nan, math.nan)
    size, seq, n_out, n_probed, events, n_deferred = 0, 0, 0, 0, 0, 0
    input_instant = False
    n_touched = _touch_all(key_of, touched, touched_list)  # every neuron (block): a first prediction at t = 0
    t = 0.0
    p_in = 0
    while True:
        # 4. predict the next crossing of every neuron (block) touched at the last instant
        # (buffers grow only outside the per-neuron and per-synapse loops: an array variable rebound
        # inside a loop costs reference counting on every iteration)
        if size + n_touched + n_deferred > heap.shape[0]:
            heap = _grow(heap, size + n_touched + n_deferred)
        if input_instant:
            # the deferred neurons untouched since: their crossing (after this instant) from their last update
            for j in range(n_deferred):
                n = deferred[j]
                is_deferred[n] = False
                if deferred_version[n] == version[n] and not touched[n]:
                    t_next = t_last[n] + first_crossing(i_state[n], v_state[n], t_end - t_last[n], t_last[n],
                                                        _row(params, n))
                    if t_next < math.inf:
                        _push(heap, size, t_next, seq, _CROSSING, n, version[n])
                        size += 1
                        seq += 1
            n_deferred = 0
        # the next input instant: a neuron that provably stays below threshold until then waits for it
        # (most are touched there again, and their prediction would be discarded unused)
        t_wait = in_time[p_in] if p_in < in_time.size else math.inf
        for j in range(n_touched):
            key = touched_list[j]
            touched[key] = False
            version[key] += 1
            b = block_of[key]
            if b < 0:
                t_next, kind, n = math.inf, _CROSSING, key
                if spiking[key]:
                    p = _row(params, key)
                    if t_wait < t_end and below_until(i_state[key], v_state[key], t_wait - t, p):
                        if not is_deferred[key]:
                            is_deferred[key] = True
                            deferred[n_deferred] = key
                            n_deferred += 1
                        deferred_version[key] = version[key]
                    else:
                        t_next = t + first_crossing(i_state[key], v_state[key], t_end - t, t, p)
            else:
                t_next, kind, n = _predict_block(b, t, t_end, params, spiking, blocks, i_state, v_state)
            if t_next < math.inf:
                _push(heap, size, t_next, seq, kind, n, version[key])
                size += 1
                seq += 1
        n_touched = 0

        while size > 0 and heap[0, _KIND] != _PULSE and heap[0, _VER] != version[key_of[int(heap[0, _IDX])]]:
            _pop(heap, size)
            size -= 1
        t = heap[0, _TIME] if size > 0 else math.inf
        if p_in < in_time.size and in_time[p_in] < t:
            t = in_time[p_in]
        while n_probed < probe_times.size and probe_times[n_probed] <= min(t, t_end):
            _probe(probe_times[n_probed], probe_neurons, params, blocks, (i_state, v_state, t_last),
                   probe_i[n_probed], probe_v[n_probed])
            n_probed += 1
        if t > t_end or t == math.inf:
            break

        # 1. predicted crossings at t fire; pulses due at t are collected; blocks due a re-check are touched
        n_fire = 0
        n_pending = 0
        if size > pending.size:
            pending = _grow(pending, size)
        while size > 0 and heap[0, _TIME] == t:
            kind, idx = heap[0, _KIND], int(heap[0, _IDX])
            if kind == _PULSE:
                pending[n_pending] = idx
                n_pending += 1
            elif heap[0, _VER] == version[key_of[idx]]:
                if kind == _CROSSING:
                    fire_list[n_fire] = idx
                    n_fire += 1
                else:
                    _advance_block(block_of[idx], t, blocks, i_state, v_state, t_last)
                    if not touched[idx]:
                        touched[idx] = True
                        touched_list[n_touched] = idx
                        n_touched += 1
            _pop(heap, size)
            size -= 1
        # source units spiking now: the inputs at t, then the neurons fired in step 1 (ascending)
        n_emit = 0
        while p_in + n_emit < in_time.size and in_time[p_in + n_emit] == t:
            n_emit += 1
        if n_emit + n_fire > emitters.size:
            emitters = _grow(emitters, n_emit + n_fire)
            emit_count = _grow(emit_count, n_emit + n_fire)
        emitters[:n_emit] = in_unit[p_in:p_in + n_emit]
        emit_count[:n_emit] = 1
        input_instant = n_emit > 0
        p_in += n_emit
        fire_list[:n_fire].sort()
        for j in range(n_fire):
            n = fire_list[j]
            b = block_of[n]
            if b >= 0:
                _advance_block(b, t, blocks, i_state, v_state, t_last)
            elif t_last[n] < t:
                i_state[n], v_state[n], cache = _advanced(i_state[n], v_state[n], t - t_last[n], _row(params, n), cache)
                t_last[n] = t
            v_state[n] = _reset(params[n, THETA], params[n, THETA], params[n, V_RESET], subtract[n])
            key = key_of[n]
            if not touched[key]:
                touched[key] = True
                touched_list[n_touched] = key
                n_touched += 1
            emitters[n_emit] = n + n_inputs
            emit_count[n_emit] = 1
            n_emit += 1
        rounds = 0
        while True:
            # the emitters' pulses: zero-delay ones join this round (after the heap's), the others the heap
            n_spikes, n_pulses = 0, 0
            for j in range(n_emit):
                n_spikes += emit_count[j]
                n_pulses += emit_count[j] * (indptr[emitters[j] + 1] - indptr[emitters[j]])
            if n_out + n_spikes > out_time.size:
                out_time = _grow(out_time, n_out + n_spikes)
                out_neuron = _grow(out_neuron, n_out + n_spikes)
            if n_pending + n_pulses > pending.size:
                pending = _grow(pending, n_pending + n_pulses)
            if size + n_pulses > heap.shape[0]:
                heap = _grow(heap, size + n_pulses)
            events += n_pulses
            for j in range(n_emit):
                u = emitters[j]
                for _ in range(emit_count[j]):
                    if u >= n_inputs and recorded[u - n_inputs]:
                        out_neuron[n_out], out_time[n_out] = u - n_inputs, t
                        n_out += 1
                    for k in range(indptr[u], indptr[u + 1]):
                        if delay_s[k] == 0.0:
                            pending[n_pending] = k
                            n_pending += 1
                        else:
                            _push(heap, size, t + delay_s[k], seq, _PULSE, k, 0)
                            size += 1
                            seq += 1
            if events > max_events:
                return SampleResult(TOO_MANY_EVENTS, out_neuron[:n_out], out_time[:n_out], probe_i, probe_v)
            if n_pending == 0:
                break
            rounds += 1
            if rounds > MAX_ROUNDS:
                return SampleResult(ZENO, out_neuron[:n_out], out_time[:n_out], probe_i, probe_v)
            # 2. apply this round's pulses (summed per neuron before any threshold test)
            n_round = 0
            for j in range(n_pending):
                k = pending[j]
                n = target[k]
                b = block_of[n]
                if b >= 0:
                    _advance_block(b, t, blocks, i_state, v_state, t_last)
                elif t_last[n] < t:
                    i_state[n], v_state[n], cache = _advanced(i_state[n], v_state[n], t - t_last[n],
                                                              _row(params, n), cache)
                    t_last[n] = t
                i_state[n] += params[n, JUMP_I] * weight[k]
                v_state[n] += params[n, JUMP_V] * weight[k]
                if not in_round[n]:
                    in_round[n] = True
                    round_list[n_round] = n
                    n_round += 1
                key = key_of[n]
                if not touched[key]:
                    touched[key] = True
                    touched_list[n_touched] = key
                    n_touched += 1
            n_pending = 0
            # 3. threshold tests in ascending neuron order; the spikes are the next round's emitters
            candidates = _ascending(round_list[:n_round])
            n_emit = 0
            for j in range(n_round):
                n = candidates[j]
                in_round[n] = False
                count = 0
                while spiking[n] and v_state[n] > params[n, THETA]:
                    count += 1
                    v_state[n] = _reset(v_state[n], params[n, THETA], params[n, V_RESET], subtract[n])
                if count:
                    emitters[n_emit] = n + n_inputs
                    emit_count[n_emit] = count
                    n_emit += 1

    while n_probed < probe_times.size:
        _probe(probe_times[n_probed], probe_neurons, params, blocks, (i_state, v_state, t_last),
               probe_i[n_probed], probe_v[n_probed])
        n_probed += 1
    return SampleResult(OK, out_neuron[:n_out], out_time[:n_out], probe_i, probe_v)
