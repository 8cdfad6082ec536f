"""Speck backend: the artifact (contents, determinism, atomicity, integrity), records, and the CLI end to end."""
from __future__ import annotations

import ast
import json

import numpy as np
import pytest
from click.testing import CliRunner

from snn_deploy.backends import CompileOptions
from snn_deploy.backends.sinabs import compile_model, emulate_artifact, run_artifact
from snn_deploy.cli import main
from snn_deploy.errors import ModelFormatError, UnsupportedError
from snn_deploy.ir import IF, Conv2d, Dense, Flatten, Graph, Input, Output, SumPool2d
from snn_deploy.spikes import SpikeEvents, load_engine_output, save_npz

DT_S = 1e-3


def _graph(threshold: float = 1.0) -> Graph:
    rng = np.random.default_rng(3)
    return Graph(
        {"in": Input((2, 8, 8)), "c": Conv2d(rng.normal(0, 0.5, (4, 2, 3, 3)), padding=1, bias=rng.normal(0, 50, 4)),
         "p": IF.create((4, 8, 8), v_threshold=threshold), "s": SumPool2d(2), "f": Flatten(),
         "d": Dense(rng.normal(0, 0.5, (5, 64))), "q": IF.create(5, v_threshold=threshold, reset_mode="to_value"),
         "out": Output(())},
        [("in", "c"), ("c", "p"), ("p", "s"), ("s", "f"), ("f", "d"), ("d", "q"), ("q", "out")],
    )


def _events(batch=2, steps=20, units=128, density=0.2, seed=0) -> SpikeEvents:
    rng = np.random.default_rng(seed)
    raster = (rng.random((batch, steps, units)) < density) * rng.integers(1, 3, (batch, steps, units))
    return SpikeEvents.from_raster(raster.astype(np.uint8), DT_S)


@pytest.fixture()
def artifact(tmp_path):
    out = tmp_path / "speck"
    compile_model(_graph(), out, CompileOptions())
    return out


def test_artifact_files_and_manifest_keys(artifact):
    assert sorted(p.name for p in artifact.iterdir()) == [
        "compatibility.json", "manifest.json", "model.py", "quantization.json", "weights.npz"]
    manifest = json.loads((artifact / "manifest.json").read_text())
    for key in ("target", "dt_s", "input_units", "outputs", "latency_steps", "versions", "hashes"):
        assert key in manifest
    assert manifest["target"] == "speck" and manifest["input_units"] == 128 and manifest["outputs"] == ["out"]
    assert sorted(manifest["hashes"]) == ["compatibility.json", "model.py", "quantization.json", "weights.npz"]
    compat = json.loads((artifact / "compatibility.json").read_text())
    assert compat["compatible"] and [layer["core"] for layer in compat["layers"]] == [
        layer["core"] for layer in manifest["speck"]["layers"]]


def test_model_py_imports_neither_samna_nor_dynapcnn(artifact):
    tree = ast.parse((artifact / "model.py").read_text())
    modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    modules |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert modules == {"pathlib", "numpy", "sinabs.layers", "torch", "sinabs.activation"}


def test_compile_is_deterministic(tmp_path):
    for name in ("a", "b"):
        compile_model(_graph(), tmp_path / name, CompileOptions())
    for path in (tmp_path / "a").iterdir():
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes(), path.name


