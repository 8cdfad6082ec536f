"""Graph validation: structure, parameter values and shapes, with messages naming node and parameter."""
from __future__ import annotations

import numpy as np

from snn_deploy.errors import GraphValidationError
from snn_deploy.ir.graph import Graph
from snn_deploy.ir.nodes import (
    LI, LIF, Conv2d, CoupledLIF, CubaLI, CubaLIF, Delay, Dense, Input, Node, Output, Population, SumPool2d,
)

#: parameters that must be > 0 (time constants of a leak), and those that must be >= 0
_POSITIVE = {CubaLIF: ("tau_mem_s",), CoupledLIF: ("tau_mem_s",), LIF: ("tau_mem_s",), LI: ("tau_mem_s",),
             CubaLI: ("tau_mem_s",)}
_NON_NEGATIVE = {CubaLIF: ("tau_syn_s",), CoupledLIF: ("tau_syn_s",), CubaLI: ("tau_syn_s",)}


def _check_structure(graph: Graph) -> None:
    if not graph.nodes:
        raise GraphValidationError("graph has no nodes")
    for source, target in graph.edges:
        for end in (source, target):
            if end not in graph.nodes:
                raise GraphValidationError(f"edge '{source}' -> '{target}': no node named '{end}'")
    if not graph.inputs:
        raise GraphValidationError("graph has no Input node")
    if not graph.outputs:
        raise GraphValidationError("graph has no Output node")
    for name in graph.outputs:
        if graph.targets(name):
            raise GraphValidationError(f"node '{name}': an Output node cannot have outgoing edges")
        if len(graph.sources(name)) != 1:
            raise GraphValidationError(f"node '{name}': an Output node needs exactly one source")
    _check_loops_have_state(graph)


def _check_loops_have_state(graph: Graph) -> None:
    """Every cycle must pass through a population (else it is an algebraic loop with no time step in it)."""
    stateless = {n for n, node in graph.nodes.items() if not isinstance(node, Population)}
    sub = Graph(
        nodes={n: graph.nodes[n] for n in stateless},
        edges=tuple((s, t) for s, t in graph.edges if s in stateless and t in stateless),
    )
    loops = sorted(sub.recurrent_edges())
    if loops:
        source, target = loops[0]
        raise GraphValidationError(
            f"edge '{source}' -> '{target}' closes a cycle with no neuron population in it (algebraic loop)"
        )


def _check_finite(name: str, param: str, values: np.ndarray) -> None:
    if not np.all(np.isfinite(values)):
        raise GraphValidationError(f"node '{name}': parameter '{param}' has NaN or infinite values")


def _check_node(name: str, node: Node) -> None:
    for param, values in node.arrays().items():
        _check_finite(name, param, values)
    for param in _POSITIVE.get(type(node), ()):
        if np.any(getattr(node, param) <= 0):
            raise GraphValidationError(f"node '{name}': parameter '{param}' must be > 0 seconds")
    for param in _NON_NEGATIVE.get(type(node), ()):
        if np.any(getattr(node, param) < 0):
            raise GraphValidationError(f"node '{name}': parameter '{param}' must be >= 0 seconds")
    if isinstance(node, Population) and node.size == 0:
        raise GraphValidationError(f"node '{name}': population has no neurons")
    if isinstance(node, CoupledLIF):
        if len(node.shape) != 1 or node.coupling.shape != (node.size, node.size):
            raise GraphValidationError(
                f"node '{name}': parameter 'coupling' must be [{node.size}, {node.size}] for a 1-D population, "
                f"got {node.coupling.shape}"
            )
        if np.any(np.diag(node.coupling) != 0):
            raise GraphValidationError(f"node '{name}': parameter 'coupling' must have a zero diagonal")
    if isinstance(node, Dense):
        if node.weight.ndim != 2 or node.weight.size == 0:
            raise GraphValidationError(f"node '{name}': parameter 'weight' must be a non-empty [out, in] matrix")
        if node.bias is not None and node.bias.shape != (node.out_features,):
            raise GraphValidationError(f"node '{name}': parameter 'bias' must have shape ({node.out_features},)")
        if node.delay_s is not None and np.any(node.delay_s < 0):
            raise GraphValidationError(f"node '{name}': parameter 'delay_s' must be >= 0 seconds")
    if isinstance(node, Conv2d):
        if node.weight.ndim != 4 or node.weight.size == 0:
            raise GraphValidationError(f"node '{name}': parameter 'weight' must be [out, in/groups, kh, kw]")
        if node.groups < 1 or node.weight.shape[0] % node.groups:
            raise GraphValidationError(f"node '{name}': groups={node.groups} must divide {node.weight.shape[0]}")
        if node.bias is not None and node.bias.shape != (node.weight.shape[0],):
            raise GraphValidationError(f"node '{name}': parameter 'bias' must have shape ({node.weight.shape[0]},)")
        if min(node.stride) < 1 or min(node.dilation) < 1 or min(node.padding) < 0:
            raise GraphValidationError(f"node '{name}': stride and dilation must be >= 1, padding >= 0")
    if isinstance(node, SumPool2d):
        if min(node.kernel_size) < 1 or min(node.stride) < 1 or min(node.padding) < 0:
            raise GraphValidationError(f"node '{name}': kernel_size and stride must be >= 1, padding >= 0")
    if isinstance(node, Delay) and np.any(node.delay_s < 0):
        raise GraphValidationError(f"node '{name}': parameter 'delay_s' must be >= 0 seconds")
    if isinstance(node, (Input, Output)) and any(s < 1 for s in node.shape):
        raise GraphValidationError(f"node '{name}': shape {node.shape} has an empty dimension")


def validate_graph(graph: Graph) -> None:
    """Raise :class:`GraphValidationError` for the first fault found; return None when the graph is sound."""
    _check_structure(graph)
    for name, node in graph.nodes.items():
        _check_node(name, node)
    graph.shapes()
