r"""Lowering an IR graph to the flat arrays of the event loop: one parameter row per neuron and a fan-out.

Neurons of all populations are numbered consecutively (populations in graph insertion order, units in
C order); *source units* are the graph's input units (Input nodes in insertion order, concatenated)
followed by the neurons. The fan-out lists, per source unit, the synapses ``(neuron, weight, delay_s)``
its spikes reach after composing every chain of projections (:mod:`snn_deploy.ir.lowering`, composed by :mod:`snn_deploy.reference.synapses`).

Each population becomes the per-neuron system of :mod:`snn_deploy.reference.neuron_ode`
(:math:`\dot I = -\alpha(I - I_\infty)`, :math:`\dot v = -\beta v + K_0 + g I`, a pulse of weight
``w`` adds ``jump_i w`` to ``I`` and ``jump_v w`` to ``v``). With ``b`` the constant input of the
population (the summed ``Dense``/``Conv2d`` biases reaching it through the projections, NIR's ``W S + b``):

=========================  =========  =========  ===========  =================================  ===========  ======================
population                 alpha      beta       g            K0                                 I_inf        jumps (I, v)
=========================  =========  =========  ===========  =================================  ===========  ======================
CubaLIF(LI), tau_syn > 0   1/tau_syn  1/tau_mem  r/tau_mem    v_leak/tau_mem                     w_in b       w_in/tau_syn, 0
CubaLIF(LI), tau_syn = 0   0          1/tau_mem  0            (v_leak + r w_in b)/tau_mem        0            0, r w_in/tau_mem
LIF, LI                    0          1/tau_mem  0            (v_leak + r b)/tau_mem             0            0, r/tau_mem
IF                         0          0          0            r b                                0            0, r
=========================  =========  =========  ===========  =================================  ===========  ======================

``CubaLI`` (a read-out that never spikes) has the rows of a CubaLIF without threshold. A ``CoupledLIF`` has
the rows of a CubaLIF and becomes a *block* (:mod:`snn_deploy.reference.coupled`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from snn_deploy.errors import UnsupportedError
from snn_deploy.reference import coupled
from snn_deploy.reference.event_loop import Blocks, Network
from snn_deploy.ir.graph import Graph
from snn_deploy.ir.lowering import lower_projection
from snn_deploy.ir.nodes import IF, LI, LIF, CoupledLIF, CubaLI, CubaLIF, Input, Population, Projection
from snn_deploy.reference.neuron_ode import (
    ALPHA, BETA, G, I_INF, JUMP_I, JUMP_V, K0, PARAM_COLUMNS, PHI_MAX, THETA, V_RESET, phi_max,
)
from snn_deploy.reference.synapses import Synapses


@dataclass(frozen=True)
class EventNetwork:
    """A graph lowered for the event loop (see the module docstring for the numbering)."""

    params: np.ndarray          # float64 [neurons, len(PARAM_COLUMNS)]
    spiking: np.ndarray         # bool [neurons]
    subtract: np.ndarray        # bool [neurons]: reset by subtraction (else to v_reset)
    n_inputs: int
    indptr: np.ndarray          # int64 [n_inputs + neurons + 1]: CSR over source units
    target: np.ndarray          # int64 neuron of each synapse
    delay_s: np.ndarray         # float64
    weight: np.ndarray          # float64
    offsets: dict[str, tuple[int, int]]  # population -> (first neuron, neuron count)
    shapes: dict[str, tuple[int, ...]]   # population -> shape
    blocks: Blocks                       # coupled populations, see :func:`_blocks`

    def kernel_network(self) -> Network:
        """The arrays the event loop reads (:data:`snn_deploy.reference.event_loop.Network`)."""
        return Network(self.params, self.spiking, self.subtract, self.n_inputs, self.indptr, self.target,
                       self.delay_s, self.weight, self.blocks)

    def neuron_slice(self, population: str) -> slice:
        start, size = self.offsets[population]
        return slice(start, start + size)


def _population_table(name: str, pop: Population, constant: np.ndarray) -> np.ndarray:
    """The parameter rows of one population given its constant input ``constant`` (flattened)."""
    table = np.zeros((pop.size, len(PARAM_COLUMNS)))
    flat = {field: value.reshape(-1) for field, value in pop.arrays().items() if field != "coupling"}
    if isinstance(pop, IF):
        table[:, K0] = flat["r"] * constant
        table[:, JUMP_V] = flat["r"]
    elif isinstance(pop, (LIF, LI)):
        table[:, BETA] = 1.0 / flat["tau_mem_s"]
        table[:, K0] = (flat["v_leak"] + flat["r"] * constant) * table[:, BETA]
        table[:, JUMP_V] = flat["r"] * table[:, BETA]
    elif isinstance(pop, (CubaLIF, CubaLI, CoupledLIF)):
        beta = 1.0 / flat["tau_mem_s"]
        tau_syn, r, w_in = flat["tau_syn_s"], flat["r"], flat["w_in"]
        delta = tau_syn == 0.0
        alpha = np.divide(1.0, tau_syn, out=np.zeros_like(tau_syn), where=~delta)
        table[:, ALPHA] = alpha
        table[:, BETA] = beta
        table[:, G] = np.where(delta, 0.0, r * beta)
        table[:, K0] = (flat["v_leak"] + np.where(delta, r * w_in * constant, 0.0)) * beta
        table[:, I_INF] = np.where(delta, 0.0, w_in * constant)
        table[:, JUMP_I] = w_in * alpha
        table[:, JUMP_V] = np.where(delta, r * w_in * beta, 0.0)
        table[:, PHI_MAX] = phi_max(alpha, beta)
    else:
        raise UnsupportedError(f"node '{name}': the reference simulator does not support {pop.kind}")
    if pop.spiking:
        table[:, THETA] = flat["v_threshold"]
        table[:, V_RESET] = flat["v_reset"]
        _check_reset(name, pop, table)
    return table


def _check_reset(name: str, pop: Population, table: np.ndarray) -> None:
    """Reject resets that would fire infinitely often at one instant (a Zeno burst)."""
    if pop.reset_mode == "subtract" and np.any(table[:, THETA] <= 0):
        raise UnsupportedError(f"node '{name}': reset by subtraction needs v_threshold > 0 (else one spike never ends)")
    if pop.reset_mode == "to_value" and np.any(table[:, V_RESET] >= table[:, THETA]):
        raise UnsupportedError(f"node '{name}': reset to v_reset needs v_reset < v_threshold (else it fires for ever)")


def _blocks(n_neurons: int, coupled_pops: list[tuple[int, np.ndarray, np.ndarray]]) -> Blocks:
    """The event loop's description of the coupled populations (:data:`~snn_deploy.reference.event_loop.Blocks`),
    from ``(first neuron, rows, coupling)``."""
    block_of = np.full(n_neurons, -1, dtype=np.int64)
    first, size, h_s, mats, pows, rests = [], [], [], [], [], []
    for b, (start, table, coupling) in enumerate(coupled_pops):
        block_of[start:start + table.shape[0]] = b
        m = coupled.block_matrix(table, coupling)
        h = coupled.grid_step_s(m)
        rest = coupled.rest_state(m)
        first.append(start)
        size.append(table.shape[0])
        h_s.append(h)
        mats.append(m.ravel())
        pows.append(coupled.propagators(m, h).ravel())
        rests.append(np.full(m.shape[0], np.nan) if rest is None else rest)

    def flat(parts: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        offsets = np.zeros(len(parts), dtype=np.int64)
        if parts:
            offsets[1:] = np.cumsum([p.size for p in parts])[:-1]
        return (np.concatenate(parts) if parts else np.zeros(0)), offsets

    return Blocks(block_of, np.array(first, dtype=np.int64), np.array(size, dtype=np.int64),
                  np.array(h_s, dtype=float), *flat(mats), *flat(pows), *flat(rests))


def lower(graph: Graph) -> EventNetwork:
    """Lower a validated graph (raises :class:`UnsupportedError` for what the simulator cannot run)."""
    graph.validate()
    shapes = graph.shapes()
    size = {name: int(np.prod(shape, dtype=np.int64)) for name, shape in shapes.items()}
    populations = graph.populations()
    n_inputs = sum(size[name] for name in graph.inputs)
    source_start: dict[str, int] = {}
    start = 0
    for name in graph.inputs:
        source_start[name] = start
        start += size[name]
    offsets: dict[str, tuple[int, int]] = {}
    for name, pop in populations.items():
        offsets[name] = (start - n_inputs, pop.size)
        source_start[name] = start
        start += pop.size

    # what reaches each node's output: synapses from source units, and a constant
    reach: dict[str, Synapses] = {}
    constant: dict[str, np.ndarray] = {}

    def resolve(name: str) -> None:
        if name in reach:
            return
        node = graph.nodes[name]
        if isinstance(node, (Input, Population)):
            unit = np.arange(size[name], dtype=np.int64)
            reach[name] = Synapses(unit + source_start[name], unit, np.ones(unit.size), np.zeros(unit.size))
            constant[name] = np.zeros(size[name])
            return
        if not isinstance(node, Projection):
            raise UnsupportedError(f"node '{name}': {node.kind} cannot feed a projection")
        incoming, in_constant = _summed_inputs(name)
        lowered = lower_projection(name, node, shapes[graph.sources(name)[0]])
        own = Synapses.of(lowered)
        reach[name] = incoming.then(own)
        constant[name] = own.apply(in_constant, size[name])
        if lowered.bias is not None:
            constant[name] = constant[name] + lowered.bias

    def _summed_inputs(name: str) -> tuple[Synapses, np.ndarray]:
        parts, total = [], np.zeros(size[graph.sources(name)[0]])
        for source in graph.sources(name):
            resolve(source)
            parts.append(reach[source])
            total = total + constant[source]
        return Synapses.concat(parts), total

    tables, fanout, coupled_pops = [], [], []
    for name, pop in populations.items():
        incoming, in_constant = _summed_inputs(name)
        first = offsets[name][0]
        fanout.append(Synapses(incoming.pre, incoming.post + first, incoming.weight, incoming.delay_s))
        tables.append(_population_table(name, pop, in_constant))
        if isinstance(pop, CoupledLIF):
            coupled_pops.append((first, tables[-1], pop.coupling))
    synapses = Synapses.concat(fanout).merged()
    indptr = np.zeros(start + 1, dtype=np.int64)
    np.cumsum(np.bincount(synapses.pre, minlength=start), out=indptr[1:])
    return EventNetwork(
        params=np.concatenate(tables) if tables else np.zeros((0, len(PARAM_COLUMNS))),
        spiking=np.concatenate([np.full(p.size, p.spiking) for p in populations.values()]),
        subtract=np.concatenate([np.full(p.size, getattr(p, "reset_mode", "") == "subtract")
                                 for p in populations.values()]),
        n_inputs=n_inputs, indptr=indptr, target=synapses.post, delay_s=synapses.delay_s, weight=synapses.weight,
        offsets=offsets, shapes={name: shapes[name] for name in populations},
        blocks=_blocks(start - n_inputs, coupled_pops),
    )
