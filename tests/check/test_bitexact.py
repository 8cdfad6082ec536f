"""Bit-exact comparison: equal runs pass; a perturbed run names the earliest differing population and neuron."""
from __future__ import annotations

import numpy as np
import pytest

from snn_deploy.check.bitexact import compare_records


def _records(seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    out = {}
    for node, units in (("hidden", 6), ("out", 3)):
        out[f"{node}/spikes"] = (rng.random((2, 20, units)) < 0.3).astype(np.uint8)
        out[f"{node}/u"] = rng.integers(-1000, 1000, (2, 20, units))
        out[f"{node}/v"] = rng.integers(-1000, 1000, (2, 20, units))
    return out


def test_identical_runs_are_bit_exact():
    result = compare_records(_records(0), _records(0), ["hidden", "out"])
    assert result.equal and result.first is None and len(result.compared) == 6


def test_first_difference_is_earliest_step_then_graph_order():
    a = _records(1)
    b = {k: v.copy() for k, v in a.items()}
    b["out/v"][1, 7, 2] += 1          # earliest step, later population
    b["hidden/spikes"][0, 7, 4] ^= 1  # same step, earlier population: this one is first
    b["hidden/u"][0, 3, 0] += 0       # no change
    b["hidden/v"][0, 12, 1] -= 5      # later step
    result = compare_records(a, b, ["hidden", "out"])
    assert not result.equal
    first = result.first
    assert (first.node, first.quantity, first.sample, first.step, first.neuron) == ("hidden", "spikes", 0, 7, 4)
    assert first.values_a["spikes"] != first.values_b["spikes"]
    assert first.values_a["u"] == first.values_b["u"] == a["hidden/u"][0, 7, 4]
    assert result.mismatches == {"hidden/spikes": 1, "hidden/v": 1, "out/v": 1}
    assert "population 'hidden'" in first.describe() and "step 7" in first.describe()


def test_different_recorded_populations_is_an_error():
    a = _records(2)
    b = {k: v for k, v in a.items() if not k.startswith("out/")}
    with pytest.raises(ValueError, match="out/spikes"):
        compare_records(a, b)
