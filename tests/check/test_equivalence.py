"""Check verdicts from synthetic runs: latency handling, tolerance boundary, bit-exact failure naming, JSON keys."""
from __future__ import annotations

import numpy as np
import pytest

from snn_deploy.check.equivalence import Tolerances, compare, raster_to_events
from snn_deploy.spikes import SpikeEvents

DT = 1e-3


def _runs(shift_steps: float):
    """Reference spikes at k*DT + shift; deployed raster at k + latency 2 (so the true error is |shift| steps)."""
    raster = np.zeros((2, 30, 3), np.uint8)
    raster[0, [5, 9, 20], [0, 1, 2]] = 1
    raster[1, [7, 8], [2, 2]] = 1
    ref_steps = SpikeEvents.from_raster(raster, DT)
    reference = SpikeEvents(ref_steps.sample, ref_steps.unit, ref_steps.time_s + shift_steps * DT, 2, 3)
    deployed = np.zeros((2, 32, 3), np.uint8)
    deployed[:, 2:, :] = raster
    return {"out": reference}, {"out/spikes": deployed}


@pytest.mark.parametrize("shift, tolerance, passes", [(0.99, 1.0, True), (1.01, 1.0, False), (0.0, 0.0, True)])
def test_tolerance_boundary(shift, tolerance, passes):
    reference, emulated = _runs(shift)
    result = compare(target="loihi2", engine=None, manifest={"latency_steps_by_node": {"out": 2}},
                     reference=reference, emulated=emulated, dt_s=DT, tolerances=Tolerances(tolerance, 1.0),
                     output_population="out")
    assert result.passed is passes
    assert (result.matched_fraction == 1.0) is passes
    if passes:
        assert result.max_abs_dt_steps == pytest.approx(shift)


def test_bit_exact_failure_names_first_difference_and_json_has_schema():
    reference, emulated = _runs(0.0)
    engine = {k: v.copy() for k, v in emulated.items()}
    engine["out/spikes"][1, 10, 1] = 1
    labels = np.array([0, 2])
    result = compare(target="loihi2", engine="lava", manifest={"latency_steps": 2}, reference=reference,
                     emulated=emulated, engine_records=engine, dt_s=DT, tolerances=Tolerances(),
                     output_population="out", labels=labels, node_order=("out",))
    report = result.to_json()
    for key in ("target", "engine", "bit_exact", "matched_fraction", "max_abs_dt_steps", "accuracy_reference",
                "accuracy_deployed", "passed"):
        assert key in report
    assert report["bit_exact"] is False and report["passed"] is False
    assert report["first_difference"] == {"population": "out", "quantity": "spikes", "neuron": 1, "step": 10,
                                          "sample": 1, "emulator": {"spikes": 0}, "engine": {"spikes": 1}}
    assert report["accuracy_reference"] == report["accuracy_deployed"] == 1.0


def test_raster_to_events_counts_multi_spikes():
    raster = np.zeros((1, 5, 2), np.uint8)
    raster[0, 3, 1] = 2
    events = raster_to_events(raster, DT, latency_steps=1)
    assert events.time_s.tolist() == [2 * DT, 2 * DT] and events.unit.tolist() == [1, 1]


def test_dynamics_criterion_fails_on_a_stability_crossing_and_names_the_population():
    from snn_deploy.check.equivalence import compare_dynamics

    c, s = np.cos(0.2), np.sin(0.2)
    rotation = np.array([[c, -s], [s, c]])
    report = {"dynamics": {
        "stable": {"exact_update": (0.9 * rotation).tolist(), "quantized_update": (0.9001 * rotation).tolist()},
        "bifurcating": {"exact_update": (0.9995 * rotation).tolist(), "quantized_update": (1.0004 * rotation).tolist()},
    }}
    reference, emulated = _runs(0.0)
    result = compare(target="loihi2", engine=None, manifest={"latency_steps": 2}, reference=reference,
                     emulated=emulated, dt_s=DT, tolerances=Tolerances(), output_population="out",
                     dynamics=compare_dynamics(report), dynamics_suggestion="--dt 5e-05 preserves the dynamics")
    verdict = {c.name: c for c in result.criteria()}["dynamics_preserved"]
    assert not verdict.passed and not result.passed
    assert "bifurcating: " in verdict.message and "stable:" not in verdict.message
    assert "--dt 5e-05" in verdict.message
    assert result.to_json()["dynamics"]["bifurcating"]["crossed_stability"] == 2


@pytest.mark.parametrize("max_drop, passes", [(0.0, False), (0.49, False), (0.5, True)])
def test_accuracy_criterion_bounds_the_deployed_accuracy_drop(max_drop, passes):
    reference, emulated = _runs(0.0)
    emulated["out/spikes"][1, 2 + 3, 0] = 1  # sample 1 now fires output 0 first: deployed 1 of 2 right
    result = compare(target="loihi2", engine=None, manifest={"latency_steps_by_node": {"out": 2}},
                     reference=reference, emulated=emulated, dt_s=DT,
                     tolerances=Tolerances(steps=1.0, min_match=0.0, max_accuracy_drop=max_drop),
                     output_population="out", labels=np.array([0, 2]))
    verdict = {c.name: c for c in result.criteria()}["accuracy_preserved"]
    assert result.classification.accuracy_reference == 1.0 and result.classification.accuracy_deployed == 0.5
    assert verdict.passed is passes and result.passed is passes
    assert "-50.00 pp" not in verdict.message and "+50.00 pp drop" in verdict.message


def test_accuracy_criterion_only_with_labels():
    reference, emulated = _runs(0.0)
    result = compare(target="loihi2", engine=None, manifest={"latency_steps_by_node": {"out": 2}},
                     reference=reference, emulated=emulated, dt_s=DT, tolerances=Tolerances(),
                     output_population="out")
    assert "accuracy_preserved" not in {c.name for c in result.criteria()}
