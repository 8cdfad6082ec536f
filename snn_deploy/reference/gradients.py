r"""Exact gradients of spike times by the implicit function theorem (Lee, Haghighatshoar & Karbasi 2022).

Spike ``k`` of neuron ``n`` is the time :math:`t_k` where :math:`v_n(t_k) = \theta_n` with the kernel form
of :mod:`snn_deploy.reference.kernels`,

.. math:: v_n(t) = a_n (1 - e^{-\beta_n t}) + \sum_{s < t} c_n w_{n,i(s)}\,\varepsilon(t - s)
          - \sum_{t_j < t} J_n e^{-\beta_n (t - t_j)},

the first sum over the spikes ``s`` arriving at ``n`` (unit ``i(s)``), the second over ``n``'s own
earlier spikes (``J`` the reset jump; ``a_n`` the resting potential ``v_leak``, a constant). ``v`` is
differentiable in the weights and in every earlier spike time, and :math:`\dot v_n(t_k) > 0` at a crossing,
so the implicit function theorem gives

.. math:: \frac{dt_k}{dw} = -\frac{1}{\dot v_n(t_k)}\Big(\frac{\partial v_n}{\partial w}
          + \sum_{j \prec k}\frac{\partial v_n}{\partial t_j}\frac{dt_j}{dw}\Big),

with partials :math:`\partial v/\partial w_{n,i} = c_n\sum_{s\in i, s<t_k}\varepsilon(t_k - s)`,
:math:`\partial v/\partial s = -c_n w_{n,i}\varepsilon'(t_k - s)` and
:math:`\partial v/\partial t_j = -J_n\beta_n e^{-\beta_n(t_k - t_j)}`; the slope :math:`\dot v_n(t_k)`
includes the leak's :math:`a_n\beta_n e^{-\beta_n t_k}`. Each spike depends only on earlier spikes (the
causal graph), so stacking all spikes in time order gives the lower-triangular system
:math:`(I - D)\,T = G` with :math:`D_{kj} = -(\partial v/\partial t_j)/\dot v(t_k)` and
:math:`G_k = -(\partial v/\partial w)/\dot v(t_k)`.

* :func:`causal_graph` + :func:`forward_propagation` build that system for one sample and solve it
  forward in time (the paper's Algorithm 2, "forward propagation": the full Jacobian ``dt/dw``).
* :func:`backward` solves the same system transposed, :math:`(I - D)^\top \lambda = \partial L/\partial t`,
  backward in time, layer by layer (reverse accumulation); ``dL/dw = G^T lambda``. This is what training
  uses: its cost is one pass over the causal edges per sample, independent of the number of weights.
"""
from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
from scipy.linalg import solve_triangular

from snn_deploy.reference.kernels import psp, psp_slope
from snn_deploy.reference.layered import KernelEvents, LayeredNetwork, LayeredSpikes


@numba.njit(cache=True)
def _membrane_slope(ev_time, ev_unit, n_events, w_row, neuron, own, k):
    """:math:`\\dot v` at the ``k``-th own spike ``own[k]`` (inputs before it, own earlier resets, the leak);
    ``neuron = (alpha, beta, gain, jump, v_leak)`` of this neuron (floats)."""
    a, be, c, jump, v_leak = neuron
    t = own[k]
    slope = v_leak * be * np.exp(-be * t)
    for e in range(n_events):
        if ev_time[e] >= t:
            break
        slope += c * w_row[ev_unit[e]] * psp_slope(t - ev_time[e], a, be)
    for j in range(k):
        slope += jump * be * np.exp(-be * (t - own[j]))
    return slope


