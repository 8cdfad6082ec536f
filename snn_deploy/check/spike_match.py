"""Spike-time equivalence: optimal one-to-one matching of reference and deployed spikes per neuron.

For one neuron, reference spike times ``r_1 < ... < r_n`` and deployed spike times ``e_1 < ... < e_m`` (seconds)
are matched one to one, a pair allowed when ``|r_i - e_j| <= tol_s``. The matching maximizes the number of pairs
and, among those, minimizes ``sum |r_i - e_j|``. On a line an optimal matching never crosses (swapping a crossed
pair keeps both within tolerance and does not increase the cost), so it is found by the dynamic programme

    D[i, j] = best of  D[i-1, j]  (r_i missing),  D[i, j-1]  (e_j extra),
                       D[i-1, j-1] + (1 pair, |r_i - e_j|)  if |r_i - e_j| <= tol_s,

compared lexicographically (more pairs first, then less total error).
"""
from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from snn_deploy.spikes import SpikeEvents


@numba.njit(cache=True)
def _match_sorted(ref: np.ndarray, emu: np.ndarray, tol_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Indices (into ``ref``, ``emu``) of the optimal non-crossing matching of two sorted time arrays."""
    n, m = ref.size, emu.size
    count = np.zeros((n + 1, m + 1), dtype=np.int64)
    cost = np.zeros((n + 1, m + 1), dtype=np.float64)
    move = np.zeros((n + 1, m + 1), dtype=np.int8)  # 1: skip ref, 2: skip emu, 3: match
    for i in range(1, n + 1):
        move[i, 0] = 1
    for j in range(1, m + 1):
        move[0, j] = 2
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            best_c, best_e, best_m = count[i - 1, j], cost[i - 1, j], 1
            if count[i, j - 1] > best_c or (count[i, j - 1] == best_c and cost[i, j - 1] < best_e):
                best_c, best_e, best_m = count[i, j - 1], cost[i, j - 1], 2
            gap = abs(ref[i - 1] - emu[j - 1])
            if gap <= tol_s:
                c, e = count[i - 1, j - 1] + 1, cost[i - 1, j - 1] + gap
                if c > best_c or (c == best_c and e < best_e):
                    best_c, best_e, best_m = c, e, 3
            count[i, j], cost[i, j], move[i, j] = best_c, best_e, best_m
    pairs = count[n, m]
    ref_idx = np.empty(pairs, dtype=np.int64)
    emu_idx = np.empty(pairs, dtype=np.int64)
    i, j, k = n, m, pairs - 1
    while i > 0 or j > 0:
        step = move[i, j]
        if step == 3:
            ref_idx[k], emu_idx[k] = i - 1, j - 1
            k -= 1
            i -= 1
            j -= 1
        elif step == 1:
            i -= 1
        else:
            j -= 1
    return ref_idx, emu_idx


def match_spike_times(ref_s: np.ndarray, emu_s: np.ndarray, tol_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Optimal matching of two spike-time arrays of one neuron; returns matched index pairs (sorted inputs)."""
    ref_s = np.sort(np.asarray(ref_s, dtype=np.float64))
    emu_s = np.sort(np.asarray(emu_s, dtype=np.float64))
    return _match_sorted(ref_s, emu_s, float(tol_s))


@dataclass(frozen=True)
class MatchResult:
    """Spike-time agreement of one population over a batch.

    ``dt_abs_s`` holds ``|t_ref - t_deployed|`` of every matched pair. ``first_spike_*`` are per (sample, unit):
    the first spike time on each side (NaN when silent).
    """

    reference_spikes: int
    deployed_spikes: int
    matched: int
    dt_abs_s: np.ndarray
    first_spike_reference_s: np.ndarray
    first_spike_deployed_s: np.ndarray

    @property
    def missing(self) -> int:
        """Reference spikes with no deployed partner."""
        return self.reference_spikes - self.matched

    @property
    def extra(self) -> int:
        """Deployed spikes with no reference partner."""
        return self.deployed_spikes - self.matched

    @property
    def matched_fraction(self) -> float:
        """Matched pairs over the larger spike count (1.0 when both sides are silent)."""
        total = max(self.reference_spikes, self.deployed_spikes)
        return 1.0 if total == 0 else self.matched / total


def _first_spikes(events: SpikeEvents) -> np.ndarray:
    first = np.full((events.batch, events.units), np.nan)
    order = np.argsort(events.time_s, kind="stable")[::-1]  # the earliest write wins
    first[events.sample[order], events.unit[order]] = events.time_s[order]
    return first


def match_population(reference: SpikeEvents, deployed: SpikeEvents, tol_s: float) -> MatchResult:
    """Match every (sample, unit) spike train of ``reference`` with the same train of ``deployed``."""
    if (reference.batch, reference.units) != (deployed.batch, deployed.units):
        raise ValueError(
            f"reference is {reference.batch}x{reference.units}, deployed is {deployed.batch}x{deployed.units}"
        )
    gaps: list[np.ndarray] = []
    matched = 0
    key_ref = reference.sample * reference.units + reference.unit
    key_emu = deployed.sample * deployed.units + deployed.unit
    order_ref = np.argsort(key_ref, kind="stable")
    order_emu = np.argsort(key_emu, kind="stable")
    keys = np.union1d(key_ref, key_emu)
    lo_r = np.searchsorted(key_ref[order_ref], keys, "left")
    hi_r = np.searchsorted(key_ref[order_ref], keys, "right")
    lo_e = np.searchsorted(key_emu[order_emu], keys, "left")
    hi_e = np.searchsorted(key_emu[order_emu], keys, "right")
    t_ref = reference.time_s[order_ref]
    t_emu = deployed.time_s[order_emu]
    for a, b, c, d in zip(lo_r, hi_r, lo_e, hi_e):
        if a == b or c == d:
            continue
        r, e = np.sort(t_ref[a:b]), np.sort(t_emu[c:d])
        ri, ei = _match_sorted(r, e, float(tol_s))
        matched += ri.size
        gaps.append(np.abs(r[ri] - e[ei]))
    return MatchResult(
        reference_spikes=int(reference.time_s.size),
        deployed_spikes=int(deployed.time_s.size),
        matched=int(matched),
        dt_abs_s=np.concatenate(gaps) if gaps else np.zeros(0),
        first_spike_reference_s=_first_spikes(reference),
        first_spike_deployed_s=_first_spikes(deployed),
    )
