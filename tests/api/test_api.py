"""The public API: one result type for both targets, artifacts identical to what compile writes, hash-verified
loading, a third target through the registry, and misuse raising the project's errors with a message."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import snn_deploy as sd
from snn_deploy.cli import main as cli
from snn_deploy.targets.loihi2 import Loihi2Target
from tests.conftest import REPO

XOR = REPO / "examples" / "models" / "xor.onnx"


@pytest.fixture(scope="module")
def cnn(shared_models) -> sd.Graph:
    return sd.read(shared_models / "cnn_sinabs.nir", reset_mode="subtract")


@pytest.fixture(scope="module")
def cnn_events(cnn) -> sd.SpikeEvents:
    return sd.poisson_events(np.full((2, sd.input_units(cnn)), 50.0), 0.01, seed=1)


@pytest.fixture(scope="module")
def deployed(cnn) -> dict[str, sd.Deployment]:
    return {target: sd.compile(cnn, target, 1e-3) for target in sd.target_names()}


def test_exports_are_the_api():
    for name in sd.__all__:
        assert getattr(sd, name) is not None, name
    assert callable(sd.check) and not isinstance(sd.check, type(sd))  # the function, not the subpackage
    import snn_deploy.check.runner  # noqa: F401  (importing a check module keeps it so)
    assert callable(sd.check)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        sd.nope  # noqa: B018


def test_both_targets_give_the_same_types(deployed, cnn_events):
    for target, deployment in deployed.items():
        assert isinstance(deployment, sd.Deployment) and deployment.target.name == target
        report = deployment.report
        assert isinstance(report, sd.CompileReport) and report.target == target and report.dt_s == 1e-3
        assert report.to_json()["dt_s"] == 1e-3 and not report.text.endswith(str(deployment.artifact_dir))
        records = deployment.emulate(cnn_events, record="all", record_state=True)
        assert isinstance(records, sd.Records) and records.engine == "emulator" and records.dt_s == 1e-3
        assert set(records.spikes) == {"1", "3", "6", "10", "12"}
        for node, spikes in records.spikes.items():
            assert spikes.dtype == np.uint8 and spikes.ndim == 3 and spikes.shape[0] == 2
            assert records.u[node].shape == spikes.shape == records.v[node].shape
        assert sum(int(s.sum()) for s in records.spikes.values()) > 100  # guard: the network spikes
        outputs = deployment.emulate(cnn_events)
        assert list(outputs.spikes) == ["output"] and outputs.u is None  # the output node, fed by population 12
        np.testing.assert_array_equal(outputs.spikes["output"], records.spikes["12"])
        assert outputs.activity["populations"] == records.activity["populations"]  # every population counted
        events = outputs.events("output")
        assert events.batch == 2 and events.time_s.size == int(outputs.spikes["output"].sum())


def test_save_writes_what_the_cli_compiles(deployed, shared_models, tmp_path):
    for target, deployment in deployed.items():
        saved = deployment.save(tmp_path / "api" / target)
        (saved / "stale").write_text("x")
        deployment.save(saved)  # replaced atomically: the stale file is gone
        result = CliRunner().invoke(cli, ["compile", str(shared_models / "cnn_sinabs.nir"), "--reset-mode",
                                          "subtract", "--target", target, "--dt", "0.001", "-o",
                                          str(tmp_path / "cli" / target)])
        assert result.exit_code == 0, result.output
        files = sorted(p.name for p in saved.iterdir())
        assert files == sorted(p.name for p in (tmp_path / "cli" / target).iterdir()) and "stale" not in files
        for name in files:
            assert (saved / name).read_bytes() == (tmp_path / "cli" / target / name).read_bytes(), name
        loaded = sd.load_artifact(saved)
        assert loaded.target.name == target and loaded.report.silent_populations == deployment.report.silent_populations


def test_load_artifact_refuses_a_changed_file(deployed, tmp_path):
    for target, deployment in deployed.items():
        saved = deployment.save(tmp_path / target)
        weights = saved / "weights.npz"
        data = bytearray(weights.read_bytes())
        data[len(data) // 2] ^= 0xFF
        weights.write_bytes(bytes(data))
        with pytest.raises(sd.ModelFormatError, match="weights.npz.*(changed|sha256)"):
            sd.load_artifact(saved)
    with pytest.raises(sd.ModelFormatError, match="manifest.json"):
        sd.load_artifact(tmp_path / "nothing")


def test_misuse_raises_the_projects_errors(deployed, cnn, cnn_events, monkeypatch):
    loihi2 = deployed["loihi2"]
    with pytest.raises(sd.UnsupportedError, match=r"unknown target 'loihi3' \(known: loihi2, speck\)"):
        sd.compile(cnn, "loihi3")
    with pytest.raises(sd.UnsupportedError, match="named by a string"):
        sd.get_target(3)
    with pytest.raises(sd.UnsupportedError, match="expected a snn_deploy graph"):
        sd.compile("model.nir", "loihi2")
    raster = cnn_events.to_raster(1e-3)
    with pytest.raises(sd.ModelFormatError, match=r"SpikeEvents, got ndarray .*from_raster"):
        loihi2.emulate(raster)
    with pytest.raises(sd.ModelFormatError, match="SpikeEvents"):
        sd.simulate(cnn, raster)
    wrong = sd.poisson_events(np.full((1, 3), 50.0), 0.01)
    with pytest.raises(sd.ModelFormatError, match="events have 3 units, the network's input has 2312"):
        loihi2.emulate(wrong)
    with pytest.raises(sd.UnsupportedError, match="loihi2 runs on engine 'lava', not 'sinabs'"):
        loihi2.run(cnn_events, engine="sinabs")
    with pytest.raises(sd.UnsupportedError, match="not 'sinabs'"):
        sd.check(cnn, loihi2, cnn_events, engine="sinabs")
    with pytest.raises(sd.UnsupportedError, match="no population or output named 'nope'"):
        loihi2.emulate(cnn_events, record=["nope"])
    with pytest.raises(sd.UnsupportedError, match="record: 'outputs', 'all' or a list of node names, got 3"):
        loihi2.emulate(cnn_events, record=3)
    with pytest.raises(sd.UnsupportedError, match="reset_mode: 'sometimes'"):
        sd.read(XOR, reset_mode="sometimes")
    with pytest.raises(sd.ModelFormatError, match="no such file"):
        sd.read(REPO / "missing.nir")
    with pytest.raises(sd.UnsupportedError, match="unknown 'mnist'"):
        sd.dataset_inputs(cnn, "mnist")
    monkeypatch.setenv("SNN_DEPLOY_LAVA_PYTHON", "/nonexistent/python")
    with pytest.raises(sd.EngineError, match="SNN_DEPLOY_LAVA_PYTHON=/nonexistent/python"):
        loihi2.run(cnn_events)


def test_a_third_target_is_one_registration(cnn, cnn_events, monkeypatch):
    import snn_deploy.targets as targets

    monkeypatch.setattr(targets, "_registered", dict(targets._registered))

    class Mirror(Loihi2Target):
        """A stand-in third chip: Loihi 2's code under another name (a real one is its own package)."""

        name = "mirror"

    sd.register_target(Mirror())
    assert "mirror" in sd.target_names() and isinstance(sd.get_target("mirror"), sd.Target)
    deployment = sd.compile(cnn, "mirror", 1e-3)
    assert deployment.target.name == "mirror"
    assert int(deployment.emulate(cnn_events, record="all").spikes["12"].sum()) > 0
    with pytest.raises(sd.UnsupportedError, match="does not implement Target .missing: .*quantize"):
        sd.register_target(type("Half", (), {"name": "half", "engine": "x", "spec": None})())
    assert isinstance(sd.get_target("speck").spec, type(sd.get_target("speck").spec))
    assert sd.get_target("loihi2").spec.weight_bits == 8 and sd.get_target("speck").spec.name == "speck"


