r"""Loihi 2 populations that can never spike on any input, from the deployment's integers (spec.py's rules).

Bound of one LIF / SubtractLIF group (:mod:`snn_deploy.quantize.reachability`: why bounds give a proof), with
every input unit and every neuron that may fire spiking in every step (spikes are unary) and Lava's effective
weights ``W`` (clipped and truncated, :meth:`Loihi2Spec.effective_weights`):

.. math::
    a_i \le A_i = \sum_{\text{Dense}} \mathrm{shift}_e\Big(\sum_j \max(W_{ij}, 0)\Big), \qquad
    u \le U_i = \mathrm{lfp}_{du + 1}(64 A_i), \qquad
    v \le V_i = \max\big(\mathrm{lfp}_{dv}(U_i + b_i), v^{init}_i\big)

where :math:`\mathrm{lfp}_d(D)` is the supremum of ``x_t = floor(x_{t-1} (4096 - d) / 4096) + D`` from 0, in
closed form ``floor((D - 1) 4096 / d) + 1`` (:func:`least_fixed_point_of_decay`; ``d = 0``, no decay:
unbounded). Both maps are monotone, so the trajectory under the largest input every step dominates every
other one (the flooring shift is monotone, floors of parts sum to at most the floor of the sum, ``trunc0``
of a positive product is its floor). For a group fed by the input alone, without delays or with
``weight_exp >= 0``, the bound is attained (the units with positive weights spiking in every step), so the
verdict is exact; behind other groups or delay bins it is an upper bound. ``u`` wraps at 24 bits, so where
its bound (or the lower one from the negative weights, each delay bin floored on its own) leaves
``(-2^23, 2^23]`` it is taken as ``2^23``; ``v`` is clipped to ``2^23 - 1``. A neuron may fire only when
``V_i > vth << 6`` (Lava's strict threshold); resets only lower ``v``. CoupledLIF groups (their coupling
term feeds ``v`` back) are not analysed: they count as able to fire.
"""
from __future__ import annotations

import numpy as np

from snn_deploy.quantize.loihi2.deployment import Deployment, LifGroup, Synapse
from snn_deploy.quantize.loihi2.spec import LOIHI2, Loihi2Spec
from snn_deploy.quantize.spec_check import same_spec
from snn_deploy.quantize.reachability import Alive, SilentPopulation, least_fixed_point

#: rows of a weight matrix are summed in blocks of about this many entries (no full-size temporaries)
_BLOCK_ENTRIES = 1 << 20


