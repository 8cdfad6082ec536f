"""Quantized cnn_sinabs.nir against sinabs's own float model of the same NIR file (``sinabs.from_nir``).

``sinabs.from_nir`` imports nirtorch and ``sinabs.layers`` only (no samna). It gives every NIR ``IF`` a low
bound ``min_v_mem = -v_threshold``, a choice of sinabs's importer that NIR does not carry; the IR graph gets
the same bound (``metadata["v_min"]``) so both models mean the same thing. Per-neuron spike counts over a
random input must correlate at >= 0.95 in every layer.
"""
from __future__ import annotations

import numpy as np

from snn_deploy.emulate.speck import emulate
from snn_deploy.ir import IF, Graph
from snn_deploy.quantize.speck.quantizer import quantize

BATCH, STEPS, DENSITY = 4, 120, 0.05


def _sinabs_float_counts(nir_path, raster: np.ndarray) -> dict[str, np.ndarray]:
    """Per-neuron spike counts ``[batch, neurons]`` of every IAF layer of ``sinabs.from_nir``, by NIR node name."""
    import nir
    import sinabs
    import sinabs.layers as sl
    import torch

    model = sinabs.from_nir(nir.read(nir_path), batch_size=BATCH)
    counts: dict[str, np.ndarray] = {}
    for name, module in model.named_modules():
        if isinstance(module, sl.IAFSqueeze):
            key = name.split(".")[-1]
            module.register_forward_hook(
                lambda _m, _i, out, key=key: counts.__setitem__(key, out.numpy().reshape(BATCH, STEPS, -1).sum(1)))
    with torch.no_grad():
        model(torch.from_numpy(raster.astype(np.float32)).reshape(BATCH * STEPS, 2, 34, 34))
    return counts


def test_spike_counts_agree_with_sinabs_float_model(shared_models):
    from snn_deploy.ir.io import load

    path = shared_models / "cnn_sinabs.nir"
    graph = load(path)
    bounded = Graph({name: node.replace(metadata={**node.metadata, "v_min": -float(node.v_threshold.flat[0])})
                     if isinstance(node, IF) else node for name, node in graph.nodes.items()},
                    graph.edges, graph.metadata)
    rng = np.random.default_rng(11)
    raster = (rng.random((BATCH, STEPS, 2 * 34 * 34)) < DENSITY).astype(np.uint8)
    float_counts = _sinabs_float_counts(path, raster)
    traces = emulate(quantize(bounded).deployment, raster)
    assert set(float_counts) == set(traces)
    correlations = {}
    for name, trace in traces.items():
        ours = trace.spikes.reshape(BATCH, STEPS, -1).sum(1).reshape(-1)
        theirs = float_counts[name].reshape(-1)
        assert theirs.sum() > 0
        correlations[name] = float(np.corrcoef(ours, theirs)[0, 1])
    print("per-layer spike-count correlation with sinabs.from_nir:", correlations)
    assert min(correlations.values()) >= 0.95, correlations


def test_without_the_low_bound_the_models_differ(shared_models):
    """The IR's IF has no low bound; compiled as is, the deeper layers drift from sinabs's bounded import."""
    from snn_deploy.ir.io import load

    path = shared_models / "cnn_sinabs.nir"
    rng = np.random.default_rng(11)
    raster = (rng.random((BATCH, STEPS, 2 * 34 * 34)) < DENSITY).astype(np.uint8)
    float_counts = _sinabs_float_counts(path, raster)
    deployment = quantize(load(path)).deployment
    assert all(layer.min_v_mem == -(2**15) for layer in deployment.layers)
    output = deployment.layers[-1].population
    ours = emulate(deployment, raster)[output].spikes.reshape(BATCH, STEPS, -1).sum(1).reshape(-1)
    assert np.corrcoef(ours, float_counts[output].reshape(-1))[0, 1] < 0.9
