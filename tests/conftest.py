"""Shared fixtures: where the shared models live, temporary output paths."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SNN_DEPLOY_SHARED", REPO.parent / "shared"))
MODELS = SHARED / "models"


@pytest.fixture(scope="session")
def shared_models() -> Path:
    if not MODELS.is_dir():
        pytest.fail(f"shared models not found at {MODELS} (set SNN_DEPLOY_SHARED)")
    return MODELS
