"""lava-dl's tiny.net (3-layer CNN, netx integers) compiled for Loihi 2 reproduces lava-dl's ground truth.

As lava-dl's own test (tests/lava/lib/dl/netx/test_hdf5.py, ``test_tinynet``): ``input_bias.npy`` is the
input layer's bias, 17 steps + one per layer, ``u``/``v`` of layer ``i`` zeroed by ``io.reset.Reset(interval=17,
offset=i - 1)`` (after steps with ``(t - 1) % 17 == i - 1``, i.e. before steps with ``t % 17 == i + 1``: our
``LIFReset`` offset ``i + 1``), and ``output[..., 2:17]`` equals ``output.npy[0].transpose([2, 1, 0, 3])[..., 1:]``.
"""
from __future__ import annotations

from dataclasses import replace

import h5py
import numpy as np
import pytest

from snn_deploy.backends.lava.artifact import write_artifact
from snn_deploy.backends.lava.engine import run_network
from snn_deploy.emulate.loihi2 import emulate
from snn_deploy.ir import Graph
from snn_deploy.ir.io import load
from snn_deploy.quantize.loihi2.deployment import Synapse
from snn_deploy.quantize.loihi2.quantizer import quantize
from snn_deploy.quantize.loihi2.spec import LOIHI2

STEPS_PER_SAMPLE = 17


def _tinynet(shared_models):
    graph = load(shared_models / "lava-dl" / "tiny.net")
    bias_whc = np.load(shared_models / "lava-dl" / "tinynet_gts" / "input_bias.npy")
    nodes = dict(graph.nodes)
    netx = dict(nodes["layer0"].metadata["netx"], bias=np.rint(bias_whc.transpose(2, 1, 0)).astype(np.int64))
    nodes["layer0"] = nodes["layer0"].replace(metadata={**nodes["layer0"].metadata, "netx": netx})
    deployment = quantize(Graph(nodes=nodes, edges=graph.edges, metadata=graph.metadata))
    layers = [p for p in deployment.populations]
    deployment = deployment.with_periodic_reset(STEPS_PER_SAMPLE, {p: i + 1 for i, p in enumerate(layers)})
    steps = STEPS_PER_SAMPLE + len(layers)
    ground_truth = np.load(shared_models / "lava-dl" / "tinynet_gts" / "output.npy")[0].transpose([2, 1, 0, 3])
    return deployment, steps, ground_truth[..., 1:].reshape(-1, STEPS_PER_SAMPLE - 2)


def test_tinynet_emulated_equals_lava_dl_ground_truth(shared_models):
    deployment, steps, expected = _tinynet(shared_models)
    assert all(s.weight_exp == -1 for s in deployment.synapses[1:])  # mixed weights stored as 2w, exact sums
    result = emulate(deployment, np.zeros((1, steps, deployment.input_units), np.uint8))
    output = result.spikes["layer2"][0].T  # [36 units, steps], Lava's sink layout
    assert expected.sum() > 50
    assert np.array_equal(output[:, 2:STEPS_PER_SAMPLE], expected)


@pytest.mark.lava
@pytest.mark.xdist_group("lava")
def test_tinynet_in_lava_equals_emulator(shared_models, tmp_path):
    deployment, steps, expected = _tinynet(shared_models)
    write_artifact(deployment, tmp_path / "tiny")
    raster = np.zeros((1, steps, deployment.input_units), np.uint8)
    lava = run_network(tmp_path / "tiny", raster, ["layer1", "layer2"], record_state=False)
    emulated = emulate(deployment, raster)
    assert np.array_equal(lava["layer1/spikes"], emulated.spikes["layer1"])
    assert np.array_equal(lava["layer2/spikes"][0].T[:, 2:STEPS_PER_SAMPLE], expected)


def _chain_deployment(rng, bias: int = 0):
    from snn_deploy.quantize.loihi2.deployment import Deployment, LifGroup, Synapse

    a = LifGroup(name="a", population="a", indices=np.arange(4), du=300, dv=100, vth=50, bias_mant=np.full(4, bias),
                 bias_exp=np.zeros(4))
    b = LifGroup(name="b", population="b", indices=np.arange(3), du=4095, dv=10, vth=80, bias_mant=np.zeros(3),
                 bias_exp=np.zeros(3))
    synapses = (Synapse(name="in->a", source="in", target="a", weight=rng.integers(-60, 60, (4, 5)) * 2, weight_exp=-1),
                Synapse(name="a->b", source="a", target="b", weight=rng.integers(0, 120, (3, 4)), weight_exp=1,
                        delay=np.repeat([[0], [2], [1]], 4, axis=1)))
    return Deployment(dt_s=1e-3, input_name="in", input_units=5, groups=(a, b), synapses=synapses,
                      populations={"a": 4, "b": 3}, outputs={"out": "b"}, latency_steps={"a": 1, "b": 2})


