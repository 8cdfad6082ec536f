r"""Spike-time pass criteria derived from the model and the target's step, before anything is run.

A deployed spike in step :math:`k` stands for time :math:`(k - \mathrm{latency})\,dt`. Any deployment on a grid
of step :math:`dt` moves each input event to its nearest step (:math:`|e| \le dt/2`) and reports each output
spike at the step whose update crossed the threshold (up to one step late), whatever its arithmetic: two steps
is the floor. Beyond that, a timing error is immaterial to a network when it is small against the network's
fastest time constant; a tenth of it is accepted:

.. math:: k_{tol} = \max\left(2,\ \left\lceil \frac{\min_p \tau_p}{10\,dt} \right\rceil\right)

over every positive synaptic and membrane time constant of every population (a network of non-leaky IF
neurons with delta synapses has none: the floor applies). At least :data:`MIN_MATCH_FRACTION` of the reference
spikes must find a deployed partner within :math:`k_{tol}` steps (nine in ten: a deployment may lose or gain
the odd marginal crossing to rounding, not a tenth of its activity). With class labels, the deployed accuracy
may be at most :data:`MAX_ACCURACY_DROP` below the reference's.
"""
from __future__ import annotations

import math

import numpy as np

from snn_deploy.check.equivalence import Tolerances
from snn_deploy.ir.graph import Graph

#: grid floor: input binning (half a step) plus output binning (up to one step), rounded up
FLOOR_STEPS = 2
#: a timing error of this fraction of the fastest time constant is immaterial
TAU_FRACTION = 0.1
MIN_MATCH_FRACTION = 0.9
MAX_ACCURACY_DROP = 0.005


def fastest_time_constant_s(graph: Graph) -> float | None:
    """The smallest positive ``tau_syn_s`` / ``tau_mem_s`` of any population; None when there is none."""
    taus = [np.asarray(getattr(pop, field)).reshape(-1) for pop in graph.populations().values()
            for field in ("tau_syn_s", "tau_mem_s") if hasattr(pop, field)]
    positive = np.concatenate(taus)[np.concatenate(taus) > 0] if taus else np.empty(0)
    return float(positive.min()) if positive.size else None


def tolerance_steps(graph: Graph, dt_s: float) -> int:
    """:math:`k_{tol}` of the module docstring for ``graph`` deployed at step ``dt_s``."""
    tau_s = fastest_time_constant_s(graph)
    if tau_s is None:
        return FLOOR_STEPS
    return max(FLOOR_STEPS, math.ceil(TAU_FRACTION * tau_s / dt_s - 1e-9))


def derived_tolerances(graph: Graph, dt_s: float) -> Tolerances:
    """The pass criteria for ``graph`` at ``dt_s`` (module docstring)."""
    return Tolerances(steps=float(tolerance_steps(graph, dt_s)), min_match=MIN_MATCH_FRACTION,
                      max_accuracy_drop=MAX_ACCURACY_DROP)
