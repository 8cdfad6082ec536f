r"""Lowering of IR projections to connectivity: which input unit reaches which output unit, with what weight and delay.

Every IR projection is linear in its input pulses, :math:`y = W x + b` (delayed), so it lowers to the COO list of
the entries of ``W`` (``[output units, input units]``, units flattened in C order as the IR's shapes): synapse
``k`` carries a pulse from input unit ``pre[k]`` (the column) to output unit ``post[k]`` (the row), scaled by
``weight[k]``, ``delay_s[k]`` seconds later. Per kind:

* ``Dense``: every entry of ``weight`` (zeros included), row-major; ``delay_s`` per synapse (0 without);
* ``Conv2d`` (PyTorch's cross-correlation): :math:`y[f, i, j] = \sum_{c, a, b} w[f, c, a, b]\,
  x[g(f) C_g + c,\; i s_h - p_h + a d_h,\; j s_w - p_w + b d_w]` with ``C_g = C_in / groups`` and
  ``g(f) = f // (F / groups)``: one synapse per ``(f, c, a, b, i, j)`` whose input index lies inside the
  unpadded input (taps into the zero padding connect nothing);
* ``SumPool2d``: the per-channel window (``groups = C``) with weight 1; ``AvgPool2d`` weight ``1 / (kh kw)``
  (padding counted as in PyTorch's default ``count_include_pad=True``);
* ``Flatten``: the identity (C-order flattening keeps the unit order); ``Delay``: the identity delayed by
  ``delay_s``.

Order of a window's synapses: channel pairs ``(f, c)`` in row-major order, then the in-bounds taps ordered by
``(a, b, i, j)``. The bias ``b`` is not a synapse: :attr:`Connectivity.bias` is the constant per output unit.
Target-free (numpy only): the exact reference composes these lists; a target's quantizer builds its own
matrices from them.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from snn_deploy.errors import UnsupportedError
from snn_deploy.ir.nodes import AvgPool2d, Conv2d, Delay, Dense, Flatten, Node, SumPool2d

Shape = tuple[int, ...]
Pair = tuple[int, int]


def _output_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """``floor((H + 2p - d (k - 1) - 1) / s) + 1`` (PyTorch's convention)."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def conv2d_output_hw(hw: Pair, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair = (1, 1)) -> Pair:
    """The output height and width of a 2-D window, :func:`_output_size` per spatial axis."""
    return (_output_size(hw[0], kernel[0], stride[0], padding[0], dilation[0]),
            _output_size(hw[1], kernel[1], stride[1], padding[1], dilation[1]))


@dataclass(frozen=True)
class Window:
    """The geometry of a 2-D sliding window over ``[C, H, W]`` (a convolution or a pooling)."""

    kernel: Pair
    stride: Pair
    padding: Pair = (0, 0)
    dilation: Pair = (1, 1)

    def output_hw(self, hw: Pair) -> Pair:
        return conv2d_output_hw(hw, self.kernel, self.stride, self.padding, self.dilation)

    def axis_taps(self, axis: int, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Along one axis: ``(tap, output, input)`` index triples whose input lies in ``[0, size)``, ordered by
        (tap, output). Tap ``a`` of output ``o`` reads input ``o * stride - padding + a * dilation``."""
        out = _output_size(size, self.kernel[axis], self.stride[axis], self.padding[axis], self.dilation[axis])
        tap, o = np.meshgrid(np.arange(self.kernel[axis]), np.arange(max(out, 0)), indexing="ij")
        i = o * self.stride[axis] - self.padding[axis] + tap * self.dilation[axis]
        inside = (i >= 0) & (i < size)
        return tap[inside], o[inside], i[inside]

    def tap_count(self, hw: Pair) -> int:
        """In-bounds (input pixel, output pixel) pairs of one channel pair."""
        return math.prod(self.axis_taps(axis, hw[axis])[0].size for axis in range(2))


@dataclass(frozen=True)
class Connectivity:
    """A projection lowered to synapses (see the module docstring); ``bias`` is flattened over ``out_shape``."""

    pre: np.ndarray      # int64 input unit (column of W)
    post: np.ndarray     # int64 output unit (row of W)
    weight: np.ndarray   # float64 (the dtype of the weights given)
    delay_s: np.ndarray  # float64
    in_shape: Shape
    out_shape: Shape
    bias: np.ndarray | None = None

    @property
    def in_units(self) -> int:
        return math.prod(self.in_shape)

    @property
    def out_units(self) -> int:
        return math.prod(self.out_shape)


def window_connectivity(window: Window, in_shape: Shape, weight: np.ndarray, groups: int) -> Connectivity:
    """A convolution ``weight`` ``[F, C_in / groups, kh, kw]`` over ``in_shape = [C_in, H, W]`` (PyTorch's
    cross-correlation, the module docstring's formula) as synapses."""
    _, h, w = in_shape
    ho, wo = window.output_hw((h, w))
    c_out, c_group = weight.shape[:2]
    ky, oy, iy = window.axis_taps(0, h)
    kx, ox, ix = window.axis_taps(1, w)
    a, b = (g.ravel() for g in np.meshgrid(np.arange(ky.size), np.arange(kx.size), indexing="ij"))
    order = np.lexsort((ox[b], oy[a], kx[b], ky[a]))  # taps ordered by (a, b, i, j)
    a, b = a[order], b[order]
    co, cl = (g.ravel() for g in np.meshgrid(np.arange(c_out), np.arange(c_group), indexing="ij"))
    ci = (co // (c_out // groups)) * c_group + cl
    pre = (ci[:, None] * h + iy[a][None, :]) * w + ix[b][None, :]
    post = (co[:, None] * ho + oy[a][None, :]) * wo + ox[b][None, :]
    values = weight.reshape(c_out * c_group, *weight.shape[2:])[:, ky[a], kx[b]]
    return Connectivity(pre.ravel(), post.ravel(), values.ravel(), np.zeros(pre.size), tuple(in_shape),
                        (int(c_out), ho, wo))


def _pool_weight(node: SumPool2d, channels: int) -> np.ndarray:
    """The per-channel kernel of a pooling: 1 (sum) or ``1 / (kh kw)`` (average), ``[C, 1, kh, kw]``."""
    scale = 1.0 / (node.kernel_size[0] * node.kernel_size[1]) if isinstance(node, AvgPool2d) else 1.0
    return np.full((channels, 1, *node.kernel_size), scale)


def _identity(units: int, in_shape: Shape, out_shape: Shape, delay_s: np.ndarray | float = 0.0) -> Connectivity:
    index = np.arange(units, dtype=np.int64)
    delay = np.broadcast_to(np.asarray(delay_s, float), (units,)).copy()
    return Connectivity(index, index.copy(), np.ones(units), delay, in_shape, out_shape)


def flatten_dims(node: Flatten, rank: int) -> Pair:
    """The first and last (inclusive, non-negative) input dims a ``Flatten`` merges, for an input of ``rank``."""
    start = node.start_dim + rank if node.start_dim < 0 else node.start_dim
    end = node.end_dim + rank if node.end_dim < 0 else node.end_dim
    return start, end


def flatten_shape(node: Flatten, in_shape: Shape) -> Shape:
    """The output shape of a ``Flatten`` (dims :func:`flatten_dims` merged into one)."""
    start, end = flatten_dims(node, len(in_shape))
    return tuple(in_shape[:start]) + (math.prod(in_shape[start:end + 1]),) + tuple(in_shape[end + 1:])


def lower_projection(name: str, node: Node, in_shape: Shape, weight: np.ndarray | None = None) -> Connectivity:
    """The synapses of projection ``name`` whose (summed) input has ``in_shape``.

    ``weight`` replaces the node's ``Dense``/``Conv2d`` weights (e.g. a file's integer weights) and drops the
    bias; ``None`` lowers the node as it is.
    """
    in_shape = tuple(int(s) for s in in_shape)
    units = math.prod(in_shape)
    if isinstance(node, Dense):
        own = weight is None
        matrix = node.weight if own else np.asarray(weight)
        post, pre = (g.ravel() for g in np.meshgrid(np.arange(matrix.shape[0]), np.arange(matrix.shape[1]),
                                                  indexing="ij"))
        delay = np.zeros(pre.size) if node.delay_s is None else node.delay_s[post, pre]
        bias = node.bias.reshape(-1) if own and node.bias is not None else None
        return Connectivity(pre, post, matrix[post, pre], delay, in_shape, (int(matrix.shape[0]),), bias)
    if isinstance(node, Conv2d):
        own = weight is None
        window = Window(node.weight.shape[2:], node.stride, node.padding, node.dilation)
        lowered = window_connectivity(window, in_shape, node.weight if own else np.asarray(weight), node.groups)
        if own and node.bias is not None:
            bias = np.repeat(node.bias, math.prod(lowered.out_shape[1:]))
            lowered = dataclasses.replace(lowered, bias=bias)
        return lowered
    if isinstance(node, SumPool2d):  # and AvgPool2d
        window = Window(node.kernel_size, node.stride, node.padding)
        return window_connectivity(window, in_shape, _pool_weight(node, in_shape[0]), in_shape[0])
    if isinstance(node, Flatten):
        return _identity(units, in_shape, flatten_shape(node, in_shape))
    if isinstance(node, Delay):
        return _identity(units, in_shape, in_shape, node.delay_s.reshape(-1))
    raise UnsupportedError(f"node '{name}': {node.kind} is not a projection that lowers to synapses")


def connection_count(name: str, node: Node, in_shape: Shape) -> int:
    """``lower_projection(name, node, in_shape).pre.size`` without building the lists: ``Dense`` ``out * in``,
    ``Conv2d`` ``F * C_in/groups`` times the in-bounds taps of one channel pair, pooling ``C`` times them,
    ``Flatten``/``Delay`` one per unit."""
    hw = (int(in_shape[-2]), int(in_shape[-1])) if len(in_shape) == 3 else (0, 0)
    if isinstance(node, Dense):
        return int(node.weight.size)
    if isinstance(node, Conv2d):
        window = Window(node.weight.shape[2:], node.stride, node.padding, node.dilation)
        return int(node.weight.shape[0] * node.weight.shape[1]) * window.tap_count(hw)
    if isinstance(node, SumPool2d):
        return int(in_shape[0]) * Window(node.kernel_size, node.stride, node.padding).tap_count(hw)
    if isinstance(node, (Flatten, Delay)):
        return math.prod(int(s) for s in in_shape)
    raise UnsupportedError(f"node '{name}': {node.kind} is not a projection that lowers to synapses")
