"""How a model file's reset was read, recorded in the graph, stated to the user, and overridden on request.

NIR resets a spiking neuron to ``v_reset`` since 1.0.6 (optional, default 0, since 1.0.7); earlier
files have no reset field at all, and their exporters meant different things (snnTorch and sinabs
subtract the threshold by default, Norse resets to 0). Such a file is read as current NIR reads it
(reset to ``v_reset = 0``) and the graph metadata ``reset_reading`` records that the reading was a
default for an ambiguous file. ``--reset-mode subtract|to-value`` (``load(path, reset_mode=...)``)
sets the reset of every spiking population instead, for any format, and records that too.

``graph.metadata["reset_reading"]`` = ``{"reset": "to_value" | "subtract", "why": "no_v_reset" |
"override", "populations": [names], "file": "<NIR version of the file>" (no_v_reset only)}``.
"""
from __future__ import annotations

from typing import Any

from snn_deploy.errors import UnsupportedError
from snn_deploy.ir.graph import Graph
from snn_deploy.ir.nodes import RESET_MODES

KEY = "reset_reading"
#: spellings accepted for a reset mode (the CLI's ``to-value`` is the IR's ``to_value``)
_SPELLINGS = {"subtract": "subtract", "to_value": "to_value", "to-value": "to_value"}
_SHOWN = 6  # population names listed in a note before "and N more"


def reset_mode_name(reset_mode: str) -> str:
    """The IR reset mode for ``subtract``, ``to-value`` or ``to_value``."""
    if reset_mode not in _SPELLINGS:
        raise UnsupportedError(f"reset mode must be one of subtract, to-value, got {reset_mode!r}")
    return _SPELLINGS[reset_mode]


def resetting_populations(graph: Graph) -> list[str]:
    """Names of the populations that spike and therefore reset (in graph order)."""
    return [name for name, pop in graph.populations().items() if getattr(pop, "reset_mode", None) in RESET_MODES]


def with_default_reading(graph: Graph, populations: list[str], file_version: str | None) -> Graph:
    """``graph`` with the record that ``populations`` had no ``v_reset`` and were read as reset to 0."""
    if not populations:
        return graph
    record = {"reset": "to_value", "why": "no_v_reset", "populations": [n for n in graph.nodes if n in populations],
              "file": file_version or "unknown"}
    return Graph(graph.nodes, graph.edges, {**graph.metadata, KEY: record})


def override_reset(graph: Graph, reset_mode: str) -> Graph:
    """``graph`` with every spiking population resetting by ``reset_mode`` (``v_reset`` kept), recorded."""
    mode = reset_mode_name(reset_mode)
    names = resetting_populations(graph)
    nodes = {name: node.replace(reset_mode=mode) if name in names else node for name, node in graph.nodes.items()}
    record = {"reset": mode, "why": "override", "populations": names}
    return Graph(nodes, graph.edges, {**graph.metadata, KEY: record}).validate()


def _listed(names: list[str]) -> str:
    shown = ", ".join(f"'{name}'" for name in names[:_SHOWN])
    return shown + (f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else "")


def reading_notes(graph: Graph) -> list[str]:
    """One sentence per recorded reset reading (none for a file that says how it resets)."""
    record: Any = graph.metadata.get(KEY)
    if not isinstance(record, dict) or not record.get("populations"):
        return []
    names = _listed([str(n) for n in record["populations"]])
    if record.get("why") == "override":
        how = "by subtraction" if record.get("reset") == "subtract" else "to v_reset"
        flag = "subtract" if record.get("reset") == "subtract" else "to-value"
        return [f"reset: populations {names} reset {how}, as --reset-mode {flag} asks, whatever the file says"]
    return [f"reset: populations {names} read as reset to v_reset = 0, as current NIR reads a file without "
            f"v_reset (this one was written by nir {record.get('file', 'unknown')}; NIR added v_reset in 1.0.6); "
            "if its exporter reset by subtraction (snnTorch's and sinabs's default), pass --reset-mode subtract"]
