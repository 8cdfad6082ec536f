"""Tolerances derived from the model's time constants and the step (snn_deploy.check.tolerance)."""
from __future__ import annotations

import numpy as np
import pytest

from snn_deploy.check.tolerance import MIN_MATCH_FRACTION, derived_tolerances, fastest_time_constant_s, tolerance_steps
from snn_deploy.ir.graph import Graph
from snn_deploy.ir.nodes import IF, LIF, CubaLIF, Dense, Input, Output


def _chain(*pops) -> Graph:
    nodes, edges, prev = {"in": Input((2,))}, [], "in"
    for k, pop in enumerate(pops):
        nodes[f"w{k}"], nodes[f"p{k}"] = Dense(np.ones((2, 2))), pop
        edges += [(prev, f"w{k}"), (f"w{k}", f"p{k}")]
        prev = f"p{k}"
    nodes["out"] = Output((2,))
    return Graph(nodes, edges + [(prev, "out")]).validate()


@pytest.mark.parametrize("taus_s, dt_s, expected", [
    ((5e-3, 1e-2), 2.5e-5, 20),     # the Yin-Yang model at its selected step: 0.5 ms / 0.025 ms
    ((5e-3, 1e-2), 5e-5, 10),       # the same at 0.05 ms
    ((1.8e-4, 3.3e-4), 1e-4, 2),    # Braille at the NIR paper's step: the grid floor
    ((0.0, 2.5e-3), 1e-4, 3),       # a delta synapse has no time constant: tau_mem counts
    ((4e-3, 4e-3), 1e-4, 4),
])
def test_a_tenth_of_the_fastest_time_constant_with_a_two_step_floor(taus_s, dt_s, expected):
    tau_syn, tau_mem = taus_s
    pop = CubaLIF.create(2, tau_syn_s=tau_syn, tau_mem_s=tau_mem, v_threshold=1.0)
    assert tolerance_steps(_chain(pop), dt_s) == expected


def test_the_fastest_population_and_neuron_decide():
    slow = LIF.create(2, tau_mem_s=np.array([4e-2, 8e-2]), v_threshold=1.0)
    fast = CubaLIF.create(2, tau_syn_s=np.array([3e-3, 6e-4]), tau_mem_s=1e-2, v_threshold=1.0)
    graph = _chain(slow, fast)
    assert fastest_time_constant_s(graph) == 6e-4
    assert tolerance_steps(graph, 1e-5) == 6


def test_if_networks_get_the_floor_and_fixed_fractions():
    graph = _chain(IF.create(2, v_threshold=1.0))
    assert fastest_time_constant_s(graph) is None
    tol = derived_tolerances(graph, 1e-3)
    assert (tol.steps, tol.min_match) == (2.0, MIN_MATCH_FRACTION)
