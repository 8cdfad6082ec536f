r"""IR graph -> :class:`SpeckDeployment`: one scale per layer chosen to use the 8-bit weight range.

For a layer with float weights ``W``, per-step bias ``b``, threshold :math:`\theta` and optional low bound
:math:`v_{min}` (see :mod:`snn_deploy.quantize.speck.compat` for how they come from the IR), the scale is the
largest ``s`` that keeps every value in its signed range after rounding:

.. math::
    s = \min\Big(\frac{127}{\max W^+}, \frac{128}{\max W^-}, \frac{127}{\max b^+}, \frac{128}{\max b^-},
    \frac{32767}{\theta}, \frac{32768}{|v_{min}|}\Big)

(terms of empty or all-zero sides left out), and ``W_int = round(s W)`` etc. with round half to even, as
``torch.round``. Unlike sinabs's ``discretize_conv_spike`` with ``min_v_mem=None`` (which puts the low bound at
``-2^15`` *before* choosing the scale, so the threshold term rules and small weights round to 0), the bound
here is placed after: without ``v_min`` it is the bottom of the 16-bit state, ``-32768`` integer units.
Since the integer IAF is the float IAF times ``s`` (IF is linear in ``v``), the layer computes the same spike
counts as the float layer up to the rounding of ``W``, ``b`` and :math:`\theta`, reported per array.
A threshold that rounds to 0 cannot be represented and raises :class:`QuantizationError`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from snn_deploy.errors import QuantizationError
from snn_deploy.ir.graph import Graph
from snn_deploy.quantize.report import ArrayReport, report_array
from snn_deploy.quantize.speck.compat import CompatibilityReport, LayerPlan, check_compatibility
from snn_deploy.quantize.speck.deployment import SpeckDeployment, SpeckLayer
from snn_deploy.quantize.speck.reachability import silent_layers
from snn_deploy.quantize.speck.spec import SPECK, SpeckSpec


@dataclass(frozen=True, eq=False)
class SpeckQuantization:
    """What quantizing produced: the deployment, the compatibility report and one report per array."""

    deployment: SpeckDeployment
    compatibility: CompatibilityReport
    arrays: tuple[ArrayReport, ...]

    def to_dict(self) -> dict[str, Any]:
        """``quantization.json``: every array's float/int range, scale, error and clip count."""
        spec = self.deployment.spec
        return {
            "target": spec.name,
            "dt_s": self.deployment.dt_s,
            "spec": {"weight_bits": spec.weight_bits, "bias_bits": spec.bias_bits, "state_bits": spec.state_bits,
                     "rounding": "half to even (torch.round)"},
            "layers": [layer.describe() for layer in self.deployment.layers],
            "arrays": [a.to_dict() for a in self.arrays],
            "clipped_total": sum(a.clipped for a in self.arrays),
            "notes": list(self.compatibility.notes),
            "silent_populations": [s.to_dict() for s in silent_layers(self.deployment, self.arrays)],
        }


def resolve_dt_s(graph: Graph, dt_s: float | None, spec: SpeckSpec = SPECK) -> float:
    """The user's ``dt_s``, else the model's ``metadata["dt_s"]``, else :attr:`SpeckSpec.default_dt_s`."""
    if dt_s is not None:
        return float(dt_s)
    return float(graph.metadata.get("dt_s", spec.default_dt_s))


def _limit(values: np.ndarray, bits: int) -> float:
    """Largest scale keeping ``round(values * s)`` within the signed ``bits`` range (inf for all-zero)."""
    lo, hi = SpeckSpec.signed_range(bits)
    limits = [np.inf]
    with np.errstate(over="ignore"):  # a subnormal value gives an infinite (no) limit
        if values.size and values.max() > 0:
            limits.append(hi / values.max())
        if values.size and values.min() < 0:
            limits.append(-lo / -values.min())
    return float(min(limits))


def layer_scale(plan: LayerPlan, spec: SpeckSpec = SPECK) -> float:
    """The scale of the module docstring's equation."""
    scale = min(
        _limit(plan.weight, spec.weight_bits),
        _limit(plan.bias_per_step, spec.bias_bits),
        _limit(np.array([plan.threshold] + ([] if plan.v_min is None else [plan.v_min])), spec.state_bits),
    )
    return scale


def _to_int(name: str, values: np.ndarray, scale: float, bits: int) -> tuple[np.ndarray, ArrayReport]:
    lo, hi = SpeckSpec.signed_range(bits)
    rounded = SpeckSpec.round(np.asarray(values, dtype=np.float64) * scale)
    clipped = int(np.count_nonzero((rounded < lo) | (rounded > hi)))
    if clipped:
        raise QuantizationError(f"speck: '{name}': {clipped} values leave the {bits}-bit range at scale {scale:g}")
    ints = rounded.astype(np.int64)
    return ints, report_array(name, values, ints, 1.0 / scale, clipped)


def quantize_layer(plan: LayerPlan, core: int, spec: SpeckSpec = SPECK) -> tuple[SpeckLayer, list[ArrayReport]]:
    """One layer's integers and the report of each of its arrays."""
    scale = layer_scale(plan, spec)
    name = plan.population
    weight, w_rep = _to_int(f"{name}.weight", plan.weight, scale, spec.weight_bits)
    bias, b_rep = _to_int(f"{name}.bias", plan.bias_per_step, scale, spec.bias_bits)
    threshold, t_rep = _to_int(f"{name}.threshold", np.array([plan.threshold]), scale, spec.state_bits)
    if threshold[0] < 1:
        raise QuantizationError(
            f"speck: layer '{name}': threshold {plan.threshold:g} rounds to 0 at scale {scale:g}, which the "
            f"{spec.weight_bits}-bit weights and bias (up to {np.abs(plan.weight).max():g} and "
            f"{np.abs(plan.bias_per_step).max(initial=0):g}) allow"
        )
    # no bound in the IR: the bottom of the 16-bit state, reported with the IR value it stands for
    v_min = np.array([spec.state_range[0] / scale if plan.v_min is None else plan.v_min])
    min_v_mem, v_rep = _to_int(f"{name}.min_v_mem", v_min, scale, spec.state_bits)
    layer = SpeckLayer(
        population=name, projection=plan.projection, kind=plan.kind, in_shape=plan.in_shape, weight=weight,
        bias=bias, stride=plan.stride, padding=plan.padding, threshold=int(threshold[0]), min_v_mem=int(min_v_mem[0]),
        reset=plan.reset, pool=plan.pool, core=core, scale=scale,
    )
    return layer, [w_rep, b_rep, t_rep, v_rep]


def quantize(graph: Graph, dt_s: float | None = None, allow_leak_removal: bool = False,
             spec: SpeckSpec = SPECK) -> SpeckQuantization:
    """Check ``graph`` for Speck, then quantize every layer (raises :class:`UnsupportedError` naming the rule)."""
    dt = resolve_dt_s(graph, dt_s, spec)
    report = check_compatibility(graph, dt, allow_leak_removal, spec)
    report.raise_if_unsupported()
    layers, arrays = [], []
    for plan in report.layers:
        layer, reps = quantize_layer(plan, report.cores[plan.population], spec)
        layers.append(layer)
        arrays.extend(reps)
    assert report.input_shape is not None
    deployment = SpeckDeployment(dt, report.input_shape, tuple(layers), dict(report.outputs), spec)
    return SpeckQuantization(deployment, report, tuple(arrays))
