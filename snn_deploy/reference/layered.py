r"""Batched exact forward pass of layered feed-forward CubaLIF networks (skip-layer edges allowed).

A *layered* graph is ``Input -> Dense -> CubaLIF -> ... -> Output`` where every CubaLIF population is
fed by Dense projections from the input and/or earlier populations only (no recurrence, no bias, no
delays), with ``tau_syn_s > 0``, ``tau_syn_s != tau_mem_s`` and ``v_leak < v_threshold`` (per neuron: the
``a`` of ``tau_m dv/dt = a - v + R_m I``). Its membrane is the kernel form of
:mod:`snn_deploy.reference.kernels` plus the leak's relaxation from ``v(0) = 0``,
``v_leak (1 - e^{-beta t})``; populations are simulated one after the other, each vectorized over samples
and neurons in a numba event loop over its merged, time-sorted input spikes.

Spike times are ``[batch, neurons, max_spikes]`` float64 arrays, ascending along the last axis and padded
with ``inf``. A neuron stops after ``max_spikes`` spikes (the training cap: later spikes are dropped, and
so are their effects downstream); :meth:`LayeredSpikes.saturated` says whether a neuron of a layer reached it, so
an evaluation can check that the cap did not change the result.
"""
from __future__ import annotations

import dataclasses
from collections import namedtuple
from dataclasses import dataclass

import numba
import numpy as np

from snn_deploy.errors import UnsupportedError
from snn_deploy.ir.graph import Graph
from snn_deploy.ir.nodes import CubaLIF, Dense, Input, Output
from snn_deploy.reference.kernels import crossing
from snn_deploy.spikes import SpikeEvents


#: A layer's per-neuron constants (see :class:`Layer`) across the numba boundary.
NeuronConstants = namedtuple("NeuronConstants", ["alpha", "beta", "gain", "v_threshold", "jump", "v_leak"])
#: A layer's presynaptic events per sample, time-sorted (see :class:`PresynapticEvents`).
KernelEvents = namedtuple("KernelEvents", ["time_s", "unit", "count"])


@dataclass(frozen=True)
class Layer:
    """One CubaLIF population and the Dense projections into it.

    ``sources[i]`` is 0 for the graph input or ``k`` for the ``k``-th population (1-based);
    ``weights[i]`` is that projection's ``[neurons, source units]`` matrix. Per-neuron constants:
    ``alpha = 1/tau_syn_s``, ``beta = 1/tau_mem_s``, ``gain = r w_in / (tau_mem_s - tau_syn_s)`` (the
    ``c`` of the kernel form), ``v_threshold``, ``jump`` (the reset's drop of ``v``) and ``v_leak``
    (the resting potential ``a``).
    """

    name: str
    sources: tuple[int, ...]
    weights: tuple[np.ndarray, ...]
    alpha: np.ndarray
    beta: np.ndarray
    gain: np.ndarray
    v_threshold: np.ndarray
    jump: np.ndarray
    v_leak: np.ndarray

    @property
    def size(self) -> int:
        return int(self.alpha.size)

    def constants(self) -> "NeuronConstants":
        """The per-neuron constants as the compiled kernels read them."""
        return NeuronConstants(self.alpha, self.beta, self.gain, self.v_threshold, self.jump, self.v_leak)

    def with_weights(self, weights: tuple[np.ndarray, ...]) -> "Layer":
        return dataclasses.replace(self, weights=tuple(weights))


