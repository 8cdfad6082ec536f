"""The spike-order dataset and the trainer's skip-layer, heterogeneous-neuron (mMND) networks."""
from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

from snn_deploy.errors import UnsupportedError
from snn_deploy.ir.graph import graphs_equal
from snn_deploy.ir.nodes import CubaLIF
from snn_deploy.reference.datasets import SPIKEORDER_CHANNELS, SPIKEORDER_JITTER, load
from snn_deploy.reference.evaluation import graph_first_spikes
from snn_deploy.reference.layered import LayeredNetwork, events_from_times, first_output_spikes, times_from_events
from snn_deploy.reference.simulator import simulate
from snn_deploy.reference.trainer import PRESETS, train

CONFIG = dataclasses.replace(PRESETS["spikeorder"], hidden=(6, 5), batch_size=20)


def test_spikeorder_is_deterministic_and_follows_its_rule() -> None:
    data, again = load("spikeorder"), load("spikeorder")
    (test_x, test_y), (again_x, again_y) = data.test(), again.test()
    assert data.train_x.shape == (2000, 4) and test_x.shape == (500, 4) and data.classes == 4
    for a, b in ((data.train_x, again.train_x), (test_x, again_x), (test_y, again_y)):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(data.train_x[:500], test_x)  # different seeds per split
    for x, y in ((data.train_x, data.train_y), (data.validation_x, data.validation_y), (test_x, test_y)):
        times = 1.0 - x  # latency coding: feature f fires at t_max (1 - f)
        slots = np.floor(times * SPIKEORDER_CHANNELS).astype(int)
        for row in slots:  # every channel fires once, each in its own slot (the jitter keeps spikes in their slot)
            assert sorted(row) == list(range(SPIKEORDER_CHANNELS))
        centre = (slots + 0.5) / SPIKEORDER_CHANNELS
        assert np.abs(times - centre).max() <= SPIKEORDER_JITTER / SPIKEORDER_CHANNELS
        for (a, b, c, d), label in zip(times, y):  # the rule, written out sample by sample
            assert label == (1 if a < b else 0) + (2 if c < d else 0)
        assert np.bincount(y, minlength=4).min() > 0.2 * y.size


def test_order_carries_the_label_counts_do_not() -> None:
    """Every order of the four channels occurs, and the label is a function of the order alone."""
    data = load("spikeorder")
    orders = np.argsort(1.0 - data.train_x, axis=1)
    label_of = {}
    for order, label in zip(map(tuple, orders), data.train_y):
        assert label_of.setdefault(order, label) == label
    assert set(label_of) == set(itertools.permutations(range(4)))


@pytest.fixture(scope="module")
def mmnd():
    return train(CONFIG, seed=3, epochs=2)


def test_mmnd_graph_has_skip_edges_and_heterogeneous_neurons(mmnd) -> None:
    graph = mmnd.graph
    assert set(graph.sources("lif2")) == {"fc2", "skip0_2"} and set(graph.sources("lif3")) == {"fc3", "skip1_3"}
    assert graph.sources("skip0_2") == ("input",) and graph.sources("skip1_3") == ("lif1",)
    draw = CONFIG.neurons
    for name, size in (("lif1", 6), ("lif2", 5), ("lif3", 4)):
        pop = graph.nodes[name]
        assert isinstance(pop, CubaLIF) and pop.size == size
        assert set(np.unique(pop.tau_mem_s)) <= set(draw.tau_mem_choices_s)
        assert np.all((pop.v_leak >= draw.v_leak_range[0]) & (pop.v_leak <= draw.v_leak_range[1]))
        assert np.all((pop.r >= draw.r_range[0]) & (pop.r <= draw.r_range[1]))
        assert np.unique(pop.v_leak).size == size  # drawn per neuron
    hyper = graph.metadata["hyperparameters"]
    assert [tuple(p) for p in hyper["skip"]] == [(0, 2), (1, 3)] and "neurons" in hyper


def test_mmnd_training_is_deterministic(mmnd) -> None:
    again = train(CONFIG, seed=3, epochs=2)
    assert graphs_equal(again.graph, mmnd.graph)


def test_layered_pass_of_mmnd_equals_general_simulator(mmnd) -> None:
    """The training engine's first output spikes are those of the event-driven simulator on the same graph."""
    data = load("spikeorder")
    inputs = CONFIG.encoding.encode(data.validation_x[:80])
    ours = first_output_spikes(LayeredNetwork.from_graph(mmnd.graph), inputs, 64)[0]
    spikes = simulate(mmnd.graph, events_from_times(inputs), record="outputs")["lif3"]
    times = times_from_events(spikes)
    reference = np.full(ours.shape, np.inf)
    reference[:times.shape[0]] = times[..., 0]
    assert np.array_equal(np.isfinite(ours), np.isfinite(reference)) and np.isfinite(ours).sum() > 20
    finite = np.isfinite(ours)
    np.testing.assert_allclose(ours[finite], reference[finite], rtol=0, atol=1e-9)
    np.testing.assert_array_equal(graph_first_spikes(mmnd.graph, inputs), ours)


def test_bad_skip_is_refused() -> None:
    with pytest.raises(UnsupportedError, match=r"skip projection \(1, 2\)"):
        dataclasses.replace(CONFIG, skip=((1, 2),)).projections()
