"""NIR files written by nir 1.0.8 and by snnTorch 1.0 (tests/fixtures/nir, see make_fixtures.py), and the
shared 0.x-era files: they import, simulate, compile, keep v_reset bit for bit, and say how their reset was read.

Why the snnTorch file is not compared spike for spike with snnTorch: snnTorch's exporter writes
``r = tau_mem / dt`` and ``w_in = tau_syn / dt`` (dt = 1e-4 s) for its discrete update ``syn += W x``. Read with
NIR's meaning (inputs are Dirac pulses), a spike makes the synaptic current jump by ``W / dt``: 10^4 times
snnTorch's ``W``, so the continuous network bursts at MHz rates where snnTorch fires a few spikes (and its
Euler decays ``beta`` are not ``exp(-dt / tau)``). What is compared instead: structure, every parameter against
the torch modules' own, and that current jump of ``W / dt`` against snnTorch's rule.
"""
from __future__ import annotations

import json
from pathlib import Path

import h5py
import nir
import numpy as np
import pytest
from click.testing import CliRunner

from snn_deploy.cli import main
from snn_deploy.ir import CubaLI, CubaLIF, Delay, Graph, graphs_equal
from snn_deploy.ir.io import load, save
from snn_deploy.ir.io.nir_format import read_nir_graph
from snn_deploy.ir.io.nir_nested import flatten_subgraphs
from snn_deploy.ir.io.reset_reading import reading_notes
from snn_deploy.reference.encoders import poisson_encode
from snn_deploy.reference.simulator import input_units, membrane_traces, simulate
from snn_deploy.spikes import SpikeEvents

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "nir"
NIR108 = ["lif_v_reset.nir", "cuba_readout.nir", "nested_subgraph.nir", "delay_untyped.nir", "conv_untyped.nir",
          "lif_norse_nir108.nir", "norse_lif.nir"]
SHARED = ["braille_noDelay_bias_zero.nir", "braille_noDelay_noBias_subtract.nir", "cnn_sinabs.nir", "lif_norse.nir"]
SNNTORCH_DT_S = 1e-4  # the exporter's fixed step


def _invoke(*args: str):
    return CliRunner().invoke(main, list(args), prog_name="snn-deploy")


def _neuron_arrays(ng: nir.NIRGraph) -> dict[tuple[str, str], np.ndarray]:
    """Every neuron parameter array of a (flattened) NIR graph, by (node, field)."""
    kinds = (nir.IF, nir.LIF, nir.CubaLIF, nir.LI, nir.CubaLI)
    return {(name, key): np.asarray(value) for name, node in flatten_subgraphs(ng).nodes.items()
            if isinstance(node, kinds)
            for key, value in node.to_dict().items() if isinstance(value, (np.ndarray, np.generic))}  # 0-d: np.generic


@pytest.mark.parametrize("name", NIR108)
def test_nir108_file_simulates_with_spikes_in_every_spiking_population(name):
    graph = load(FIXTURES / name)
    assert "reset_reading" not in graph.metadata  # every resetting neuron has its v_reset
    events = poisson_encode(np.full((1, input_units(graph)), 200.0), 0.02, 0)
    spikes = simulate(graph, events, t_end_s=0.02, record="all")
    for population, pop in graph.populations().items():
        if pop.spiking:
            assert pop.reset_mode == "to_value"
            assert spikes[population].time_s.size > 0, population
        else:  # a read-out: no spikes, a moving membrane
            assert spikes[population].time_s.size == 0
            trace = membrane_traces(graph, events, np.linspace(1e-3, 0.02, 20), record=[population])[population]
            assert np.max(np.abs(trace.v)) > 1e-3, population


