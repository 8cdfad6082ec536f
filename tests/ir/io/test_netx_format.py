"""lava-dl netx import: layer structure, exact integers equal to the raw HDF5 datasets, conv layout against
Lava's recorded currents, the continuous equivalent inverting to the same 12-bit decays, synthetic layers."""
from __future__ import annotations

import h5py
import numpy as np
import pytest

from snn_deploy.errors import ModelFormatError, UnsupportedError
from snn_deploy.ir import Conv2d, CubaLIF, Dense, Flatten, Input, Output
from snn_deploy.ir.io import load
from tests.conv_oracle import conv2d
from tests.ir.io.netx_files import write_netx
from tests.ir.io.raw_counts import netx_counts

DT_S = 1e-3


@pytest.fixture(scope="module")
def tiny(shared_models):
    return load(shared_models / "lava-dl" / "tiny.net"), h5py.File(shared_models / "lava-dl" / "tiny.net", "r")


@pytest.fixture(scope="module")
def mnist(shared_models):
    return load(shared_models / "lava-dl" / "mnist.net"), h5py.File(shared_models / "lava-dl" / "mnist.net", "r")


def _kinds(graph):
    return [(name, node.kind) for name, node in graph.nodes.items()]


def test_tiny_structure_and_integers_equal_the_raw_datasets(tiny):
    graph, raw = tiny
    assert _kinds(graph) == [("input", "Input"), ("layer0.synapse", "Dense"), ("layer0", "CubaLIF"),
                             ("layer1.synapse", "Conv2d"), ("layer1", "CubaLIF"), ("layer2.synapse", "Conv2d"),
                             ("layer2", "CubaLIF"), ("output", "Output")]
    assert graph.metadata["dt_s"] == DT_S and graph.metadata["source_format"] == "netx"
    shapes = graph.shapes()
    for i in range(3):
        layer = raw[f"layer/{i}"]
        assert shapes[f"layer{i}"] == tuple(layer["shape"][()])
        netx = graph.nodes[f"layer{i}"].metadata["netx"]
        assert netx["layer"] == i and netx["bias_exp"] == 6
        assert netx["neuron_type"] == layer["neuron/type"][()].decode()
        for key in ("iDecay", "vDecay", "vThMant", "refDelay"):
            assert netx[key] == layer[f"neuron/{key}"][()] and type(netx[key]) is int
    for i in (1, 2):
        layer = raw[f"layer/{i}"]
        conv = graph.nodes[f"layer{i}.synapse"]
        assert conv.stride == tuple(layer["stride"][()]) and conv.padding == tuple(layer["padding"][()])
        assert conv.dilation == tuple(layer["dilation"][()]) and conv.groups == layer["groups"][()]
        weight = graph.nodes[f"layer{i}.synapse"].metadata["netx"]["weight"]
        assert weight.dtype == np.int64 and np.array_equal(weight, layer["weight"][()][..., 0])
        assert np.array_equal(conv.weight, layer["weight"][()][..., 0])
        bias = graph.nodes[f"layer{i}"].metadata["netx"]["bias"]
        assert bias.dtype == np.int64 and bias.shape == shapes[f"layer{i}"]
        assert np.array_equal(bias, np.broadcast_to(layer["bias"][()][:, None, None], bias.shape))
    assert graph.nodes["layer0"].metadata["netx"]["transform"] == {
        "weight": int(raw["layer/0/weight"][0]), "bias": int(raw["layer/0/bias"][0])}


def test_tiny_conv_layout_reproduces_the_currents_lava_recorded(tiny, shared_models):
    """layer1's synaptic current in lava-dl's ground truth is our Conv2d applied to the input spikes."""
    graph, _ = tiny
    gts = shared_models / "lava-dl" / "tinynet_gts"
    spikes = np.load(gts / "input.npy")[0].astype(np.float64).transpose(3, 0, 1, 2)  # T, C, H, W
    conv = graph.nodes["layer1.synapse"]
    current = conv2d(spikes, conv.weight, stride=conv.stride, padding=conv.padding, dilation=conv.dilation,
                     groups=conv.groups)
    expected = np.load(gts / "current.npy")[0].transpose(3, 0, 1, 2)
    np.testing.assert_array_equal(current, expected)


def test_mnist_structure_default_neuron_and_weights(mnist):
    graph, raw = mnist
    assert [k for _, k in _kinds(graph)] == ["Input", "Dense", "CubaLIF"] + ["Dense", "CubaLIF"] * 3 + ["Output"]
    for i in (1, 2, 3):
        dense = graph.nodes[f"layer{i}.synapse"]
        assert np.array_equal(dense.weight, raw[f"layer/{i}/weight"][()])
        assert np.array_equal(dense.metadata["netx"]["weight"], raw[f"layer/{i}/weight"][()].astype(np.int64))
        assert dense.metadata["netx"]["weight_exp"] == 0 and dense.metadata["netx"]["num_weight_bits"] == 8
        assert dense.delay_s is None and dense.bias is None
    assert "neuron" not in raw["layer/3"]
    last = graph.nodes["layer3"].metadata["netx"]
    assert last["default_neuron"] is True
    assert (last["iDecay"], last["vDecay"], last["vThMant"]) == (0, 4096, 1 << 17)
    identity = graph.nodes["layer0.synapse"]
    assert np.array_equal(identity.weight, np.eye(784))