@numba.njit(cache=True)
def _backward_kernel(events, ev_flat, weight, neurons, spikes, adjoint, grad_weight, adjoint_in):
    """Reverse accumulation through one layer.

    ``adjoint[b, n, k]`` holds ``dL/dt`` of spike ``k`` of neuron ``n`` through everything downstream.
    Adds ``dL/dW`` to ``grad_weight`` and ``dL/ds`` of every input event to ``adjoint_in[b, flat]``.
    """
    ev_time, ev_unit, ev_count = events
    alpha, beta, gain, _, jump, v_leak = neurons
    batch, n_neurons, max_spikes = spikes.shape
    slope = np.empty(max_spikes)
    scaled = np.empty(max_spikes)  # mu_k = lambda_k / vdot_k, lambda_k including later own spikes
    for b in range(batch):
        n_events = ev_count[b]
        for n in range(n_neurons):
            own = spikes[b, n]
            count = 0
            while count < max_spikes and np.isfinite(own[count]):
                count += 1
            if count == 0:
                continue
            a, be, c, jp = alpha[n], beta[n], gain[n], jump[n]
            w_row = weight[n]
            for k in range(count):
                slope[k] = _membrane_slope(ev_time[b], ev_unit[b], n_events, w_row, (a, be, c, jp, v_leak[n]), own, k)
            for k in range(count - 1, -1, -1):
                total = adjoint[b, n, k]
                for m in range(k + 1, count):
                    total += scaled[m] * jp * be * np.exp(-be * (own[m] - own[k]))
                scaled[k] = total / slope[k]
            for k in range(count):
                if scaled[k] == 0.0:
                    continue
                t = own[k]
                for e in range(n_events):
                    s = ev_time[b, e]
                    if s >= t:
                        break
                    unit = ev_unit[b, e]
                    grad_weight[n, unit] -= scaled[k] * c * psp(t - s, a, be)
                    adjoint_in[b, ev_flat[b, e]] += scaled[k] * c * w_row[unit] * psp_slope(t - s, a, be)


def backward(network: LayeredNetwork, spikes: LayeredSpikes, loss_adjoint: list[np.ndarray | None]
             ) -> list[tuple[np.ndarray, ...]]:
    """``dL/dW`` for every projection, by reverse accumulation over the causal graph.

    ``loss_adjoint[l]`` is ``dL/dt`` for layer ``l``'s spike times (same shape as ``spikes.times[l]``,
    0 for padding) or None when the loss does not read that layer. Returns, per layer, one gradient per
    projection in ``Layer.weights`` order, summed over the batch.
    """
    adjoints = [np.zeros_like(t) if a is None else np.where(np.isfinite(t), a, 0.0)
                for t, a in zip(spikes.times, loss_adjoint)]
    input_adjoint = np.zeros_like(spikes.input_times)
    grads: list[tuple[np.ndarray, ...]] = [()] * len(network.layers)
    for index in range(len(network.layers) - 1, -1, -1):
        layer, events = network.layers[index], spikes.events[index]
        sources = [spikes.input_times if s == 0 else spikes.times[s - 1] for s in layer.sources]
        weight = np.concatenate(layer.weights, axis=1)
        grad = np.zeros_like(weight)
        flat_adjoint = np.zeros((spikes.input_times.shape[0], sum(t[0].size for t in sources)))
        _backward_kernel(KernelEvents(events.time_s, events.unit, events.count), events.flat, weight,
                         layer.constants(), spikes.times[index], adjoints[index], grad, flat_adjoint)
        splits = np.cumsum([w.shape[1] for w in layer.weights])[:-1]
        grads[index] = tuple(np.split(grad, splits, axis=1))
        offset = 0
        for source, times in zip(layer.sources, sources):
            part = flat_adjoint[:, offset:offset + times[0].size].reshape(times.shape)
            offset += times[0].size
            (input_adjoint if source == 0 else adjoints[source - 1])[...] += part
    return grads


