"""Graph structure: recurrent-edge detection, topological order, validation messages, shape inference."""
from __future__ import annotations

import numpy as np
import pytest

from snn_deploy.errors import GraphValidationError
from snn_deploy.ir import IF, Conv2d, CoupledLIF, CubaLIF, Dense, Flatten, Graph, Input, Output, SumPool2d


def _recurrent_graph() -> Graph:
    return Graph(
        nodes={
            "in": Input((3,)),
            "fc": Dense(np.ones((4, 3))),
            "lif": CubaLIF.create(4, tau_syn_s=5e-3, tau_mem_s=1e-2, v_threshold=1.0),
            "rec": Dense(np.eye(4)),
            "skip": Dense(np.ones((2, 3))),
            "fc2": Dense(np.ones((2, 4))),
            "out_pop": CubaLIF.create(2, tau_syn_s=0.0, tau_mem_s=1e-2, v_threshold=1.0),
            "out": Output((2,)),
        },
        edges=[("in", "fc"), ("fc", "lif"), ("lif", "rec"), ("rec", "lif"), ("lif", "fc2"),
               ("in", "skip"), ("skip", "out_pop"), ("fc2", "out_pop"), ("out_pop", "out")],
    )


def test_recurrent_edges_are_back_edges_and_order_is_topological():
    graph = _recurrent_graph().validate()
    assert graph.recurrent_edges() == {("rec", "lif")}
    order = graph.topological_order()
    for source, target in graph.feedforward_edges():
        assert order.index(source) < order.index(target)
    assert graph.shapes()["out_pop"] == (2,)


def test_population_broadcasts_scalars_and_freezes_arrays():
    pop = CubaLIF.create((2, 3), tau_syn_s=1e-3, tau_mem_s=2e-3, v_threshold=[1.0, 2.0, 3.0])
    assert pop.shape == (2, 3) and pop.v_threshold[1, 2] == 3.0 and pop.r.shape == (2, 3)
    with pytest.raises(ValueError):
        pop.v_threshold[0, 0] = 5.0


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda n, e: (n | {"fc": Dense(np.ones((4, 5)))}, e), "node 'fc': parameter 'weight' expects 5 inputs"),
        (lambda n, e: (n | {"lif": n["lif"].replace(tau_mem_s=-np.ones(4))}, e), "'tau_mem_s' must be > 0"),
        (lambda n, e: (n | {"lif": n["lif"].replace(v_threshold=np.full(4, np.nan))}, e), "'v_threshold' has NaN"),
        (lambda n, e: (n, e + [("lif", "ghost")]), "no node named 'ghost'"),
        (lambda n, e: (n | {"a": Dense(np.eye(3))}, e + [("in", "a"), ("a", "a")]), "algebraic loop"),
    ],
)
def test_validation_names_node_and_parameter(mutate, message):
    base = _recurrent_graph()
    nodes, edges = mutate(dict(base.nodes), list(base.edges))
    with pytest.raises(GraphValidationError, match=message):
        Graph(nodes, edges).validate()


def test_coupling_needs_zero_diagonal():
    coupling = np.ones((3, 3))
    pop = CoupledLIF.create(3, tau_syn_s=0, tau_mem_s=1e-2, v_threshold=1, coupling=coupling)
    graph = Graph({"in": Input((3,)), "fc": Dense(np.eye(3)), "p": pop, "out": Output((3,))},
                  [("in", "fc"), ("fc", "p"), ("p", "out")])
    with pytest.raises(GraphValidationError, match="node 'p': parameter 'coupling' must have a zero diagonal"):
        graph.validate()


def test_conv_pool_flatten_shapes_follow_pytorch():
    graph = Graph(
        nodes={
            "in": Input((2, 34, 34)),
            "conv": Conv2d(np.zeros((16, 2, 5, 5)), stride=2, padding=2),
            "if1": IF.create((16, 17, 17), v_threshold=1.0),
            "pool": SumPool2d(kernel_size=2),
            "flat": Flatten(),
            "fc": Dense(np.zeros((10, 16 * 8 * 8))),
            "if2": IF.create(10, v_threshold=1.0),
            "out": Output((10,)),
        },
        edges=[("in", "conv"), ("conv", "if1"), ("if1", "pool"), ("pool", "flat"), ("flat", "fc"),
               ("fc", "if2"), ("if2", "out")],
    )
    shapes = graph.validate().shapes()
    assert shapes["conv"] == (16, 17, 17) and shapes["pool"] == (16, 8, 8) and shapes["flat"] == (1024,)
