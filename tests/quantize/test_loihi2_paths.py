"""Projection chains composed for Loihi 2: unrolled conv/pool matrices equal PyTorch's operators (restated in numpy,
:mod:`tests.conv_oracle`), delays compose."""
from __future__ import annotations

import numpy as np
import pytest

from snn_deploy.errors import UnsupportedError
from snn_deploy.ir import AvgPool2d, Conv2d, Delay, Dense, Graph, Input, Output, SumPool2d
from snn_deploy.ir.nodes import CubaLIF
from snn_deploy.quantize.loihi2.paths import incoming_signals, merge_delays, projection_terms
from tests.conv_oracle import avg_pool2d, conv2d


@pytest.mark.parametrize("stride, padding, dilation, groups", [
    ((1, 1), (0, 0), (1, 1), 1), ((2, 1), (1, 2), (1, 1), 1), ((1, 2), (1, 0), (2, 1), 2), ((2, 2), (0, 0), (1, 1), 4),
])
def test_conv_matrix_equals_torch_conv2d(stride, padding, dilation, groups):
    rng = np.random.default_rng(0)
    weight = rng.normal(size=(4, 4 // groups, 3, 2))
    x = rng.normal(size=(2, 4, 7, 8))
    expected = conv2d(x, weight, stride=stride, padding=padding, dilation=dilation, groups=groups)
    node = Conv2d(weight, stride=stride, padding=padding, dilation=dilation, groups=groups)
    terms, bias, _ = projection_terms("conv", node, (4, 7, 8), 1e-3, False)
    assert bias is None and sorted(terms) == [0]
    assert np.allclose((terms[0] @ x.reshape(2, -1).T).T, expected.reshape(2, -1))


@pytest.mark.parametrize("cls", [SumPool2d, AvgPool2d])
def test_pool_matrices_equal_torch(cls):
    x = np.random.default_rng(1).normal(size=(1, 3, 6, 6))
    terms, bias, _ = projection_terms("pool", cls(kernel_size=(2, 3), stride=(2, 3)), (3, 6, 6), 1e-3, False)
    expected = avg_pool2d(x, (2, 3), (2, 3)) * (6 if cls is SumPool2d else 1)
    assert bias is None and np.allclose((terms[0] @ x.reshape(1, -1).T).T, expected.reshape(1, -1))


def _pop(n):
    return CubaLIF.create(n, tau_syn_s=1e-3, tau_mem_s=1e-2, v_threshold=1.0, reset_mode="to_value")


def test_delays_and_biases_compose_through_chains():
    nodes = {"in": Input((2,)), "delay": Delay(np.array([1e-3, 3e-3])),
             "fc": Dense(np.array([[1.0, 2.0], [3.0, 0.0]]), bias=np.array([0.5, -1.0]), delay_s=np.full((2, 2), 1e-3)),
             "fc2": Dense(np.array([[2.0, 0.0], [0.0, 1.0]])), "p": _pop(2), "out": Output((2,))}
    edges = (("in", "delay"), ("delay", "fc"), ("fc", "fc2"), ("fc2", "p"), ("p", "out"))
    signal = incoming_signals(Graph(nodes=nodes, edges=edges), 1e-3)["p"]
    weight, delay = merge_delays("in", "p", signal.terms["in"])
    assert np.array_equal(weight, [[2.0, 4.0], [3.0, 0.0]]) and np.array_equal(delay, [[2, 4], [2, 0]])
    assert np.allclose(signal.bias, [1.0, -1.0])


def test_one_synapse_with_two_delays_is_unsupported():
    nodes = {"in": Input((1,)), "a": Dense(np.ones((1, 1))), "b": Dense(np.ones((1, 1)), delay_s=np.full((1, 1), 2e-3)),
             "p": _pop(1), "out": Output((1,))}
    edges = (("in", "a"), ("in", "b"), ("a", "p"), ("b", "p"), ("p", "out"))
    signal = incoming_signals(Graph(nodes=nodes, edges=edges), 1e-3)["p"]
    with pytest.raises(UnsupportedError, match="'in' -> 'p': a synapse is reached through paths with different delays"):
        merge_delays("in", "p", signal.terms["in"])
