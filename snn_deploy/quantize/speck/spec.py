r"""Speck / DYNAP-CNN as sinabs 3.1.3 models it: the ONE spec object its quantizer, emulator and emitter read.

Every rule is taken from the sinabs source (``sinabs/backend/dynapcnn`` read as text: importing it imports
samna) and ``sinabs/layers``; the citation is next to each constant.

Neuron (``sinabs.layers.IAFSqueeze`` -> ``sinabs.layers.functional.lif.lif_forward_single`` with
``alpha_mem = 1`` and ``alpha_syn = None``), per time step ``t`` and neuron, all integers::

    v <- v + x_t                                  (x_t: this step's conv/linear output plus the bias)
    n <- floor(v / threshold) if v > 0 else 0     (activation/spike_generation.py: MultiSpike.forward)
    v <- v - n * threshold                        (activation/reset_mechanism.py: MembraneSubtract)
      or v <- 0 where n > 0                       (MembraneReset, reset_value = 0: "return_to_zero")
    v <- max(v, min_v_mem)                        (lif_forward_single: relu(v - min_v_mem) + min_v_mem)

Layer (``backend/dynapcnn/dynapcnn_layer.py: DynapcnnLayer``): conv (``nn.Conv2d``, or ``nn.Linear``
turned into a conv whose kernel covers the whole input: ``convert_linear_to_conv``) -> IAF -> sum pooling
(``sum_pool2d``). Kernels and pooling windows must be square (``DynapcnnLayer.__init__``), pooling stride
equals its kernel (``dynapcnn_layer_utils.extract_pooling_from_module``), ``nn.AvgPool2d`` becomes sum pooling
with the next layer's weights times ``1 / k^2`` (same function: ``scale_factor``).

Precision (``backend/dynapcnn/discretize.py``): ``DYNAPCNN_WEIGHT_PRECISION_BITS = 8`` for weights *and*
biases (``_discretize_conv_spk_`` scales the bias with the weight precision), ``DYNAPCNN_STATE_PRECISION_BITS
= 16`` for the thresholds ``(min_v_mem, spike_threshold)`` and the state; one scale per layer shared by all of
them (``scaling = min(scaling_w, scaling_b, scaling_t)``); values rounded with ``torch.round`` (half to even).
The chip config writes one ``threshold_high`` and one ``threshold_low`` per layer (``chips/dynapcnn.py:
get_dynapcnn_layer_config_dict``), so thresholds are per layer, biases per output channel.

Geometry limits (``sinabs/validate_memory_speck.py: ValidateMapping.__init__`` and ``check_stride``): conv
kernels at most 16 x 16, at most 1024 output features, conv strides 1, 2, 4 or 8, pooling 1 x 1, 2 x 2 or 4 x 4.

Memory (``dynapcnn_layer.py: DynapcnnLayer.memory_summary``; checked per core by
``mapping.py: LayerConstraints.fits``; core budgets from ``chips/dynapcnn.py: get_constraints``), for a
kernel ``[f, c, h, w]`` and a neuron layer ``[f, fy, fx]``:

.. math::
    K = c \cdot 2^{\lceil \log_2(h w) \rceil + \lceil \log_2 f \rceil}, \qquad
    N = f \cdot 2^{\lceil \log_2 f_y \rceil + \lceil \log_2 f_x \rceil}, \qquad B = f \text{ (0 without bias)}.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Mapping

import numpy as np


@dataclass(frozen=True)
class CoreMemory:
    """The memories of one core, in entries (``LayerConstraints``: kernel, neuron, bias)."""

    kernel: int
    neuron: int
    bias: int


@dataclass(frozen=True)
class LayerMemory:
    """What one layer needs of a core (``DynapcnnLayer.memory_summary``)."""

    kernel: int
    neuron: int
    bias: int

    def fits(self, core: CoreMemory) -> bool:
        return self.kernel <= core.kernel and self.neuron <= core.neuron and self.bias <= core.bias

    def overshoot(self, core: CoreMemory) -> float:
        """How far this layer is from fitting ``core``: the largest need / capacity ratio (<= 1 when it fits)."""
        return max(self.kernel / core.kernel, self.neuron / core.neuron, self.bias / core.bias)

    def excess(self, core: CoreMemory) -> list[str]:
        """The memories of ``core`` this layer exceeds, as ``"kernel 32768 > 16384"`` phrases."""
        return [
            f"{name} {need} > {have}"
            for name, need, have in (("kernel", self.kernel, core.kernel), ("neuron", self.neuron, core.neuron),
                                     ("bias", self.bias, core.bias))
            if need > have
        ]


def _ceil_log2(n: int) -> int:
    """``ceil(log2(n))`` for ``n >= 1``, in integers (``np.ceil(np.log2(n))`` in sinabs)."""
    return (int(n) - 1).bit_length()


@dataclass(frozen=True)
class SpeckSpec:
    """Bit widths, rounding, neuron rules and core memories of Speck (see the module docstring for sources)."""

    name: str = "speck"
    weight_bits: int = 8
    bias_bits: int = 8
    state_bits: int = 16
    cores: tuple[CoreMemory, ...] = (
        CoreMemory(16 * 1024, 64 * 1024, 1024), CoreMemory(16 * 1024, 64 * 1024, 1024),
        CoreMemory(16 * 1024, 64 * 1024, 1024), CoreMemory(32 * 1024, 32 * 1024, 1024),
        CoreMemory(32 * 1024, 32 * 1024, 1024), CoreMemory(64 * 1024, 16 * 1024, 1024),
        CoreMemory(64 * 1024, 16 * 1024, 1024), CoreMemory(16 * 1024, 16 * 1024, 1024),
        CoreMemory(16 * 1024, 16 * 1024, 1024),
    )
    max_kernel_size: int = 16
    max_features: int = 1024
    strides: tuple[int, ...] = (1, 2, 4, 8)
    pool_sizes: tuple[int, ...] = (1, 2, 4)
    #: time step used when neither the user nor the model names one (the chip itself is event driven)
    default_dt_s: float = 1e-3
    #: spikes to a neuron are counted per step; what the records hold (uint8, ARCHITECTURE.md)
    max_spikes_per_step: int = 255

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> "SpeckSpec":
        """The spec whose fields are ``values`` (an artifact manifest's ``spec.values``); every field required."""
        missing = sorted({f.name for f in fields(cls)} - set(values))
        if missing:
            raise KeyError(f"missing {', '.join(missing)}")
        return cls(**{**values, "cores": tuple(CoreMemory(**core) for core in values["cores"]),
                      "strides": tuple(values["strides"]), "pool_sizes": tuple(values["pool_sizes"])})

    # ------------------------------------------------------------------ integer ranges
    @staticmethod
    def signed_range(bits: int) -> tuple[int, int]:
        """``(-2^(bits-1), 2^(bits-1) - 1)``: two's complement, as ``determine_discretization_scale`` uses."""
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1

    @property
    def state_range(self) -> tuple[int, int]:
        """Range of v, of the threshold and of ``min_v_mem`` (sinabs's ``min_v_mem=None`` means its low end)."""
        return self.signed_range(self.state_bits)

    # ------------------------------------------------------------------ arithmetic
    @staticmethod
    def round(values: np.ndarray) -> np.ndarray:
        """Round half to even, as ``torch.round`` in ``discretize_tensor``."""
        return np.rint(values)

    # ------------------------------------------------------------------ memory
    @staticmethod
    def layer_memory(kernel_shape: tuple[int, int, int, int], neuron_shape: tuple[int, int, int],
                     has_bias: bool) -> LayerMemory:
        """``DynapcnnLayer.memory_summary`` for a kernel ``[f, c, h, w]`` and neurons ``[f, fy, fx]``."""
        f, c, h, w = kernel_shape
        _, fy, fx = neuron_shape
        return LayerMemory(
            kernel=c * 2 ** (_ceil_log2(h * w) + _ceil_log2(f)),
            neuron=f * 2 ** (_ceil_log2(fy) + _ceil_log2(fx)),
            bias=f if has_bias else 0,
        )


#: The spec every Speck module reads.
SPECK = SpeckSpec()
