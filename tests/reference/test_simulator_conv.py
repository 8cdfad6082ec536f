"""Conv2d / SumPool2d / AvgPool2d / Flatten act as linear maps of spike pulses: the same spikes as the
equivalent Dense network, whose matrix is built here column by column with PyTorch's conv2d / pooling as
:mod:`tests.conv_oracle` restates them in numpy."""
from __future__ import annotations

import numpy as np
import pytest

from snn_deploy.ir.graph import Graph
from snn_deploy.ir.nodes import IF, LIF, AvgPool2d, Conv2d, Dense, Flatten, Input, Output, SumPool2d
from snn_deploy.reference.simulator import simulate
from snn_deploy.spikes import SpikeEvents
from tests.conv_oracle import avg_pool2d, conv2d, sum_pool2d


def _dense_matrix(op, in_shape: tuple[int, ...]) -> np.ndarray:
    """Column ``j`` of the matrix is ``op`` applied to the ``j``-th basis image."""
    n = int(np.prod(in_shape))
    basis = np.eye(n).reshape(n, *in_shape)
    return op(basis).reshape(n, -1).T


@pytest.mark.parametrize("pool", [SumPool2d, AvgPool2d])
def test_conv_pool_flatten_network_equals_its_dense_equivalent(pool):
    rng = np.random.default_rng(0)
    in_shape = (2, 6, 6)
    weight = rng.uniform(-0.3, 1.0, (4, 1, 3, 3))  # groups=2: 2 output channels per input channel
    bias = np.array([0.0, 2.0, 0.0, -1.0])
    conv = Conv2d(weight, stride=(1, 1), padding=(1, 2), dilation=(1, 2), groups=2, bias=bias)
    conv_op = lambda x: conv2d(x, weight, bias, stride=1, padding=(1, 2), dilation=(1, 2), groups=2)  # noqa: E731
    conv_shape = tuple(conv_op(np.zeros((1, *in_shape))).shape[1:])
    window_pool = avg_pool2d if pool is AvgPool2d else sum_pool2d
    pool_shape = (conv_shape[0], conv_shape[1] // 2, conv_shape[2] // 2)
    fc = rng.uniform(0.0, 0.5, (3, int(np.prod(pool_shape))))

    conv_graph = Graph(
        {"in": Input(in_shape), "conv": conv, "p1": IF.create(conv_shape, v_threshold=1.0),
         "pool": pool(kernel_size=(2, 2)), "flat": Flatten(), "fc": Dense(fc),
         "p2": LIF.create(3, tau_mem_s=5e-3, v_threshold=0.5), "out": Output((3,))},
        [("in", "conv"), ("conv", "p1"), ("p1", "pool"), ("pool", "flat"), ("flat", "fc"), ("fc", "p2"),
         ("p2", "out")],
    )
    conv_dense = _dense_matrix(lambda x: conv_op(x) - bias[:, None, None], in_shape)
    pool_dense = _dense_matrix(lambda x: window_pool(x, 2, 2), conv_shape)
    dense_graph = Graph(
        {"in": Input((int(np.prod(in_shape)),)),
         "conv": Dense(conv_dense, bias=np.repeat(bias, conv_shape[1] * conv_shape[2])),
         "p1": IF.create(int(np.prod(conv_shape)), v_threshold=1.0),
         "pool": Dense(pool_dense), "fc": Dense(fc),
         "p2": LIF.create(3, tau_mem_s=5e-3, v_threshold=0.5), "out": Output((3,))},
        [("in", "conv"), ("conv", "p1"), ("p1", "pool"), ("pool", "fc"), ("fc", "p2"), ("p2", "out")],
    )
    n_in = int(np.prod(in_shape))
    events = SpikeEvents(np.zeros(200), rng.integers(0, n_in, 200), rng.uniform(0, 0.02, 200), 1, n_in)
    a = simulate(conv_graph, events, t_end_s=0.03, record="all")
    b = simulate(dense_graph, events, t_end_s=0.03, record="all")
    assert a["p2"].time_s.size > 5
    for name in ("p1", "p2"):
        np.testing.assert_array_equal(a[name].unit, b[name].unit)
        np.testing.assert_array_equal(a[name].time_s, b[name].time_s)
