"""Where the project's shared directory (``shared/``: third-party models, target notes) lives.

In this order: an explicit ``root`` argument; ``$SNN_DEPLOY_SHARED``; ``shared/`` beside the directory that
holds the ``snn_deploy`` package (a source checkout: ``shared/`` beside the repository). Nothing else is
searched: a copy of the repository elsewhere (a CI clone in a temporary directory) sets ``SNN_DEPLOY_SHARED``
(the test suite does so itself, ``tests/conftest.py``).
"""
from __future__ import annotations

import os
from pathlib import Path

#: the directory holding the ``snn_deploy`` package (the repository, in a source checkout)
PACKAGE_PARENT = Path(__file__).resolve().parents[1]


def shared_dir(root: str | Path | None = None) -> Path:
    """The shared directory: ``root`` when given, else ``$SNN_DEPLOY_SHARED``, else ``shared/`` beside
    :data:`PACKAGE_PARENT` (whether or not it exists: the caller names it in its error)."""
    if root is not None:
        return Path(root)
    if os.environ.get("SNN_DEPLOY_SHARED"):
        return Path(os.environ["SNN_DEPLOY_SHARED"])
    return PACKAGE_PARENT.parent / "shared"


def shared_models_dir(root: str | Path | None = None) -> Path:
    """``shared_dir(root) / "models"``."""
    return shared_dir(root) / "models"