def test_reference_files_round_trip(tmp_path):
    graph = sd.read(XOR)
    events = sd.dataset_inputs(graph, "xor").events
    sd.write_events(tmp_path / "in.npz", events)
    again = sd.read_events(tmp_path / "in.npz", sd.input_units(graph))
    np.testing.assert_array_equal(again.time_s, events.time_s)
    spikes = sd.simulate(graph, events, record="all")
    assert sum(s.time_s.size for s in spikes.values()) > 0
    sd.write_spikes(tmp_path / "ref.npz", spikes)
    back = sd.read_spikes(tmp_path / "ref.npz", events.batch, {n: s.units for n, s in spikes.items()})
    for node in spikes:
        np.testing.assert_array_equal(back[node].time_s, spikes[node].time_s)
    assert Path(tmp_path / "ref.npz").is_file()


def test_simulate_threads_setting_gives_the_same_spikes(monkeypatch):
    graph = sd.read(XOR)
    events = sd.dataset_inputs(graph, "xor").events
    one = sd.simulate(graph, events, record="all", threads=1)
    monkeypatch.setenv("SNN_DEPLOY_THREADS", "2")
    two = sd.simulate(graph, events, record="all")
    assert sum(s.time_s.size for s in one.values()) > 0
    for node in one:
        np.testing.assert_array_equal(one[node].time_s, two[node].time_s)
        np.testing.assert_array_equal(one[node].unit, two[node].unit)
    monkeypatch.setenv("SNN_DEPLOY_THREADS", "zero")
    with pytest.raises(sd.SnnDeployError, match="SNN_DEPLOY_THREADS"):
        sd.simulate(graph, events)