@pytest.mark.parametrize("fixture", ["tiny", "mnist"])
def test_continuous_parameters_invert_to_the_files_integers(fixture, request):
    """Quantizing the continuous equivalent back (12-bit decays, 1/dt scalings) recovers every integer."""
    graph, _ = request.getfixturevalue(fixture)
    for name, pop in graph.populations().items():
        netx = pop.metadata["netx"]
        assert isinstance(pop, CubaLIF) and pop.reset_mode == "to_value" and not pop.v_reset.any()
        i_decay = np.round(4096 * (1 - np.exp(-DT_S / pop.tau_syn_s))) if pop.tau_syn_s.all() else 4096
        assert np.all(i_decay == netx["iDecay"]), name
        assert np.all(np.round(4096 * (1 - np.exp(-DT_S / pop.tau_mem_s))) == netx["vDecay"]), name
        np.testing.assert_allclose(pop.r * DT_S / pop.tau_mem_s, 1.0, rtol=1e-12)
        jump = pop.w_in / np.where(pop.tau_syn_s > 0, pop.tau_syn_s, DT_S)  # current (or delta) jump per weight
        np.testing.assert_allclose(jump, 1.0, rtol=1e-12)
        assert np.all(pop.v_threshold == netx["vThMant"])
        bias = netx.get("bias", np.zeros(pop.shape))
        np.testing.assert_allclose(pop.v_leak * DT_S / pop.tau_mem_s, bias, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("fixture", ["tiny", "mnist"])
def test_neuron_and_synapse_counts_match_the_raw_file(fixture, request):
    from snn_deploy.ir import neuron_count, synapse_count

    graph, raw = request.getfixturevalue(fixture)
    assert (neuron_count(graph), sum(synapse_count(graph).values())) == netx_counts(raw)


# ------------------------------------------------------------------------------------------------ synthetic files
def _net(path, layers):
    write_netx(path, layers)
    return path


CUBA = {"type": b"CUBA", "iDecay": 1024, "vDecay": 128, "vThMant": 80, "refDelay": 1}


def test_dense_rec_delay_flatten_and_average(tmp_path):
    rng = np.random.default_rng(0)
    w1 = rng.integers(-20, 20, (6, 8)).astype(np.float32)
    w_rec = rng.integers(-20, 20, (6, 6)).astype(np.float32)
    delay = np.array([0, 1, 2, 3, 4, 5], np.float32)
    path = _net(tmp_path / "rec.net", [
        {"type": "input", "shape": np.array([2, 2, 2]), "neuron": CUBA},
        {"type": "flatten", "shape": np.array([8])},
        {"type": "dense_rec", "shape": np.array([6]), "neuron": CUBA, "weight": w1, "weight_rec": w_rec,
         "delay": delay, "bias": np.arange(6, dtype=np.float32)},
        {"type": "average", "shape": np.array([3])},
    ])
    graph = load(path)
    assert isinstance(graph.nodes["layer1"], Flatten) and graph.shapes()["layer1"] == (8,)
    assert graph.recurrent_edges() == {("layer2.recurrent", "layer2")}
    for name, weight in (("layer2.synapse", w1), ("layer2.recurrent", w_rec)):
        dense = graph.nodes[name]
        assert isinstance(dense, Dense) and np.array_equal(dense.weight, weight)
        assert np.array_equal(dense.metadata["netx"]["delay"], delay.astype(np.int64))
        np.testing.assert_array_equal(dense.delay_s, np.broadcast_to(delay.astype(np.int64)[:, None] * DT_S, weight.shape))
    assert np.array_equal(graph.nodes["layer2"].metadata["netx"]["bias"], np.arange(6))
    assert graph.sources("output") == ("layer2",)
    assert graph.nodes["output"].metadata["netx"] == {"layer": 3, "readout": "average", "num_outputs": 3,
                                                      "group_size": 2}


@pytest.mark.parametrize("layers, error, message", [
    ([{"type": "input", "shape": np.array([4]), "neuron": CUBA}, {"type": "pool", "shape": np.array([4])}],
     UnsupportedError, "layer 1: netx layer type 'pool' is not supported"),
    ([{"type": "input", "shape": np.array([4]), "neuron": {**CUBA, "type": b"SDNN"}}],
     UnsupportedError, "layer 0 neuron: neuron type 'SDNN'"),
    ([{"type": "input", "shape": np.array([4]), "neuron": CUBA},
      {"type": "dense", "shape": np.array([2]), "neuron": CUBA, "weight": np.full((2, 4), 0.5)}],
     ModelFormatError, "layer 1: 'weight' must hold integers"),
    ([{"type": "input", "shape": np.array([4]), "neuron": CUBA},
      {"type": "dense", "shape": np.array([2]), "neuron": CUBA, "weight": np.ones((2, 5))}],
     ModelFormatError, r"layer 1: 'weight' has shape \(2, 5\), expected \(2, 4\)"),
    ([{"type": "input", "shape": np.array([4]), "neuron": {**CUBA, "iDecay": 5000}}],
     ModelFormatError, "'iDecay' = 5000 is outside 0..4096"),
])
def test_bad_or_unsupported_layers_name_file_and_layer(layers, error, message, tmp_path):
    path = _net(tmp_path / "bad.net", layers)
    with pytest.raises(error, match=f"{path}: .*{message}"):
        load(path)


def test_graph_terminals(tiny):
    graph, _ = tiny
    assert isinstance(graph.nodes["input"], Input) and graph.nodes["input"].shape == (3, 16, 16)
    assert isinstance(graph.nodes["output"], Output) and graph.sources("output") == ("layer2",)
    assert isinstance(graph.nodes["layer1.synapse"], Conv2d)
