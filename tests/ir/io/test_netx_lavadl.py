"""lava-dl netx semantics against lava-dl 0.6.0's own ``Network``: an ``input`` layer without ``neuron`` is a
pass-through, axonal and per-input delays are DelayDense's ``t + 1 + d``, ``dense_rec``, ``conv`` and ``flatten``
as lava-dl builds them (rules in :mod:`snn_deploy.ir.io.netx_format`).

Ground truth: ``tests/fixtures/netx/passthrough_delay_lavadl.npz``, recorded once by lava-dl 0.6.0 on lava-nc
0.10.0 (``Loihi2SimCfg`` fixed_pt) with ``tests/fixtures/netx/make_lavadl_ground_truth.py`` (it says how to re-run).
"""
from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
from click.testing import CliRunner

from snn_deploy.cli import main
from snn_deploy.emulate.loihi2 import emulate
from snn_deploy.errors import ModelFormatError, UnsupportedError
from snn_deploy.ir import Graph, Input
from snn_deploy.ir.io import load
from snn_deploy.quantize.loihi2.quantizer import quantize
from snn_deploy.spikes import load_engine_output, save_npz
from tests.ir.io.netx_files import write_netx

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "netx"
NET = FIXTURES / "passthrough_delay.net"
BLOCKS = ("layer1", "layer3", "layer4", "layer5")  # conv, dense (axonal delays), dense_rec, dense (input delays)


@pytest.fixture(scope="module")
def lava_dl():
    with np.load(FIXTURES / "passthrough_delay_lavadl.npz") as data:
        recorded = {key: data[key] for key in data.files}
    assert list(recorded["versions"]) == ["lava-nc 0.10.0", "lava-dl 0.6.0"]
    for block in BLOCKS:  # every block spikes, on some steps but not all
        spikes = recorded[f"{block}/spikes"]
        assert 0.1 < spikes.mean() < 0.7 and spikes.any(axis=1).sum() > 30, block
    return recorded


def _raster(lava_dl) -> np.ndarray:
    spikes = lava_dl["input"]  # [steps, C, H, W]
    return spikes.reshape(1, spikes.shape[0], -1)


def _differences(records: dict[str, np.ndarray], lava_dl) -> dict[str, int]:
    """Entries (steps x units) where ``records[<block>/<var>]`` ``[1, steps, units]`` differs from lava-dl."""
    return {f"{block}/{var}": int(np.count_nonzero(records[f"{block}/{var}"][0] != lava_dl[f"{block}/{var}"]))
            for block in BLOCKS for var in ("spikes", "u", "v")}


def test_input_without_neuron_is_a_pass_through_and_delays_keep_lava_dls_layout():
    graph = load(NET)
    assert isinstance(graph.nodes["input"], Input) and graph.nodes["input"].shape == (2, 6, 6)
    assert "layer0" not in graph.nodes and graph.sources("layer1.synapse") == ("input",)
    assert list(graph.populations()) == list(BLOCKS)
    with h5py.File(NET) as raw:
        axonal, per_input = (raw[f"layer/{i}/delay"][()].astype(np.int64) for i in (3, 5))
    assert np.array_equal(graph.nodes["layer3.synapse"].metadata["netx"]["delay"], axonal)
    assert np.array_equal(graph.nodes["layer5.synapse"].metadata["netx"]["delay"], np.tile(per_input, (4, 1)))
    np.testing.assert_array_equal(graph.nodes["layer5.synapse"].delay_s, np.tile(per_input, (4, 1)) * 1e-3)


def test_emulate_cli_on_the_compiled_netx_file_equals_lava_dl(lava_dl, tmp_path):
    """``snn-deploy compile --target loihi2`` + ``emulate``: 0 differences in spikes, u and v, all steps and units."""
    runner = CliRunner()
    compiled = runner.invoke(main, ["compile", str(NET), "--target", "loihi2", "-o", str(tmp_path / "art")],
                             prog_name="snn-deploy")
    assert compiled.exit_code == 0, compiled.output
    save_npz(tmp_path / "in.npz", {"spikes": _raster(lava_dl), "dt_s": np.float64(1e-3)})
    emulated = runner.invoke(main, ["emulate", str(tmp_path / "art"), "--input", str(tmp_path / "in.npz"), "-o",
                                    str(tmp_path / "out.npz"), "--record", "all", "--record-state", "--steps", "48"],
                             prog_name="snn-deploy")
    assert emulated.exit_code == 0, emulated.output
    records, dt_s = load_engine_output(tmp_path / "out.npz")
    assert dt_s == 1e-3 and all(records[f"{b}/spikes"].shape == (1, 48, lava_dl[f"{b}/u"].shape[1]) for b in BLOCKS)
    assert _differences(records, lava_dl) == {f"{b}/{v}": 0 for b in BLOCKS for v in ("spikes", "u", "v")}