@dataclass(frozen=True)
class LayeredNetwork:
    """A layered feed-forward CubaLIF network: ``input_size`` input units and populations in causal order."""

    input_size: int
    layers: tuple[Layer, ...]

    def source_size(self, source: int) -> int:
        return self.input_size if source == 0 else self.layers[source - 1].size

    def with_weights(self, weights: list[tuple[np.ndarray, ...]]) -> "LayeredNetwork":
        """The same network with every layer's weight matrices replaced."""
        return LayeredNetwork(self.input_size, tuple(l.with_weights(w) for l, w in zip(self.layers, weights)))

    @classmethod
    def from_graph(cls, graph: Graph) -> "LayeredNetwork":
        """Read a layered graph (see the module docstring); raise :class:`UnsupportedError` naming the rule."""
        inputs = graph.inputs
        if len(inputs) != 1:
            raise UnsupportedError(f"layered engine: needs exactly one Input node, the graph has {len(inputs)}")
        if graph.recurrent_edges():
            s, t = sorted(graph.recurrent_edges())[0]
            raise UnsupportedError(f"layered engine: edge '{s}' -> '{t}' is recurrent (feed-forward only)")
        order = graph.topological_order()
        index: dict[str, int] = {inputs[0]: 0}
        layers: list[Layer] = []
        for name in order:
            node = graph.nodes[name]
            if isinstance(node, (Input, Output)):
                continue
            if isinstance(node, Dense):
                _check_dense(graph, name, node)
                continue
            if not isinstance(node, CubaLIF):
                raise UnsupportedError(f"layered engine: node '{name}' is {node.kind}; only Dense and CubaLIF")
            layers.append(_layer(graph, name, node, index))
            index[name] = len(layers)
        if not layers:
            raise UnsupportedError("layered engine: the graph has no CubaLIF population")
        return cls(int(np.prod(graph.nodes[inputs[0]].shape)), tuple(layers))


def _check_dense(graph: Graph, name: str, node: Dense) -> None:
    if node.bias is not None and np.any(node.bias != 0):
        raise UnsupportedError(f"layered engine: node '{name}': Dense bias is not supported")
    if node.delay_s is not None and np.any(node.delay_s != 0):
        raise UnsupportedError(f"layered engine: node '{name}': synaptic delays are not supported")
    sources, targets = graph.sources(name), graph.targets(name)
    if len(sources) != 1 or len(targets) != 1 or not isinstance(graph.nodes[targets[0]], CubaLIF):
        raise UnsupportedError(f"layered engine: node '{name}' must have one source and one CubaLIF target")


def _layer(graph: Graph, name: str, node: CubaLIF, index: dict[str, int]) -> Layer:
    tau_syn, tau_mem = node.tau_syn_s.reshape(-1), node.tau_mem_s.reshape(-1)
    if np.any(tau_syn <= 0):
        raise UnsupportedError(f"layered engine: node '{name}': parameter 'tau_syn_s' must be > 0")
    if np.any(tau_syn == tau_mem):
        raise UnsupportedError(f"layered engine: node '{name}': 'tau_syn_s' must differ from 'tau_mem_s'")
    theta = node.v_threshold.reshape(-1)
    v_leak = node.v_leak.reshape(-1)
    if np.any(v_leak >= theta):
        raise UnsupportedError(f"layered engine: node '{name}': parameter 'v_leak' must be below 'v_threshold'")
    jump = theta if node.reset_mode == "subtract" else theta - node.v_reset.reshape(-1)
    if np.any(theta <= 0) or np.any(jump <= 0):
        raise UnsupportedError(f"layered engine: node '{name}': needs v_threshold > 0 and a reset below it")
    sources, weights = [], []
    for projection in graph.sources(name):
        dense = graph.nodes[projection]
        if not isinstance(dense, Dense):
            raise UnsupportedError(f"layered engine: node '{name}' is fed by '{projection}', not a Dense")
        (source,) = graph.sources(projection)
        if source not in index:
            raise UnsupportedError(f"layered engine: '{projection}' comes from '{source}', not an earlier population")
        sources.append(index[source])
        weights.append(np.array(dense.weight, dtype=np.float64))
    gain = (node.r * node.w_in).reshape(-1) / (tau_mem - tau_syn)
    return Layer(name, tuple(sources), tuple(weights), 1.0 / tau_syn, 1.0 / tau_mem,
                 gain, theta.copy(), np.array(jump, dtype=np.float64), v_leak.copy())


