"""Lava interpreter discovery order and the engine's errors."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from snn_deploy.backends.lava import engine
from snn_deploy.errors import EngineError

REPO_LAVA = Path(__file__).resolve().parents[2] / ".venv-lava" / "bin" / "python"


@pytest.fixture(autouse=True)
def _fresh_discovery():
    engine._discover.cache_clear()
    yield
    engine._discover.cache_clear()


def test_environment_variable_comes_first(monkeypatch, tmp_path):
    monkeypatch.setenv("SNN_DEPLOY_LAVA_PYTHON", str(tmp_path / "nope"))
    with pytest.raises(EngineError, match="SNN_DEPLOY_LAVA_PYTHON=.*nope is not an executable interpreter"):
        engine.lava_python()


def test_missing_lava_names_what_to_install(monkeypatch, tmp_path):
    monkeypatch.delenv("SNN_DEPLOY_LAVA_PYTHON", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "pyenv"))
    with pytest.raises(EngineError, match=r"lava-nc==0\.10\.0 in a Python 3\.10 venv: run `make env`"):
        engine.lava_python()


def test_a_failing_network_py_is_an_engine_error(monkeypatch, tmp_path):
    (tmp_path / "network.py").write_text("import sys\nsys.exit('error: weights.npz is broken')\n")
    monkeypatch.setenv("SNN_DEPLOY_LAVA_PYTHON", str(REPO_LAVA) if REPO_LAVA.is_file() else "/usr/bin/python3")
    with pytest.raises(EngineError, match="Lava run failed \\(exit 1\\): error: weights.npz is broken"):
        engine.run_network(tmp_path, np.zeros((1, 2, 1), np.uint8), ["p"], record_state=False)


def test_hw_switch_without_lava_loihi_says_so(tmp_path):
    import subprocess

    from snn_deploy.backends.lava.artifact import TEMPLATE

    if not REPO_LAVA.is_file():
        pytest.skip("no .venv-lava in this checkout")
    check = "import importlib.util as u; print(u.find_spec('lava.magma.core.model.nc'))"
    probe = subprocess.run([str(REPO_LAVA), "-c", check], capture_output=True, text=True)
    if probe.stdout.strip() != "None":
        pytest.skip("lava-loihi is installed here")
    done = subprocess.run([str(REPO_LAVA), str(TEMPLATE), "--hw", "--input", "x.npz", "--output", "y.npz"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 1 and "--hw needs Intel's lava-loihi" in done.stderr
