r"""Populations that can never spike, whatever the input: the fixed point every target's analysis computes.

A target's analysis (``quantize/<target>/reachability.py``) bounds, from the deployment's integers alone, the
largest membrane value each neuron can reach when every input unit and every neuron that may fire spike as
often as the target allows. A neuron whose bound stays at or below its threshold can never fire. Starting
from "only the input spikes" and adding every neuron whose bound exceeds its threshold, until nothing
changes, gives the least fixed point :math:`F`; no neuron outside :math:`F` ever fires, on any input. By
induction over time steps: before the first spike of a neuron outside :math:`F`, every spike came from the
input or from :math:`F`, so that neuron's bound (computed with :math:`F`'s spikes) held, and it stayed below
its threshold. The bounds are sound (never below the true supremum), not tight: a population reported here is
silent on every input; one not reported may still stay silent on a given input (emulate / check say so).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Callable, Mapping

import numpy as np

Alive = dict[str, np.ndarray]  #: unit name -> bool mask of the neurons that may fire


@dataclass(frozen=True)
class SilentPopulation:
    """A population none of whose ``neurons`` can ever spike, and why (one line naming the numbers)."""

    population: str
    neurons: int
    reason: str

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        return f"population '{self.population}' ({self.neurons} neurons) can never spike: {self.reason}"


def least_fixed_point(initial: Mapping[str, np.ndarray], may_fire: Callable[[Alive], Alive]) -> Alive:
    """Grow ``initial`` (bool masks) by ``may_fire(alive)`` (the neurons whose bound, given ``alive``'s spikes,
    exceeds the threshold) until nothing changes; ``may_fire`` must be monotone in ``alive``."""
    alive = {name: np.asarray(mask, bool).copy() for name, mask in initial.items()}
    while True:
        grown = {name: alive[name] | np.asarray(mask, bool) for name, mask in may_fire(alive).items()}
        if all(np.array_equal(mask, alive[name]) for name, mask in grown.items()):
            return alive
        alive.update(grown)
