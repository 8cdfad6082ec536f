"""Nested NIR graphs flattened: every ``NIRGraph`` node inlined, with the edges that address it resolved.

A subgraph ``g`` holding node ``x`` contributes the node ``g.x`` (kept as ``x`` when its name already starts
with ``g.``, as snnTorch's own importer names them), so names stay recognisable (``lif1.lif``). An edge of
the outer graph may address

* ``g`` itself: into the nodes that ``g``'s only Input feeds, or out of the nodes that feed its only Output;
* ``g.<input>`` / ``g.<output>``: the same for one named Input or Output of ``g`` (several allowed);
* ``g.x``: the inner node ``x`` directly (NIR's subgraph examples do this; a subgraph may then have no
  Input or Output nodes at all).

Subgraph Input and Output nodes disappear; subgraph metadata is dropped. Applied recursively.
"""
from __future__ import annotations

import nir

from snn_deploy.errors import ModelFormatError, UnsupportedError


def inner_name(graph_name: str, inner: str) -> str:
    """The flattened name of subgraph ``graph_name``'s node ``inner``."""
    return inner if inner.startswith(f"{graph_name}.") else f"{graph_name}.{inner}"


class _Ports:
    """The names an outer edge may use for a subgraph's nodes, and the inner nodes they stand for."""

    def __init__(self) -> None:
        self.entries: dict[str, list[str]] = {}  # edge target -> inner nodes it reaches
        self.exits: dict[str, list[str]] = {}    # edge source -> inner nodes it leaves from
        self.graphs: dict[str, tuple[int, int]] = {}  # subgraph name -> (inputs, outputs)

    def add(self, name: str, sub: nir.NIRGraph, rename: dict[str, str]) -> None:
        inputs = [n for n, x in sub.nodes.items() if isinstance(x, nir.Input)]
        outputs = [n for n, x in sub.nodes.items() if isinstance(x, nir.Output)]
        for port in inputs:
            feeds = [rename[t] for s, t in sub.edges if s == port]
            self.entries[f"{name}.{port}"] = self.entries[rename[port]] = feeds
        for port in outputs:
            fed_by = [rename[s] for s, t in sub.edges if t == port]
            self.exits[f"{name}.{port}"] = self.exits[rename[port]] = fed_by
        if len(inputs) == 1:
            self.entries[name] = self.entries[rename[inputs[0]]]
        if len(outputs) == 1:
            self.exits[name] = self.exits[rename[outputs[0]]]
        self.graphs[name] = (len(inputs), len(outputs))

    def resolve(self, end: str, table: dict[str, list[str]], edge: tuple[str, str]) -> list[str]:
        if end in table:
            return table[end]
        if end in self.graphs:
            inputs, outputs = self.graphs[end]
            count, what = (inputs, "Input") if table is self.entries else (outputs, "Output")
            raise UnsupportedError(f"edge '{edge[0]}' -> '{edge[1]}': subgraph '{end}' has {count} {what} nodes; "
                                   f"address one as '{end}.<name>' or an inner node as '{end}.<node>'")
        return [end]


def flatten_subgraphs(ng: nir.NIRGraph) -> nir.NIRGraph:
    """``ng`` with every nested ``NIRGraph`` inlined (see the module docstring); ``ng`` itself if none."""
    if not any(isinstance(n, nir.NIRGraph) for n in ng.nodes.values()):
        return ng
    nodes: dict[str, nir.NIRNode] = {}
    ports = _Ports()
    inner_edges: list[tuple[str, str]] = []
    for name, node in ng.nodes.items():
        if not isinstance(node, nir.NIRGraph):
            nodes[name] = node
            continue
        sub = flatten_subgraphs(node)
        rename = {inner: inner_name(name, inner) for inner in sub.nodes}
        terminals = {n for n, x in sub.nodes.items() if isinstance(x, (nir.Input, nir.Output))}
        for inner, x in sub.nodes.items():
            if inner in terminals:
                continue
            if rename[inner] in nodes or rename[inner] in ng.nodes:
                raise ModelFormatError(f"node '{name}': inner node '{inner}' becomes '{rename[inner]}', which "
                                       "another node is already called")
            nodes[rename[inner]] = x
        ports.add(name, sub, rename)
        inner_edges += [(rename[s], rename[t]) for s, t in sub.edges if s not in terminals and t not in terminals]
    edges = [(a, b) for s, t in ng.edges
             for a in ports.resolve(s, ports.exits, (s, t)) for b in ports.resolve(t, ports.entries, (s, t))]
    return nir.NIRGraph(nodes=nodes, edges=edges + inner_edges, metadata=dict(ng.metadata or {}), type_check=False)
