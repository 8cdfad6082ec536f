"""Test oracles: 2-D cross-correlation and window pooling restated in numpy, as PyTorch defines them.

``conv2d`` follows ``torch.nn.functional.conv2d``: ``out[n, f, i, j] = bias[f] + sum_{c, a, b}
weight[f, c, a, b] * x_pad[n, g(f) * C_g + c, i * s_h + a * d_h, j * s_w + b * d_w]`` with ``x`` zero-padded by
``padding`` on both sides, ``C_g = C_in / groups`` input channels per group and ``g(f) = f // (F / groups)``.
``sum_pool2d`` / ``avg_pool2d`` sum / average each ``kernel`` window (no padding, floor mode, as
``torch.nn.functional.avg_pool2d`` with its defaults). Written as one strided slice per kernel tap, a
formulation unlike the project's (index scatter, event-driven loops), so that each checks the other; exact in
integer dtypes.
"""
from __future__ import annotations

import numpy as np


def _pair(value) -> tuple[int, int]:
    return (int(value), int(value)) if np.isscalar(value) else (int(value[0]), int(value[1]))


def _taps(x_pad: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int]):
    """For each kernel tap ``(a, b)``: the input values it meets at every output position ``[n, c, H_o, W_o]``."""
    h_out = (x_pad.shape[2] - dilation[0] * (kernel[0] - 1) - 1) // stride[0] + 1
    w_out = (x_pad.shape[3] - dilation[1] * (kernel[1] - 1) - 1) // stride[1] + 1
    for a in range(kernel[0]):
        for b in range(kernel[1]):
            top, left = a * dilation[0], b * dilation[1]
            yield a, b, x_pad[:, :, top:top + stride[0] * (h_out - 1) + 1:stride[0],
                              left:left + stride[1] * (w_out - 1) + 1:stride[1]]


def conv2d(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> np.ndarray:
    """``[N, C_in, H, W]`` * ``[F, C_in / groups, kH, kW]`` -> ``[N, F, H_o, W_o]`` (see the module docstring)."""
    (ph, pw), n_out = _pair(padding), weight.shape[0]
    x_pad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    c_group, f_group = weight.shape[1], n_out // groups
    out = None
    for a, b, window in _taps(x_pad, weight.shape[2:], _pair(stride), _pair(dilation)):
        grouped = window.reshape(x.shape[0], groups, c_group, *window.shape[2:])
        w_tap = weight[:, :, a, b].reshape(groups, f_group, c_group)
        term = np.einsum("ngchw,gfc->ngfhw", grouped, w_tap).reshape(x.shape[0], n_out, *window.shape[2:])
        out = term if out is None else out + term
    if bias is not None:
        out = out + np.asarray(bias)[None, :, None, None]
    return out


def sum_pool2d(x: np.ndarray, kernel, stride=None) -> np.ndarray:
    """Sum of each ``kernel`` window, windows ``stride`` apart (default: ``kernel``), ``[N, C, H, W]``."""
    kernel = _pair(kernel)
    taps = _taps(x, kernel, _pair(kernel if stride is None else stride), (1, 1))
    return sum(window for _, _, window in taps)


def avg_pool2d(x: np.ndarray, kernel, stride=None) -> np.ndarray:
    """Mean of each ``kernel`` window (``torch.nn.functional.avg_pool2d`` without padding)."""
    kh, kw = _pair(kernel)
    return sum_pool2d(x, kernel, stride) / (kh * kw)
