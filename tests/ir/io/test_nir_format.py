"""NIR: the shared third-party exports import, survive NIR -> IR -> ONNX -> IR -> NIR bit for bit, quirks, limits."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import h5py
import nir
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from snn_deploy.errors import GraphValidationError, ModelFormatError, UnsupportedError
from snn_deploy.ir import (
    IF, CoupledLIF, CubaLIF, Dense, Flatten, Graph, Input, Output, SumPool2d, Conv2d, graphs_equal,
)
from snn_deploy.ir.io import load, nir_format, save
from tests.ir.io.graph_strategies import graphs

NIR_MODELS = ["braille_noDelay_bias_zero.nir", "braille_noDelay_noBias_subtract.nir", "cnn_sinabs.nir",
              "lif_norse.nir"]


def _arrays(node: nir.NIRNode) -> dict[str, np.ndarray]:
    return {k: v for k, v in node.to_dict().items() if isinstance(v, np.ndarray)}


def _assert_same_nir(a: nir.NIRGraph, b: nir.NIRGraph) -> None:
    assert sorted(a.nodes) == sorted(b.nodes)
    assert sorted(map(tuple, a.edges)) == sorted(map(tuple, b.edges))
    for name, node in a.nodes.items():
        assert type(b.nodes[name]) is type(node), name
        mine, theirs = _arrays(node), _arrays(b.nodes[name])
        assert mine.keys() == theirs.keys(), name
        for key, value in mine.items():
            other = theirs[key]
            assert (value.dtype, value.shape) == (other.dtype, other.shape), (name, key)
            assert value.tobytes() == other.tobytes(), (name, key)


@pytest.mark.parametrize("model", NIR_MODELS)
def test_shared_model_survives_nir_ir_onnx_ir_nir_bit_for_bit(model, shared_models, tmp_path):
    original = shared_models / model
    graph = load(original)
    save(graph, tmp_path / "m.onnx")
    via_onnx = load(tmp_path / "m.onnx")
    assert graphs_equal(via_onnx, graph)
    save(via_onnx, tmp_path / "m.nir")
    assert graphs_equal(load(tmp_path / "m.nir"), graph)
    save(graph, tmp_path / "again.nir")
    assert (tmp_path / "again.nir").read_bytes() == (tmp_path / "m.nir").read_bytes()  # deterministic
    _assert_same_nir(nir.read(original), nir.read(tmp_path / "m.nir"))


@pytest.mark.parametrize("model", NIR_MODELS)
def test_parameters_are_the_files_values_widened_exactly(model, shared_models):
    ng = nir.read(shared_models / model)
    graph = load(shared_models / model)
    names = {"tau": "tau_mem_s", "tau_mem": "tau_mem_s", "tau_syn": "tau_syn_s"}
    for name, node in ng.nodes.items():
        for key, value in _arrays(node).items():
            field = names.get(key, key)
            if field in graph.nodes[name].array_fields:
                ir_value = getattr(graph.nodes[name], field)
                assert ir_value.dtype == np.float64
                np.testing.assert_array_equal(ir_value, np.broadcast_to(value.astype(np.float64), ir_value.shape))


def test_snntorch_recurrent_cuba_wiring_becomes_one_recurrent_edge(shared_models):
    for model in NIR_MODELS[:2]:
        graph = load(shared_models / model)
        assert graph.recurrent_edges() == {("lif1.w_rec", "lif1.lif")}
        assert set(graph.sources("lif1.lif")) == {"fc1", "lif1.w_rec"}
        # no v_reset in these 0.2.0-era files: read as current NIR does (reset to 0), and said so
        assert graph.nodes["lif1.lif"].reset_mode == "to_value" and not np.any(graph.nodes["lif1.lif"].v_reset)
        assert graph.metadata["reset_reading"]["populations"] == ["lif1.lif", "lif2"]


def test_sinabs_cnn_structure(shared_models):
    graph = load(shared_models / "cnn_sinabs.nir")
    shapes = graph.shapes()
    assert isinstance(graph.nodes["4"], SumPool2d) and shapes["4"] == (16, 8, 8)  # NIR: input_type None
    assert isinstance(graph.nodes["8"], Flatten) and shapes["8"] == (128,)
    assert graph.nodes["0"].stride == (2, 2) and graph.nodes["0"].padding == (1, 1) and shapes["0"] == (16, 16, 16)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graph=graphs(nir_expressible=True))
def test_nir_expressible_random_graphs_round_trip(graph, tmp_path_factory):
    path = tmp_path_factory.mktemp("nir") / "g.nir"
    save(graph, path)
    back = load(path)
    assert graphs_equal(back, graph)
    assert back.recurrent_edges() == graph.recurrent_edges()


def _tiny(pop) -> Graph:
    return Graph({"in": Input((3,)), "fc": Dense(np.ones((3, 3))), "p": pop, "out": Output((3,))},
                 [("in", "fc"), ("fc", "p"), ("p", "out")])


@pytest.mark.parametrize("graph, message", [
    (_tiny(CubaLIF.create(3, tau_syn_s=0, tau_mem_s=1e-2, v_threshold=1, reset_mode="subtract")),
     "node 'p': NIR has no reset by subtraction"),
    (_tiny(IF.create(3, v_threshold=1, v_reset=0.5, reset_mode="subtract")), "node 'p': NIR has no reset by subtraction"),
    (_tiny(CoupledLIF.create(3, tau_syn_s=0, tau_mem_s=1e-2, v_threshold=1, coupling=np.zeros((3, 3)))),
     "node 'p': NIR has no CoupledLIF"),
    (Graph({"in": Input((3,)), "fc": Dense(np.ones((3, 3)), delay_s=np.ones((3, 3))),
            "p": IF.create(3, v_threshold=1, reset_mode="to_value"), "out": Output((3,))},
           [("in", "fc"), ("fc", "p"), ("p", "out")]), "node 'fc': NIR cannot express per-synapse Dense delays"),
])
def test_what_nir_cannot_express_is_unsupported_and_names_the_node(graph, message, tmp_path):
    with pytest.raises(UnsupportedError, match=message):
        save(graph, tmp_path / "x.nir")
    assert not list(tmp_path.iterdir())  # nothing half written


def _write(tmp_path, nodes, edges):
    path = tmp_path / "q.nir"
    nir.write(path, nir.NIRGraph(nodes=nodes, edges=edges, type_check=False), compression=None)  # nir 1.0.8 cannot gzip 0-d arrays
    return path


def test_scalar_neuron_parameters_are_broadcast_from_the_source_shape(tmp_path):
    path = _write(tmp_path, {
        "input": nir.Input(input_type={"input": np.array([4])}),
        "fc": nir.Linear(weight=np.ones((5, 4), np.float32)),
        "lif": nir.CubaLIF(tau_syn=np.array(2e-3), tau_mem=np.array(1e-2), r=np.array(1.0), v_leak=np.array(0.0),
                           v_threshold=np.array(1.0), w_in=np.array(1.0)),
        "output": nir.Output(output_type={"output": np.array([5])}),
    }, [("input", "fc"), ("fc", "lif"), ("lif", "output")])
    graph = load(path)
    assert graph.nodes["lif"].shape == (5,) and np.all(graph.nodes["lif"].tau_syn_s == 2e-3)
    save(graph, tmp_path / "back.nir")
    _assert_same_nir(nir.read(path, type_check=False), nir.read(tmp_path / "back.nir", type_check=False))  # scalars stay


def test_batch_inclusive_flatten_dims_are_shifted_and_written_back(tmp_path):
    path = _write(tmp_path, {
        "input": nir.Input(input_type={"input": np.array([2, 3, 3])}),
        "flat": nir.Flatten(input_type={"input": np.array([1, 2, 3, 3])}, start_dim=1, end_dim=3),
        "fc": nir.Linear(weight=np.ones((2, 18))),
        "if": nir.IF(r=np.ones(2), v_threshold=np.ones(2)),
        "output": nir.Output(output_type={"output": np.array([2])}),
    }, [("input", "flat"), ("flat", "fc"), ("fc", "if"), ("if", "output")])
    graph = load(path)
    assert (graph.nodes["flat"].start_dim, graph.nodes["flat"].end_dim) == (0, 2)
    assert graph.shapes()["flat"] == (18,)
    back = nir_format.to_nir(graph).nodes["flat"]
    assert (back.start_dim, back.end_dim) == (1, 3)


def test_conv_input_shape_disagreeing_with_the_graph_is_an_error(tmp_path):
    path = _write(tmp_path, {
        "input": nir.Input(input_type={"input": np.array([1, 6, 6])}),
        "conv": nir.Conv2d(input_shape=(5, 5), weight=np.ones((2, 1, 3, 3)), stride=1, padding=0, dilation=1,
                           groups=1, bias=np.zeros(2)),
        "if": nir.IF(r=np.ones((2, 4, 4)), v_threshold=np.ones((2, 4, 4))),
        "output": nir.Output(output_type={"output": np.array([2, 4, 4])}),
    }, [("input", "conv"), ("conv", "if"), ("if", "output")])
    with pytest.raises(GraphValidationError, match=f"{path}: node 'conv': Conv2d input_shape"):
        load(path)


def test_conv_without_bias_round_trips_though_nir_requires_one(tmp_path):
    graph = Graph({"in": Input((1, 4, 4)), "c": Conv2d(np.ones((2, 1, 3, 3)), padding=1),
                   "p": IF.create((2, 4, 4), v_threshold=1.0, reset_mode="to_value"), "out": Output((2, 4, 4))},
                  [("in", "c"), ("c", "p"), ("p", "out")])
    save(graph, tmp_path / "c.nir")
    back = load(tmp_path / "c.nir")
    assert back.nodes["c"].bias is None and graphs_equal(back, graph)


def test_unsupported_nir_primitive_names_the_node(tmp_path):
    path = _write(tmp_path, {
        "input": nir.Input(input_type={"input": np.array([2])}),
        "integrator": nir.I(r=np.ones(2)),
        "output": nir.Output(output_type={"output": np.array([2])}),
    }, [("input", "integrator"), ("integrator", "output")])
    with pytest.raises(UnsupportedError, match=f"{path}: node 'integrator': NIR I is not supported"):
        load(path)


def test_nir_field_table_covers_every_population_field():
    for cls, fields in nir_format.NEURON_FIELDS.items():
        missing = set(cls.array_fields) - set(fields.values())
        assert not missing, (cls.__name__, missing)
        nir_cls = getattr(nir, cls.__name__)
        assert set(fields) <= {f.name for f in dataclasses.fields(nir_cls)}


def test_nested_snntorch_style_subgraph_is_inlined_like_the_flat_export(shared_models, tmp_path):
    flat = nir.read(shared_models / "braille_noDelay_noBias_subtract.nir")
    sub = nir.NIRGraph(
        nodes={"input": nir.Input(input_type={"input": np.array([40])}), "lif": flat.nodes["lif1.lif"],
               "w_rec": flat.nodes["lif1.w_rec"], "output": nir.Output(output_type={"output": np.array([40])})},
        edges=[("input", "lif"), ("lif", "w_rec"), ("w_rec", "lif"), ("lif", "output")], type_check=False)
    nodes = {k: v for k, v in flat.nodes.items() if not k.startswith("lif1.")} | {"lif1": sub}
    nested = nir.NIRGraph(nodes=nodes, edges=[("input", "fc1"), ("fc1", "lif1"), ("lif1", "fc2"), ("fc2", "lif2"),
                                              ("lif2", "output")], type_check=False)
    graph = nir_format.from_nir(nested)
    flat_graph = load(shared_models / "braille_noDelay_noBias_subtract.nir")
    assert graphs_equal(graph, Graph(flat_graph.nodes, flat_graph.edges))  # the file's reading note aside
    assert graph.recurrent_edges() == {("lif1.w_rec", "lif1.lif")}


def test_same_padding_becomes_explicit_and_is_written_back_as_same(tmp_path):
    path = _write(tmp_path, {
        "input": nir.Input(input_type={"input": np.array([1, 6, 6])}),
        "conv": nir.Conv2d(input_shape=np.array([6, 6]), weight=np.ones((2, 1, 3, 3)), stride=np.array([1, 1]),
                           padding="same", dilation=np.array([1, 1]), groups=1, bias=np.zeros(2)),
        "if": nir.IF(r=np.ones((2, 6, 6)), v_threshold=np.ones((2, 6, 6))),
        "output": nir.Output(output_type={"output": np.array([2, 6, 6])}),
    }, [("input", "conv"), ("conv", "if"), ("if", "output")])
    graph = load(path)
    assert graph.nodes["conv"].padding == (1, 1) and graph.shapes()["conv"] == (2, 6, 6)
    assert nir_format.to_nir(graph).nodes["conv"].padding == "same"
    nodes = dict(graph.nodes)
    nodes["conv"] = nodes["conv"].replace(padding=(0, 0))  # no longer 'same': written as numbers
    nodes["if"] = IF.create((2, 4, 4), v_threshold=1.0, reset_mode="to_value")
    nodes["output"] = Output((2, 4, 4))
    changed = nir_format.to_nir(Graph(nodes, graph.edges)).nodes["conv"]
    assert np.array_equal(changed.padding, [0, 0])


def test_subgraph_whose_nodes_is_not_a_group_is_a_malformed_file(tmp_path):
    path = tmp_path / "bad.nir"
    path.write_bytes((Path(__file__).resolve().parents[2] / "fixtures" / "nir" / "nested_subgraph.nir").read_bytes())
    with h5py.File(path, "r+") as handle:
        del handle["node/nodes/lif1/nodes"]
        handle["node/nodes/lif1/nodes"] = b"x"
    with pytest.raises(ModelFormatError, match=f"{path}: a NIRGraph's 'nodes' is not a group of nodes"):
        load(path)
