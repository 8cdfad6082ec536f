"""What a loaded model holds: one row per node (kind, shape, neurons, synapses, parameter ranges, reset), totals,
and the notes on how the file was read (e.g. an ambiguous NIR reset, :mod:`snn_deploy.ir.io.reset_reading`)."""
from __future__ import annotations

from typing import Any

import numpy as np

from snn_deploy.ir.graph import Graph
from snn_deploy.ir.io.reset_reading import reading_notes
from snn_deploy.ir.nodes import Population
from snn_deploy.ir.shapes import neuron_count, synapse_count


def graph_summary(graph: Graph) -> dict[str, Any]:
    """JSON-ready summary: ``nodes`` (rows in evaluation order; spiking populations with their ``reset``),
    ``edges``, ``recurrent_edges``, ``totals``, scalar ``metadata`` and ``notes`` (how the file was read)."""
    shapes = graph.shapes()
    synapses = synapse_count(graph, shapes)
    rows = []
    for name in graph.topological_order():
        node = graph.nodes[name]
        params = {
            field: {"min": float(np.min(values)), "max": float(np.max(values)), "shape": list(values.shape)}
            for field, values in node.arrays().items() if values.size
        }
        row = {
            "name": name,
            "kind": node.kind,
            "shape": list(shapes[name]),
            "neurons": node.size if isinstance(node, Population) else 0,
            "synapses": synapses.get(name, 0),
            "params": params,
        }
        if getattr(node, "reset_mode", None) is not None:
            row["reset"] = node.reset_mode
        rows.append(row)
    return {
        "nodes": rows,
        "edges": [list(e) for e in graph.edges],
        "recurrent_edges": sorted(list(e) for e in graph.recurrent_edges()),
        "totals": {"nodes": len(graph.nodes), "neurons": neuron_count(graph), "synapses": sum(synapses.values())},
        "metadata": {k: v for k, v in graph.metadata.items() if isinstance(v, (int, float, str, bool))},
        "notes": reading_notes(graph),
    }


def _range(param: dict[str, Any]) -> str:
    low, high = param["min"], param["max"]
    return f"{low:.6g}" if low == high else f"{low:.6g}..{high:.6g}"


def format_summary(summary: dict[str, Any]) -> str:
    """A plain-text table of :func:`graph_summary` (one line per node, then totals)."""
    header = ("name", "kind", "shape", "neurons", "synapses", "parameters")
    lines = [header]
    for row in summary["nodes"]:
        params = " ".join([f"{field}={_range(p)}" for field, p in row["params"].items()]
                          + ([f"reset={row['reset']}"] if "reset" in row else []))
        shape = "x".join(str(s) for s in row["shape"]) or "()"
        lines.append((row["name"], row["kind"], shape, str(row["neurons"]), str(row["synapses"]), params))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    text = [
        "  ".join(cell.rjust(w) if i in (3, 4) else cell.ljust(w) for i, (cell, w) in enumerate(zip(line, widths)))
        + "  " + line[-1]
        for line in lines
    ]
    totals = summary["totals"]
    recurrent = ", ".join(f"{s}->{t}" for s, t in summary["recurrent_edges"]) or "none"
    text += [f"note: {note}" for note in summary.get("notes", [])]
    text.append(f"total: {totals['nodes']} nodes, {totals['neurons']} neurons, {totals['synapses']} synapses, "
                f"{len(summary['edges'])} edges (recurrent: {recurrent})")
    return "\n".join(line.rstrip() for line in text)
