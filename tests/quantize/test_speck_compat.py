"""Speck compatibility report and core mapping: what is accepted, what is rejected and how it is said."""
from __future__ import annotations

import numpy as np
import pytest

from snn_deploy.errors import UnsupportedError
from snn_deploy.ir import (
    IF, LI, LIF, AvgPool2d, Conv2d, CubaLIF, Delay, Dense, Flatten, Graph, Input, Output, SumPool2d,
)
from snn_deploy.quantize.speck.compat import check_compatibility, map_cores
from snn_deploy.quantize.speck.spec import SPECK

DT_S = 1e-3


def _chain(*named_nodes, input_shape=(2, 8, 8)) -> Graph:
    nodes = {"in": Input(input_shape)}
    edges, last = [], "in"
    for name, node in named_nodes:
        nodes[name] = node
        edges.append((last, name))
        last = name
    nodes["out"] = Output(())
    edges.append((last, "out"))
    return Graph(nodes, edges)


def _conv_layer(i, c_in, c_out, hw, k=3, **conv):
    rng = np.random.default_rng(i)
    return [(f"c{i}", Conv2d(rng.normal(size=(c_out, c_in, k, k)), padding=k // 2, **conv)),
            (f"p{i}", IF.create((c_out, hw, hw), v_threshold=1.0))]


def test_cnn_sinabs_is_accepted_with_a_core_per_layer(shared_models):
    from snn_deploy.ir.io import load

    report = check_compatibility(load(shared_models / "cnn_sinabs.nir"), DT_S)
    assert report.ok, report.problems
    assert [p.kind for p in report.layers] == ["conv", "conv", "conv", "linear", "linear"]
    assert [p.pool for p in report.layers] == [1, 2, 2, 1, 1]
    assert report.layers[3].weight.shape == (256, 8, 4, 4)  # the Dense over the flattened [8, 4, 4]
    assert len(set(report.cores.values())) == len(report.layers)
    for plan in report.layers:
        assert plan.memory.fits(SPECK.cores[report.cores[plan.population]])
    assert report.outputs == {"output": "12"}


def test_braille_rnn_is_rejected_for_recurrence_and_synaptic_current(shared_models):
    from snn_deploy.ir.io import load

    report = check_compatibility(load(shared_models / "braille_noDelay_noBias_subtract.nir"), DT_S)
    assert not report.ok
    assert any("recurrent" in p and "lif1.w_rec" in p for p in report.problems)
    assert any("synaptic current" in p and "lif2" in p for p in report.problems)
    with pytest.raises(UnsupportedError, match=r"^speck: edge 'lif1.w_rec' -> 'lif1.lif' is recurrent") as info:
        report.raise_if_unsupported()
    assert "\n" not in str(info.value)


def test_oversized_layer_names_the_core_memory_it_exceeds():
    graph = _chain(*_conv_layer(0, 2, 8, 8), ("c1", Conv2d(np.ones((128, 8, 7, 7)), padding=3)),
                   ("p1", IF.create((128, 8, 8), v_threshold=1.0)))
    report = check_compatibility(graph, DT_S)
    # kernel memory: 8 * 2^(ceil log2 49 + ceil log2 128) = 8 * 2^13 = 65536 fits cores 5, 6 ...
    assert report.ok
    graph = _chain(*_conv_layer(0, 2, 16, 8), ("c1", Conv2d(np.ones((128, 16, 7, 7)), padding=3)),
                   ("p1", IF.create((128, 8, 8), v_threshold=1.0)))
    report = check_compatibility(graph, DT_S)
    # ... 16 input channels double it: 131072 entries, more than any core's 65536
    assert report.problems == [
        "layer 'p1' fits no core: needs kernel 131072, neuron 8192, bias 0 entries; even the closest, core 5, "
        "is short: kernel 131072 > 65536"
    ]


def test_layers_competing_for_two_big_cores_are_named():
    layers = []
    for i in range(3):  # three layers each needing a 64K kernel memory: only cores 5 and 6 have one
        layers += [(f"c{i}", Conv2d(np.ones((64, 64, 3, 3)), padding=1)),
                   (f"p{i}", IF.create((64, 4, 4), v_threshold=1.0))]
    report = check_compatibility(_chain(*layers, input_shape=(64, 4, 4)), DT_S)
    assert len(report.problems) == 1
    assert "layers 'p0', 'p1', 'p2' compete for cores [5, 6]" in report.problems[0]


def test_more_layers_than_cores():
    layers = []
    for i in range(10):
        layers += _conv_layer(i, 2, 2, 4)
    report = check_compatibility(_chain(*layers, input_shape=(2, 4, 4)), DT_S)
    assert report.problems == ["network has 10 layers; Speck has 9 cores"]


@pytest.mark.parametrize("layers, message", [
    ([("c", Conv2d(np.ones((2, 2, 3, 1)))), ("p", IF.create((2, 6, 8), v_threshold=1.0))], "kernel 3x1 is not square"),
    ([("c", Conv2d(np.ones((2, 2, 3, 3)), dilation=2)), ("p", IF.create((2, 4, 4), v_threshold=1.0))], "dilation"),
    ([("c", Conv2d(np.ones((2, 1, 3, 3)), groups=2)), ("p", IF.create((2, 6, 6), v_threshold=1.0))], "groups=2"),
    ([("c", Conv2d(np.ones((2, 2, 3, 3)), stride=3)), ("p", IF.create((2, 2, 2), v_threshold=1.0))], "stride"),
    ([*_conv_layer(0, 2, 2, 8), ("s", SumPool2d(2, stride=1))], "stride = kernel"),
    ([*_conv_layer(0, 2, 2, 8), ("s", SumPool2d(3))], "pools square windows of (1, 2, 4)"),
    ([("s", SumPool2d(2)), *_conv_layer(0, 2, 2, 4)], "DVS layer"),
    ([("c", Conv2d(np.ones((2, 2, 3, 3)), padding=1)),
      ("p", IF.create((2, 8, 8), v_threshold=np.linspace(1, 2, 128).reshape(2, 8, 8)))],
     "'v_threshold' differs within an output channel"),
    ([("c", Conv2d(np.ones((2, 2, 3, 3)), padding=1)),
      ("p", IF.create((2, 8, 8), v_threshold=1.0, r=np.linspace(1, 2, 128).reshape(2, 8, 8)))],
     "differs within an output channel"),
    ([("c", Conv2d(np.ones((2, 2, 3, 3)), padding=1)),
      ("p", IF.create((2, 8, 8), v_threshold=1.0, reset_mode="to_value", v_reset=0.5))], "resets to 0"),
    ([("c", Conv2d(np.ones((2, 2, 3, 3)), padding=1)),
      ("p", CubaLIF.create((2, 8, 8), tau_syn_s=5e-3, tau_mem_s=1e-2, v_threshold=1.0))], "synaptic current"),
    ([("c", Conv2d(np.ones((2, 2, 3, 3)), padding=1)),
      ("p", LIF.create((2, 8, 8), tau_mem_s=1e-2, v_threshold=1.0))], "--allow-leak-removal"),
    ([("c", Conv2d(np.ones((2, 2, 3, 3)), padding=1)), ("p", LI.create((2, 8, 8), tau_mem_s=1e-2))],
     "LI is not supported; Speck neurons are IAF"),
    ([*_conv_layer(0, 2, 2, 8), ("delay", Delay(np.full(128, 1e-3))), *_conv_layer(1, 2, 2, 8)], "axonal delays"),
    ([("f", Flatten()), ("d", Dense(np.ones((2, 128)), delay_s=np.full((2, 128), 2e-3))),
      ("p", IF.create(2, v_threshold=1.0))], "synaptic delays (up to 0.002 s)"),
    ([*_conv_layer(0, 2, 2, 8), ("s", SumPool2d(2)), ("f", Flatten())],
     "pooling between the last population and the output"),
    ([("c", Conv2d(np.ones((2, 2, 3, 3)), padding=(1, 0))), ("p", IF.create((2, 8, 6), v_threshold=1.0)),
      ("f", Flatten()), ("d", Dense(np.ones((3, 96)))), ("q", IF.create(3, v_threshold=1.0))], "8x6 kernel"),
])
def test_rules_name_node_and_rule(layers, message):
    report = check_compatibility(_chain(*layers), DT_S)
    assert not report.ok
    assert any(message in p for p in report.problems), report.problems


def test_dense_over_square_input_is_a_kernel_covering_it():
    report = check_compatibility(_chain(("f", Flatten()), ("d", Dense(np.arange(2 * 64 * 3.0).reshape(3, 128))),
                                        ("p", IF.create(3, v_threshold=1.0))), DT_S)
    assert report.ok
    assert report.layers[0].weight.shape == (3, 2, 8, 8)
    assert np.array_equal(report.layers[0].weight.reshape(3, -1), np.arange(2 * 64 * 3.0).reshape(3, 128))


def test_skip_edge_is_rejected_naming_the_merge():
    g = _chain(*_conv_layer(0, 2, 2, 8), *_conv_layer(1, 2, 2, 8))
    g = Graph(g.nodes, g.edges + (("p0", "p1"),))
    report = check_compatibility(g, DT_S)
    assert any("node 'p1' sums 2 sources" in p for p in report.problems), report.problems


def test_leak_removal_is_opt_in_recorded_and_folds_the_gain():
    tau, r, v_leak, weight, bias = 2e-2, 1.5, 0.25, 0.4, 30.0
    layers = [("d", Dense(np.full((2, 3), weight), bias=np.full(2, bias))),
              ("p", LIF.create(2, tau_mem_s=tau, v_threshold=1.0, r=r, v_leak=v_leak))]
    graph = _chain(*layers, input_shape=(3,))
    assert not check_compatibility(graph, DT_S).ok
    report = check_compatibility(graph, DT_S, allow_leak_removal=True)
    assert report.ok
    assert any("leak removed" in n and "'p'" in n for n in report.notes)
    plan = report.layers[0]
    np.testing.assert_allclose(plan.weight, weight * r / tau)  # dv = r w / tau per pulse
    np.testing.assert_allclose(plan.bias_per_step, (v_leak + r * bias) * DT_S / tau)


def test_if_bias_is_a_constant_current_integrated_over_a_step():
    graph = _chain(("d", Dense(np.ones((2, 3)), bias=np.array([100.0, -50.0]))),
                   ("p", IF.create(2, v_threshold=1.0, r=2.0)), input_shape=(3,))
    plan = check_compatibility(graph, dt_s=2e-3).layers[0]
    np.testing.assert_allclose(plan.bias_per_step, [100.0 * 2 * 2e-3, -50.0 * 2 * 2e-3])


def test_avg_pool_scales_the_next_layer_weights():
    def graph(pool):
        return _chain(*_conv_layer(0, 2, 2, 8), ("s", pool(2)), *_conv_layer(1, 2, 3, 4))

    plain, averaged = (check_compatibility(graph(kind), DT_S) for kind in (SumPool2d, AvgPool2d))
    np.testing.assert_allclose(averaged.layers[1].weight, plain.layers[1].weight / 4)
    assert averaged.layers[0].pool == plain.layers[0].pool == 2


def test_map_cores_gives_distinct_fitting_cores():
    layers = []
    for i, (c, f, hw) in enumerate([(2, 32, 32), (32, 64, 16), (64, 64, 8), (64, 10, 8)]):
        layers += _conv_layer(i, c, f, hw)
        if i < 2:
            layers.append((f"s{i}", SumPool2d(2)))
    report = check_compatibility(_chain(*layers, input_shape=(2, 32, 32)), DT_S)
    assert report.ok, report.problems
    cores = map_cores(report.layers)
    assert len(set(cores.values())) == 4
    assert all(p.memory.fits(SPECK.cores[cores[p.population]]) for p in report.layers)


def test_per_channel_thresholds_divide_the_weights():
    weight = np.arange(1.0, 7.0).reshape(2, 3)
    graph = _chain(("d", Dense(weight, bias=np.array([10.0, 20.0]))),
                   ("p", IF.create(2, v_threshold=[2.0, 4.0])), input_shape=(3,))
    report = check_compatibility(graph, DT_S)
    assert report.ok and any("thresholds 2..4 differ per channel" in n for n in report.notes)
    plan = report.layers[0]
    assert plan.threshold == 1.0
    np.testing.assert_allclose(plan.weight.reshape(2, 3), weight / np.array([[2.0], [4.0]]))
    np.testing.assert_allclose(plan.bias_per_step, np.array([10.0 / 2, 20.0 / 4]) * DT_S)
    bounded = _chain(("d", Dense(weight)), ("p", IF.create(2, v_threshold=[2.0, 4.0], metadata={"v_min": -1.0})),
                     input_shape=(3,))
    assert any("'v_min' is set" in p for p in check_compatibility(bounded, DT_S).problems)
