"""Accuracy of a trained model on its dataset with the exact reference (first-spike decisions).

The model's ``metadata["encoding"]`` (written by the trainer) says how features become input spikes.
Layered CubaLIF graphs run in the batched layered engine (:mod:`snn_deploy.reference.layered`); any other
graph runs in the general event-driven simulator (:mod:`snn_deploy.reference.simulator`), whose output
population is the one feeding the graph's first Output node.
"""
from __future__ import annotations

import numpy as np

from snn_deploy.errors import UnsupportedError
from snn_deploy.ir.graph import Graph
from snn_deploy.reference.datasets import SPLITS, LatencyEncoding, load
from snn_deploy.reference.decoding import accuracy
from snn_deploy.reference.layered import LayeredNetwork, events_from_times, first_output_spikes, times_from_events

#: spikes per hidden neuron the uncapped layered pass allows; reaching it raises instead of cutting short
EVALUATION_MAX_SPIKES = 64


def layered_first_spikes(network: LayeredNetwork, input_times: np.ndarray) -> np.ndarray:
    """``[batch, classes]`` first output spike times; hidden layers uncapped up to :data:`EVALUATION_MAX_SPIKES`."""
    caps = (EVALUATION_MAX_SPIKES,) * (len(network.layers) - 1) + (1,)
    first, saturated = first_output_spikes(network, input_times, caps)
    for layer, full in zip(network.layers[:-1], saturated):
        if full:
            raise UnsupportedError(
                f"layered engine: a neuron of '{layer.name}' fired {EVALUATION_MAX_SPIKES} times: evaluation cut short")
    return first


def graph_first_spikes(graph: Graph, input_times: np.ndarray) -> np.ndarray:
    """First spike times of the graph's (first) output population for ``[batch, units, k]`` input times."""
    try:
        network = LayeredNetwork.from_graph(graph)
    except UnsupportedError:
        from snn_deploy.reference.simulator import simulate

        events = events_from_times(input_times)
        (name, spikes), = simulate(graph, events, record=graph.outputs[0]).items()
        times = times_from_events(spikes)
        first = np.full((input_times.shape[0], spikes.units), np.inf)
        first[:times.shape[0]] = times[..., 0]
        return first
    return layered_first_spikes(network, input_times)


def encoding_of(graph: Graph, source: str = "model") -> LatencyEncoding:
    """The latency encoding recorded in ``graph.metadata["encoding"]``."""
    encoding = graph.metadata.get("encoding")
    if not isinstance(encoding, dict) or encoding.get("kind") != "latency" or "t_max_s" not in encoding:
        raise UnsupportedError(f"{source}: metadata has no latency 'encoding' (train it with 'snn-deploy train')")
    bias = encoding.get("bias_time_s")
    return LatencyEncoding(float(encoding["t_max_s"]), None if bias is None else float(bias))


def evaluate(graph: Graph, dataset: str, source: str = "model") -> dict:
    """Train, validation and test accuracy of ``graph`` on ``dataset`` (names the model ``source`` in errors),
    with ``splits``: how each split is made (for XOR: that all three are the same 4 points).

    This is the one place that reads a test split for a trained model: run it once, after every choice about
    the model has been made on train and validation."""
    data = load(dataset)
    encoding = encoding_of(graph, source)
    units = int(np.prod(graph.nodes[graph.inputs[0]].shape)) if len(graph.inputs) == 1 else -1
    if units != encoding.units(data.features):
        raise UnsupportedError(
            f"{source}: input has {units} units, dataset '{dataset}' encodes to {encoding.units(data.features)}")
    result: dict = {"dataset": dataset, "engine": "reference", "splits": dict(data.splits)}
    for split in SPLITS:
        x, y = data.split(split)
        first = graph_first_spikes(graph, encoding.encode(x))
        if first.shape[1] != data.classes:
            raise UnsupportedError(f"{source}: output has {first.shape[1]} neurons, '{dataset}' has {data.classes} classes")
        result[f"{split}_accuracy"] = accuracy(first, y)
        result[f"{split}_samples"] = int(y.size)
    return result