class SynapseSums:
    """Per synapse the positive and the negative row sums of Lava's effective weights (clipped and truncated,
    :meth:`Loihi2Spec.effective_weights`) over the sources that may spike; with every source spiking (the usual
    case) they are computed once per synapse."""

    def __init__(self, spec: Loihi2Spec = LOIHI2) -> None:
        self.spec = spec
        self._all_spiking: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def __call__(self, synapse: Synapse, spiking: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if not spiking.any():
            zero = np.zeros(synapse.weight.shape[0], np.int64)
            return zero, zero
        if not spiking.all():
            return self._row_sums(synapse, spiking)
        if id(synapse) not in self._all_spiking:
            self._all_spiking[id(synapse)] = self._row_sums(synapse, None)
        return self._all_spiking[id(synapse)]

    def _row_sums(self, synapse: Synapse, spiking: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        weight = synapse.weight
        mode = self.spec.sign_mode(weight)
        positive = np.zeros(weight.shape[0], np.int64)
        negative = np.zeros(weight.shape[0], np.int64)
        rows = max(1, _BLOCK_ENTRIES // max(1, weight.shape[1]))
        for start in range(0, weight.shape[0], rows):
            block = self.spec.effective_weights(weight[start:start + rows], mode, synapse.num_weight_bits)
            if spiking is not None:
                block = block[:, spiking]
            positive[start:start + rows] = np.where(block > 0, block, 0).sum(axis=1)
            negative[start:start + rows] = np.where(block < 0, block, 0).sum(axis=1)
        return positive, negative


def _input_bounds(synapses: list[Synapse], alive: Alive, size: int, sums: SynapseSums
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Per neuron the largest and smallest ``a`` of one step when the ``alive`` sources all spike."""
    spec = sums.spec
    high = np.zeros(size, np.int64)
    low = np.zeros(size, np.int64)
    for synapse in synapses:
        positive, negative = sums(synapse, alive[synapse.source])
        high += spec.shift_by_exp(positive, synapse.weight_exp)
        bins = 1 if synapse.delay is None else int(np.unique(synapse.delay).size)
        low += spec.shift_by_exp(negative, synapse.weight_exp) - (bins if synapse.weight_exp < 0 else 0)
    return high, low


def least_fixed_point_of_decay(drive: np.ndarray, decay_plus_offset: int, spec: Loihi2Spec = LOIHI2) -> np.ndarray:
    """The supremum of ``x_t = floor(x_{t-1} k / 4096) + D`` from ``x_0 = 0`` for a constant ``D >= 0``, with
    ``k = 4096 - decay_plus_offset``: the least ``x`` with ``floor(x k / 4096) <= x - D``, i.e.
    ``floor((D - 1) 4096 / (decay + offset)) + 1`` (0 for ``D = 0``; no decay: unbounded for ``D > 0``)."""
    drive = np.maximum(np.asarray(drive, np.int64), 0)
    if decay_plus_offset <= 0:
        return np.where(drive > 0, np.inf, 0.0)
    return np.where(drive > 0, (drive - 1) * spec.decay_unity // decay_plus_offset + 1, 0).astype(np.float64)


def v_bound(group: LifGroup, synapses: list[Synapse], alive: Alive, sums: SynapseSums | None = None
            ) -> dict[str, np.ndarray]:
    """Per neuron of ``group``: ``A`` (``a_max``), ``U`` (``u_max``), ``b`` (``bias``), ``V`` (``v_max``)."""
    sums = SynapseSums() if sums is None else sums
    spec = sums.spec
    a_max, a_min = _input_bounds(synapses, alive, group.size, sums)
    cap = np.int64(1) << (spec.channel_bits - 1)  # beyond this, u wraps whatever the decay
    decay_u = group.du + spec.du_offset
    u_max = least_fixed_point_of_decay(np.minimum(a_max, cap) << spec.act_shift, decay_u, spec)
    u_min = -least_fixed_point_of_decay(np.minimum(-a_min, cap) << spec.act_shift, decay_u, spec)
    wraps = (u_max > spec.uv_half) | (u_min <= -spec.uv_half)
    u_max = np.where(wraps, float(spec.uv_half), u_max)
    bias = spec.effective_bias(group.bias_mant, group.bias_exp)
    v_max = least_fixed_point_of_decay((u_max + bias).astype(np.int64), group.dv + spec.dv_offset, spec)
    v_init = getattr(group, "v_init", None)
    v_start = np.zeros(group.size) if v_init is None else np.asarray(v_init, np.float64)
    v_max = np.maximum(v_max, v_start)
    return {"a_max": a_max, "u_max": u_max, "bias": bias, "v_max": np.minimum(v_max, float(spec.v_limit))}


def _threshold(group: LifGroup, spec: Loihi2Spec) -> int:
    return int(group.vth) << spec.vth_shift


def _incoming(deployment: Deployment) -> dict[str, list[Synapse]]:
    incoming: dict[str, list[Synapse]] = {g.name: [] for g in deployment.groups}
    for synapse in deployment.synapses:
        incoming[synapse.target].append(synapse)
    return incoming


def _may_fire(deployment: Deployment, incoming: dict[str, list[Synapse]], sums: SynapseSums):
    """One sweep over the groups in order, each seeing the sweep's updates of those before it (so a
    feed-forward network settles in one sweep plus one that confirms it)."""
    def may_fire(alive: Alive) -> Alive:
        current = dict(alive)
        for group in deployment.groups:
            if group.coupling is not None:
                fires = np.ones(group.size, bool)
            else:
                fires = v_bound(group, incoming[group.name], current, sums)["v_max"] > _threshold(group, sums.spec)
            current[group.name] = current[group.name] | fires
        return {group.name: current[group.name] for group in deployment.groups}

    return may_fire


def _reason(group: LifGroup, synapses: list[Synapse], alive: Alive, sums: SynapseSums) -> str:
    """Why no neuron of ``group`` can fire (given the fixed point ``alive``)."""
    spec = sums.spec
    bound = v_bound(group, synapses, alive, sums)
    everyone = {name: np.ones_like(mask) for name, mask in alive.items()}
    excitable = v_bound(group, synapses, everyone, sums)["a_max"] > 0
    positive_bias = bool(np.any(bound["bias"] > 0))
    threshold = _threshold(group, spec)
    if not synapses and not positive_bias:
        return "no incoming synapse and no positive bias"
    if not np.any(excitable) and not positive_bias:
        return "every incoming weight is <= 0 after quantization and no bias is positive"
    if not np.any(bound["a_max"] > 0) and not positive_bias:
        dead = sorted({s.source for s in synapses if not np.any(alive[s.source])})
        return f"its excitatory inputs come only from populations that can never spike ({', '.join(dead)})"
    worst = int(np.argmax(bound["v_max"]))
    return (f"threshold unreachable: the largest v any neuron reaches with every input spiking in every step is "
            f"{bound['v_max'][worst]:.0f} (input per step <= {int(bound['a_max'][worst])}, u <= "
            f"{bound['u_max'][worst]:.0f}, bias {int(bound['bias'][worst])}, du = {group.du}, dv = {group.dv}), "
            f"not above vth << {spec.vth_shift} = {threshold}")


def silent_populations(deployment: Deployment, spec: Loihi2Spec | None = None) -> list[SilentPopulation]:
    """The populations of ``deployment`` that can never spike on any input, each with its reason (under the
    deployment's spec; another ``spec`` is refused)."""
    spec = same_spec(deployment.spec, spec, "Loihi 2")
    incoming = _incoming(deployment)
    sums = SynapseSums(spec)
    initial: Alive = {deployment.input_name: np.ones(deployment.input_units, bool)}
    initial.update({g.name: np.zeros(g.size, bool) for g in deployment.groups})
    alive = least_fixed_point(initial, _may_fire(deployment, incoming, sums))
    silent: list[SilentPopulation] = []
    for population, size in deployment.populations.items():
        groups = [g for g in deployment.groups if g.population == population]
        if any(np.any(alive[g.name]) for g in groups):
            continue
        reasons = [(g.name, _reason(g, incoming[g.name], alive, sums)) for g in groups]
        reason = reasons[0][1] if len(reasons) == 1 else "; ".join(f"group {n}: {r}" for n, r in reasons)
        silent.append(SilentPopulation(population, int(size), reason))
    return silent