def test_failed_compile_leaves_no_directory_and_keeps_an_old_one(tmp_path):
    bad = Graph({"in": Input((3,)), "d": Dense(np.ones((2, 3))),
                 "p": IF.create(2, v_threshold=1.0, v_reset=0.5, reset_mode="to_value"), "out": Output(())},
                [("in", "d"), ("d", "p"), ("p", "out")])
    with pytest.raises(UnsupportedError, match="resets to 0"):
        compile_model(bad, tmp_path / "new", CompileOptions())
    assert list(tmp_path.iterdir()) == []
    compile_model(_graph(), tmp_path / "old", CompileOptions())
    before = {p.name: p.read_bytes() for p in (tmp_path / "old").iterdir()}
    with pytest.raises(UnsupportedError):
        compile_model(bad, tmp_path / "old", CompileOptions())
    assert {p.name: p.read_bytes() for p in (tmp_path / "old").iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["old"]


def test_changed_artifact_file_is_refused(artifact):
    weights = artifact / "weights.npz"
    weights.write_bytes(weights.read_bytes()[:-10])
    with pytest.raises(ModelFormatError, match="weights.npz: changed since compile"):
        emulate_artifact(artifact, _events())


@pytest.mark.sinabs
def test_emulate_equals_run_on_every_record(artifact):
    events = _events()
    ours, dt_ours = emulate_artifact(artifact, events, record="all", record_state=True)
    theirs, dt_theirs = run_artifact(artifact, events, record="all", record_state=True)
    assert dt_ours == dt_theirs == DT_S
    assert sorted(ours) == sorted(theirs) == [f"{n}/{k}" for n in ("p", "q") for k in ("spikes", "u", "v")]
    for key in ours:
        assert ours[key].dtype == theirs[key].dtype
        assert np.array_equal(ours[key], theirs[key]), key
    assert ours["p/spikes"].shape == (2, 20, 256) and ours["p/spikes"].dtype == np.uint8
    assert ours["p/spikes"].sum() > 0 and ours["q/spikes"].sum() > 0


def test_record_selection(artifact):
    events = _events()
    outputs, _ = emulate_artifact(artifact, events)
    named, _ = emulate_artifact(artifact, events, record="out, p")
    assert list(outputs) == ["out/spikes"]
    assert sorted(named) == ["out/spikes", "p/spikes"]
    assert np.array_equal(outputs["out/spikes"], named["out/spikes"])
    with pytest.raises(UnsupportedError, match="no population or output named 'ghost'"):
        emulate_artifact(artifact, events, record="ghost")


def test_steps_default_to_the_last_event(artifact):
    records, _ = emulate_artifact(artifact, _events(steps=13))
    assert records["out/spikes"].shape[1] == 13
    records, _ = emulate_artifact(artifact, _events(steps=13), steps=30)
    assert records["out/spikes"].shape[1] == 30


def test_more_than_255_spikes_in_a_step_is_refused(tmp_path):
    out = tmp_path / "a"
    compile_model(Graph({"in": Input((1,)), "d": Dense([[1.0]]), "p": IF.create(1, v_threshold=0.004),
                         "out": Output(())}, [("in", "d"), ("d", "p"), ("p", "out")]), out, CompileOptions())
    events = SpikeEvents.from_raster(np.full((1, 1, 1), 3, dtype=np.uint8), DT_S)
    # scale 127 (the weight): weight 127, threshold round(0.508) = 1, so 3 input spikes give 381 output spikes
    with pytest.raises(UnsupportedError, match="node 'p': 381 spikes in one step"):
        emulate_artifact(out, events)


@pytest.mark.sinabs
def test_cli_compile_emulate_run(tmp_path, shared_models):
    runner = CliRunner()
    out = tmp_path / "cnn"
    result = runner.invoke(main, ["compile", str(shared_models / "cnn_sinabs.nir"), "--target", "speck", "-o", str(out),
                                  "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["compatibility"]["compatible"] and summary["clipped_total"] == 0
    rng = np.random.default_rng(5)
    save_npz(tmp_path / "in.npz", {"spikes": (rng.random((2, 25, 2312)) < 0.1).astype(np.uint8),
                                   "dt_s": np.float64(DT_S)})
    for verb in (["emulate"], ["run", "--engine", "sinabs"]):
        result = runner.invoke(main, [*verb, str(out), "--input", str(tmp_path / "in.npz"), "-o",
                                      str(tmp_path / f"{verb[0]}.npz"), "--record", "all"])
        assert result.exit_code == 0, result.output
    emulated, dt_a = load_engine_output(tmp_path / "emulate.npz")
    ran, dt_b = load_engine_output(tmp_path / "run.npz")
    assert dt_a == dt_b == DT_S and sorted(emulated) == sorted(ran) and len(emulated) == 5
    assert all(np.array_equal(emulated[k], ran[k]) for k in emulated)
    result = runner.invoke(main, ["run", str(out), "--engine", "lava", "--input", str(tmp_path / "in.npz"), "-o",
                                  str(tmp_path / "x.npz")])
    assert result.exit_code == 2 and "runs on engine 'sinabs'" in result.output


def test_cli_rejects_the_braille_rnn_with_one_line(tmp_path, shared_models):
    result = CliRunner().invoke(main, ["compile", str(shared_models / "braille_noDelay_bias_zero.nir"), "--target",
                                       "speck", "-o", str(tmp_path / "b")])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0
    assert "error: speck: edge 'lif1.w_rec' -> 'lif1.lif' is recurrent" in result.output
    assert not (tmp_path / "b").exists()


@pytest.mark.sinabs
def test_leak_removal_is_reported_and_runs_bit_exact(tmp_path):
    from snn_deploy.ir import LIF

    rng = np.random.default_rng(2)
    graph = Graph({"in": Input((6,)), "d": Dense(rng.normal(0, 0.02, (4, 6))),
                   "p": LIF.create(4, tau_mem_s=2e-2, v_threshold=1.0), "out": Output(())},
                  [("in", "d"), ("d", "p"), ("p", "out")])
    with pytest.raises(UnsupportedError, match="--allow-leak-removal"):
        compile_model(graph, tmp_path / "a", CompileOptions())
    summary = compile_model(graph, tmp_path / "a", CompileOptions(allow_leak_removal=True))
    assert "note: node 'p': LIF leak removed" in summary["text"]
    quantization = json.loads((tmp_path / "a" / "quantization.json").read_text())
    assert any("leak removed" in note for note in quantization["notes"])
    events = _events(units=6, density=0.5)
    ours, _ = emulate_artifact(tmp_path / "a", events, record_state=True)
    theirs, _ = run_artifact(tmp_path / "a", events, record_state=True)
    assert ours["out/spikes"].sum() > 0
    assert all(np.array_equal(ours[k], theirs[k]) for k in ours)


def test_emulator_warns_when_the_16bit_state_would_overflow(tmp_path):
    out = tmp_path / "a"
    compile_model(Graph({"in": Input((1,)), "d": Dense([[1.0]]), "p": IF.create(1, v_threshold=300.0),
                         "out": Output(())}, [("in", "d"), ("d", "p"), ("p", "out")]), out, CompileOptions())
    # scale 32767 / 300: weight 109, threshold 32767; 255 input spikes a step add 27795, so v passes 32767
    events = SpikeEvents.from_raster(np.full((1, 3, 1), 255, dtype=np.uint8), DT_S)
    with pytest.warns(RuntimeWarning, match="layer 'p': v \\+ input left the 16-bit state range 2 times"):
        records, _ = emulate_artifact(out, events)
    assert records["out/spikes"].reshape(-1).tolist() == [0, 1, 1]
