"""Where the shared directory is found: explicit root, env override, beside the package; the suite's
fallback for a clone elsewhere (beside the clone's origin, tests/conftest.py)."""
from __future__ import annotations

import subprocess

import snn_deploy as sd
import snn_deploy.shared as shared
from tests.conftest import origin_shared


def _git(*args: str) -> None:
    subprocess.run(["git", *args], check=True, capture_output=True)


def test_explicit_root_then_variable_then_beside_the_package(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SNN_DEPLOY_SHARED", str(tmp_path / "elsewhere"))
    assert sd.shared_dir(tmp_path / "given") == tmp_path / "given"  # the argument wins over the variable
    assert sd.shared_models_dir(tmp_path / "given") == tmp_path / "given" / "models"
    assert sd.shared_dir() == tmp_path / "elsewhere"
    monkeypatch.delenv("SNN_DEPLOY_SHARED")
    monkeypatch.setattr(shared, "PACKAGE_PARENT", tmp_path / "lonely")
    assert shared.shared_dir() == tmp_path / "shared"  # named even when absent: the caller says so


def test_library_runs_no_subprocess_to_find_it(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("snn_deploy.shared started a process")

    monkeypatch.delenv("SNN_DEPLOY_SHARED", raising=False)
    monkeypatch.setattr(subprocess, "run", refuse)
    assert shared.shared_models_dir() == shared.PACKAGE_PARENT.parent / "shared" / "models"


def test_the_suite_finds_shared_beside_a_clones_origin(tmp_path) -> None:
    origin = tmp_path / "work" / "main"
    (tmp_path / "work" / "shared" / "models").mkdir(parents=True)
    origin.mkdir()
    _git("-C", str(origin), "init", "-q")
    _git("-C", str(origin), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "x")
    clone = tmp_path / "tmp" / "clone"
    _git("clone", "-q", str(origin), str(clone))
    assert origin_shared(clone) == (tmp_path / "work" / "shared").resolve()
    assert origin_shared(origin) is None  # no origin
