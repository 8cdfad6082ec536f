"""The no_silent_populations criterion: fails naming a population that spikes in the reference and never when
deployed, states one silent on both sides, fails a run where nothing spiked; end to end on Loihi 2, where
Loihi's unary spikes leave a threshold unreachable that three coincident reference spikes cross."""
from __future__ import annotations

import numpy as np

from snn_deploy.check.equivalence import Tolerances, compare
from snn_deploy.check.runner import CheckInput, CheckOptions, run_check
from snn_deploy.ir import LIF, Dense, Graph, Input, Output
from snn_deploy.spikes import SpikeEvents

DT = 1e-3


def _runs(deployed_fires: dict[str, bool], reference_fires: dict[str, bool]):
    reference, emulated = {}, {}
    for name in deployed_fires:
        raster = np.zeros((2, 20, 3), np.uint8)
        raster[0, [4, 9], [0, 2]] = 1
        events = SpikeEvents.from_raster(raster, DT)
        reference[name] = events if reference_fires[name] else SpikeEvents(
            np.zeros(0), np.zeros(0), np.zeros(0), 2, 3)
        emulated[f"{name}/spikes"] = raster if deployed_fires[name] else np.zeros_like(raster)
    return reference, emulated


def _verdict(deployed_fires, reference_fires, structural=None):
    reference, emulated = _runs(deployed_fires, reference_fires)
    result = compare(target="loihi2", engine=None, manifest={"latency_steps": 0}, reference=reference,
                     emulated=emulated, dt_s=DT, tolerances=Tolerances(1.0, 0.0), output_population="out",
                     structurally_silent=structural)
    return result, {c.name: c for c in result.criteria()}["no_silent_populations"]


def test_a_population_silent_only_when_deployed_fails_naming_it():
    result, verdict = _verdict({"h": False, "out": True}, {"h": True, "out": True}, {"h": "threshold unreachable"})
    assert not verdict.passed and not result.passed
    assert verdict.message.startswith("silent in the deployment, spiking in the reference: h (reference 2 spikes, "
                                      "deployed 0 in 2 sample(s) x 20 steps; compile: it can never spike: "
                                      "threshold unreachable)")
    assert "out" not in verdict.message
    report = result.to_json()
    assert report["silent_populations"]["deployment_only"] == ["h"]
    assert report["populations"]["out"]["deployed_spikes_all_steps"] == 2
    assert report["populations"]["h"]["silent_deployed"] and not report["populations"]["h"]["silent_reference"]


def test_a_population_silent_in_both_is_stated_and_passes():
    result, verdict = _verdict({"h": False, "out": True}, {"h": False, "out": True})
    assert verdict.passed and result.passed
    assert verdict.message == ("every population that spikes in the reference spikes in the deployment (1 of 2); "
                               "silent in both the reference and the deployment (not a failure): h")


def test_deployed_spikes_the_reference_lacks_are_listed_not_failed():
    result, verdict = _verdict({"h": True, "out": True}, {"h": False, "out": True})
    assert verdict.passed and result.to_json()["silent_populations"]["reference_only"] == ["h"]


def test_a_run_where_nothing_spiked_fails():
    result, verdict = _verdict({"h": False, "out": False}, {"h": False, "out": False})
    assert not verdict.passed and "nothing was compared" in verdict.message and not result.passed


def test_loihi2_check_fails_on_a_population_whose_threshold_is_unreachable_deployed():
    """h: LIF with tau_mem = dt, a pulse makes v jump by 1, threshold 2. In the reference three input spikes
    within 2 us cross it; deployed, they fall in one step, count once (spikes are unary), and every input
    spiking in every step keeps v below the threshold: compile proves h silent and the check fails on it."""
    graph = Graph(
        nodes={"in": Input((2,)), "fc": Dense(np.eye(2) * DT),
               "h": LIF.create(2, tau_mem_s=DT, v_threshold=2.0, reset_mode="to_value"), "out": Output((2,))},
        edges=[("in", "fc"), ("fc", "h"), ("h", "out")], metadata={"dt_s": DT},
    )
    times = np.array([0.010, 0.010001, 0.010002, 0.030, 0.030001, 0.030002])
    events = SpikeEvents(np.array([0, 0, 0, 1, 1, 1]), np.array([0, 0, 0, 1, 1, 1]), times, 2, 2)
    run = run_check(graph, CheckInput(events, None, "coincident"),
                    CheckOptions(target="loihi2", tolerances=Tolerances(1.0, 0.0), model_name="lif.onnx"))
    report = run.result.to_json()
    assert report["populations"]["h"]["reference_spikes"] >= 2
    assert report["populations"]["h"]["deployed_spikes_all_steps"] == 0 and not run.result.passed
    verdict = {c["name"]: c for c in report["criteria"]}
    assert verdict["spike_time_equivalence"]["passed"] and not verdict["no_silent_populations"]["passed"]
    assert "h (reference" in verdict["no_silent_populations"]["message"]
    assert "threshold unreachable" in report["silent_populations"]["structurally_silent"]["h"]