@pytest.mark.parametrize("name", NIR108 + ["snntorch_rsynaptic.nir"] + [f"shared:{m}" for m in SHARED])
def test_neuron_parameters_survive_nir_ir_onnx_ir_nir_bit_for_bit(name, shared_models, tmp_path):
    original = shared_models / name[7:] if name.startswith("shared:") else FIXTURES / name
    graph = load(original)
    save(graph, tmp_path / "m.onnx")
    via_onnx = load(tmp_path / "m.onnx")
    save(via_onnx, tmp_path / "m.nir")
    assert graphs_equal(via_onnx, graph) and graphs_equal(load(tmp_path / "m.nir"), graph)
    before = _neuron_arrays(read_nir_graph(original))  # a missing v_reset filled with zeros, as nir does
    after = _neuron_arrays(read_nir_graph(tmp_path / "m.nir"))
    assert before.keys() == after.keys() and any(key[1] == "v_reset" for key in before)
    for key, value in before.items():
        assert (value.dtype, value.shape, value.tobytes()) == (after[key].dtype, after[key].shape,
                                                              after[key].tobytes()), key
    with h5py.File(tmp_path / "m.nir") as handle:
        assert handle["version"][()].decode() == nir.version
        lifs = [n for n in handle["node/nodes"] if handle[f"node/nodes/{n}/type"][()] in (b"LIF", b"CubaLIF", b"IF")]
        assert lifs and all("v_reset" in handle[f"node/nodes/{n}"] for n in lifs)  # written explicitly


def test_v_reset_is_the_reset_target_and_reset_mode_subtract_changes_the_reading(tmp_path):
    path = FIXTURES / "lif_v_reset.nir"
    save(load(path), tmp_path / "back.nir")
    written = nir.read(tmp_path / "back.nir")  # nir 1.0.8 itself reads what we write, type check on
    np.testing.assert_array_equal(written.nodes["lif"].v_reset, nir.read(path).nodes["lif"].v_reset)
    lif = load(path).nodes["lif"]
    assert lif.reset_mode == "to_value"
    np.testing.assert_array_equal(lif.v_reset, [-0.1, 0.05, -0.2, 0.1])
    subtract = load(path, reset_mode="subtract")
    assert subtract.nodes["lif"].reset_mode == "subtract" and subtract.metadata["reset_reading"]["why"] == "override"
    events = poisson_encode(np.full((1, 3), 300.0), 0.05, 1)
    to_value = simulate(load(path), events, t_end_s=0.05)["lif"]
    by_subtraction = simulate(subtract, events, t_end_s=0.05)["lif"]
    assert to_value.time_s.size > 10 and by_subtraction.time_s.size > 10
    assert by_subtraction.time_s.size != to_value.time_s.size  # the reset really is what the reading says


def test_cuba_li_readout_is_read_and_written_as_cuba_li(tmp_path):
    graph = load(FIXTURES / "cuba_readout.nir")
    readout = graph.nodes["readout"]
    assert isinstance(readout, CubaLI) and readout.shape == (3,) and np.all(readout.w_in == 2.0)
    assert isinstance(graph.nodes["lif"], CubaLIF) and np.all(graph.nodes["lif"].v_reset == -0.1)
    save(graph, tmp_path / "back.nir")
    assert isinstance(nir.read(tmp_path / "back.nir", type_check=False).nodes["readout"], nir.CubaLI)


def test_nested_subgraphs_are_flattened_with_sub_node_edges_resolved():
    graph = load(FIXTURES / "nested_subgraph.nir")
    assert set(graph.nodes) == {"input", "fc1", "lif1.lif", "lif1.w_rec", "fc2", "lif2.lif", "output"}
    assert set(graph.edges) == {("input", "fc1"), ("fc1", "lif1.lif"), ("lif1.lif", "fc2"), ("fc2", "lif2.lif"),
                                ("lif2.lif", "output"), ("lif1.lif", "lif1.w_rec"), ("lif1.w_rec", "lif1.lif")}
    assert graph.recurrent_edges() == {("lif1.w_rec", "lif1.lif")}
    assert np.all(graph.nodes["lif2.lif"].v_reset == -0.05)


