r"""Compose the projections between populations into one sparse matrix per (source, target, delay).

Loihi 2 (Lava) has one kind of synapse, ``Dense``/``DelayDense``: a matrix from one spike source to one
neuron group. Every chain of IR projections from a population (or the input) to a population is linear, so
it becomes one matrix per delay value:

* ``Dense``: ``W`` (split by the per-synapse delays ``round(delay_s / dt_s)``); its ``bias`` is a constant
  input, carried separately and mapped through the later projections;
* ``Conv2d``, ``SumPool2d``, ``AvgPool2d`` are unrolled to sparse matrices over C, H, W-flattened units from
  their synapses (:func:`snn_deploy.ir.lowering.lower_projection`, the lowering the reference uses; exact, but
  the matrix has ``out * fan_in`` entries: fine for the small networks a Loihi chip holds);
* ``Flatten`` is the identity (C-order flattening keeps the unit order); ``Delay`` is a delayed identity.

Composition: ``{d: M_d}`` followed by ``{e: N_e}`` is ``{d + e: sum N_e M_d}``. A synapse reached with two
different delays cannot be one Lava synapse: :class:`UnsupportedError`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from snn_deploy.errors import UnsupportedError
from snn_deploy.ir.graph import Graph
from snn_deploy.ir.io.netx_integers import netx_synapse
from snn_deploy.ir.lowering import Connectivity, lower_projection
from snn_deploy.ir.nodes import Conv2d, Delay, Dense, Flatten, Input, Node, Population, SumPool2d

Terms = dict[int, sp.csr_matrix]  # delay (steps) -> matrix [target units, source units]


@dataclass
class Incoming:
    """What reaches a node: per source (population or input) a matrix per delay, plus a constant ``bias``."""

    terms: dict[str, Terms] = field(default_factory=dict)
    bias: np.ndarray | None = None
    delay_errors_s: list[float] = field(default_factory=list)
    netx_exp: dict[str, int] = field(default_factory=dict)

    def add(self, other: "Incoming") -> None:
        for source, terms in other.terms.items():
            mine = self.terms.setdefault(source, {})
            for delay, matrix in terms.items():
                mine[delay] = mine[delay] + matrix if delay in mine else matrix
        if other.bias is not None:
            self.bias = other.bias if self.bias is None else self.bias + other.bias
        self.delay_errors_s.extend(other.delay_errors_s)
        self.netx_exp.update(other.netx_exp)

    def apply(self, terms: Terms, bias: np.ndarray | None) -> "Incoming":
        """This signal followed by the linear map ``terms`` (plus its constant ``bias``)."""
        out = Incoming(delay_errors_s=list(self.delay_errors_s), netx_exp=dict(self.netx_exp))
        for source, mine in self.terms.items():
            composed: Terms = {}
            for d, m in mine.items():
                for e, n in terms.items():
                    product = (n @ m).tocsr()
                    composed[d + e] = composed[d + e] + product if d + e in composed else product
            out.terms[source] = composed
        total = sum(terms.values())
        if self.bias is not None:
            out.bias = total @ self.bias
        if bias is not None:
            out.bias = bias if out.bias is None else out.bias + bias
        return out


def connectivity_matrix(lowered: Connectivity) -> sp.csr_matrix:
    """The synapses of a lowered projection (:mod:`snn_deploy.ir.lowering`) as a sparse ``[out units, in units]``
    matrix, zero weights left out."""
    keep = lowered.weight != 0
    return sp.csr_matrix((lowered.weight[keep], (lowered.post[keep], lowered.pre[keep])),
                         shape=(lowered.out_units, lowered.in_units))


def _split_by_delay(matrix: np.ndarray, delay_steps: np.ndarray) -> Terms:
    return {int(d): sp.csr_matrix(np.where(delay_steps == d, matrix, 0.0)) for d in np.unique(delay_steps)}


def projection_terms(name: str, node: Node, in_shape: tuple[int, ...], dt_s: float,
                     use_netx: bool) -> tuple[Terms, np.ndarray | None, list[float]]:
    """The node's linear map split by delay, its constant bias, and the delay rounding errors (seconds).

    ``use_netx``: take the integer weights and delays of the node's
    :class:`~snn_deploy.ir.io.netx_integers.NetxSynapse` (the netx reader's contract).
    """
    size_in = int(np.prod(in_shape))
    netx = netx_synapse(node, name) if use_netx and isinstance(node, (Dense, Conv2d)) else None
    if isinstance(node, Flatten):
        return {0: sp.identity(size_in, format="csr")}, None, []
    if isinstance(node, Delay):
        delay_s = np.broadcast_to(node.delay_s.reshape(-1), (size_in,))
        steps = np.rint(delay_s / dt_s).astype(np.int64)
        return _split_by_delay(np.diag(np.ones(size_in)), np.diag(steps)), None, list(np.abs(steps * dt_s - delay_s))
    if isinstance(node, Dense):
        weight = netx.weight.astype(np.float64) if netx else node.weight
        if netx and netx.delay is not None:
            delay = netx.delay  # one per output unit, or [out, in] (netx_format)
            steps = np.broadcast_to(delay if delay.ndim == 2 else delay.reshape(-1, 1), weight.shape)
            errors: list[float] = []
        elif node.delay_s is not None:
            steps = np.rint(node.delay_s / dt_s).astype(np.int64)
            errors = list(np.abs(steps * dt_s - node.delay_s).reshape(-1))
        else:
            return {0: sp.csr_matrix(weight)}, None if netx else node.bias, []
        return _split_by_delay(weight, steps), None if netx else node.bias, errors
    if isinstance(node, (Conv2d, SumPool2d)):  # SumPool2d: and AvgPool2d
        lowered = lower_projection(name, node, in_shape, netx.weight.astype(np.float64) if netx else None)
        return {0: connectivity_matrix(lowered)}, lowered.bias, []
    raise UnsupportedError(f"node '{name}': {node.kind} has no Loihi 2 mapping")


def incoming_signals(graph: Graph, dt_s: float, use_netx: bool = False) -> dict[str, Incoming]:
    """For every population: what its (summed) inputs are, in terms of source populations and the input."""
    shapes = graph.shapes()
    memo: dict[str, Incoming] = {}

    def output_of(name: str) -> Incoming:
        node = graph.nodes[name]
        size = int(np.prod(shapes[name]))
        if isinstance(node, (Input, Population)):
            return Incoming(terms={name: {0: sp.identity(size, format="csr")}})
        if name not in memo:
            summed = Incoming()
            for source in graph.sources(name):
                summed.add(output_of(source))
            terms, bias, errors = projection_terms(name, node, shapes[graph.sources(name)[0]], dt_s, use_netx)
            result = summed.apply(terms, bias)
            result.delay_errors_s.extend(errors)
            netx = netx_synapse(node, name) if use_netx and isinstance(node, (Dense, Conv2d)) else None
            if netx is not None:
                for source in result.terms:
                    result.netx_exp[source] = netx.weight_exp
            memo[name] = result
        return memo[name]

    signals: dict[str, Incoming] = {}
    for name in graph.populations():
        summed = Incoming()
        for source in graph.sources(name):
            summed.add(output_of(source))
        signals[name] = summed
    return signals


def merge_delays(source: str, target: str, terms: Terms) -> tuple[np.ndarray, np.ndarray]:
    """One dense weight matrix and one delay matrix from ``{delay: matrix}`` (supports must not overlap)."""
    shape = next(iter(terms.values())).shape
    if len(terms) == 1:  # one delay: nothing to merge (unrolled convolutions: millions of entries)
        ((d, matrix),) = terms.items()
        dense = matrix.toarray().astype(np.float64, copy=False)
        return dense, (np.zeros(shape, np.int64) if d == 0 else np.where(dense != 0, d, 0).astype(np.int64))
    weight = np.zeros(shape)
    delay = np.zeros(shape, np.int64)
    used = np.zeros(shape, bool)
    for d, matrix in sorted(terms.items()):
        dense = matrix.toarray()
        nonzero = dense != 0
        if np.any(used & nonzero):
            raise UnsupportedError(
                f"'{source}' -> '{target}': a synapse is reached through paths with different delays; "
                "Loihi 2 synapses have one delay each"
            )
        weight[nonzero] = dense[nonzero]
        delay[nonzero] = d
        used |= nonzero
    return weight, delay
