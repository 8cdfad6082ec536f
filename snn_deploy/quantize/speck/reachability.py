r"""Speck layers that can never spike on any input, from the deployment's integers (spec.py's IAF).

A Speck neuron integrates without a leak (``v <- v + x_t``, :mod:`snn_deploy.quantize.speck.spec`) and its
inputs are spike COUNTS (the input and every layer may send several spikes per step), so any positive drive
reaches any threshold eventually. A feature (output channel) ``f`` of a layer can therefore fire exactly when
its bias is positive or one of its kernel weights is positive on an input channel that can carry spikes;
otherwise ``x_t <= 0`` at every step, ``v`` never exceeds 0 and never its threshold (``>= 1``). Input channels
all carry spikes; a later layer's input channel carries spikes when a feature of the layer before that feeds
it may fire (pooling sums, flattening keeps the C, H, W order). Layers run in order, so one pass is the least
fixed point of :mod:`snn_deploy.quantize.reachability`. The analysis is per feature, not per position: a layer
reported silent is silent everywhere, while single neurons at a padded border may stay silent unreported.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from snn_deploy.quantize.report import ArrayReport
from snn_deploy.quantize.reachability import SilentPopulation
from snn_deploy.quantize.speck.deployment import SpeckDeployment, SpeckLayer


def _channels_fed(layer: SpeckLayer, features_alive: np.ndarray, previous: SpeckLayer) -> np.ndarray:
    """Which input channels of ``layer`` carry spikes, given the features of ``previous`` that may fire."""
    pooled = np.broadcast_to(features_alive[:, None, None], previous.pooled_shape)
    if pooled.size != int(np.prod(layer.in_shape)):
        return np.ones(layer.in_shape[0], bool)
    return pooled.reshape(layer.in_shape).reshape(layer.in_shape[0], -1).any(axis=1)


def _features_alive(layer: SpeckLayer, channels: np.ndarray) -> np.ndarray:
    excitatory = (np.asarray(layer.weight)[:, channels] > 0).reshape(layer.weight.shape[0], -1).any(axis=1)
    return excitatory | (np.asarray(layer.bias) > 0)


def _reason(layer: SpeckLayer, channels: np.ndarray, source: str | None, arrays: dict[str, ArrayReport]) -> str:
    if np.any(layer.weight > 0):
        return (f"its positive weights come only from channels of '{source}' that can never spike, and no bias "
                "is positive")
    reason = f"every weight is <= 0 after quantization (scale {layer.scale:.4g}) and no bias is positive"
    report = arrays.get(f"{layer.population}.weight")
    if report is not None and report.float_max > 0:
        reason += (f"; the positive float weights (up to {report.float_max:.4g}) rounded to 0 next to the "
                   f"layer's largest |weight| {max(abs(report.float_min), report.float_max):.4g} (8 bits, one "
                   "scale per layer)")
    return reason


def silent_layers(deployment: SpeckDeployment, arrays: Sequence[ArrayReport] = ()) -> list[SilentPopulation]:
    """The layers of ``deployment`` that can never spike, each with its reason (``arrays``: the quantization
    report, to say when positive weights rounded to 0)."""
    by_name = {report.name: report for report in arrays}
    channels = np.ones(deployment.input_shape[0], bool)
    previous: SpeckLayer | None = None
    silent: list[SilentPopulation] = []
    for layer in deployment.layers:
        if previous is not None:
            channels = _channels_fed(layer, alive, previous)
        alive = _features_alive(layer, channels)
        if not alive.any():
            reason = _reason(layer, channels, None if previous is None else previous.population, by_name)
            silent.append(SilentPopulation(layer.population, int(np.prod(layer.neuron_shape)), reason))
        previous = layer
    return silent