def test_files_are_gzip_compressed_when_written_so_and_read_either_way(tmp_path):
    with h5py.File(FIXTURES / "lif_v_reset.nir") as handle:
        assert handle["node/nodes/fc/weight"].compression == "gzip"
    with h5py.File(FIXTURES / "delay_untyped.nir") as handle:
        assert handle["node/nodes/fc1/weight"].compression is None
    save(load(FIXTURES / "delay_untyped.nir"), tmp_path / "d.nir")
    with h5py.File(tmp_path / "d.nir") as handle:
        assert handle["node/nodes/fc1/weight"].compression == "gzip"
        assert handle["node/nodes/if/v_reset"].compression == "gzip"  # size-1 arrays too; only 0-d ones cannot be


def test_delay_holds_each_spike_for_its_delay():
    graph = load(FIXTURES / "delay_untyped.nir")
    np.testing.assert_array_equal(graph.nodes["delay"].delay_s, [1e-3, 2e-3, 0.5e-3])
    assert isinstance(graph.nodes["delay"], Delay)
    # one pulse on input 0 at 2 ms: fc1 gives if[0] weight 1 (r = 1 > v_threshold = 0.8) and if[2] 0.5 (below)
    spikes = simulate(graph, SpikeEvents([0], [0], [2e-3], 1, 3), t_end_s=0.01, record="if")["if"]
    assert list(spikes.unit) == [0]
    np.testing.assert_allclose(spikes.time_s, [2e-3 + 1e-3], rtol=0, atol=1e-15)


def test_scalar_parameters_and_missing_or_empty_types_take_their_shapes_from_the_graph():
    graph = load(FIXTURES / "delay_untyped.nir")
    assert graph.nodes["input"].shape == (3,) and graph.nodes["output"].shape == (2,)  # both empty in the file
    if_node = graph.nodes["if"]  # size-1 parameters: the population has its source's shape
    assert if_node.shape == (3,) and np.all(if_node.v_threshold == 0.8) and np.all(if_node.v_reset == -0.2)
    np.testing.assert_array_equal(graph.nodes["lif"].v_reset, [0.0, 0.02])  # per neuron
    conv = load(FIXTURES / "conv_untyped.nir")  # Conv2d without input_shape, Flatten without input_type
    shapes = conv.shapes()
    assert (shapes["conv"], shapes["pool"], shapes["flat"]) == ((2, 6, 6), (2, 3, 3), (18,))


@pytest.mark.parametrize("model", SHARED)
def test_shared_files_without_v_reset_are_read_as_reset_to_zero_and_say_so(model, shared_models):
    graph = load(shared_models / model)
    spiking = [n for n, p in graph.populations().items() if p.spiking]
    assert graph.metadata["reset_reading"] == {"reset": "to_value", "why": "no_v_reset", "populations": spiking,
                                               "file": nir.serialization.read_version(shared_models / model)}
    assert all(graph.nodes[n].reset_mode == "to_value" and not np.any(graph.nodes[n].v_reset) for n in spiking)
    result = _invoke("inspect", "--json", str(shared_models / model))
    assert result.exit_code == 0
    (note,) = json.loads(result.stdout)["notes"]
    assert "read as reset to v_reset = 0" in note and "--reset-mode subtract" in note
    text = _invoke("inspect", str(shared_models / model)).stdout
    assert f"note: {note}" in text.splitlines()


@pytest.mark.parametrize("model", ["braille_noDelay_bias_zero.nir", "braille_noDelay_noBias_subtract.nir",
                                   "lif_norse.nir", "fixture:lif_norse_nir108.nir", "fixture:conv_untyped.nir",
                                   "fixture:snntorch_rsynaptic.nir", "fixture:norse_lif.nir"])
