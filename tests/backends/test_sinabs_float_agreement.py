"""Quantized cnn_sinabs.nir against sinabs's own float model of the same NIR file (``sinabs.from_nir``).

``sinabs.from_nir`` imports nirtorch and ``sinabs.layers`` only (no samna). It gives every NIR ``IF`` a low
bound ``min_v_mem = -v_threshold`` and a reset by subtraction (``MembraneSubtract``), choices of sinabs's
importer that this NIR 1.0.4-era file does not carry (current NIR reads it as a reset to 0); the IR graph gets
the same bound (``metadata["v_min"]``) and reset so both models mean the same thing. Per-neuron spike counts over a
random input must correlate at >= 0.95 in every layer. sinabs (with its own nir 1.0.4) runs in the Sinabs engine
interpreter (:mod:`tests.engines`), once for both tests.
"""
from __future__ import annotations

import numpy as np
import pytest

from snn_deploy.emulate.speck import emulate
from snn_deploy.ir import IF, Graph
from snn_deploy.quantize.speck.quantizer import quantize
from tests.engines import run_in_sinabs

BATCH, STEPS, DENSITY = 4, 120, 0.05

#: per-neuron spike counts ``[batch, neurons]`` of every IAF layer of ``sinabs.from_nir``, by NIR node name
_FROM_NIR_COUNTS = """
import nir, sinabs, torch
import sinabs.layers as sl
batch, steps = (int(n) for n in inputs["batch_steps"])
model = sinabs.from_nir(nir.read(str(inputs["path"])), batch_size=batch)
for name, module in model.named_modules():
    if isinstance(module, sl.IAFSqueeze):
        key = name.split(".")[-1]
        module.register_forward_hook(
            lambda _m, _i, out, key=key: outputs.__setitem__(key, out.numpy().reshape(batch, steps, -1).sum(1)))
with torch.no_grad():
    model(torch.from_numpy(inputs["raster"].astype(np.float32)).reshape(batch * steps, 2, 34, 34))
"""


def _as_sinabs_imports(shared_models) -> Graph:
    """cnn_sinabs.nir with every IF resetting by subtraction, as ``sinabs.from_nir`` builds it."""
    from snn_deploy.ir.io import load

    graph = load(shared_models / "cnn_sinabs.nir")
    return Graph({name: node.replace(reset_mode="subtract") if isinstance(node, IF) else node
                  for name, node in graph.nodes.items()}, graph.edges, graph.metadata)


def _raster() -> np.ndarray:
    rng = np.random.default_rng(11)
    return (rng.random((BATCH, STEPS, 2 * 34 * 34)) < DENSITY).astype(np.uint8)


@pytest.fixture(scope="module")
def float_counts(shared_models) -> dict[str, np.ndarray]:
    """sinabs's float model of cnn_sinabs.nir on :func:`_raster`, run once in the Sinabs engine interpreter."""
    return run_in_sinabs(_FROM_NIR_COUNTS, {"path": np.array(str(shared_models / "cnn_sinabs.nir")),
                                            "raster": _raster(), "batch_steps": np.array([BATCH, STEPS])})


@pytest.mark.sinabs
def test_spike_counts_agree_with_sinabs_float_model(shared_models, float_counts):
    graph = _as_sinabs_imports(shared_models)
    bounded = Graph({name: node.replace(metadata={**node.metadata, "v_min": -float(node.v_threshold.flat[0])})
                     if isinstance(node, IF) else node for name, node in graph.nodes.items()},
                    graph.edges, graph.metadata)
    raster = _raster()
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


@pytest.mark.sinabs
def test_without_the_low_bound_the_models_differ(shared_models, float_counts):
    """The IR's IF has no low bound; compiled as is, the deeper layers drift from sinabs's bounded import."""
    deployment = quantize(_as_sinabs_imports(shared_models)).deployment
    assert all(layer.min_v_mem == -(2**15) for layer in deployment.layers)
    output = deployment.layers[-1].population
    ours = emulate(deployment, _raster())[output].spikes.reshape(BATCH, STEPS, -1).sum(1).reshape(-1)
    assert float_counts[output].sum() > 0
    assert np.corrcoef(ours, float_counts[output].reshape(-1))[0, 1] < 0.9
