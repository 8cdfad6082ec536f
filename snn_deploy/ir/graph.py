"""The IR graph: named nodes, directed edges, inputs and outputs.

Any directed graph is allowed, including skip-layer edges (a node with several sources: their
outputs are summed) and recurrent edges (a projection from a population back to itself or to an
earlier node). Recurrent edges are the back edges of a depth-first search that starts at the inputs
and visits nodes in insertion order; removing them leaves a DAG whose topological order is the
order in which a time step is evaluated.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

from snn_deploy.ir.nodes import Input, Node, Output, Population, Projection, nodes_equal, values_equal

Edge = tuple[str, str]


@dataclass(frozen=True, eq=False)
class Graph:
    """A spiking network: ``nodes`` by name (insertion order kept), ``edges`` as (source, target)."""

    nodes: Mapping[str, Node]
    edges: tuple[Edge, ...]
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "nodes", dict(self.nodes))
        object.__setattr__(self, "edges", tuple((str(s), str(t)) for s, t in self.edges))
        object.__setattr__(self, "metadata", dict(self.metadata))

    # ------------------------------------------------------------------ structure
    @property
    def inputs(self) -> tuple[str, ...]:
        """Names of the :class:`Input` nodes, in insertion order."""
        return tuple(name for name, node in self.nodes.items() if isinstance(node, Input))

    @property
    def outputs(self) -> tuple[str, ...]:
        """Names of the :class:`Output` nodes, in insertion order."""
        return tuple(name for name, node in self.nodes.items() if isinstance(node, Output))

    def populations(self) -> dict[str, Population]:
        """The neuron populations by name, in insertion order."""
        return {name: node for name, node in self.nodes.items() if isinstance(node, Population)}

    def projections(self) -> dict[str, Projection]:
        """The projections by name, in insertion order."""
        return {name: node for name, node in self.nodes.items() if isinstance(node, Projection)}

    def sources(self, name: str) -> tuple[str, ...]:
        """Nodes with an edge into ``name``, in edge order."""
        return tuple(s for s, t in self.edges if t == name)

    def targets(self, name: str) -> tuple[str, ...]:
        """Nodes ``name`` has an edge to, in edge order."""
        return tuple(t for s, t in self.edges if s == name)

    def recurrent_edges(self) -> frozenset[Edge]:
        """Back edges of a depth-first search from the inputs (then from unreached nodes), in insertion order."""
        children: dict[str, list[str]] = {name: [] for name in self.nodes}
        for s, t in self.edges:
            if s in children and t in self.nodes:
                children[s].append(t)
        state: dict[str, int] = {}  # 1 = on the stack, 2 = done
        back: set[Edge] = set()
        roots = list(self.inputs) + [n for n in self.nodes if n not in self.inputs]
        for root in roots:
            if root in state:
                continue
            state[root] = 1
            stack: list[tuple[str, Iterator[str]]] = [(root, iter(children[root]))]
            while stack:
                node, it = stack[-1]
                child = next(it, None)
                if child is None:
                    state[node] = 2
                    stack.pop()
                elif state.get(child) == 1:
                    back.add((node, child))
                elif child not in state:
                    state[child] = 1
                    stack.append((child, iter(children[child])))
        return frozenset(back)

    def feedforward_edges(self) -> tuple[Edge, ...]:
        """The edges that are not recurrent, in edge order."""
        back = self.recurrent_edges()
        return tuple(e for e in self.edges if e not in back)

    def topological_order(self) -> tuple[str, ...]:
        """Node names ordered so every feed-forward edge points forward (Kahn, ties by insertion order)."""
        forward = self.feedforward_edges()
        indegree = {name: 0 for name in self.nodes}
        for _, t in forward:
            indegree[t] += 1
        position = {name: i for i, name in enumerate(self.nodes)}
        ready = sorted((n for n, d in indegree.items() if d == 0), key=position.__getitem__)
        order: list[str] = []
        while ready:
            node = ready.pop(0)
            order.append(node)
            for s, t in forward:
                if s == node:
                    indegree[t] -= 1
                    if indegree[t] == 0:
                        ready.append(t)
                        ready.sort(key=position.__getitem__)
        return tuple(order)

    # ------------------------------------------------------------------ checks
    def validate(self) -> "Graph":
        """Check structure, parameters and shapes; raise :class:`GraphValidationError` naming the fault."""
        from snn_deploy.ir.validate import validate_graph

        validate_graph(self)
        return self

    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Output shape of every node (raises :class:`GraphValidationError` on a mismatch)."""
        from snn_deploy.ir.shapes import infer_shapes

        return infer_shapes(self)


def graphs_equal(a: Graph, b: Graph) -> bool:
    """Same node names and kinds, bit-equal arrays, equal scalars, the same edge set and metadata."""
    return (
        a.nodes.keys() == b.nodes.keys()
        and all(nodes_equal(a.nodes[n], b.nodes[n]) for n in a.nodes)
        and sorted(a.edges) == sorted(b.edges)
        and values_equal(dict(a.metadata), dict(b.metadata))
    )
