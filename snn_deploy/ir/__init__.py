"""Hardware-agnostic graph IR of spiking networks (continuous time, seconds, as NIR).

Readers and writers live in :mod:`snn_deploy.ir.io`; :func:`snn_deploy.ir.io.load` and
:func:`snn_deploy.ir.io.save` pick the format by file extension.
"""
from snn_deploy.ir.graph import Edge, Graph, graphs_equal
from snn_deploy.ir.nodes import (
    IF, LI, LIF, NODE_KINDS, POPULATION_KINDS, PROJECTION_KINDS, AvgPool2d, Conv2d, CoupledLIF, CubaLI, CubaLIF,
    Delay, Dense, Flatten, Input, Node, Output, Population, Projection, SumPool2d, nodes_equal,
)
from snn_deploy.ir.shapes import infer_shapes, neuron_count, synapse_count

__all__ = [
    "IF", "LI", "LIF", "NODE_KINDS", "POPULATION_KINDS", "PROJECTION_KINDS", "AvgPool2d", "Conv2d",
    "CoupledLIF", "CubaLI", "CubaLIF", "Delay", "Dense", "Edge", "Flatten", "Graph", "Input", "Node", "Output",
    "Population", "Projection", "SumPool2d", "graphs_equal", "infer_shapes", "neuron_count", "nodes_equal",
    "synapse_count",
]
