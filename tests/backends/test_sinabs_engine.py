"""The Sinabs engine: interpreter discovery order, errors, the runner's independence from snn-deploy, several jobs
in one process, and the emitted package loaded unchanged by a plain sinabs environment."""
from __future__ import annotations

import ast
import subprocess
from pathlib import Path

import numpy as np
import pytest

from snn_deploy.backends import CompileOptions
from snn_deploy.backends.sinabs import compile_model, emulate_artifact
from snn_deploy.backends.sinabs import engine
from snn_deploy.backends.sinabs.artifact import input_raster, load_deployment
from snn_deploy.backends.sinabs.runner import _integers
from snn_deploy.errors import EngineError
from snn_deploy.ir import IF, Dense, Graph, Input, Output
from snn_deploy.spikes import SpikeEvents

REPO_SINABS = Path(__file__).resolve().parents[2] / ".venv-sinabs" / "bin" / "python"
DT_S = 1e-3


@pytest.fixture(autouse=True)
def _fresh_discovery():
    engine._discover.cache_clear()
    yield
    engine._discover.cache_clear()


def _artifact(directory: Path, weight: float) -> Path:
    graph = Graph({"in": Input((3,)), "d": Dense(np.full((2, 3), weight)), "p": IF.create(2, v_threshold=1.0),
                   "out": Output(())}, [("in", "d"), ("d", "p"), ("p", "out")])
    compile_model(graph, directory, CompileOptions())
    return directory


def _events(seed: int) -> SpikeEvents:
    rng = np.random.default_rng(seed)
    return SpikeEvents.from_raster(rng.integers(0, 3, (2, 12, 3)).astype(np.uint8), DT_S)


def test_environment_variable_comes_first(monkeypatch, tmp_path):
    monkeypatch.setenv("SNN_DEPLOY_SINABS_PYTHON", str(tmp_path / "nope"))
    with pytest.raises(EngineError, match="SNN_DEPLOY_SINABS_PYTHON=.*nope is not an executable interpreter"):
        engine.sinabs_python()


def test_python3_on_path_only_if_it_imports_sinabs(monkeypatch, tmp_path):
    monkeypatch.delenv("SNN_DEPLOY_SINABS_PYTHON", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bin").mkdir()
    fake = tmp_path / "bin" / "python3"
    fake.write_text("#!/bin/sh\nexit 1\n")  # a python3 without sinabs: its import check fails
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(EngineError, match=r"no Python interpreter with sinabs found \(set SNN_DEPLOY_SINABS_PYTHON, "
                                          r"or create \.venv-sinabs .*\); install sinabs==3\.1\.3 and "
                                          r"torch \(requirements/sinabs\.txt\).*run `make env`"):
        engine.sinabs_python()
    if REPO_SINABS.is_file():
        engine._discover.cache_clear()
        fake.write_text(f'#!/bin/sh\nexec "{REPO_SINABS}" "$@"\n')  # now a python3 that has sinabs
        assert engine.sinabs_python() == fake


def test_an_interpreter_without_sinabs_is_an_engine_error(monkeypatch, tmp_path):
    artifact = _artifact(tmp_path / "a", 0.6)
    monkeypatch.setenv("SNN_DEPLOY_SINABS_PYTHON", "/usr/bin/python3")
    deployment = load_deployment(artifact)
    with pytest.raises(EngineError, match=r"sinabs run failed \(exit 1\): error: the Sinabs engine needs sinabs, "
                                          r"torch and numpy in this interpreter .*requirements/sinabs\.txt"):
        engine.run_sinabs(artifact, input_raster(deployment, _events(0), None), record_state=False)


@pytest.mark.sinabs
def test_a_broken_model_py_is_an_engine_error_naming_it(tmp_path):
    artifact = _artifact(tmp_path / "a", 0.6)
    (artifact / "model.py").write_text("raise ValueError('weights.npz is broken')\n")
    with pytest.raises(EngineError, match=r"sinabs run failed \(exit 1\): error: .*a/model.py: ValueError: "
                                          r"weights.npz is broken"):
        engine.run_sinabs(artifact, np.zeros((1, 2, 3), np.uint8), record_state=False)


def test_runner_imports_nothing_from_snn_deploy_and_torch_only_when_run():
    tree = ast.parse(engine.RUNNER.read_text())
    modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    modules |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not any(m.startswith("snn_deploy") for m in modules), modules
    top_level = {alias.name for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))
                 for alias in getattr(node, "names", [])}
    assert {"sinabs.layers", "torch"} <= modules and not top_level & {"sinabs.layers", "torch"}


def test_runner_keeps_integers_exactly_and_refuses_fractions():
    values = np.array([0.0, 255.0, 3.0], np.float32)
    assert _integers(values, "x").dtype == np.uint8 and _integers(values, "x").tolist() == [0, 255, 3]
    assert _integers(np.array([-1.0, 256.0]), "x").dtype == np.int16
    assert _integers(np.array([2.0**40]), "x").tolist() == [2**40]
    with pytest.raises(ValueError, match="layer 1 u: sinabs produced non-integer values"):
        _integers(np.array([1.0, 1.5]), "layer 1 u")


@pytest.mark.sinabs
def test_several_artifacts_run_in_one_process_each_its_own(tmp_path):
    jobs, emulated = [], []
    for k, weight in enumerate((0.6, 1.3, 0.3)):
        artifact = _artifact(tmp_path / f"a{k}", weight)
        events = _events(k)
        jobs.append((artifact, input_raster(load_deployment(artifact), events, None)))
        emulated.append(emulate_artifact(artifact, events, record="p", record_state=True)[0])
    runs = engine.run_many(jobs, record_state=True, repeats=2)
    assert len(runs) == 3 and all(run.forward_s > 0 for run in runs)
    for ours, run in zip(emulated, runs):
        (spikes,), ((u, v),) = run.spikes, run.state
        assert spikes.dtype == u.dtype == v.dtype == np.int64
        assert np.array_equal(ours["p/spikes"], spikes) and np.array_equal(ours["p/u"], u)
        assert np.array_equal(ours["p/v"], v)
    assert all(run.spikes[0].sum() > 0 for run in runs)
    assert len({run.spikes[0].sum() for run in runs}) == 3  # three different networks, three different results


@pytest.mark.sinabs
def test_emitted_package_loads_in_a_plain_sinabs_environment(tmp_path):
    """The artifact's model.py alone (no snn-deploy there) builds the network and runs it."""
    artifact = _artifact(tmp_path / "a", 1.3)
    script = ("import importlib.util, torch\n"
              "assert importlib.util.find_spec('snn_deploy') is None\n"
              "from model import INPUT_SHAPE, build_model\n"
              "net = build_model(batch_size=2)\n"
              "out = net(torch.ones((2 * 4, *INPUT_SHAPE)))\n"
              "print(tuple(out.shape), int(out.sum()))\n")
    done = subprocess.run([str(engine.sinabs_python()), "-c", script], cwd=artifact, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    emulated, _ = emulate_artifact(artifact, SpikeEvents.from_raster(np.ones((2, 4, 3), np.uint8), DT_S))
    assert done.stdout.split() == ["(8,", "2)", str(int(emulated["out/spikes"].sum()))]
    assert int(emulated["out/spikes"].sum()) > 0
