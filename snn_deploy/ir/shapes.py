"""Shape inference: the output shape of every node of a graph, from its inputs forward."""
from __future__ import annotations

import math

from snn_deploy.errors import GraphValidationError
from snn_deploy.ir.graph import Graph
from snn_deploy.ir.lowering import connection_count, conv2d_output_hw, flatten_dims, flatten_shape
from snn_deploy.ir.nodes import (
    Conv2d, Delay, Dense, Flatten, Input, Node, Output, Population, SumPool2d,
)

Shape = tuple[int, ...]


def _size(shape: Shape) -> int:
    return int(math.prod(shape))


def node_output_shape(name: str, node: Node, in_shape: Shape | None) -> Shape:
    """Output shape of ``node`` given the shape of its (summed) input; ``None`` for an Input node."""
    if isinstance(node, Input):
        return node.shape
    assert in_shape is not None
    if isinstance(node, Output):
        if node.shape and _size(node.shape) != _size(in_shape):
            raise GraphValidationError(f"node '{name}': output shape {node.shape} but its source gives {in_shape}")
        return in_shape
    if isinstance(node, Population):
        if _size(node.shape) != _size(in_shape):
            raise GraphValidationError(
                f"node '{name}': population of shape {node.shape} ({node.size} neurons) receives {in_shape}"
            )
        return node.shape
    if isinstance(node, Dense):
        if node.in_features != _size(in_shape):
            raise GraphValidationError(
                f"node '{name}': parameter 'weight' expects {node.in_features} inputs, receives shape {in_shape}"
            )
        return (node.out_features,)
    if isinstance(node, Conv2d):
        if len(in_shape) != 3:
            raise GraphValidationError(f"node '{name}': Conv2d needs a [C, H, W] input, receives {in_shape}")
        if in_shape[0] != node.weight.shape[1] * node.groups:
            raise GraphValidationError(
                f"node '{name}': parameter 'weight' expects {node.weight.shape[1] * node.groups} channels, "
                f"receives {in_shape[0]}"
            )
        h, w = conv2d_output_hw(in_shape[1:], node.weight.shape[2:], node.stride, node.padding, node.dilation)
        if h < 1 or w < 1:
            raise GraphValidationError(f"node '{name}': Conv2d output would be empty for input {in_shape}")
        return (int(node.weight.shape[0]), h, w)
    if isinstance(node, SumPool2d):  # and AvgPool2d
        if len(in_shape) != 3:
            raise GraphValidationError(f"node '{name}': {node.kind} needs a [C, H, W] input, receives {in_shape}")
        h, w = conv2d_output_hw(in_shape[1:], node.kernel_size, node.stride, node.padding)
        if h < 1 or w < 1:
            raise GraphValidationError(f"node '{name}': {node.kind} output would be empty for input {in_shape}")
        return (in_shape[0], h, w)
    if isinstance(node, Flatten):
        start, end = flatten_dims(node, len(in_shape))
        if not 0 <= start <= end < max(len(in_shape), 1):
            raise GraphValidationError(
                f"node '{name}': Flatten dims {node.start_dim}..{node.end_dim} do not fit input shape {in_shape}"
            )
        return flatten_shape(node, in_shape)
    if isinstance(node, Delay):
        if node.delay_s.size not in (1, _size(in_shape)):
            raise GraphValidationError(
                f"node '{name}': parameter 'delay_s' has {node.delay_s.size} values for {_size(in_shape)} units"
            )
        return in_shape
    raise GraphValidationError(f"node '{name}': unknown node kind {type(node).__name__}")


def infer_shapes(graph: Graph) -> dict[str, Shape]:
    """Output shape of every node, following the feed-forward edges in topological order.

    A node with several sources needs them to agree in size; recurrent sources are checked after.
    """
    shapes: dict[str, Shape] = {}
    forward = graph.feedforward_edges()
    for name in graph.topological_order():
        node = graph.nodes[name]
        sources = [s for s, t in forward if t == name]
        if isinstance(node, Input):
            if sources:
                raise GraphValidationError(f"node '{name}': an Input node cannot have incoming edges")
            shapes[name] = node_output_shape(name, node, None)
            continue
        if not sources:
            raise GraphValidationError(f"node '{name}': no incoming edge (every non-Input node needs a source)")
        in_shape = shapes[sources[0]]
        for other in sources[1:]:
            if _size(shapes[other]) != _size(in_shape):
                raise GraphValidationError(
                    f"node '{name}': sources '{sources[0]}' {in_shape} and '{other}' {shapes[other]} differ in size"
                )
        shapes[name] = node_output_shape(name, node, in_shape)
    for source, target in graph.recurrent_edges():
        expected = shapes[target] if isinstance(graph.nodes[target], Population) else None
        if expected is not None and _size(shapes[source]) != _size(expected):
            raise GraphValidationError(
                f"recurrent edge '{source}' -> '{target}': source gives {shapes[source]}, target has {expected}"
            )
    return shapes


def neuron_count(graph: Graph) -> int:
    """Number of neurons in all populations."""
    return sum(pop.size for pop in graph.populations().values())


def synapse_count(graph: Graph, shapes: dict[str, Shape] | None = None) -> dict[str, int]:
    """Number of synapses (connections from an input unit to an output unit) per projection.

    Dense: ``out * in``. Conv2d: ``C_out * C_in/groups`` times the in-bounds kernel taps summed over
    output pixels (taps that fall into the zero padding connect nothing). Sum/AvgPool2d: ``C`` times
    the in-bounds window members (:func:`snn_deploy.ir.lowering.connection_count`). Flatten and Delay: 0
    (one-to-one wiring, no weights).
    """
    shapes = shapes if shapes is not None else infer_shapes(graph)
    forward = graph.feedforward_edges()
    counts: dict[str, int] = {}
    for name, node in graph.projections().items():
        if isinstance(node, (Flatten, Delay)):
            counts[name] = 0
        else:
            counts[name] = connection_count(name, node, shapes[next(s for s, t in forward if t == name)])
    return counts
