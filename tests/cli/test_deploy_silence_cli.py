"""`compile` names the populations that can never spike; `emulate` names those that never spiked on the input
(text, --json, the saved output), with their counts; a healthy network reports none (and real spikes)."""
from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from snn_deploy.cli import main
from snn_deploy.ir import IF, LIF, Dense, Graph, Input, Output
from snn_deploy.ir.io import save
from snn_deploy.spikes import SpikeEvents, load_engine_activity, load_engine_output, save_input

DT = 1e-3


def _speck_graph(outlier: float) -> Graph:
    """in (12) -> h (8 IF) -> o (4 IF); h's weights 3.0, from input unit 0 ``outlier``. With -1000 Speck's one
    scale per layer (127/1000) rounds the 3.0 to 0: h and o can never spike. With -3.0 both are healthy."""
    w1 = np.full((8, 12), 3.0)
    w1[:, 0] = outlier
    return Graph(
        nodes={"in": Input((12,)), "fc1": Dense(w1), "h": IF.create(8, v_threshold=10.0),
               "fc2": Dense(np.full((4, 8), 2.0)), "o": IF.create(4, v_threshold=1.0), "out": Output((4,))},
        edges=[("in", "fc1"), ("fc1", "h"), ("h", "fc2"), ("fc2", "o"), ("o", "out")],
    )


@pytest.fixture(scope="module")
def speck_models(tmp_path_factory):
    root = tmp_path_factory.mktemp("silence")
    save(_speck_graph(-1000.0), root / "dead.onnx")
    save(_speck_graph(-3.0), root / "healthy.onnx")
    rng = np.random.default_rng(3)
    n = 200
    save_input(root / "in.npz", SpikeEvents(rng.integers(0, 3, n), rng.integers(1, 12, n), rng.uniform(0, 0.1, n),
                                            3, 12))
    for name in ("dead", "healthy"):
        result = CliRunner().invoke(main, ["compile", str(root / f"{name}.onnx"), "--target", "speck", "-o",
                                           str(root / f"{name}-speck")])
        assert result.exit_code == 0, result.output
        (root / f"{name}.compile.txt").write_text(result.stdout)
    return root


def test_compile_names_the_populations_that_can_never_spike(speck_models):
    text = (speck_models / "dead.compile.txt").read_text()
    assert "warning: population 'h' (8 neurons) can never spike: every weight is <= 0 after quantization" in text
    assert "rounded to 0" in text
    assert "warning: population 'o' (4 neurons) can never spike: its positive weights come only from channels of " \
           "'h'" in text
    quantization = json.loads((speck_models / "dead-speck" / "quantization.json").read_text())
    assert [entry["population"] for entry in quantization["silent_populations"]] == ["h", "o"]
    assert "can never spike" not in (speck_models / "healthy.compile.txt").read_text()


def test_compile_json_lists_them(speck_models, tmp_path):
    result = CliRunner().invoke(main, ["compile", str(speck_models / "dead.onnx"), "--target", "speck", "-o",
                                       str(tmp_path / "a"), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert [(e["population"], e["neurons"]) for e in summary["silent_populations"]] == [("h", 8), ("o", 4)]
    assert "population 'h'" in result.stderr


def test_emulate_reports_silent_populations(speck_models, tmp_path):
    result = CliRunner().invoke(main, ["emulate", str(speck_models / "dead-speck"), "--input",
                                       str(speck_models / "in.npz"), "-o", str(tmp_path / "out.npz"), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["silent_populations"] == ["h", "o"] and report["engine"] == "emulator"
    h = report["populations"]["h"]
    assert (h["spikes"], h["samples"], h["neurons"], h["silent"]) == (0, 3, 8, True) and h["steps"] >= 100
    assert "every weight is <= 0" in report["structurally_silent"]["h"]
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 2 and "population 'h' never spiked: 0 spikes from 8 neurons in 3 sample(s)" in warnings[0]
    assert load_engine_activity(tmp_path / "out.npz") == {k: v for k, v in report.items() if k not in ("output", "dt_s")}
    records, _ = load_engine_output(tmp_path / "out.npz")
    assert sorted(records) == ["out/spikes"]  # the default --record still saves only the outputs


def test_emulate_of_a_healthy_network_reports_its_spikes(speck_models, tmp_path):
    result = CliRunner().invoke(main, ["emulate", str(speck_models / "healthy-speck"), "--input",
                                       str(speck_models / "in.npz"), "-o", str(tmp_path / "out.npz"), "--json",
                                       "--record", "h"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["silent_populations"] == [] and "warning" not in result.stderr
    assert report["populations"]["h"]["spikes"] > 50 and report["populations"]["o"]["spikes"] > 50
    records, _ = load_engine_output(tmp_path / "out.npz")
    assert sorted(records) == ["h/spikes"]
    assert int(records["h/spikes"].sum()) == report["populations"]["h"]["spikes"]


def test_loihi2_compile_and_emulate_name_an_unreachable_threshold(tmp_path):
    """One LIF with tau_mem = dt: a pulse makes v jump by 1, threshold 2. Loihi's spikes are unary per step,
    so with every input spiking in every step v stays below its threshold (the reference fires only when
    several input spikes fall within one step)."""
    graph = Graph(
        nodes={"in": Input((2,)), "fc": Dense(np.full((2, 2), DT)),
               "h": LIF.create(2, tau_mem_s=DT, v_threshold=2.0, reset_mode="to_value"), "out": Output((2,))},
        edges=[("in", "fc"), ("fc", "h"), ("h", "out")], metadata={"dt_s": DT},
    )
    save(graph, tmp_path / "lif.onnx")
    result = CliRunner().invoke(main, ["compile", str(tmp_path / "lif.onnx"), "--target", "loihi2", "-o",
                                       str(tmp_path / "art")])
    assert result.exit_code == 0, result.output
    assert "warning: population 'h' (2 neurons) can never spike: threshold unreachable" in result.stdout
    every_step = np.ones((2, 50, 2), np.uint8)
    np.savez(tmp_path / "dense.npz", spikes=every_step, dt_s=np.float64(DT))
    result = CliRunner().invoke(main, ["emulate", str(tmp_path / "art"), "--input", str(tmp_path / "dense.npz"),
                                       "-o", str(tmp_path / "out.npz"), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["silent_populations"] == ["h"] and report["populations"]["h"]["steps"] >= 50
    assert "threshold unreachable" in report["structurally_silent"]["h"]


def test_run_in_the_vendor_engine_reports_the_same_silence(speck_models, tmp_path):
    args = ["--input", str(speck_models / "in.npz"), "--json"]
    ran = CliRunner().invoke(main, ["run", str(speck_models / "dead-speck"), "--engine", "sinabs", "-o",
                                    str(tmp_path / "run.npz"), *args])
    emulated = CliRunner().invoke(main, ["emulate", str(speck_models / "dead-speck"), "-o", str(tmp_path / "emu.npz"),
                                         *args])
    assert ran.exit_code == 0 and emulated.exit_code == 0, ran.output + emulated.output
    run_report, emu_report = json.loads(ran.stdout), json.loads(emulated.stdout)
    assert run_report["engine"] == "sinabs" and run_report["silent_populations"] == ["h", "o"]
    assert run_report["populations"] == emu_report["populations"]
    assert "population 'h' never spiked" in ran.stderr
