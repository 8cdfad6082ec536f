"""The Sinabs builder module ``model.py`` of an artifact: an ``nn.Sequential`` for ``DynapcnnNetwork``.

Writing it needs neither torch nor sinabs (it is text); the emitted module needs only torch, numpy and
``sinabs.layers``, and loads the integer weights from ``weights.npz`` next to it into tensors. Layers are
emitted as sinabs expects them for Speck (``DynapcnnLayer``): conv
(``nn.Conv2d``, or ``nn.Flatten`` + ``nn.Linear`` for a Dense) -> ``IAFSqueeze`` (MultiSpike, integer
threshold and ``min_v_mem``, subtract or zero reset) -> ``SumPool2d``. Built with ``discretize=False`` the
integers reach the chip unchanged.
"""
from __future__ import annotations

import pprint

from snn_deploy import __version__
from snn_deploy.quantize.speck.deployment import SpeckDeployment

_TEMPLATE = '''"""Speck network compiled by snn-deploy {version}. Build it with sinabs, deploy it with samna.

Needs sinabs, torch and numpy only (not snn-deploy); next to ``weights.npz``::

    from model import INPUT_SHAPE, build_model
    net = build_model(batch_size=1)
    out = net(frames)  # frames: float tensor [batch_size * steps, *INPUT_SHAPE]
    # on a machine with samna:
    # from sinabs.backend.dynapcnn import DynapcnnNetwork
    # chip_net = DynapcnnNetwork(net, input_shape=INPUT_SHAPE, discretize=False)
    # chip_net.to(device="speck2fmodule")

Input: ``[batch * steps, C, H, W]`` spike counts per step; output: the last layer's spike counts.
Weights, biases, thresholds and ``min_v_mem`` are integers already (``discretize=False`` keeps them).
"""
from pathlib import Path

import numpy as np
import sinabs.layers as sl
import torch
from sinabs.activation import MembraneReset, MembraneSubtract, MultiSpike
from torch import nn

INPUT_SHAPE = {input_shape}
#: one entry per Speck core, in order (the i-th IAFSqueeze of the model is LAYERS[i])
LAYERS = {layers}
WEIGHTS = Path(__file__).with_name("weights.npz")


def build_model(batch_size: int = 1, weights_path: Path = WEIGHTS) -> nn.Sequential:
    """The network as sinabs layers, ``batch_size`` samples per forward call."""
    with np.load(weights_path, allow_pickle=False) as arrays:
        weights = {{key: arrays[key] for key in arrays.files}}
    modules = []
    for layer in LAYERS:
        weight = torch.from_numpy(weights[layer["population"] + "/weight"].astype(np.float32))
        bias = torch.from_numpy(weights[layer["population"] + "/bias"].astype(np.float32))
        out_channels, in_channels, kernel, _ = weight.shape
        if layer["kind"] == "linear":
            if layer["flatten"]:
                modules.append(nn.Flatten())
            conv = nn.Linear(in_channels * kernel * kernel, out_channels, bias=layer["has_bias"])
            conv.weight.data = weight.reshape(out_channels, -1)
        else:
            conv = nn.Conv2d(in_channels, out_channels, kernel, stride=tuple(layer["stride"]),
                             padding=tuple(layer["padding"]), bias=layer["has_bias"])
            conv.weight.data = weight
        if layer["has_bias"]:
            conv.bias.data = bias
        modules.append(conv)
        modules.append(sl.IAFSqueeze(
            batch_size=batch_size,
            spike_threshold=torch.tensor(float(layer["threshold"])),
            min_v_mem=float(layer["min_v_mem"]),
            spike_fn=MultiSpike,
            reset_fn=MembraneSubtract() if layer["reset"] == "subtract" else MembraneReset(),
        ))
        if layer["pool"] > 1:
            modules.append(sl.SumPool2d(layer["pool"]))
    return nn.Sequential(*modules)
'''


def render_model_py(deployment: SpeckDeployment) -> str:
    """The text of ``model.py`` for ``deployment`` (deterministic)."""
    layers = []
    previous_kind = "conv"  # the input frames are [C, H, W]: a first Dense needs a Flatten
    for layer in deployment.layers:
        layers.append({
            "population": layer.population, "kind": layer.kind,
            "flatten": layer.kind == "linear" and previous_kind == "conv",
            "stride": list(layer.stride), "padding": list(layer.padding), "has_bias": layer.has_bias,
            "threshold": layer.threshold, "min_v_mem": layer.min_v_mem, "reset": layer.reset, "pool": layer.pool,
        })
        previous_kind = layer.kind
    return _TEMPLATE.format(
        version=__version__, input_shape=tuple(deployment.input_shape),
        layers=pprint.pformat(layers, width=110, sort_dicts=True),
    )