def test_reset_to_zero_models_compile_to_loihi2_and_the_report_states_the_reading(model, shared_models, tmp_path):
    path = FIXTURES / model[8:] if model.startswith("fixture:") else shared_models / model
    result = _invoke("compile", str(path), "--target", "loihi2", "-o", str(tmp_path / "out"), "--json")
    assert result.exit_code == 0, result.output
    notes = [n for n in json.loads(result.stdout)["notes"] if n.startswith("reset:")]
    assert notes == reading_notes(load(path))
    assert len(notes) == (0 if model.startswith("fixture:") else 1)  # only the files without v_reset are ambiguous


@pytest.mark.parametrize("name", ["lif_v_reset.nir", "nested_subgraph.nir", "delay_untyped.nir"])
def test_nonzero_v_reset_compile_to_loihi2_succeeds_or_names_the_node(name, tmp_path):
    """Depends on the Loihi 2 reset work (non-zero v_reset folded or refused, issue 12 item 5): asserts only
    that compiling ends in an artifact or in a one-line refusal naming a population and v_reset."""
    result = _invoke("compile", str(FIXTURES / name), "--target", "loihi2", "-o", str(tmp_path / "out"))
    if result.exit_code == 0:
        assert (tmp_path / "out" / "manifest.json").is_file()
    else:
        populations = [n for n, p in load(FIXTURES / name).populations().items() if np.any(getattr(p, "v_reset", 0))]
        assert result.exit_code == 2 and "v_reset" in result.stderr
        assert any(f"'{n}'" in result.stderr for n in populations), result.stderr


def test_cuba_li_readout_has_no_loihi2_mapping_and_says_so(tmp_path):
    result = _invoke("compile", str(FIXTURES / "cuba_readout.nir"), "--target", "loihi2", "-o", str(tmp_path / "o"))
    assert result.exit_code == 2 and "node 'readout'" in result.stderr and "CubaLI" in result.stderr


def test_reset_mode_override_on_the_cli_applies_to_every_spiking_population(shared_models, tmp_path):
    model = shared_models / "braille_noDelay_noBias_subtract.nir"
    result = _invoke("inspect", "--json", "--reset-mode", "subtract", str(model))
    summary = json.loads(result.stdout)
    resets = {row["name"]: row["reset"] for row in summary["nodes"] if "reset" in row}
    assert resets == {"lif1.lif": "subtract", "lif2": "subtract"}
    assert summary["notes"] == ["reset: populations 'lif1.lif', 'lif2' reset by subtraction, as --reset-mode "
                                "subtract asks, whatever the file says"]
    save(load(model), tmp_path / "m.onnx")  # any format: an ONNX model read with --reset-mode says so too
    back = load(tmp_path / "m.onnx", reset_mode="subtract")
    assert {p.reset_mode for p in back.populations().values()} == {"subtract"}
    assert _invoke("convert", str(model), str(tmp_path / "x.nir"), "--reset-mode", "subtract").exit_code == 2
    assert "NIR has no reset by subtraction" in _invoke("convert", str(model), str(tmp_path / "x.nir"),
                                                        "--reset-mode", "subtract").stderr


def test_old_style_file_and_its_nir108_rewrite_are_the_same_network_only_the_old_one_ambiguous(shared_models):
    old = load(shared_models / "lif_norse.nir")
    new = load(FIXTURES / "lif_norse_nir108.nir")
    assert "reset_reading" in old.metadata and "reset_reading" not in new.metadata
    strip = {name: node.replace(metadata={}) for name, node in old.nodes.items()}
    assert graphs_equal(Graph(strip, old.edges), Graph({n: v.replace(metadata={}) for n, v in new.nodes.items()},
                                                      new.edges))


