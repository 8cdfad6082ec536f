"""Bit-exact comparison of two engine outputs (e.g. our emulator against Lava), naming the first difference.

Records are ``<node>/spikes`` (and optionally ``<node>/u``, ``<node>/v``) arrays ``[batch, steps, units]``.
The first difference is the earliest time step at which any compared array differs; ties go to the population
that comes first in ``node_order`` (the graph's evaluation order), then to the lowest sample and neuron.
Two runs are equal only if something was compared: no common key, or arrays without a single sample, step or
unit, give a result that is not equal and says why (``empty``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

STATE_KEYS: tuple[str, ...] = ("spikes", "u", "v")


@dataclass(frozen=True)
class FirstDifference:
    """Where two runs first disagree, with every recorded value of that neuron at that step on both sides."""

    node: str
    quantity: str
    sample: int
    step: int
    neuron: int
    values_a: dict[str, int]
    values_b: dict[str, int]

    def describe(self, name_a: str = "emulator", name_b: str = "engine") -> str:
        def fmt(values: dict[str, int]) -> str:
            return ", ".join(f"{k}={v}" for k, v in values.items())

        return (
            f"first difference in population '{self.node}' ({self.quantity}), neuron {self.neuron}, "
            f"step {self.step}, sample {self.sample}: {name_a} {fmt(self.values_a)}; {name_b} {fmt(self.values_b)}"
        )


@dataclass(frozen=True)
class BitExactResult:
    """``equal`` when at least one value was compared and every compared array matches; ``mismatches`` counts
    differing elements per key; ``elements`` is how many values were compared (0: not equal, see ``empty``)."""

    equal: bool
    compared: tuple[str, ...]
    mismatches: dict[str, int] = field(default_factory=dict)
    first: FirstDifference | None = None
    elements: int = 0
    empty: str | None = None  #: why nothing was compared, when nothing was

    def describe(self, name_a: str = "emulator", name_b: str = "engine") -> str:
        """One line: what was identical, the first difference, or why nothing was compared."""
        if self.empty is not None:
            return f"nothing compared: {self.empty}"
        if self.first is not None:
            return self.first.describe(name_a, name_b)
        return f"{name_a} == {name_b}: {len(self.compared)} arrays ({self.elements} values) identical"


def _split(key: str) -> tuple[str, str]:
    node, _, quantity = key.rpartition("/")
    return node, quantity


def compare_records(
    a: Mapping[str, np.ndarray], b: Mapping[str, np.ndarray], node_order: Sequence[str] = ()
) -> BitExactResult:
    """Compare the keys both runs recorded; a spikes key present on one side only is a difference."""
    spikes_a = {k for k in a if k.endswith("/spikes")}
    spikes_b = {k for k in b if k.endswith("/spikes")}
    if spikes_a != spikes_b:
        only = sorted(spikes_a ^ spikes_b)
        raise ValueError(f"the runs recorded different populations: {', '.join(only)}")
    keys = sorted(k for k in a if k in b and _split(k)[1] in STATE_KEYS)
    rank = {name: i for i, name in enumerate(node_order)}
    mismatches: dict[str, int] = {}
    best: tuple[int, int, int, int, int, str] | None = None  # step, node rank, quantity, sample, neuron, key
    for key in keys:
        x, y = np.asarray(a[key]), np.asarray(b[key])
        if x.shape != y.shape:
            raise ValueError(f"'{key}' has shape {x.shape} in one run and {y.shape} in the other")
        diff = x.astype(np.int64) != y.astype(np.int64)
        count = int(diff.sum())
        if not count:
            continue
        mismatches[key] = count
        node, quantity = _split(key)
        where = np.argwhere(diff)  # rows (sample, step, neuron)
        sample, step, neuron = where[np.lexsort((where[:, 2], where[:, 0], where[:, 1]))[0]]
        candidate = (int(step), rank.get(node, len(rank)), STATE_KEYS.index(quantity), int(sample), int(neuron), key)
        if best is None or candidate < best:
            best = candidate
    elements = sum(int(np.asarray(a[key]).size) for key in keys)
    if not keys:
        return BitExactResult(False, (), empty=f"no {'/'.join(STATE_KEYS)} array recorded by both runs")
    if elements == 0:
        shapes = ", ".join(f"{key} {np.shape(a[key])}" for key in keys)
        return BitExactResult(False, tuple(keys), empty=f"every array is empty (no sample, step or unit): {shapes}")
    if best is None:
        return BitExactResult(equal=True, compared=tuple(keys), elements=elements)
    step, _, _, sample, neuron, key = best
    node, quantity = _split(key)

    def values(records: Mapping[str, np.ndarray]) -> dict[str, int]:
        return {
            q: int(records[f"{node}/{q}"][sample, step, neuron]) for q in STATE_KEYS if f"{node}/{q}" in records
        }

    first = FirstDifference(node, quantity, sample, step, neuron, values(a), values(b))
    return BitExactResult(equal=False, compared=tuple(keys), mismatches=mismatches, first=first, elements=elements)