@dataclass(frozen=True)
class PresynapticEvents:
    """The merged input spikes of one layer, per sample in time order.

    ``time_s[b, e]`` (inf-padded), ``unit[b, e]`` (column of the layer's concatenated weight matrix),
    ``flat[b, e]`` (position in the concatenated, flattened ``[units * max_spikes]`` source spike arrays),
    ``count[b]`` (number of real events).
    """

    time_s: np.ndarray
    unit: np.ndarray
    flat: np.ndarray
    count: np.ndarray


def presynaptic_events(source_times: list[np.ndarray]) -> PresynapticEvents:
    """Merge ``[batch, units, max_spikes]`` spike-time arrays of a layer's sources into time-sorted events.

    Only the spike slots some neuron uses are sorted (spike arrays are ascending and inf-padded); ``flat``
    still indexes the full arrays. The sort is stable, so simultaneous events keep the sources' order.
    """
    batch = source_times[0].shape[0]
    flat_times, unit_of_flat, full_flat = [], [], []
    unit_offset = flat_offset = 0
    for times in source_times:
        units, slots = times.shape[1], times.shape[2]
        used = max(int(np.isfinite(times).sum(axis=2).max(initial=0)), 1)
        flat_times.append(times[:, :, :used].reshape(batch, -1))
        unit_of_flat.append(unit_offset + np.repeat(np.arange(units), used))
        full_flat.append(flat_offset + (np.arange(units)[:, None] * slots + np.arange(used)[None, :]).reshape(-1))
        unit_offset += units
        flat_offset += units * slots
    merged = np.concatenate(flat_times, axis=1)
    order = np.argsort(merged, axis=1, kind="stable")
    count = np.isfinite(merged).sum(axis=1).astype(np.int64)
    order = order[:, :max(int(count.max(initial=0)), 1)]
    return PresynapticEvents(np.take_along_axis(merged, order, axis=1),
                             np.concatenate(unit_of_flat).astype(np.int64)[order],
                             np.concatenate(full_flat).astype(np.int64)[order], count)


@numba.njit(cache=True)
def _forward_kernel(events, weight, neurons, out):
    """Fill ``out[b, n, :]`` with the spike times of neuron ``n`` of sample ``b`` (event loop per neuron).

    State at time ``t0``: ``p = sum w e^{-beta (t0 - s)}``, ``q = sum w e^{-alpha (t0 - s)}`` over inputs,
    ``reset = a e^{-beta t0} + sum jump e^{-beta (t0 - t_k)}`` over own spikes (``a = v_leak``: the
    membrane starts ``a`` below its rest), so ``v(t0 + tau) = a + B e^{-beta tau} + A e^{-alpha tau}`` with
    ``B = c p - reset`` and ``A = -c q``: a crossing of ``theta - a`` by the kernel form.
    """
    ev_time, ev_unit, ev_count = events
    alpha, beta, gain, theta, jump, v_leak = neurons
    batch, n_neurons, max_spikes = out.shape
    for b in range(batch):
        n_events = ev_count[b]
        for n in range(n_neurons):
            a, be, c = alpha[n], beta[n], gain[n]
            p = 0.0
            q = 0.0
            t0 = ev_time[b, 0] if n_events > 0 else 0.0
            reset = v_leak[n] * np.exp(-be * t0)
            k = 0
            for e in range(n_events + 1):
                t1 = ev_time[b, e] if e < n_events else np.inf
                while k < max_spikes:
                    tau = crossing(c * p - reset, -c * q, a, be, theta[n] - v_leak[n], t1 - t0)
                    if tau < 0.0:
                        break
                    d_beta, d_alpha = np.exp(-be * tau), np.exp(-a * tau)
                    p *= d_beta
                    q *= d_alpha
                    reset = reset * d_beta + jump[n]
                    t0 = t0 + tau
                    out[b, n, k] = t0
                    k += 1
                if k >= max_spikes or e == n_events:
                    break
                d_beta, d_alpha = np.exp(-be * (t1 - t0)), np.exp(-a * (t1 - t0))
                w = weight[n, ev_unit[b, e]]
                p = p * d_beta + w
                q = q * d_alpha + w
                reset *= d_beta
                t0 = t1


