"""Where the project's shared directory (``shared/``: third-party models, target notes) lives.

In this order: ``$SNN_DEPLOY_SHARED``; ``shared/`` beside the repository; ``shared/`` beside the repository
this one was cloned from, when that is a local path (a CI job clones the repository into a temporary
directory, ``git clone -q . "$d"``, and the shared directory stays beside the original).
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _origin_repository() -> Path | None:
    """The local repository this one was cloned from (git's ``remote.origin.url``), if any."""
    try:
        url = subprocess.run(["git", "-C", str(REPO), "config", "--get", "remote.origin.url"],
                             capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return None
    path = Path(url.removeprefix("file://"))
    return path.resolve() if url and path.is_absolute() and path.is_dir() else None


def shared_dir() -> Path:
    """The shared directory (the first candidate above that exists; else the one beside the repository)."""
    if "SNN_DEPLOY_SHARED" in os.environ:
        return Path(os.environ["SNN_DEPLOY_SHARED"])
    beside = REPO.parent / "shared"
    if beside.is_dir():
        return beside
    origin = _origin_repository()
    if origin is not None and (origin.parent / "shared").is_dir():
        return origin.parent / "shared"
    return beside


def shared_models_dir() -> Path:
    """``shared_dir() / "models"``."""
    return shared_dir() / "models"
