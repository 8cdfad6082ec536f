"""Speck quantizer: the scale uses the 8-bit range, errors stay within half a step, bad values are refused."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snn_deploy.errors import QuantizationError, UnsupportedError
from snn_deploy.ir import IF, Conv2d, Dense, Graph, Input, Output
from snn_deploy.quantize.speck.quantizer import quantize, resolve_dt_s

DT_S = 1e-3


def _dense_graph(weight, threshold=1.0, bias=None, r=1.0, metadata=None, dt_s=None) -> Graph:
    weight = np.asarray(weight, dtype=float)
    return Graph(
        {"in": Input((weight.shape[1],)), "d": Dense(weight, bias=bias),
         "p": IF.create(weight.shape[0], v_threshold=threshold, r=r, metadata=metadata or {}),
         "out": Output(())},
        [("in", "d"), ("d", "p"), ("p", "out")],
        metadata={} if dt_s is None else {"dt_s": dt_s},
    )


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(0.01, 1.0), st.floats(0.05, 2.0))
def test_weights_use_the_8bit_range_and_round_within_half_a_step(seed, weight_scale, threshold):
    rng = np.random.default_rng(seed)
    weight = rng.normal(0, weight_scale, (5, 7))
    q = quantize(_dense_graph(weight, threshold), DT_S)
    layer = q.deployment.layers[0]
    w_int = layer.weight.reshape(5, 7)
    assert w_int.min() >= -128 and w_int.max() <= 127
    assert 1 <= layer.threshold <= 2**15 - 1
    # the scale is set by the weights (one extreme at the end of the range) or by the threshold (at 32767)
    assert w_int.max() == 127 or w_int.min() == -128 or layer.threshold == 2**15 - 1
    assert np.all(np.abs(w_int - weight * layer.scale) <= 0.5)
    assert abs(layer.threshold - threshold * layer.scale) <= 0.5
    reports = {a.name: a for a in q.arrays}
    assert reports["p.weight"].scale == pytest.approx(1 / layer.scale)
    assert reports["p.weight"].max_rel_error <= 0.5 / layer.scale / np.abs(weight).max() + 1e-12
    assert all(a.clipped == 0 for a in q.arrays)


def test_small_weights_do_not_round_to_zero_unlike_sinabs_default():
    """sinabs's default (min_v_mem=None -> -2^15 before scaling) would give scale 1 here: all weights 0."""
    weight = np.array([[0.01, -0.02, 0.005]])
    layer = quantize(_dense_graph(weight, threshold=1.0), DT_S).deployment.layers[0]
    assert np.count_nonzero(layer.weight) == 3
    assert layer.weight.reshape(-1)[1] == -128
    assert layer.min_v_mem == -(2**15)  # no bound in the IR: the bottom of the 16-bit state


def test_low_bound_is_in_the_layer_scale():
    layer = quantize(_dense_graph([[0.5, -1.0]], threshold=1.0, metadata={"v_min": -2.0}), DT_S).deployment.layers[0]
    assert layer.scale == pytest.approx(128.0)  # 128 / max|w-|
    assert layer.threshold == 128 and layer.min_v_mem == -256


def test_low_bound_can_set_the_scale():
    layer = quantize(_dense_graph([[0.01]], threshold=1.0, metadata={"v_min": -1000.0}), DT_S).deployment.layers[0]
    assert layer.scale == pytest.approx(32.768)
    assert layer.min_v_mem == -(2**15) and layer.threshold == 33 and layer.weight.item() == 0


def test_bias_is_quantized_per_step_with_the_weights():
    graph = _dense_graph([[1.0, 0.5]], threshold=1.0, bias=np.array([20.0]), r=1.0)
    layer = quantize(graph, dt_s=1e-2).deployment.layers[0]
    assert layer.scale == pytest.approx(127.0)
    assert layer.bias.tolist() == [round(20.0 * 1e-2 * 127.0)]


def test_bias_too_large_sets_the_scale():
    graph = _dense_graph([[1.0]], threshold=1.0, bias=np.array([1000.0]))
    layer = quantize(graph, dt_s=1e-2).deployment.layers[0]  # 10 per step dominates the weight 1
    assert layer.bias.item() == 127 and layer.weight.item() == round(12.7)


def test_threshold_that_rounds_to_zero_is_refused_naming_the_layer():
    with pytest.raises(QuantizationError, match=r"layer 'p': threshold 1e-05 rounds to 0"):
        quantize(_dense_graph([[1.0]], threshold=1e-5), DT_S)


def test_unsupported_graph_raises_one_line():
    graph = Graph({"in": Input((2, 4, 4)), "c": Conv2d(np.ones((2, 2, 3, 1))), "p": IF.create((2, 2, 4), v_threshold=1),
                   "out": Output(())}, [("in", "c"), ("c", "p"), ("p", "out")])
    with pytest.raises(UnsupportedError, match=r"^speck: node 'c': kernel 3x1 is not square$"):
        quantize(graph, DT_S)


def test_dt_comes_from_the_user_then_the_model_then_the_spec():
    graph = _dense_graph([[1.0]], dt_s=5e-3)
    assert resolve_dt_s(graph, 2e-3) == 2e-3
    assert resolve_dt_s(graph, None) == 5e-3
    assert resolve_dt_s(_dense_graph([[1.0]]), None) == 1e-3
    assert quantize(graph).deployment.dt_s == 5e-3