@dataclass(frozen=True)
class LayeredSpikes:
    """Spike times of every layer (``[batch, neurons, max_spikes]``, inf-padded) and their input events."""

    input_times: np.ndarray
    times: tuple[np.ndarray, ...]
    events: tuple[PresynapticEvents, ...]

    def saturated(self, layer: int) -> bool:
        """True when some neuron of ``layer`` reached its cap (it may have been cut short)."""
        return bool(np.isfinite(self.times[layer][..., -1]).any())

    def first_spikes(self, layer: int = -1) -> np.ndarray:
        """``[batch, neurons]`` first spike times of a layer (inf where silent)."""
        return self.times[layer][..., 0]


def forward(network: LayeredNetwork, input_times: np.ndarray, max_spikes: int | tuple[int, ...] = 8) -> LayeredSpikes:
    """Exact spike times of every layer for ``[batch, input units, k]`` input spike times (inf = none).

    ``max_spikes`` is the cap per neuron, one for all layers or one per layer (a read-out decided by first
    spikes needs only 1 in its last layer).
    """
    input_times = np.asarray(input_times, dtype=np.float64)
    if input_times.ndim != 3 or input_times.shape[1] != network.input_size:
        raise UnsupportedError(
            f"layered engine: input times must be [batch, {network.input_size}, k], got {input_times.shape}")
    caps = np.broadcast_to(np.asarray(max_spikes, dtype=np.int64), (len(network.layers),))
    all_times = [input_times]
    all_events = []
    for layer, cap in zip(network.layers, caps):
        events = presynaptic_events([all_times[s] for s in layer.sources])
        out = np.full((input_times.shape[0], layer.size, int(cap)), np.inf)
        _forward_kernel(KernelEvents(events.time_s, events.unit, events.count),
                        np.concatenate(layer.weights, axis=1), layer.constants(), out)
        all_times.append(out)
        all_events.append(events)
    return LayeredSpikes(input_times, tuple(all_times[1:]), tuple(all_events))


def times_from_events(events: SpikeEvents) -> np.ndarray:
    """``[batch, units, max spikes per unit]`` inf-padded spike times from :class:`SpikeEvents`."""
    key = events.sample * events.units + events.unit
    order = np.lexsort((events.time_s, key))
    key, time_s = key[order], events.time_s[order]
    first = np.searchsorted(key, key, side="left")
    rank = np.arange(key.size) - first
    width = int(rank.max()) + 1 if rank.size else 1
    times = np.full((events.batch * events.units, width), np.inf)
    times[key, rank] = time_s
    return times.reshape(events.batch, events.units, width)


def events_from_times(times: np.ndarray) -> SpikeEvents:
    """:class:`SpikeEvents` from ``[batch, units, k]`` inf-padded spike times."""
    b, u, _ = np.nonzero(np.isfinite(times))
    return SpikeEvents(b, u, times[np.isfinite(times)], times.shape[0], times.shape[1])


def first_output_spikes(network: LayeredNetwork, input_times: np.ndarray, max_spikes: int | tuple[int, ...],
                        chunk: int = 256) -> tuple[np.ndarray, tuple[bool, ...]]:
    """``[batch, neurons]`` first spike times of the last layer, ``chunk`` samples at a time (bounded memory).

    Also returns, per layer, whether some neuron reached its cap. Samples are independent, so the result
    equals one :func:`forward` over the whole batch.
    """
    firsts, saturated = [], np.zeros(len(network.layers), dtype=bool)
    for start in range(0, input_times.shape[0], chunk):
        spikes = forward(network, input_times[start:start + chunk], max_spikes)
        firsts.append(spikes.first_spikes())
        saturated |= [spikes.saturated(index) for index in range(len(network.layers))]
    return np.concatenate(firsts), tuple(bool(s) for s in saturated)
