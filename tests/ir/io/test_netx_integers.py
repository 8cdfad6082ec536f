"""The netx contract (snn_deploy.ir.io.netx_integers): what the reader hands the Loihi 2 quantizer, typed, kept by an
ONNX round trip, and refused with a message naming the node when malformed."""
from __future__ import annotations

import h5py
import numpy as np
import pytest

from snn_deploy.errors import ModelFormatError
from snn_deploy.ir import Population
from snn_deploy.ir.io import load, save
from snn_deploy.ir.io.netx_integers import NetxNeuron, NetxSynapse, netx_neuron, netx_synapse
from snn_deploy.quantize.loihi2.quantizer import quantize
from tests.ir.io.netx_files import write_netx


def _integers(graph):
    neurons = {n: netx_neuron(node, n) for n, node in graph.nodes.items() if isinstance(node, Population)}
    synapses = {n: netx_synapse(node, n) for n, node in graph.nodes.items() if n.endswith((".synapse", ".recurrent"))}
    return neurons, synapses


def _same(a, b) -> bool:
    fields = a.__dataclass_fields__
    return all(np.array_equal(getattr(a, f), getattr(b, f)) if isinstance(getattr(a, f), np.ndarray)
               else getattr(a, f) == getattr(b, f) for f in fields)


def test_tiny_net_integers_are_the_files_and_survive_onnx(shared_models, tmp_path):
    path = shared_models / "lava-dl" / "tiny.net"
    graph = load(path)
    neurons, synapses = _integers(graph)
    assert sorted(neurons) == ["layer0", "layer1", "layer2"] and all(isinstance(n, NetxNeuron) for n in neurons.values())
    with h5py.File(path, "r") as raw:
        for name, neuron in neurons.items():
            layer = raw[f"layer/{neuron.layer}/neuron"]
            assert (neuron.i_decay, neuron.v_decay, neuron.v_th_mant) == tuple(
                int(layer[k][()]) for k in ("iDecay", "vDecay", "vThMant")) and neuron.bias_exp == 6
        for name, synapse in synapses.items():
            assert isinstance(synapse, NetxSynapse) and synapse.weight.dtype == np.int64 and synapse.weight_exp == 0
    save(graph, tmp_path / "tiny.onnx")
    again_neurons, again_synapses = _integers(load(tmp_path / "tiny.onnx"))
    assert all(_same(neurons[n], again_neurons[n]) for n in neurons)
    assert all(_same(synapses[n], again_synapses[n]) for n in synapses)
    first, second = quantize(graph).to_arrays(), quantize(load(tmp_path / "tiny.onnx")).to_arrays()
    assert sorted(first) == sorted(second) and all(np.array_equal(first[k], second[k]) for k in first)


def _dense_net(path):
    write_netx(path, [{"type": "input", "shape": [3]},
                      {"type": "dense", "shape": [2], "weight": np.array([[1, -2, 3], [4, 5, -6]], np.float32),
                       "bias": np.array([7, -8], np.float32), "delay": np.array([1, 2], np.float32),
                       "neuron": {"type": "CUBA", "iDecay": 1024, "vDecay": 128, "vThMant": 80, "refDelay": 1}}])


def test_the_quantizer_takes_the_typed_integers(tmp_path):
    _dense_net(tmp_path / "d.net")
    graph = load(tmp_path / "d.net")
    neuron = netx_neuron(graph.nodes["layer1"], "layer1")
    assert np.array_equal(neuron.bias, [7, -8]) and neuron.ref_delay == 1
    assert np.array_equal(netx_synapse(graph.nodes["layer1.synapse"], "layer1.synapse").delay, [1, 2])
    deployment = quantize(graph)
    (group,), (synapse,) = deployment.groups, deployment.synapses
    assert (group.du, group.dv, group.vth) == (1023, 128, 80) and group.bias_mant.tolist() == [7, -8]
    assert group.bias_exp.tolist() == [6, 6]
    assert synapse.weight_exp == -1 and np.array_equal(synapse.weight, 2 * np.array([[1, -2, 3], [4, 5, -6]]))
    assert np.array_equal(synapse.delay, [[1, 1, 1], [2, 2, 2]])


@pytest.mark.parametrize("edit, message", [
    (lambda m: {k: v for k, v in m.items() if k != "vThMant"}, "node 'layer1': .* lacks 'vThMant'"),
    (lambda m: {**m, "iDecay": 1.5}, "node 'layer1': metadata 'netx' 'iDecay' must be an integer"),
    (lambda m: {**m, "bias": np.array([0.5, 1.0])}, "node 'layer1': metadata 'netx' 'bias' must be an integer array"),
])
def test_malformed_integers_are_refused_naming_the_node(tmp_path, edit, message):
    _dense_net(tmp_path / "d.net")
    graph = load(tmp_path / "d.net")
    pop = graph.nodes["layer1"]
    nodes = {**graph.nodes, "layer1": pop.replace(metadata={"netx": edit(dict(pop.metadata["netx"]))})}
    broken = type(graph)(nodes, graph.edges, graph.metadata)
    with pytest.raises(ModelFormatError, match=message):
        quantize(broken)
