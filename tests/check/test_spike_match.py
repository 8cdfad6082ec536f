"""Optimal spike matching equals a brute-force search; population-level counts and first-spike times."""
from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from snn_deploy.check.spike_match import match_population, match_spike_times
from snn_deploy.spikes import SpikeEvents


def _brute_force(ref: np.ndarray, emu: np.ndarray, tol: float) -> tuple[int, float]:
    """Best (pairs, -cost) over every one-to-one matching (crossing ones included)."""
    best = (0, 0.0)
    for k in range(min(len(ref), len(emu)), 0, -1):
        for rs in itertools.combinations(range(len(ref)), k):
            for es in itertools.permutations(range(len(emu)), k):
                gaps = [abs(ref[r] - emu[e]) for r, e in zip(rs, es)]
                if max(gaps) <= tol:
                    cand = (k, -sum(gaps))
                    best = max(best, cand)
        if best[0] == k:
            return best[0], -best[1]
    return 0, 0.0


times = st.lists(st.integers(0, 30), min_size=0, max_size=5, unique=True).map(lambda xs: np.array(sorted(xs), float))


@settings(max_examples=150, deadline=None)
@given(times, times, st.integers(0, 4))
def test_matching_is_optimal(ref, emu, tol):
    ri, ei = match_spike_times(ref, emu, tol)
    assert len(set(ri)) == len(ri) and len(set(ei)) == len(ei)
    gaps = np.abs(ref[ri] - emu[ei])
    assert np.all(gaps <= tol)
    pairs, cost = _brute_force(ref, emu, tol)
    assert len(ri) == pairs
    assert np.isclose(gaps.sum(), cost)


def test_population_counts_missing_extra_and_first_spikes():
    ref = SpikeEvents(sample=[0, 0, 1], unit=[0, 1, 1], time_s=[1.0, 2.0, 3.0], batch=2, units=2)
    emu = SpikeEvents(sample=[0, 0, 1, 1], unit=[0, 1, 1, 0], time_s=[1.1, 2.5, 3.0, 0.5], batch=2, units=2)
    result = match_population(ref, emu, tol_s=0.2)
    assert (result.matched, result.missing, result.extra) == (2, 1, 2)
    assert np.allclose(np.sort(result.dt_abs_s), [0.0, 0.1])
    assert result.matched_fraction == 2 / 4
    assert np.isnan(result.first_spike_reference_s[1, 0]) and result.first_spike_deployed_s[1, 0] == 0.5