def test_snntorch_export_structure_and_parameters_are_the_torch_modules():
    graph = load(FIXTURES / "snntorch_rsynaptic.nir")
    torch_params = np.load(FIXTURES / "snntorch_rsynaptic_params.npz")
    assert [(n, graph.nodes[n].kind) for n in graph.topological_order()] == [
        ("input", "Input"), ("0", "Dense"), ("1", "CubaLIF"), ("2", "Dense"), ("3.lif", "CubaLIF"),
        ("3.w_rec", "Dense"), ("4", "Dense"), ("5", "LIF"), ("output", "Output")]
    assert graph.recurrent_edges() == {("3.w_rec", "3.lif")}
    for dense, key in (("0", "0"), ("2", "2"), ("3.w_rec", "rec_3"), ("4", "4")):
        np.testing.assert_array_equal(graph.nodes[dense].weight, torch_params[f"weight_{key}"].astype(np.float64))
        np.testing.assert_array_equal(graph.nodes[dense].bias, torch_params[f"bias_{key}"].astype(np.float64))
    dt = SNNTORCH_DT_S
    for pop, index, widen in (("1", 1, np.float32), ("3.lif", 3, np.float64)):  # RSynaptic widens to float64
        node = graph.nodes[pop]
        tau_syn = dt / (1 - torch_params[f"alpha_{index}"].astype(widen))  # the exporter's arithmetic
        tau_mem = dt / (1 - torch_params[f"beta_{index}"].astype(widen))
        np.testing.assert_array_equal(node.tau_syn_s, tau_syn.astype(np.float64))
        np.testing.assert_array_equal(node.tau_mem_s, tau_mem.astype(np.float64))
        np.testing.assert_array_equal(node.r, (tau_mem / dt).astype(np.float64))
        np.testing.assert_array_equal(node.w_in, (tau_syn / dt).astype(np.float64))
        np.testing.assert_array_equal(node.v_threshold, torch_params[f"threshold_{index}"].astype(np.float64))
        assert node.reset_mode == "to_value" and not np.any(node.v_reset)
    np.testing.assert_array_equal(graph.nodes["5"].tau_mem_s, (dt / (1 - torch_params["beta_5"])).astype(np.float64))


def test_snntorch_file_read_as_nir_gives_a_current_jump_of_w_over_dt_per_spike():
    """snnTorch adds ``W x`` to ``syn`` per step; the same file read as NIR (Dirac pulses) adds ``W / dt``."""
    graph = load(FIXTURES / "snntorch_rsynaptic.nir")
    t_spike, probe = 1e-5, 1e-5 + 1e-9
    before = membrane_traces(graph, SpikeEvents([], [], [], 1, 4), [probe], record=["1"])["1"]
    after = membrane_traces(graph, SpikeEvents([0], [0], [t_spike], 1, 4), [probe], record=["1"])["1"]
    jump = (after.i - before.i)[0, 0] * np.exp((probe - t_spike) / graph.nodes["1"].tau_syn_s)
    weight = np.load(FIXTURES / "snntorch_rsynaptic_params.npz")["weight_0"][:, 0].astype(np.float64)
    np.testing.assert_allclose(jump, weight / SNNTORCH_DT_S, rtol=1e-6)
    spikes = simulate(graph, SpikeEvents([], [], [], 1, 4), t_end_s=3e-4, record="all")  # the biases alone
    assert spikes["5"].time_s.size > 0


@pytest.mark.parametrize("verb", ["inspect", "convert", "evaluate", "simulate", "compile", "check"])
def test_every_verb_that_reads_a_model_takes_reset_mode(verb):
    result = _invoke(verb, "--help")
    assert result.exit_code == 0 and "--reset-mode [subtract|to-value]" in result.output


def test_norse_export_batch_inclusive_input_and_0d_parameters():
    ng = read_nir_graph(FIXTURES / "norse_lif.nir")
    assert list(ng.nodes["input"].input_type["input"]) == [1, 3] and np.ndim(ng.nodes["1"].tau) == 0
    graph = load(FIXTURES / "norse_lif.nir")
    assert input_units(graph) == 3 and graph.nodes["1"].shape == (4,)  # the 0-d parameters take fc's 4 outputs
    assert np.all(graph.nodes["1"].tau_mem_s == np.float32(ng.nodes["1"].tau))
    assert graph.nodes["1"].reset_mode == "to_value"
