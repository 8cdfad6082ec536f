"""Shared fixtures: where the shared models live, temporary output paths."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from snn_deploy.shared import shared_dir, shared_models_dir

REPO = Path(__file__).resolve().parents[1]


def origin_shared(repo: Path) -> Path | None:
    """``shared/`` beside the local repository ``repo`` was cloned from (git's ``remote.origin.url``), if any:
    a CI job clones the repository into a temporary directory (``git clone -q . "$d"``) and runs the suite
    there, while the shared directory stays beside the original."""
    try:
        url = subprocess.run(["git", "-C", str(repo), "config", "--get", "remote.origin.url"],
                             capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return None
    origin = Path(url.removeprefix("file://"))
    found = origin.resolve().parent / "shared" if url and origin.is_absolute() else None
    return found if found is not None and found.is_dir() else None


if not os.environ.get("SNN_DEPLOY_SHARED") and not shared_dir().is_dir() and origin_shared(REPO) is not None:
    os.environ["SNN_DEPLOY_SHARED"] = str(origin_shared(REPO))  # the subprocesses tests start inherit it
MODELS = shared_models_dir()


@pytest.fixture(scope="session")
def shared_models() -> Path:
    if not MODELS.is_dir():
        pytest.fail(f"shared models not found at {MODELS} (set SNN_DEPLOY_SHARED)")
    return MODELS
