"""Engine interpreter discovery does not depend on where snn-deploy is installed: the variable, then a venv in the
current directory or a parent, then an interpreter on PATH that imports the engine."""
from __future__ import annotations

import pytest

from snn_deploy.backends.lava import engine as lava_engine
from snn_deploy.backends.sinabs import engine as sinabs_engine

ENGINES = {"lava": (lava_engine, lava_engine.lava_python, "SNN_DEPLOY_LAVA_PYTHON", ".venv-lava"),
           "sinabs": (sinabs_engine, sinabs_engine.sinabs_python, "SNN_DEPLOY_SINABS_PYTHON", ".venv-sinabs")}


@pytest.mark.parametrize("name", sorted(ENGINES))
def test_venv_in_the_current_directory_or_a_parent_is_found(name, monkeypatch, tmp_path):
    engine, find, variable, venv = ENGINES[name]
    monkeypatch.delenv(variable, raising=False)
    python = tmp_path / venv / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text("#!/bin/sh\n")
    (tmp_path / "work" / "deeper").mkdir(parents=True)
    for cwd in (tmp_path / "work" / "deeper", tmp_path):
        monkeypatch.chdir(cwd)
        engine._discover.cache_clear()
        assert find() == python
    monkeypatch.setenv(variable, "/usr/bin/env")  # the variable wins over the venv
    engine._discover.cache_clear()
    assert str(find()) == "/usr/bin/env"
    engine._discover.cache_clear()
