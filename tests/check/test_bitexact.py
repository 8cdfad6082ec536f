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


def test_nothing_compared_is_not_equal_and_says_why():
    a = _records(3)
    # no spikes/u/v key in common (only other quantities recorded)
    only_other = {"hidden/w": a["hidden/u"]}
    result = compare_records(only_other, dict(only_other))
    assert not result.equal and result.compared == () and result.first is None
    assert result.describe() == "nothing compared: no spikes/u/v array recorded by both runs"
    # keys in common, but no sample, no step or no unit in them
    for empty in ((0, 20, 6), (2, 0, 6), (2, 20, 0)):
        records = {f"hidden/{q}": np.zeros(empty, np.int64) for q in ("spikes", "u", "v")}
        result = compare_records(records, {k: v.copy() for k, v in records.items()}, ["hidden"])
        assert not result.equal and result.elements == 0 and len(result.compared) == 3
        assert result.describe().startswith("nothing compared: every array is empty") and str(empty) in result.describe()


def test_equal_result_counts_the_values_compared():
    result = compare_records(_records(4), _records(4), ["hidden", "out"])
    assert result.equal and result.elements == 3 * 2 * 20 * (6 + 3)
    assert result.describe() == "emulator == engine: 6 arrays (1080 values) identical"


def test_a_check_that_compared_nothing_fails_its_bit_exact_criterion():
    from snn_deploy.check.equivalence import CheckResult, Tolerances

    nothing = compare_records({"out/w": np.zeros((1, 1, 1))}, {"out/w": np.zeros((1, 1, 1))})
    result = CheckResult(target="loihi2", engine="lava", dt_s=1e-3, tolerances=Tolerances(), populations={},
                         output_population="out", bit_exact=nothing)
    verdict = next(c for c in result.criteria() if c.name == "bit_exact")
    assert not verdict.passed and verdict.message == "nothing compared: no spikes/u/v array recorded by both runs"