# --------------------------------------------------------------------------------------------------
# The causal graph of one sample, and forward propagation (Algorithm 2)
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CausalGraph:
    """All spikes of one sample in time order and the partial derivatives linking them.

    ``spike[k] = (layer, neuron, index)``, ``time_s[k]``; ``parents[k, j] = D_kj`` (nonzero only for
    ``t_j < t_k``: the spike ``j`` reached ``k``'s neuron before ``t_k``, or is an earlier own spike);
    ``direct[k]`` is ``G_k`` over all weights, flattened layer by layer, projection by projection.
    """

    spike: tuple[tuple[int, int, int], ...]
    time_s: np.ndarray
    parents: np.ndarray
    direct: np.ndarray


def causal_graph(network: LayeredNetwork, spikes: LayeredSpikes, sample: int) -> CausalGraph:
    """Build :class:`CausalGraph` for ``sample`` (dense matrices: for small networks and tests)."""
    ids = sorted(((l, n, k) for l, t in enumerate(spikes.times) for n, k in zip(*np.nonzero(np.isfinite(t[sample])))),
                 key=lambda i: spikes.times[i[0]][sample, i[1], i[2]])
    ids = [(int(l), int(n), int(k)) for l, n, k in ids]
    position = {spike: p for p, spike in enumerate(ids)}
    offsets = np.cumsum([0] + [w.size for layer in network.layers for w in layer.weights])
    first_projection = np.cumsum([0] + [len(layer.weights) for layer in network.layers])
    parents = np.zeros((len(ids), len(ids)))
    direct = np.zeros((len(ids), int(offsets[-1])))
    for row, (l, n, k) in enumerate(ids):
        dv_dw, dv_dparent, slope = _spike_partials(network, spikes, sample, l, n, k)
        for j, block in enumerate(dv_dw):
            column = first_projection[l] + j
            direct[row, offsets[column]:offsets[column + 1]] = -block.reshape(-1) / slope
        for parent, value in dv_dparent.items():
            parents[row, position[parent]] = -value / slope
    times = np.array([spikes.times[l][sample, n, k] for l, n, k in ids])
    return CausalGraph(tuple(ids), times, parents, direct)


def _spike_partials(network: LayeredNetwork, spikes: LayeredSpikes, sample: int, l: int, n: int, k: int
                    ) -> tuple[list[np.ndarray], dict[tuple[int, int, int], float], float]:
    """For spike ``k`` of neuron ``n`` in layer ``l``: ``dv/dW`` per projection, ``dv/dt_j`` per network
    spike ``j`` (input spikes are constants) and the slope ``vdot`` at the spike."""
    layer = network.layers[l]
    a, be, c, jump = layer.alpha[n], layer.beta[n], layer.gain[n], layer.jump[n]
    own = spikes.times[l][sample, n]
    t = own[k]
    dv_dw: list[np.ndarray] = []
    dv_dparent: dict[tuple[int, int, int], float] = {}
    for source, weight in zip(layer.sources, layer.weights):
        times = spikes.input_times if source == 0 else spikes.times[source - 1]
        block = np.zeros_like(weight)
        for i, m in zip(*np.nonzero(times[sample] < t)):
            s = times[sample, i, m]
            block[n, i] += c * psp(t - s, a, be)
            if source > 0:
                key = (source - 1, int(i), int(m))
                dv_dparent[key] = dv_dparent.get(key, 0.0) - c * weight[n, i] * psp_slope(t - s, a, be)
        dv_dw.append(block)
    for j in range(k):
        dv_dparent[(l, n, j)] = -jump * be * np.exp(-be * (t - own[j]))
    events = spikes.events[l]
    slope = _membrane_slope(events.time_s[sample], events.unit[sample], int(events.count[sample]),
                            np.concatenate(layer.weights, axis=1)[n], (a, be, c, jump, float(layer.v_leak[n])),
                            own, k)
    return dv_dw, dv_dparent, slope


def forward_propagation(graph: CausalGraph) -> np.ndarray:
    """Total Jacobian ``dt/dw`` ``[spikes, weights]``: solve ``(I - D) T = G`` forward in time (Algorithm 2)."""
    system = np.eye(len(graph.spike)) - graph.parents
    return solve_triangular(system, graph.direct, lower=True, unit_diagonal=True)
