r"""Reading a model whose exporter counted spikes per time step (snnTorch, Norse) in the IR's pulse semantics.

The IR (as NIR) is continuous: a spike is a Dirac pulse :math:`\delta(t - t_k)` of unit area, so a pulse of
weight :math:`w` makes a CubaLIF's current jump by :math:`w_{in} w / \tau_{syn}` and a LIF's membrane by
:math:`r w / \tau_{mem}`. Exporters of discrete-time simulators write their forward-Euler step
:math:`x_{t+1} = x_t + (\Delta t / \tau)(\ldots + w s_t)` with spikes :math:`s_t \in \{0, 1\}` per step of
:math:`\Delta t` and set the NIR parameters so that *this* step reproduces their model (snnTorch:
``r = tau_mem / dt``, ``w_in = tau_syn / dt`` with ``dt = 1e-4`` s; Norse: ``v += dt / tau_mem * (w s)``). Read
with unit-area pulses, the same file moves the state :math:`1/\Delta t` times as far per spike (the shared
Braille and Norse files: :math:`10^3`-:math:`10^5` thresholds per input spike).

A step value :math:`s_t = 1` over one step has area :math:`\Delta t`, so the continuous network that integrates
what the exporter's step integrates has every spike-carrying weight multiplied by :math:`\Delta t`:

.. math:: w' = w \, \Delta t \quad\text{(Dense, Conv2d weights)}, \qquad b' = b \quad\text{(biases: currents)}.

A bias is a current already (the exporter adds :math:`(\Delta t / \tau) w_{in} b` per step, as the continuous
model does over a step), so it is not scaled. A population fed through a path with no weighted projection
(spikes reaching it straight from an ``Input`` or a population through pools, flatten or delays only) has no
weight to scale and is refused, naming it.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from snn_deploy.errors import UnsupportedError
from snn_deploy.ir.graph import Graph
from snn_deploy.ir.nodes import Conv2d, Dense, Input, Population

#: projections whose weights carry the spikes' area
WEIGHTED = (Dense, Conv2d)


def _unweighted_feeders(graph: Graph, population: str) -> list[str]:
    """Spike sources (inputs or populations) that reach ``population`` through no weighted projection."""
    found, stack, seen = [], list(graph.sources(population)), set()
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        node = graph.nodes[name]
        if isinstance(node, (Input, Population)):
            found.append(name)
        elif not isinstance(node, WEIGHTED):
            stack.extend(graph.sources(name))
    return sorted(found)


def per_step_spikes(graph: Graph, step_s: float) -> Graph:
    """The graph whose unit-area pulses do what the exporter's one-per-step spikes of ``step_s`` seconds did."""
    if not (np.isfinite(step_s) and step_s > 0):
        raise UnsupportedError(f"spike step must be a positive number of seconds, got {step_s!r}")
    for name in graph.populations():
        feeders = _unweighted_feeders(graph, name)
        if feeders:
            raise UnsupportedError(f"node '{name}': spikes from {', '.join(repr(f) for f in feeders)} reach it "
                                   "through no weighted projection, so per-step spikes cannot be rescaled")
    nodes = {name: dataclasses.replace(node, weight=node.weight * step_s) if isinstance(node, WEIGHTED) else node
             for name, node in graph.nodes.items()}
    metadata = {**graph.metadata, "spike_step_s": float(step_s)}
    return Graph(nodes, graph.edges, metadata).validate()
