"""Model file formats, chosen by extension: native ONNX (``.onnx``), NIR (``.nir``), lava-dl netx (``.net``).

Every reader turns any failure on a bad file into :class:`snn_deploy.errors.ModelFormatError` naming the file.
"""
from __future__ import annotations

import importlib
from pathlib import Path

from snn_deploy.errors import ModelFormatError, SnnDeployError
from snn_deploy.ir.graph import Graph
from snn_deploy.ir.spike_steps import per_step_spikes
from snn_deploy.ir.io.reset_reading import override_reset

#: extension -> module implementing ``read(path) -> Graph`` and, where it makes sense, ``write(graph, path)``
FORMATS: dict[str, str] = {
    ".onnx": "snn_deploy.ir.io.onnx_format",
    ".nir": "snn_deploy.ir.io.nir_format",
    ".net": "snn_deploy.ir.io.netx_format",
}


def _format_module(path: Path):
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ModelFormatError(
            f"{path}: unknown model format '{suffix or '(none)'}' (known: {', '.join(sorted(FORMATS))})"
        )
    return importlib.import_module(FORMATS[suffix])


def load(path: str | Path, reset_mode: str | None = None, spike_step_s: float | None = None) -> Graph:
    """Read a model file into a validated :class:`Graph`.

    ``reset_mode`` (``"subtract"``, ``"to_value"`` / ``"to-value"``) sets the reset of every spiking
    population read from the file, whatever the format (``None``: as the file says; for NIR files older
    than ``v_reset``, reset to 0, see :mod:`snn_deploy.ir.io.reset_reading`); the graph records the override.
    ``spike_step_s``: the exporter counted spikes one per step of this many seconds (snnTorch, Norse), read
    as :func:`snn_deploy.ir.spike_steps.per_step_spikes` says (``None``: unit-area pulses, as NIR).
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFormatError(f"{path}: no such file")
    graph = _format_module(path).read(path)
    try:
        if reset_mode is not None:
            graph = override_reset(graph, reset_mode)
        return graph if spike_step_s is None else per_step_spikes(graph, spike_step_s)
    except SnnDeployError as exc:
        raise type(exc)(f"{path}: {exc}") from exc


def save(graph: Graph, path: str | Path) -> None:
    """Write ``graph`` in the format its extension names."""
    path = Path(path)
    module = _format_module(path)
    if not hasattr(module, "write"):
        raise ModelFormatError(f"{path}: format '{path.suffix}' is read-only")
    module.write(graph, path)
