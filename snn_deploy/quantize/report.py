"""Quantization error records, shared by every target: what was rounded, by how much, and what was clipped."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class ArrayReport:
    """How one parameter array was mapped to integers.

    ``rel_error`` of element ``i`` is ``|float_i - dequantized_i| / max|float|`` (0 for an all-zero array),
    so it measures the error relative to the array's range.
    """

    name: str
    float_min: float
    float_max: float
    int_min: int
    int_max: int
    scale: float
    max_rel_error: float
    mean_rel_error: float
    clipped: int
    size: int

    def to_dict(self) -> dict:
        return asdict(self)


def report_array(
    name: str, float_values: np.ndarray, int_values: np.ndarray, scale: float, clipped: int
) -> ArrayReport:
    """Compare ``float_values`` with ``int_values * scale`` (the dequantized integers)."""
    float_values = np.asarray(float_values, dtype=np.float64)
    int_values = np.asarray(int_values)
    span = float(np.max(np.abs(float_values))) if float_values.size else 0.0
    error = np.abs(float_values - int_values.astype(np.float64) * scale)
    rel = error / span if span > 0 else np.zeros_like(error)
    return ArrayReport(
        name=name,
        float_min=float(float_values.min()) if float_values.size else 0.0,
        float_max=float(float_values.max()) if float_values.size else 0.0,
        int_min=int(int_values.min()) if int_values.size else 0,
        int_max=int(int_values.max()) if int_values.size else 0,
        scale=float(scale),
        max_rel_error=float(rel.max()) if rel.size else 0.0,
        mean_rel_error=float(rel.mean()) if rel.size else 0.0,
        clipped=int(clipped),
        size=int(float_values.size),
    )
