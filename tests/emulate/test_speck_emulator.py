"""Speck integer emulator: conv against PyTorch's (restated in numpy, :mod:`tests.conv_oracle`), pooling against
sinabs's ``SumPool2d`` (run in the Sinabs engine interpreter), the IAF rule against hand-derived sequences."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snn_deploy.emulate.speck import _layer_trace, conv2d, emulate
from snn_deploy.errors import ModelFormatError
from snn_deploy.ir import IF, Dense, Graph, Input, Output
from snn_deploy.quantize.speck.deployment import SpeckDeployment, SpeckLayer
from snn_deploy.quantize.speck.quantizer import quantize
from tests.conv_oracle import conv2d as conv2d_oracle
from tests.engines import run_in_sinabs

POOL_SIZES = (1, 2, 4)


def _layer(threshold: int, min_v_mem: int, reset: str, weight=((1,),), pool: int = 1,
           in_shape=(1, 1, 1)) -> SpeckLayer:
    weight = np.asarray(weight, dtype=np.int64)
    if weight.ndim == 2:  # a Dense [f, c] over a 1 x 1 input
        weight = weight[:, :, None, None]
    return SpeckLayer(population="p", projection="d", kind="linear", in_shape=in_shape, weight=weight, stride=(1, 1),
                      padding=(0, 0), pool=pool, bias=np.zeros(len(weight), dtype=np.int64), threshold=threshold,
                      min_v_mem=min_v_mem, reset=reset, core=0, scale=1.0)


def _deployment(layer: SpeckLayer) -> SpeckDeployment:
    return SpeckDeployment(dt_s=1e-3, input_shape=layer.in_shape, layers=(layer,), outputs={"out": layer.population})


def _iaf_reference(u: list[int], threshold: int, reset: str, min_v_mem: int = -(2**15)) -> tuple[list, list]:
    """The IAF rule of the module docstring, one step at a time in Python integers."""
    v, spikes, vs = 0, [], []
    for x in u:
        v += x
        n = v // threshold if v > 0 else 0
        if n:
            v = v - n * threshold if reset == "subtract" else 0
        v = max(v, min_v_mem)
        spikes.append(n)
        vs.append(v)
    return spikes, vs


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 5), st.sampled_from([1, 2, 4]), st.integers(0, 3))
def test_conv2d_equals_the_torch_definition(seed, k, stride, padding):
    rng = np.random.default_rng(seed)
    frames = rng.integers(0, 4, (3, 2, 9, 9))
    weight = rng.integers(-128, 128, (4, 2, k, k))
    ours = conv2d(frames, weight, (stride, stride), (padding, padding))
    theirs = conv2d_oracle(frames, weight, stride=stride, padding=padding)
    assert theirs.dtype == np.int64 and np.array_equal(ours, theirs)


def _pooling_case(k: int):
    """One layer with pooling ``k``: its spikes ``[10, 3, 9, 10]`` and the emulator's pooled output."""
    rng = np.random.default_rng(k)
    layer = _layer(2, -(2**15), "subtract", weight=rng.integers(-3, 6, (3, 2, 1, 1)), pool=k, in_shape=(2, 9, 10))
    frames = rng.integers(0, 4, (2, 5, 2, 9, 10))
    trace, pooled = _layer_trace(layer, frames, record_state=False)
    return trace.spikes.reshape(10, 3, 9, 10), pooled


@pytest.fixture(scope="module")
def sinabs_sum_pool():
    """sinabs's ``SumPool2d(k)`` of each pooling case's spikes, all in one Sinabs engine process."""
    code = (
        "import torch, sinabs.layers as sl\n"
        "for key, spikes in inputs.items():\n"
        "    outputs[key] = sl.SumPool2d(int(key))(torch.from_numpy(spikes.astype('float64'))).numpy()\n"
    )
    return run_in_sinabs(code, {str(k): _pooling_case(k)[0] for k in POOL_SIZES})


