"""Neuron and synapse counts computed from raw model files alone (h5py, nir, numpy), independent of snn_deploy."""
from __future__ import annotations

import h5py
import nir
import numpy as np

from tests.conv_oracle import conv2d


def _window_connections(in_shape, weight_shape, stride, padding, dilation=(1, 1), groups=1) -> int:
    """Connections of a 2-D conv/pool: the output of an all-ones conv over all-ones input, summed."""
    ones = conv2d(np.ones((1, *in_shape), dtype=np.int64), np.ones(weight_shape, dtype=np.int64),
                  stride=tuple(stride), padding=tuple(padding), dilation=tuple(dilation), groups=groups)
    return int(ones.sum())


def netx_counts(raw: h5py.File) -> tuple[int, int]:
    """(neurons, synapses) of a netx file; the input layer has an identity Dense of units**2 weights in front."""
    neurons = synapses = 0
    shape = None
    for i in range(len(raw["layer"])):
        layer = raw[f"layer/{i}"]
        kind = layer["type"][()][0].decode()
        out = tuple(int(s) for s in layer["shape"][()])
        if kind == "input":
            synapses += int(np.prod(out)) ** 2
        elif kind in ("dense", "dense_rec"):
            synapses += layer["weight"].size + (layer["weight_rec"].size if kind == "dense_rec" else 0)
        elif kind == "conv":
            weight = layer["weight"][()][..., 0]
            synapses += _window_connections(shape, weight.shape, layer["stride"][()], layer["padding"][()],
                                            layer["dilation"][()], int(layer["groups"][()]))
        if kind in ("input", "dense", "dense_rec", "conv"):
            neurons += int(np.prod(out))
        shape = out
    return neurons, synapses


def nir_counts(ng: nir.NIRGraph) -> tuple[int, int]:
    """(neurons, synapses) of a NIR graph, shapes followed from the Input along the edges."""
    shapes: dict[str, tuple[int, ...]] = {}
    neurons = synapses = 0
    pending = [n for n, node in ng.nodes.items() if isinstance(node, nir.Input)]
    for name in pending:
        shapes[name] = tuple(int(s) for s in ng.nodes[name].input_type["input"])
    visited = set(pending)
    while pending:
        source = pending.pop(0)
        for s, target in ng.edges:
            if s != source or target in visited:
                continue
            node, in_shape = ng.nodes[target], shapes[source]
            if isinstance(node, (nir.CubaLIF, nir.LIF, nir.IF, nir.LI)):
                out = tuple(node.r.shape)
                neurons += int(node.r.size)
            elif isinstance(node, (nir.Affine, nir.Linear)):
                out = (node.weight.shape[0],)
                synapses += int(node.weight.size)
            elif isinstance(node, nir.Conv2d):
                synapses += _window_connections(in_shape, node.weight.shape, node.stride, node.padding, node.dilation,
                                                int(node.groups))
                out = tuple(int(s) for s in node.output_type["output"])
            elif isinstance(node, nir.SumPool2d):
                channels = in_shape[0]
                synapses += _window_connections(in_shape, (channels, 1, *node.kernel_size), node.stride, node.padding,
                                                groups=channels)
                out = (channels, *((np.array(in_shape[1:]) + 2 * node.padding - node.kernel_size) // node.stride + 1))
            elif isinstance(node, nir.Flatten):
                out = (int(np.prod(in_shape)),)
            else:
                out = in_shape
            shapes[target] = tuple(int(s) for s in out)
            visited.add(target)
            pending.append(target)
    return neurons, synapses
