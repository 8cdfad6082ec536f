r"""Bit-accurate integer emulation of a :class:`SpeckDeployment`, batched over samples.

Layer after layer, as sinabs's ``nn.Sequential`` forward does (a spike of layer 1 at step ``t`` drives
layer 2 at step ``t``): per frame (one sample's step) the conv of the layer's input spike counts plus the
bias (:func:`conv2d`), then the IAF update of every neuron (:mod:`snn_deploy.quantize.speck.spec`)::

    v += u_t;  n_t = floor(v / threshold) if v > 0 else 0;  v -= n_t threshold  (or v = 0 where n_t > 0);
    v = max(v, min_v_mem)

with ``u_t`` the conv output plus bias, then sum pooling of the spike counts (``pool x pool`` windows,
stride ``pool``, rows and columns past the last full window dropped) into the next layer's input.
Everything is exact integer arithmetic in int64: a conv sum has at most ``c k^2 < 2^25`` terms of an 8-bit
weight times a count below ``2^31``, so it stays below ``2^63``. How often ``v + u_t`` leaves the 16-bit
range is counted per layer (``state_overflow``): sinabs does not model that overflow, the chip's 16-bit
state would.

How it runs (``benchmarks/bench_speck_vs_sinabs.py``): the conv is event driven, as the chip is: each
non-zero input count adds ``count x`` the kernel column of every output position it reaches (work
proportional to input spikes x features x kernel area, not to positions x kernel area, and no float
rounding to bound, unlike a float32 conv over every position). One compiled kernel (:func:`_run_layer`)
runs a layer's conv, IAF and pooling frame by frame over a sample's steps, with the state in cache and no
``u`` array unless it is recorded; samples run on one thread per core
(:func:`snn_deploy.parallel.map_batches`). Spike counts are stored in the narrowest integer type
that holds them (:data:`SPIKE_DTYPES`): the large per-layer arrays cost more to allocate than to compute.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numba
import numpy as np

from snn_deploy.errors import ModelFormatError, UnsupportedError
from snn_deploy.ir.shapes import conv2d_output_hw
from snn_deploy.parallel import map_batches
from snn_deploy.quantize.speck.deployment import SpeckDeployment, SpeckLayer
from snn_deploy.quantize.spec_check import same_spec
from snn_deploy.quantize.speck.spec import SPECK, SpeckSpec

#: the types spike counts (per neuron and step) are stored in, narrowest first
SPIKE_DTYPES = (np.uint8, np.int16, np.int32)


@dataclass(frozen=True)
class LayerTrace:
    """A layer's ``[batch, steps, f, h, w]`` spike counts, and with ``record_state`` its ``v`` and input ``u``."""

    spikes: np.ndarray
    v: np.ndarray | None
    u: np.ndarray | None
    state_overflow: int