@pytest.mark.sinabs
@pytest.mark.parametrize("k", POOL_SIZES)
def test_pooling_equals_sinabs_sum_pool(k, sinabs_sum_pool):
    spikes, pooled = _pooling_case(k)
    assert spikes.any()
    theirs = sinabs_sum_pool[str(k)]
    assert theirs.shape == (10, 3, 9 // k, 10 // k)
    assert np.array_equal(pooled.reshape(theirs.shape), theirs)


@pytest.mark.parametrize("reset, spikes, v", [
    # threshold 3, low bound -2, input 7, 0, -5, 2, 4 (derived by hand from the rule in the module docstring)
    ("subtract", [2, 0, 0, 0, 1], [1, 1, -2, 0, 1]),
    ("to_zero", [2, 0, 0, 0, 1], [0, 0, -2, 0, 0]),
])
def test_iaf_multispike_reset_and_low_bound(reset, spikes, v):
    # two input units with weights +1 and -1 make u = 7, 0, -5, 2, 4
    raster = np.array([[7, 0], [0, 0], [0, 5], [2, 0], [4, 0]], dtype=np.uint8)[None]
    trace = emulate(_deployment(_layer(3, -2, reset, weight=[[1, -1]], in_shape=(2, 1, 1))), raster, True)["p"]
    assert trace.u.reshape(-1).tolist() == [7, 0, -5, 2, 4]
    assert trace.spikes.reshape(-1).tolist() == spikes
    assert trace.v.reshape(-1).tolist() == v
    assert trace.state_overflow == 0


def test_state_overflow_is_counted_not_clipped():
    raster = np.full((1, 4, 1), 200, dtype=np.uint8)  # u = 20000; v: 20000, 40000 (over), 27233, 47233 (over)
    trace = emulate(_deployment(_layer(32767, -(2**15), "subtract", weight=[[100]])), raster, True)["p"]
    assert trace.state_overflow == 2
    assert trace.spikes.reshape(-1).tolist() == [0, 1, 0, 1]
    assert trace.v.reshape(-1).tolist() == [20000, 40000 - 32767, 27233, 47233 - 32767]


@pytest.mark.parametrize("inputs, narrow, dtype", [(1, np.uint8, np.int16), (2, np.int16, np.int32)])
def test_counts_beyond_a_narrow_type_are_kept_exactly(inputs, narrow, dtype):
    """Threshold 1: every unit of v is a spike; 255 x 127 per input unit needs int16, two units int32."""
    rng = np.random.default_rng(inputs)
    raster = rng.integers(0, 256, (2, 6, inputs)).astype(np.uint8)
    layer = _layer(1, -(2**15), "subtract", weight=[[127] * inputs], in_shape=(inputs, 1, 1))
    trace = emulate(_deployment(layer), raster)["p"]
    assert trace.spikes.dtype == dtype
    for b in range(2):
        expected, _ = _iaf_reference((raster[b].astype(np.int64) * 127).sum(axis=1).tolist(), 1, "subtract")
        assert trace.spikes[b].reshape(-1).tolist() == expected
    assert trace.spikes.max() > np.iinfo(narrow).max


def test_threshold_below_one_is_rejected():
    with pytest.raises(ModelFormatError, match="threshold 0"):
        emulate(_deployment(_layer(0, -(2**15), "subtract")), np.ones((1, 2, 1), np.uint8))


def test_a_spike_crosses_all_layers_in_its_own_step_and_samples_are_independent():
    graph = Graph(
        {"in": Input((1,)), "d1": Dense([[1.0]]), "p1": IF.create(1, v_threshold=1.0),
         "d2": Dense([[1.0]]), "p2": IF.create(1, v_threshold=1.0), "out": Output(())},
        [("in", "d1"), ("d1", "p1"), ("p1", "d2"), ("d2", "p2"), ("p2", "out")],
    )
    deployment = quantize(graph, 1e-3).deployment
    raster = np.zeros((3, 6, 1), dtype=np.uint8)
    raster[0, 2] = 1
    raster[2, 4] = 3
    out = emulate(deployment, raster)["p2"].spikes.reshape(3, 6)
    assert out.tolist() == [[0, 0, 1, 0, 0, 0], [0] * 6, [0, 0, 0, 0, 3, 0]]
    for b in range(3):
        alone = emulate(deployment, raster[b:b + 1])["p2"].spikes.reshape(6)
        assert np.array_equal(alone, out[b])


def test_conv2d_is_exact_beyond_float32_integers():
    """Sums over 2^24 (beyond float32's integers) are exact; checked against an int64 reference."""
    rng = np.random.default_rng(1)
    frames = rng.integers(200, 256, (2, 64, 5, 5))
    weight = rng.choice([-128, 127], (3, 64, 4, 4))
    weight[0] = 127  # channel 0: every partial sum grows to 64 * 16 * 127 * 255 > 2^24
    windows = np.lib.stride_tricks.sliding_window_view(frames, (4, 4), axis=(2, 3))  # [n, c, 2, 2, 4, 4]
    reference = np.einsum("ncijkl,fckl->nfij", windows, weight)
    assert reference.max() > 2**24
    assert np.array_equal(conv2d(frames, weight, (1, 1), (0, 0)), reference)
