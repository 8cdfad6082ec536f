r"""Bit-accurate integer emulation of a :class:`SpeckDeployment`, batched over samples and time steps.

Layer after layer, as sinabs's ``nn.Sequential`` forward does (a spike of layer 1 at step ``t`` drives
layer 2 at step ``t``): the conv of all ``batch x steps`` input frames at once (integers, exactly: see
:func:`conv2d`), then the IAF recursion over steps, per neuron (:mod:`snn_deploy.quantize.speck.spec`)::

    v += u_t;  n_t = floor(v / threshold) if v > 0 else 0;  v -= n_t threshold  (or v = 0 where n_t > 0);
    v = max(v, min_v_mem)

with ``u_t`` the conv output plus bias, then sum pooling of the spike counts. The state is kept in int64;
how often ``v + u_t`` leaves the 16-bit range is counted per layer (``state_overflow``): sinabs does not
model that overflow, the chip's 16-bit state would.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from snn_deploy.quantize.speck.deployment import SpeckDeployment, SpeckLayer
from snn_deploy.quantize.speck.spec import SPECK


@dataclass(frozen=True)
class LayerTrace:
    """A layer's ``[batch, steps, f, h, w]`` spike counts, and with ``record_state`` its ``v`` and input ``u``."""

    spikes: np.ndarray
    v: np.ndarray | None
    u: np.ndarray | None
    state_overflow: int


def conv2d(frames: np.ndarray, weight: np.ndarray, stride: tuple[int, int], padding: tuple[int, int]
           ) -> np.ndarray:
    """``[n, c, h, w] * [f, c, k, k] -> [n, f, ho, wo]`` integer cross-correlation (PyTorch's ``conv2d``), exact.

    A kernel covering the whole unpadded input (a Dense) is a float64 matrix product (exact below
    :math:`2^{53}`). Other convs run in torch on the CPU (2-6x faster than a numpy im2col product on
    cnn_sinabs.nir, see ``benchmarks/bench_speck_vs_sinabs.py``): in float32 when every partial sum is
    provably below :math:`2^{24}` (``max_f sum |w_f| * max |x|``), else in float64.
    """
    n = len(frames)
    f = len(weight)
    if frames.shape[2:] == weight.shape[2:] and tuple(padding) == (0, 0):
        product = frames.reshape(n, -1).astype(np.float64) @ weight.reshape(f, -1).T.astype(np.float64)
        return product.astype(np.int64).reshape(n, f, 1, 1)
    bound = float(np.abs(weight).reshape(f, -1).sum(axis=1).max()) * float(np.abs(frames).max(initial=0))
    dtype = torch.float32 if bound < 2**24 else torch.float64
    out = torch.nn.functional.conv2d(torch.from_numpy(np.ascontiguousarray(frames)).to(dtype),
                                     torch.from_numpy(np.ascontiguousarray(weight)).to(dtype),
                                     stride=tuple(stride), padding=tuple(padding))
    return out.numpy().astype(np.int64)


def sum_pool(frames: np.ndarray, k: int) -> np.ndarray:
    """Sum over ``k x k`` windows with stride ``k`` (rows and columns past the last full window dropped)."""
    if k == 1:
        return frames
    n, c, h, w = frames.shape
    ho, wo = h // k, w // k
    return frames[:, :, :ho * k, :wo * k].reshape(n, c, ho, k, wo, k).sum(axis=(3, 5))


def iaf(u: np.ndarray, layer: SpeckLayer, record_state: bool) -> LayerTrace:
    """The IAF recursion (module docstring) over axis 1 of ``u`` (``[batch, steps, ...]`` int64)."""
    lo, hi = SPECK.state_range
    v = np.zeros(u.shape[:1] + u.shape[2:], dtype=np.int64)
    spikes = np.zeros(u.shape, dtype=np.int64)
    vs = np.zeros(u.shape, dtype=np.int64) if record_state else None
    overflow = 0
    for t in range(u.shape[1]):
        v += u[:, t]
        overflow += int(np.count_nonzero((v < lo) | (v > hi)))
        n = np.where(v > 0, v // layer.threshold, 0)
        if layer.reset == "subtract":
            v -= n * layer.threshold
        else:
            v[n > 0] = 0
        np.maximum(v, layer.min_v_mem, out=v)
        spikes[:, t] = n
        if vs is not None:
            vs[:, t] = v
    return LayerTrace(spikes, vs, u if record_state else None, overflow)


def emulate(deployment: SpeckDeployment, raster: np.ndarray, record_state: bool = False) -> dict[str, LayerTrace]:
    """Run ``raster`` (``[batch, steps, units]`` input spike counts, units in C, H, W order) through every layer.

    Returns each population's :class:`LayerTrace`, in layer order.
    """
    batch, steps, _ = raster.shape
    frames = np.asarray(raster, dtype=np.int64).reshape(batch * steps, *deployment.input_shape)
    traces: dict[str, LayerTrace] = {}
    for layer in deployment.layers:
        frames = frames.reshape(batch * steps, *layer.in_shape)
        u = conv2d(frames, layer.weight, layer.stride, layer.padding) + layer.bias[None, :, None, None]
        trace = iaf(u.reshape(batch, steps, *layer.neuron_shape), layer, record_state)
        traces[layer.population] = trace
        frames = sum_pool(trace.spikes.reshape(batch * steps, *layer.neuron_shape), layer.pool)
    return traces
