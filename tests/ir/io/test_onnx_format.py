"""Native ONNX: lossless round trips of random graphs, a checker-valid model, RNN-style state inputs, determinism."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from hypothesis import HealthCheck, given, settings

from snn_deploy.errors import ModelFormatError, UnsupportedError
from snn_deploy.ir import CubaLIF, Dense, Graph, Input, Output, graphs_equal
from snn_deploy.ir.io import load, onnx_format, save
from tests.ir.io.graph_strategies import graphs

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(graph=graphs())
def test_random_graphs_round_trip_losslessly_and_pass_the_full_checker(graph, tmp_path_factory):
    path = tmp_path_factory.mktemp("onnx") / "g.onnx"
    model = onnx_format.to_model(graph)
    onnx.checker.check_model(model, full_check=True)
    save(graph, path)
    back = load(path)
    assert graphs_equal(back, graph)
    assert back.recurrent_edges() == graph.recurrent_edges()
    assert list(back.nodes) == list(graph.nodes) and back.edges == graph.edges
    # the state inputs are exactly the sources of recurrent edges
    states = {i.name for i in model.graph.input if i.name not in graph.inputs}
    assert states == {f"{s}.prev" for s, _ in graph.recurrent_edges()}
    assert onnx_format.to_model(back).SerializeToString(deterministic=True) == path.read_bytes()


def _recurrent_graph(name_clash: bool = False) -> Graph:
    nodes = {
        "in": Input((3,)),
        "fc": Dense(np.arange(12.0).reshape(4, 3) / 7),
        "lif": CubaLIF.create(4, tau_syn_s=5e-3, tau_mem_s=1e-2, v_threshold=1.0),
        "rec": Dense(-np.eye(4)),
        "out": Output((4,)),
    }
    if name_clash:
        nodes["fc.weight"] = Dense(np.ones((4, 4)))
    edges = [("in", "fc"), ("fc", "lif"), ("lif", "rec"), ("rec", "lif"), ("lif", "out")]
    if name_clash:
        edges += [("lif", "fc.weight"), ("fc.weight", "lif")]
    return Graph(nodes, edges)


def test_layout_uses_custom_domain_sum_node_and_prev_state_input():
    model = onnx_format.to_model(_recurrent_graph())
    ops = {(n.domain, n.op_type, tuple(n.input)) for n in model.graph.node}
    assert ("ai.snn_deploy", "Sum", ("fc", "rec.prev")) in ops
    assert ("ai.snn_deploy", "CubaLIF", ("lif.sum", "lif.tau_syn_s", "lif.tau_mem_s", "lif.v_threshold",
                                         "lif.v_leak", "lif.r", "lif.v_reset", "lif.w_in")) in ops
    assert ("", "Identity", ("lif",)) in ops
    state = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}["rec.prev"]
    assert state.dtype == np.float64 and state.shape == (4,) and not state.any()
    weight = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}["fc.weight"]
    assert weight.tobytes() == (np.arange(12.0).reshape(4, 3) / 7).tobytes()
    assert {o.domain: o.version for o in model.opset_import} == {"": onnx_format.ONNX_OPSET, "ai.snn_deploy": 1}


def test_tensor_name_clash_is_unsupported_and_names_the_tensor():
    with pytest.raises(UnsupportedError, match="'fc.weight' is used twice"):
        onnx_format.to_model(_recurrent_graph(name_clash=True))


def test_tampered_edge_list_or_missing_initializer_is_a_format_error(tmp_path):
    model = onnx_format.to_model(_recurrent_graph())
    props = {p.key: p for p in model.metadata_props}
    props["snn_deploy.edges"].value = '[["in", "fc"]]'
    path = tmp_path / "edges.onnx"
    path.write_bytes(model.SerializeToString())
    with pytest.raises(ModelFormatError, match=f"{path}: .*edges"):
        onnx_format.read(path)
    model = onnx_format.to_model(_recurrent_graph())
    kept = [t for t in model.graph.initializer if t.name != "lif.r"]
    del model.graph.initializer[:]
    model.graph.initializer.extend(kept)
    path = tmp_path / "init.onnx"
    path.write_bytes(model.SerializeToString())
    with pytest.raises(ModelFormatError, match=f"{path}: "):
        onnx_format.read(path)


def test_parameter_of_wrong_dtype_is_rejected(tmp_path):
    model = onnx_format.to_model(_recurrent_graph())
    for i, tensor in enumerate(model.graph.initializer):
        if tensor.name == "fc.weight":
            model.graph.initializer[i].CopyFrom(onnx.numpy_helper.from_array(np.ones((4, 3), np.float32), "fc.weight"))
    path = tmp_path / "dtype.onnx"
    path.write_bytes(model.SerializeToString())
    with pytest.raises(ModelFormatError, match="parameter 'weight' is float32, expected float64"):
        onnx_format.read(path)


@pytest.mark.parametrize("model", ["cnn_sinabs.nir", "braille_noDelay_bias_zero.nir", "lava-dl/tiny.net",
                                   "lava-dl/mnist.net"])
def test_shared_models_round_trip_through_a_checker_valid_model(model, shared_models, tmp_path):
    graph = load(shared_models / model)
    onnx.checker.check_model(onnx_format.to_model(graph), full_check=True)
    save(graph, tmp_path / "m.onnx")
    assert graphs_equal(load(tmp_path / "m.onnx"), graph)
