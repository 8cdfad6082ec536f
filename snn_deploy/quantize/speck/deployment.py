"""A quantized Speck network: the integer layers the emulator runs and the Sinabs emitter writes.

A :class:`SpeckDeployment` is stored in an artifact as a JSON description (in ``manifest.json``, key
``"speck"``) plus its integer arrays (``weights.npz``, keys ``<population>/weight`` and ``<population>/bias``);
:meth:`SpeckDeployment.from_stored` reads it back.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from snn_deploy.errors import ModelFormatError
from snn_deploy.ir.lowering import Window
from snn_deploy.ir.shapes import conv2d_output_hw
from snn_deploy.quantize.speck.spec import SPECK, SpeckSpec

Shape3 = tuple[int, int, int]


def pooled_hw(hw: tuple[int, int], pool: int) -> tuple[int, int]:
    """Height and width after Speck's sum pooling: square windows of ``pool``, stride ``pool``, no padding (rows
    and columns past the last full window dropped), the window geometry of :mod:`snn_deploy.ir.lowering`."""
    return Window((pool, pool), (pool, pool)).output_hw(hw)


@dataclass(frozen=True, eq=False, kw_only=True)
class LayerGeometry:
    """Where a layer sits: its IR nodes, kind, input ``[C, H, W]``, kernel ``weight`` ``[f, c, k, k]``, pooling."""

    population: str
    projection: str
    kind: str  # "conv" | "linear" (a Dense, run as a conv over its whole input)
    in_shape: Shape3
    weight: np.ndarray
    stride: tuple[int, int]
    padding: tuple[int, int]
    pool: int

    @property
    def neuron_shape(self) -> Shape3:
        h, w = conv2d_output_hw(self.in_shape[1:], self.weight.shape[2:], self.stride, self.padding)
        return (int(self.weight.shape[0]), h, w)

    @property
    def pooled_shape(self) -> Shape3:
        """What the layer sends on: its spikes summed over ``pool x pool`` windows (:func:`pooled_hw`)."""
        f, h, w = self.neuron_shape
        return (f, *pooled_hw((h, w), self.pool))


@dataclass(frozen=True, eq=False, kw_only=True)
class SpeckLayer(LayerGeometry):
    """One core: conv (integer ``weight``, ``bias`` ``[f]``) -> IAF -> sum pooling ``pool``.

    ``scale`` is integer units per IR unit of ``v`` (the layer's float values times ``scale``, rounded).
    """

    bias: np.ndarray
    threshold: int
    min_v_mem: int
    reset: str  # "subtract" | "to_zero"
    core: int
    scale: float

    @property
    def has_bias(self) -> bool:
        return bool(np.any(self.bias != 0))

    def describe(self) -> dict[str, Any]:
        return {
            "population": self.population, "projection": self.projection, "kind": self.kind,
            "in_shape": list(self.in_shape), "kernel_shape": list(self.weight.shape),
            "stride": list(self.stride), "padding": list(self.padding), "threshold": self.threshold,
            "min_v_mem": self.min_v_mem, "reset": self.reset, "pool": self.pool, "core": self.core,
            "scale": self.scale,
        }


@dataclass(frozen=True, eq=False)
class SpeckDeployment:
    """The layers in order, the step ``dt_s`` input events are binned with, output node -> population, and the
    spec the integers were made for (the emulator refuses another one; an artifact's manifest records it)."""

    dt_s: float
    input_shape: Shape3
    layers: tuple[SpeckLayer, ...]
    outputs: Mapping[str, str]
    spec: SpeckSpec = SPECK

    @property
    def input_units(self) -> int:
        return int(np.prod(self.input_shape))

    def describe(self) -> dict[str, Any]:
        """JSON-ready description (everything but the arrays)."""
        return {
            "dt_s": self.dt_s, "input_shape": list(self.input_shape), "outputs": dict(self.outputs),
            "layers": [layer.describe() for layer in self.layers],
        }

    def arrays(self) -> dict[str, np.ndarray]:
        """Integer weights (int8) and biases (int8) by ``<population>/weight`` and ``<population>/bias``."""
        arrays: dict[str, np.ndarray] = {}
        for layer in self.layers:
            arrays[f"{layer.population}/weight"] = layer.weight.astype(np.int8)
            arrays[f"{layer.population}/bias"] = layer.bias.astype(np.int8)
        return arrays

    @classmethod
    def from_stored(cls, description: Mapping[str, Any], arrays: Mapping[str, np.ndarray], source: str,
                    spec: SpeckSpec = SPECK) -> "SpeckDeployment":
        """Rebuild from :meth:`describe` and :meth:`arrays` for ``spec``; ``source`` names the files in errors."""
        try:
            layers = []
            for d in description["layers"]:
                weight = np.asarray(arrays[f"{d['population']}/weight"], dtype=np.int64)
                if list(weight.shape) != list(d["kernel_shape"]):
                    raise ModelFormatError(f"{source}: '{d['population']}/weight' has shape {list(weight.shape)}, "
                                           f"the manifest says {d['kernel_shape']}")
                layers.append(SpeckLayer(
                    population=d["population"], projection=d["projection"], kind=d["kind"],
                    in_shape=tuple(d["in_shape"]), weight=weight,
                    bias=np.asarray(arrays[f"{d['population']}/bias"], dtype=np.int64),
                    stride=tuple(d["stride"]), padding=tuple(d["padding"]), threshold=int(d["threshold"]),
                    min_v_mem=int(d["min_v_mem"]), reset=d["reset"], pool=int(d["pool"]), core=int(d["core"]),
                    scale=float(d["scale"]),
                ))
            return cls(float(description["dt_s"]), tuple(description["input_shape"]), tuple(layers),
                       dict(description["outputs"]), spec)
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFormatError(f"{source}: incomplete Speck deployment ({type(exc).__name__}: {exc})") from None
