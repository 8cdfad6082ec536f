"""The Speck silence proof against the emulator: a layer whose positive weights round to 0 is named with that
reason (and its successor with the dead source); layers proved silent never fire on random count inputs."""
from __future__ import annotations

import numpy as np

from snn_deploy.emulate.speck import emulate
from snn_deploy.ir import IF, Dense, Graph, Input, Output
from snn_deploy.quantize.speck.quantizer import quantize
from snn_deploy.quantize.speck.reachability import silent_layers

DT_S = 1e-3


def _two_layers(w1: np.ndarray, w2: np.ndarray, b1=None, b2=None, threshold=10.0) -> Graph:
    return Graph(
        nodes={"in": Input((w1.shape[1],)), "fc1": Dense(w1, bias=b1), "h": IF.create(w1.shape[0], v_threshold=threshold),
               "fc2": Dense(w2, bias=b2), "o": IF.create(w2.shape[0], v_threshold=1.0), "out": Output((w2.shape[0],))},
        edges=[("in", "fc1"), ("fc1", "h"), ("h", "fc2"), ("fc2", "o"), ("o", "out")],
    )


def _spikes(quantization, raster: np.ndarray) -> dict[str, int]:
    traces = emulate(quantization.deployment, raster)
    return {name: int(trace.spikes.sum()) for name, trace in traces.items()}


def test_weights_rounded_to_zero_make_a_layer_and_its_successor_silent():
    w1 = np.full((8, 12), 3.0)
    w1[:, 0] = -1000.0
    q = quantize(_two_layers(w1, np.full((4, 8), 2.0)), DT_S)
    silent = {s.population: s for s in silent_layers(q.deployment, q.arrays)}
    assert list(silent) == ["h", "o"] and silent["h"].neurons == 8
    assert "rounded to 0" in silent["h"].reason and "up to 3" in silent["h"].reason
    assert silent["o"].reason.startswith("its positive weights come only from channels of 'h'")
    assert q.to_dict()["silent_populations"] == [s.to_dict() for s in silent.values()]
    raster = np.random.default_rng(0).integers(0, 4, (2, 200, 12)).astype(np.uint8)
    raster[:, :, 0] = 0
    assert _spikes(q, raster) == {"h": 0, "o": 0}


def test_one_live_feature_keeps_the_layer_reported_alive():
    w1 = np.full((2, 3), -1.0)
    w1[1, 2] = 0.5
    q = quantize(_two_layers(w1, np.full((2, 2), 1.0), threshold=1.0), DT_S)
    assert silent_layers(q.deployment, q.arrays) == []
    only_unit_2 = np.zeros((1, 50, 3), np.uint8)
    only_unit_2[:, :, 2] = 1
    assert _spikes(q, only_unit_2)["h"] > 0


def test_a_positive_bias_alone_makes_a_layer_able_to_fire():
    q = quantize(_two_layers(np.full((2, 3), -1.0), np.full((2, 2), -1.0), b1=np.array([0.0, 200.0]),
                             b2=np.array([0.0, 0.0]), threshold=1.0), DT_S)
    assert [s.population for s in silent_layers(q.deployment, q.arrays)] == ["o"]
    counts = _spikes(q, np.zeros((1, 30, 3), np.uint8))  # no input at all: the bias (0.2 per step) drives h
    assert counts["h"] >= 5 and counts["o"] == 0


def test_layers_proved_silent_never_fire_on_random_inputs():
    rng = np.random.default_rng(1)
    claimed = fired = 0
    for _ in range(60):
        w1 = rng.normal(-0.6, 1.0, (3, 4)) * (rng.random((3, 4)) < 0.6)
        w2 = rng.normal(-0.5, 1.0, (2, 3)) * (rng.random((2, 3)) < 0.6)
        b1, b2 = rng.normal(-0.3, 0.2, 3), rng.normal(-0.3, 0.2, 2)
        if not (np.any(w1) and np.any(w2)):
            continue
        q = quantize(_two_layers(w1, w2, b1, b2, threshold=1.0), DT_S)
        silent = [s.population for s in silent_layers(q.deployment, q.arrays)]
        counts = _spikes(q, rng.integers(0, 6, (4, 100, 4)).astype(np.uint8))
        assert all(counts[name] == 0 for name in silent), (silent, counts)
        claimed += len(silent)
        fired += sum(count > 0 for count in counts.values())
    assert claimed > 15 and fired > 15