def test_the_ground_truth_tells_the_delays_and_the_recurrence_apart(lava_dl):
    """Without the file's delays, or without the recurrent weights, the emulator no longer matches lava-dl."""
    graph = load(NET)
    for change in ("delays", "recurrence"):
        nodes = dict(graph.nodes)
        if change == "delays":
            for name in ("layer3.synapse", "layer5.synapse"):
                netx = {k: v for k, v in nodes[name].metadata["netx"].items() if k != "delay"}
                nodes[name] = nodes[name].replace(delay_s=None, metadata={"netx": netx})
        else:
            netx = dict(nodes["layer4.recurrent"].metadata["netx"])
            netx["weight"] = np.zeros_like(netx["weight"])
            nodes["layer4.recurrent"] = nodes["layer4.recurrent"].replace(metadata={"netx": netx})
        changed = Graph(nodes=nodes, edges=graph.edges, metadata=graph.metadata)
        result = emulate(quantize(changed), _raster(lava_dl))
        first = "layer3" if change == "delays" else "layer4"
        assert not np.array_equal(result.spikes[first][0], lava_dl[f"{first}/spikes"]), change
        assert np.array_equal(result.spikes["layer1"][0], lava_dl["layer1/spikes"])  # upstream unchanged


@pytest.mark.lava
@pytest.mark.xdist_group("lava")
def test_lava_run_of_the_compiled_netx_file_equals_lava_dl(lava_dl, tmp_path):
    from snn_deploy.backends.lava.artifact import write_artifact
    from snn_deploy.backends.lava.engine import run_network

    deployment = quantize(load(NET))
    write_artifact(deployment, tmp_path / "art")
    lava = run_network(tmp_path / "art", _raster(lava_dl), list(BLOCKS), record_state=True)
    assert _differences(lava, lava_dl) == {f"{b}/{v}": 0 for b in BLOCKS for v in ("spikes", "u", "v")}


CUBA = {"type": b"CUBA", "iDecay": 1024, "vDecay": 128, "vThMant": 80, "refDelay": 1}
INPUT = {"type": "input", "shape": np.array([4])}


def _dense(out: int, inputs: int, **extra) -> dict:
    return {"type": "dense", "shape": np.array([out]), "neuron": CUBA, "weight": np.ones((out, inputs)), **extra}


def test_file_weight_exponent_and_bit_count_are_ignored_as_lava_dl_ignores_them(tmp_path):
    plain, tagged = tmp_path / "plain.net", tmp_path / "tagged.net"
    weight = np.array([[3, -5, 7, 1], [0, 2, -1, 4], [9, 9, -9, 1]])
    write_netx(plain, [INPUT, _dense(3, 4, weight=weight)])
    write_netx(tagged, [INPUT, _dense(3, 4, weight=weight, weight_exp=3, num_weight_bits=4)])
    meta = load(tagged).nodes["layer1.synapse"].metadata["netx"]
    assert (meta["weight_exp"], meta["num_weight_bits"]) == (0, 8) and np.array_equal(meta["weight"], weight)
    (mine,), (theirs,) = quantize(load(plain)).synapses, quantize(load(tagged)).synapses
    assert (mine.weight_exp, theirs.weight_exp) == (-1, -1)  # mixed signs: 2 w with exponent -1, sums exact
    assert np.array_equal(mine.weight, 2 * weight) and np.array_equal(theirs.weight, 2 * weight)


@pytest.mark.parametrize("layers, error, message", [
    ([INPUT, _dense(3, 4, delay=np.array([1, 2]))], UnsupportedError,
     r"layer 1: 'delay' of shape \(2,\); lava-dl takes one delay per output unit \(3\) or one per input unit \(4\)"),
    ([INPUT, _dense(3, 4, delay=np.array([0, 63, 1]))], UnsupportedError,
     "layer 1: 'delay' of 63 steps; lava-dl clamps delays to 62 steps"),
    ([INPUT, {**_dense(3, 4, delay=np.arange(4)), "type": "dense_rec", "weight_rec": np.ones((3, 3))}],
     UnsupportedError, r"layer 1: 'delay' of shape \(4,\); lava-dl takes one delay per output unit \(3\)$"),
    ([{"type": "input", "shape": np.array([1, 4, 4])},
      {"type": "conv", "shape": np.array([2, 2, 2]), "weight": np.ones((2, 1, 3, 3, 1)), "stride": np.array([1, 1]),
       "padding": np.array([0, 0]), "dilation": np.array([1, 1]), "groups": 1}],
     ModelFormatError, "layer 1: conv layer without a 'neuron' group"),
    ([{"type": "input", "shape": np.array([1, 4, 4])},
      {"type": "conv", "shape": np.array([2, 2, 2]), "weight": np.ones((2, 1, 3, 3, 1)), "stride": np.array([1, 1]),
       "padding": np.array([0, 0]), "dilation": np.array([1, 1]), "groups": 1, "neuron": CUBA}, _dense(3, 8)],
     UnsupportedError, r"layer 2: dense layer after the \(2, 2, 2\) layer 'layer1' needs a 'flatten' layer"),
    ([INPUT, _dense(3, 4, neuron={**CUBA, "messageBits": 16})], UnsupportedError,
     r"layer 1 neuron: 'messageBits' > 0 \(graded spikes\) is not supported"),
])
def test_what_lava_dl_cannot_build_or_would_change_is_refused(layers, error, message, tmp_path):
    path = tmp_path / "bad.net"
    write_netx(path, layers)
    with pytest.raises(error, match=f"{path}: {message}"):
        load(path)


def test_scalar_delay_applies_to_every_synapse(tmp_path):
    path = tmp_path / "scalar.net"
    write_netx(path, [INPUT, _dense(3, 4, delay=np.float32(2))])
    dense = load(path).nodes["layer1.synapse"]
    assert np.array_equal(dense.metadata["netx"]["delay"], [2, 2, 2])
    np.testing.assert_array_equal(dense.delay_s, np.full((3, 4), 2e-3))