def test_network_net_round_trips_through_the_netx_reader(tmp_path):
    rng = np.random.default_rng(0)
    deployment = _chain_deployment(rng)
    write_artifact(deployment, tmp_path / "art")
    write_artifact(deployment, tmp_path / "again")
    net = tmp_path / "art" / "network.net"
    assert net.read_bytes() == (tmp_path / "again" / "network.net").read_bytes()
    reimported = quantize(load(net))
    assert list(reimported.populations) == ["layer0", "layer1", "layer2"]  # the input relay, then a and b
    raster = (rng.random((2, 40, 5)) < 0.4).astype(np.uint8)
    original, again = emulate(deployment, raster), emulate(reimported, raster)
    assert original.spikes["b"].sum() > 20
    for mine, theirs in (("a", "layer1"), ("b", "layer2")):  # the relay adds one step
        assert np.array_equal(original.spikes[mine][:, :-1], again.spikes[theirs][:, 1:])


def test_network_net_is_left_out_with_a_note_when_netx_cannot_hold_the_network(tmp_path):
    deployment = _chain_deployment(np.random.default_rng(1), bias=7)
    notes = write_artifact(deployment, tmp_path / "art")
    assert not (tmp_path / "art" / "network.net").exists()
    assert notes == ["no network.net: population 'a' has a bias: the netx input relay's extra step would shift "
                     "inputs against it"]


def test_netx_recurrent_layer_keeps_lava_dl_timing(tmp_path):
    rng = np.random.default_rng(2)
    with h5py.File(tmp_path / "rec.net", "w") as f:
        for index, (kind, shape) in enumerate([(b"input", 3), (b"dense_rec", 4)]):
            layer = f.create_group(f"layer/{index}")
            layer["type"], layer["shape"] = np.array([kind]), np.array([shape])
            for key, value in (("type", np.bytes_("CUBA")), ("iDecay", 1024), ("vDecay", 128), ("vThMant", 40)):
                layer[f"neuron/{key}"] = value
        f["layer/1/weight"] = rng.integers(-100, 100, (4, 3)).astype(np.float32)
        f["layer/1/weight_rec"] = rng.integers(-100, 100, (4, 4)).astype(np.float32)
        f["layer/1/delay"] = np.array([0, 1, 2, 0], np.float32)
    deployment = quantize(load(tmp_path / "rec.net"))
    recurrent = next(s for s in deployment.synapses if s.source == s.target == "layer1")
    assert np.array_equal(recurrent.delay[:, 0], [0, 1, 2, 0]) and not deployment.report["latency_errors"]
    assert deployment.report["notes"] == []


def test_sign_split_pair_becomes_one_netx_layer(tmp_path):
    rng = np.random.default_rng(3)
    chain = _chain_deployment(rng)
    mixed = chain.synapses[0]
    exc = Synapse(name="in->a(exc)", source="in", target="a", weight=np.maximum(mixed.weight, 0), weight_exp=-1)
    inh = Synapse(name="in->a(inh)", source="in", target="a", weight=np.minimum(mixed.weight, 0), weight_exp=-1)
    split = replace(chain, synapses=(exc, inh, chain.synapses[1]))
    write_artifact(split, tmp_path / "split")
    write_artifact(chain, tmp_path / "mixed")
    with h5py.File(tmp_path / "split" / "network.net") as f, h5py.File(tmp_path / "mixed" / "network.net") as g:
        assert np.array_equal(f["layer/1/weight"][()], g["layer/1/weight"][()])
        assert np.array_equal(f["layer/1/weight"][()], LOIHI2.effective_weights(mixed.weight, LOIHI2.sign_mode(
            mixed.weight), 8) // 2)
    raster = (rng.random((2, 40, 5)) < 0.4).astype(np.uint8)
    assert np.array_equal(emulate(split, raster).spikes["b"], emulate(chain, raster).spikes["b"])