@numba.njit(cache=True, nogil=True)
def _conv_frame(frame, kernel, stride_y, stride_x, pad_y, pad_x, u):  # pragma: no cover - compiled
    """``u[:, oy, ox] += sum_{c, ky, kx} frame[c, y, x] kernel[c, ky, kx, :]`` with ``y = oy s_y - p_y + ky``.

    PyTorch's ``conv2d`` (cross-correlation, zero padding) of one ``[c, h, w]`` frame, scattered from the
    non-zero inputs: input ``(y, x)`` reaches the outputs ``oy`` with ``0 <= y + p_y - oy s_y < k_h``.
    ``kernel`` is the weight as ``[c, k_h, k_w, f]``, ``u`` is ``[f, h_out, w_out]``.
    """
    channels, height, width = frame.shape
    k_h, k_w = kernel.shape[1], kernel.shape[2]
    features, h_out, w_out = u.shape
    for c in range(channels):
        for y in range(height):
            oy_first = max(0, -((k_h - 1 - y - pad_y) // stride_y))  # ceil((y + p - k + 1) / s)
            oy_last = min(h_out - 1, (y + pad_y) // stride_y)
            for x in range(width):
                count = np.int64(frame[c, y, x])
                if count == 0:
                    continue
                ox_first = max(0, -((k_w - 1 - x - pad_x) // stride_x))
                ox_last = min(w_out - 1, (x + pad_x) // stride_x)
                for oy in range(oy_first, oy_last + 1):
                    ky = y + pad_y - oy * stride_y
                    for ox in range(ox_first, ox_last + 1):
                        column = kernel[c, ky, x + pad_x - ox * stride_x]
                        for f in range(features):
                            u[f, oy, ox] += count * column[f]


@numba.njit(cache=True, nogil=True)
def _iaf_frame(v, u, threshold, min_v_mem, subtract, state_low, state_high, spikes):  # pragma: no cover
    """One IAF step (module docstring) of the neurons ``v`` given input ``u`` (1-d), in place.

    Writes the spike counts to ``spikes``; returns (how many ``v + u`` left ``[state_low, state_high]``,
    the largest count).
    """
    overflow = 0
    largest = 0
    for i in range(v.size):
        value = v[i] + u[i]
        overflow += (value < state_low) | (value > state_high)
        count = value // threshold if value > 0 and value >= threshold else 0
        if count > 0:
            value = value - count * threshold if subtract else 0
        v[i] = max(value, min_v_mem)
        spikes[i] = count
        largest = max(largest, count)
    return overflow, largest


class LayerArrays(NamedTuple):
    """One layer as the kernel reads it: conv ``kernel`` (:func:`_kernel`), geometry, bias and IAF integers."""

    kernel: np.ndarray
    stride: tuple[int, int]
    padding: tuple[int, int]
    bias: np.ndarray
    threshold: int
    min_v_mem: int
    subtract: bool
    state_range: tuple[int, int]  #: the spec's state range, for the overflow count
    pool: int


class LayerRecords(NamedTuple):
    """What :func:`_run_layer` writes: ``spikes`` ``[batch, steps, f, h_out, w_out]``, their ``pool x pool``
    sums ``pooled``, ``v`` and ``u`` like ``spikes`` (no steps: not recorded), per sample (overflows, largest
    count) ``stats``."""

    spikes: np.ndarray
    pooled: np.ndarray
    v: np.ndarray
    u: np.ndarray
    stats: np.ndarray


@numba.njit(cache=True, nogil=True)
def _sum_pool(counts, pool, out):  # pragma: no cover - compiled
    """``out[f, y, x] = sum of counts[f, y*pool:(y+1)*pool, x*pool:(x+1)*pool]`` (windows past the edge dropped)."""
    for f in range(out.shape[0]):
        for y in range(out.shape[1]):
            for x in range(out.shape[2]):
                total = 0
                for dy in range(pool):
                    for dx in range(pool):
                        total += counts[f, y * pool + dy, x * pool + dx]
                out[f, y, x] = total


@numba.njit(cache=True, nogil=True)
def _run_layer(frames, layer, out):  # pragma: no cover - compiled
    """Conv, IAF and sum pooling of every frame of ``frames`` ``[batch, steps, c, h, w]`` (counts), per sample,
    for ``layer`` (:class:`LayerArrays`) into ``out`` (:class:`LayerRecords`)."""
    spikes, pooled, v_record, u_record, stats = out
    state_low, state_high = layer.state_range
    batch, steps = frames.shape[:2]
    features, h_out, w_out = spikes.shape[2:]
    record_state = v_record.shape[1] > 0
    v = np.zeros(features * h_out * w_out, np.int64)
    u = np.zeros((features, h_out, w_out), np.int64)
    counts = np.zeros((features, h_out, w_out), np.int64)
    for b in range(batch):
        v[:] = 0
        for t in range(steps):
            for f in range(features):
                u[f] = layer.bias[f]
            _conv_frame(frames[b, t], layer.kernel, layer.stride[0], layer.stride[1], layer.padding[0],
                        layer.padding[1], u)
            overflow, largest = _iaf_frame(v, u.ravel(), layer.threshold, layer.min_v_mem, layer.subtract, state_low,
                                           state_high, counts.ravel())
            stats[b, 0] += overflow
            stats[b, 1] = max(stats[b, 1], largest)
            spikes[b, t] = counts
            _sum_pool(counts, layer.pool, pooled[b, t])
            if record_state:
                v_record[b, t] = v.reshape(features, h_out, w_out)
                u_record[b, t] = u


@numba.njit(cache=True, nogil=True)
def _conv_frames(frames, kernel, stride, padding, out):  # pragma: no cover - compiled
    for n in range(frames.shape[0]):
        _conv_frame(frames[n], kernel, stride[0], stride[1], padding[0], padding[1], out[n])


def _kernel(weight: np.ndarray) -> np.ndarray:
    """``[f, c, k_h, k_w]`` integer weights as the ``[c, k_h, k_w, f]`` columns :func:`_conv_frame` adds."""
    return np.ascontiguousarray(np.asarray(weight, np.int64).transpose(1, 2, 3, 0))


def conv2d(frames: np.ndarray, weight: np.ndarray, stride: tuple[int, int], padding: tuple[int, int]
           ) -> np.ndarray:
    """``[n, c, h, w] * [f, c, k, k] -> [n, f, ho, wo]`` integer cross-correlation (PyTorch's ``conv2d``), exact.

    Event driven (:func:`_conv_frame`), in int64.
    """
    f, _, k_h, k_w = weight.shape
    h_out, w_out = conv2d_output_hw(frames.shape[2:], (k_h, k_w), stride, padding)
    out = np.zeros((len(frames), f, h_out, w_out), np.int64)
    _conv_frames(np.ascontiguousarray(frames), _kernel(weight), tuple(map(int, stride)), tuple(map(int, padding)),
                 out)
    return out


def _layer_trace(layer: SpeckLayer, frames: np.ndarray, record_state: bool, spec: SpeckSpec = SPECK
                 ) -> tuple[LayerTrace, np.ndarray]:
    """Run one layer on its input counts ``frames`` ``[batch, steps, c, h, w]``.

    Returns its trace and its pooled spike counts (the next layer's input; the spikes themselves when it does
    not pool). Counts are kept in the narrowest of :data:`SPIKE_DTYPES` that holds them: the layer is run again
    with a wider type when one step's count does not fit.
    """
    if layer.threshold < 1:
        raise ModelFormatError(f"speck layer '{layer.population}': threshold {layer.threshold} < 1")
    batch, steps = frames.shape[:2]
    f, h, w = layer.neuron_shape
    arrays = LayerArrays(kernel=_kernel(layer.weight), stride=tuple(map(int, layer.stride)),
                         padding=tuple(map(int, layer.padding)), bias=np.asarray(layer.bias, np.int64),
                         threshold=int(layer.threshold), min_v_mem=int(layer.min_v_mem),
                         subtract=layer.reset == "subtract", state_range=tuple(map(int, spec.state_range)),
                         pool=int(layer.pool))
    v = np.empty((batch, steps, f, h, w) if record_state else (batch, 0, 0, 0, 0), np.int64)
    u = np.empty_like(v)
    for dtype in SPIKE_DTYPES:
        spikes = np.empty((batch, steps, f, h, w), dtype)
        pooled = spikes if layer.pool == 1 else np.empty(  # sums of at most 4 x 4 counts
            (batch, steps, *layer.pooled_shape), np.int64 if dtype == np.int32 else np.int32)
        stats = np.zeros((batch, 2), np.int64)
        map_batches(lambda s: _run_layer(frames[s], arrays, LayerRecords(spikes[s], pooled[s], v[s], u[s],
                                                                          stats[s])), batch)
        largest = int(stats[:, 1].max(initial=0))
        if largest <= np.iinfo(dtype).max:
            trace = LayerTrace(spikes, v if record_state else None, u if record_state else None,
                               int(stats[:, 0].sum()))
            return trace, pooled
    raise UnsupportedError(f"speck layer '{layer.population}': {largest} spikes of one neuron in one step")


def emulate(deployment: SpeckDeployment, raster: np.ndarray, record_state: bool = False,
            spec: SpeckSpec | None = None) -> dict[str, LayerTrace]:
    """Run ``raster`` (``[batch, steps, units]`` input spike counts, units in C, H, W order) through every layer.

    Returns each population's :class:`LayerTrace`, in layer order. ``spec``: the deployment's own
    (:attr:`SpeckDeployment.spec`) when None; another one is refused (:class:`UnsupportedError`).
    """
    spec = same_spec(deployment.spec, spec, "Speck")
    batch, steps, _ = raster.shape
    frames = np.ascontiguousarray(raster).reshape(batch, steps, *deployment.input_shape)
    traces: dict[str, LayerTrace] = {}
    for layer in deployment.layers:
        traces[layer.population], frames = _layer_trace(layer, frames.reshape(batch, steps, *layer.in_shape),
                                                        record_state, spec)
    return traces
