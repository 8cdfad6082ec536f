"""Chains of projections as sparse synapse lists: weights multiply, delays add along a chain.

One projection's synapses ``(pre, post, weight, delay_s)`` come from the target-free lowering
(:func:`snn_deploy.ir.lowering.lower_projection`, units flattened in C order); this module composes them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from snn_deploy.ir.lowering import Connectivity


@dataclass(frozen=True)
class Synapses:
    """Synapse ``k`` carries a pulse from unit ``pre[k]`` to unit ``post[k]``, scaled by ``weight[k]``, ``delay_s[k]`` later."""

    pre: np.ndarray
    post: np.ndarray
    weight: np.ndarray
    delay_s: np.ndarray

    @classmethod
    def of(cls, lowered: Connectivity) -> "Synapses":
        """The synapses of one lowered projection."""
        return cls(lowered.pre, lowered.post, lowered.weight, lowered.delay_s)

    @classmethod
    def concat(cls, parts: list["Synapses"]) -> "Synapses":
        return cls(*(np.concatenate([getattr(s, f) for s in parts]) for f in ("pre", "post", "weight", "delay_s")))

    def then(self, other: "Synapses") -> "Synapses":
        """Compose: a pulse goes through ``self`` and then ``other`` (``self.post`` indexes ``other.pre``)."""
        order = np.argsort(other.pre, kind="stable")
        pre_sorted = other.pre[order]
        first = np.searchsorted(pre_sorted, self.post, side="left")
        count = np.searchsorted(pre_sorted, self.post, side="right") - first
        left = np.repeat(np.arange(self.pre.size), count)
        start = np.repeat(first - np.cumsum(count) + count, count)
        right = order[start + np.arange(left.size)]
        return Synapses(
            self.pre[left], other.post[right], self.weight[left] * other.weight[right],
            self.delay_s[left] + other.delay_s[right],
        )

    def merged(self) -> "Synapses":
        """Sum weights of synapses with equal (pre, delay, post), drop zero weights; sorted by (pre, delay, post)."""
        order = np.lexsort((self.post, self.delay_s, self.pre))
        pre, post, delay, weight = self.pre[order], self.post[order], self.delay_s[order], self.weight[order]
        if pre.size:
            new = np.ones(pre.size, dtype=bool)
            new[1:] = (pre[1:] != pre[:-1]) | (post[1:] != post[:-1]) | (delay[1:] != delay[:-1])
            group = np.cumsum(new) - 1
            weight = np.bincount(group, weights=weight)
            pre, post, delay = pre[new], post[new], delay[new]
        keep = weight != 0.0
        return Synapses(pre[keep], post[keep], weight[keep], delay[keep])

    def apply(self, values: np.ndarray, out_units: int) -> np.ndarray:
        """The linear map on a constant input ``values`` (delays do not matter for a constant)."""
        return np.bincount(self.post, weights=self.weight * values[self.pre], minlength=out_units)
