"""The target-free lowering of projections to synapses equals a direct convolution / pooling / matrix product."""
from __future__ import annotations

import numpy as np
import pytest

from snn_deploy.errors import GraphValidationError, UnsupportedError
from snn_deploy.ir.lowering import Connectivity, connection_count, lower_projection
from snn_deploy.ir.nodes import CubaLIF, AvgPool2d, Conv2d, Delay, Dense, Flatten, SumPool2d
from snn_deploy.ir.shapes import node_output_shape
from tests.conv_oracle import avg_pool2d, conv2d, sum_pool2d


def _apply(lowered: Connectivity, x: np.ndarray) -> np.ndarray:
    """``W x + b`` from the synapse list (each synapse adds ``weight * x[pre]`` to ``post``)."""
    y = np.zeros(lowered.out_units, dtype=np.result_type(x, lowered.weight))
    np.add.at(y, lowered.post, lowered.weight * x.reshape(-1)[lowered.pre])
    return y + (0 if lowered.bias is None else lowered.bias)


def _random_conv(rng: np.random.Generator) -> tuple[Conv2d, tuple[int, int, int]]:
    while True:
        groups = int(rng.integers(1, 4))
        c_in, c_out = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
        kernel = tuple(int(k) for k in rng.integers(1, 5, 2))
        node = Conv2d(weight=rng.integers(-3, 4, (c_out, c_in // groups, *kernel)).astype(float),
                      stride=tuple(rng.integers(1, 4, 2)), padding=tuple(rng.integers(0, 3, 2)),
                      dilation=tuple(rng.integers(1, 3, 2)), groups=groups,
                      bias=rng.integers(-2, 3, c_out).astype(float) if rng.random() < 0.5 else None)
        shape = (c_in, *(int(s) for s in rng.integers(1, 10, 2)))
        try:
            node_output_shape("conv", node, shape)
        except GraphValidationError:  # an empty output: drawn again
            continue
        return node, shape


@pytest.mark.parametrize("seed", range(40))
def test_conv2d_equals_the_direct_convolution(seed):
    rng = np.random.default_rng(seed)
    node, shape = _random_conv(rng)
    lowered = lower_projection("conv", node, shape)
    x = rng.integers(0, 4, shape).astype(float)
    expected = conv2d(x[None], node.weight, node.bias, node.stride, node.padding, node.dilation, node.groups)[0]
    assert lowered.out_shape == expected.shape == node_output_shape("conv", node, shape)
    assert np.array_equal(_apply(lowered, x), expected.reshape(-1))
    assert connection_count("conv", node, shape) == lowered.pre.size
    # one synapse per in-bounds tap: the all-ones convolution of all-ones input counts them
    ones = conv2d(np.ones((1, *shape)), np.ones_like(node.weight), None, node.stride, node.padding, node.dilation,
                  node.groups)
    assert lowered.pre.size == ones.sum()


@pytest.mark.parametrize("seed", range(20))
def test_pools_equal_the_direct_pooling(seed):
    rng = np.random.default_rng(100 + seed)
    kernel = tuple(int(k) for k in rng.integers(1, 4, 2))
    stride = tuple(int(s) for s in rng.integers(1, 4, 2))
    shape = (int(rng.integers(1, 4)), *(int(s) + kernel[i] for i, s in enumerate(rng.integers(0, 7, 2))))
    x = rng.integers(0, 5, shape).astype(float)
    for kind, oracle in ((SumPool2d, sum_pool2d), (AvgPool2d, avg_pool2d)):
        node = kind(kernel_size=kernel, stride=stride)
        lowered = lower_projection("pool", node, shape)
        expected = oracle(x[None], kernel, stride)[0]
        assert lowered.out_shape == expected.shape
        np.testing.assert_allclose(_apply(lowered, x), expected.reshape(-1), rtol=1e-15)
        assert connection_count("pool", node, shape) == lowered.pre.size


def test_padded_pool_is_the_per_channel_window_with_padding_taps_dropped():
    rng = np.random.default_rng(7)
    shape, x = (3, 5, 6), rng.integers(0, 5, (3, 5, 6)).astype(float)
    node = AvgPool2d(kernel_size=(3, 2), stride=(2, 2), padding=(1, 1))
    lowered = lower_projection("pool", node, shape)
    expected = conv2d(x[None], np.full((3, 1, 3, 2), 1 / 6), None, (2, 2), (1, 1), 1, groups=3)[0]
    np.testing.assert_allclose(_apply(lowered, x), expected.reshape(-1), rtol=1e-15)
    assert connection_count("pool", node, shape) == lowered.pre.size < 3 * 6 * expected[0].size


def test_dense_is_every_entry_row_major_with_its_delays():
    rng = np.random.default_rng(1)
    weight, delay = rng.normal(size=(3, 4)), rng.uniform(0, 1e-3, (3, 4))
    weight[1, 2] = 0.0
    node = Dense(weight=weight, bias=np.arange(3.0), delay_s=delay)
    lowered = lower_projection("fc", node, (2, 2))
    assert lowered.pre.size == 12 == connection_count("fc", node, (2, 2))  # zero weights stay synapses
    assert np.array_equal(lowered.post * 4 + lowered.pre, np.arange(12))
    assert np.array_equal(lowered.weight, weight.reshape(-1)) and np.array_equal(lowered.delay_s, delay.reshape(-1))
    x = rng.normal(size=4)
    np.testing.assert_allclose(_apply(lowered, x), weight @ x + np.arange(3.0), rtol=1e-14)
    replaced = lower_projection("fc", node, (4,), weight=np.ones((3, 4), dtype=np.int64))
    assert replaced.bias is None and replaced.weight.dtype == np.int64 and np.all(replaced.weight == 1)


def test_flatten_and_delay_are_identities():
    flat = lower_projection("flat", Flatten(start_dim=1), (2, 3, 4))
    assert flat.out_shape == (2, 12) and np.array_equal(flat.pre, flat.post) and np.all(flat.delay_s == 0)
    delay = lower_projection("d", Delay(delay_s=np.arange(6.0) * 1e-3), (2, 3))
    assert np.array_equal(delay.post, np.arange(6)) and np.array_equal(delay.delay_s, np.arange(6.0) * 1e-3)
    assert connection_count("d", Delay(delay_s=np.zeros(6)), (2, 3)) == 6


def test_a_population_is_not_a_projection():
    pop = CubaLIF.create(3, tau_syn_s=1e-3, tau_mem_s=1e-2, v_threshold=1.0, v_leak=0.0, r=1.0, v_reset=0.0,
                         w_in=1.0)
    with pytest.raises(UnsupportedError, match="node 'p'"):
        lower_projection("p", pop, (3,))
