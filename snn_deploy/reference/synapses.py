"""Projections as sparse synapse lists: which input unit reaches which output unit, with what weight and delay.

Every IR projection is linear in its input pulses, so a projection is a list of synapses
``(pre, post, weight, delay_s)`` (units flattened in C order, as the IR's shapes): ``Dense`` is its
weight matrix (``delay_s`` per synapse), ``Conv2d`` one synapse per (output, kernel tap) that falls
inside the padded input, ``SumPool2d`` weight 1 per window tap (``AvgPool2d``: ``1 / (kh kw)``, padding
counted as in PyTorch's default ``count_include_pad=True``), ``Flatten`` the identity, ``Delay`` the
identity delayed by ``delay_s``. A chain of projections composes: weights multiply, delays add.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from snn_deploy.errors import UnsupportedError
from snn_deploy.ir.nodes import AvgPool2d, Conv2d, Delay, Dense, Flatten, Projection, SumPool2d
from snn_deploy.ir.shapes import conv2d_output_hw

Shape = tuple[int, ...]


@dataclass(frozen=True)
class Synapses:
    """Synapse ``k`` carries a pulse from unit ``pre[k]`` to unit ``post[k]``, scaled by ``weight[k]``, ``delay_s[k]`` later."""

    pre: np.ndarray
    post: np.ndarray
    weight: np.ndarray
    delay_s: np.ndarray

    @classmethod
    def identity(cls, units: int, delay_s: np.ndarray | float = 0.0) -> "Synapses":
        index = np.arange(units, dtype=np.int64)
        return cls(index, index.copy(), np.ones(units), np.broadcast_to(np.asarray(delay_s, float), (units,)).copy())

    @classmethod
    def concat(cls, parts: list["Synapses"]) -> "Synapses":
        return cls(*(np.concatenate([getattr(s, f) for s in parts]) for f in ("pre", "post", "weight", "delay_s")))

    def then(self, other: "Synapses") -> "Synapses":
        """Compose: a pulse goes through ``self`` and then ``other`` (``self.post`` indexes ``other.pre``)."""
        order = np.argsort(other.pre, kind="stable")
        pre_sorted = other.pre[order]
        first = np.searchsorted(pre_sorted, self.post, side="left")
        count = np.searchsorted(pre_sorted, self.post, side="right") - first
        left = np.repeat(np.arange(self.pre.size), count)
        start = np.repeat(first - np.cumsum(count) + count, count)
        right = order[start + np.arange(left.size)]
        return Synapses(
            self.pre[left], other.post[right], self.weight[left] * other.weight[right],
            self.delay_s[left] + other.delay_s[right],
        )

    def merged(self) -> "Synapses":
        """Sum weights of synapses with equal (pre, delay, post), drop zero weights; sorted by (pre, delay, post)."""
        order = np.lexsort((self.post, self.delay_s, self.pre))
        pre, post, delay, weight = self.pre[order], self.post[order], self.delay_s[order], self.weight[order]
        if pre.size:
            new = np.ones(pre.size, dtype=bool)
            new[1:] = (pre[1:] != pre[:-1]) | (post[1:] != post[:-1]) | (delay[1:] != delay[:-1])
            group = np.cumsum(new) - 1
            weight = np.bincount(group, weights=weight)
            pre, post, delay = pre[new], post[new], delay[new]
        keep = weight != 0.0
        return Synapses(pre[keep], post[keep], weight[keep], delay[keep])

    def apply(self, values: np.ndarray, out_units: int) -> np.ndarray:
        """The linear map on a constant input ``values`` (delays do not matter for a constant)."""
        return np.bincount(self.post, weights=self.weight * values[self.pre], minlength=out_units)


def _window_synapses(
    in_shape: Shape, kernel: tuple[int, int], stride: tuple[int, int], padding: tuple[int, int],
    dilation: tuple[int, int], pairs: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> Synapses:
    """Synapses of a sliding window: ``pairs = (out_channel, in_channel, weight[..., kh, kw])`` per channel pair."""
    _, h, w = in_shape
    ho, wo = conv2d_output_hw((h, w), kernel, stride, padding, dilation)
    co, ci, taps = pairs
    ky, kx, oy, ox = np.meshgrid(np.arange(kernel[0]), np.arange(kernel[1]), np.arange(ho), np.arange(wo),
                                 indexing="ij")
    iy = oy * stride[0] - padding[0] + ky * dilation[0]
    ix = ox * stride[1] - padding[1] + kx * dilation[1]
    inside = (iy >= 0) & (iy < h) & (ix >= 0) & (ix < w)
    ky, kx, oy, ox, iy, ix = (a[inside] for a in (ky, kx, oy, ox, iy, ix))
    pre = (ci[:, None] * h + iy[None, :]) * w + ix[None, :]
    post = (co[:, None] * ho + oy[None, :]) * wo + ox[None, :]
    weight = taps[:, ky, kx]
    return Synapses(pre.ravel(), post.ravel(), weight.ravel(), np.zeros(pre.size))


def projection_synapses(name: str, node: Projection, in_shape: Shape) -> Synapses:
    """The synapses of one projection whose (summed) input has ``in_shape``."""
    units = int(np.prod(in_shape, dtype=np.int64))
    if isinstance(node, Dense):
        post, pre = np.nonzero(np.ones_like(node.weight, dtype=bool))
        delay = np.zeros(pre.size) if node.delay_s is None else node.delay_s[post, pre]
        return Synapses(pre, post, node.weight[post, pre], delay)
    if isinstance(node, Conv2d):
        c_out, c_in_group = node.weight.shape[:2]
        per_group = c_out // node.groups
        co, cl = np.meshgrid(np.arange(c_out), np.arange(c_in_group), indexing="ij")
        ci = (co // per_group) * c_in_group + cl
        pairs = (co.ravel(), ci.ravel(), node.weight.reshape(-1, *node.weight.shape[2:]))
        return _window_synapses(in_shape, node.weight.shape[2:], node.stride, node.padding, node.dilation, pairs)
    if isinstance(node, SumPool2d):  # and AvgPool2d
        channels = np.arange(in_shape[0])
        scale = 1.0 / (node.kernel_size[0] * node.kernel_size[1]) if isinstance(node, AvgPool2d) else 1.0
        taps = np.full((in_shape[0], *node.kernel_size), scale)
        return _window_synapses(in_shape, node.kernel_size, node.stride, node.padding, (1, 1),
                                (channels, channels, taps))
    if isinstance(node, Flatten):
        return Synapses.identity(units)
    if isinstance(node, Delay):
        return Synapses.identity(units, node.delay_s.reshape(-1))
    raise UnsupportedError(f"node '{name}': the reference simulator does not support {node.kind}")


def projection_bias(node: Projection, out_shape: Shape) -> np.ndarray | None:
    """The constant a projection adds to its output (``Dense``/``Conv2d`` bias), flattened; None without one."""
    bias = getattr(node, "bias", None)
    if bias is None:
        return None
    if isinstance(node, Conv2d):
        return np.repeat(bias, int(np.prod(out_shape[1:])))
    return bias.reshape(-1)
