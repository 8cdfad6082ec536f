"""Where the shared directory is found: env override, beside the repository, beside the clone's origin."""
from __future__ import annotations

import subprocess

import snn_deploy.shared as shared


def _git(*args: str) -> None:
    subprocess.run(["git", *args], check=True, capture_output=True)


def test_a_clone_elsewhere_finds_shared_beside_its_origin(tmp_path, monkeypatch) -> None:
    origin = tmp_path / "work" / "main"
    (tmp_path / "work" / "shared" / "models").mkdir(parents=True)
    origin.mkdir()
    _git("-C", str(origin), "init", "-q")
    _git("-C", str(origin), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "x")
    clone = tmp_path / "tmp" / "clone"
    _git("clone", "-q", str(origin), str(clone))
    monkeypatch.delenv("SNN_DEPLOY_SHARED", raising=False)
    monkeypatch.setattr(shared, "REPO", clone)
    assert shared.shared_dir() == (tmp_path / "work" / "shared").resolve()
    assert shared.shared_models_dir() == (tmp_path / "work" / "shared" / "models").resolve()

    (tmp_path / "tmp" / "shared").mkdir()  # one beside the clone itself wins
    assert shared.shared_dir() == tmp_path / "tmp" / "shared"

    monkeypatch.setenv("SNN_DEPLOY_SHARED", str(tmp_path / "elsewhere"))  # the variable wins over both
    assert shared.shared_dir() == tmp_path / "elsewhere"


def test_without_any_candidate_the_path_beside_the_repository_is_named(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("SNN_DEPLOY_SHARED", raising=False)
    monkeypatch.setattr(shared, "REPO", tmp_path / "lonely")
    assert shared.shared_dir() == tmp_path / "shared"
