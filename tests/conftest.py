"""Shared fixtures: where the shared models live, temporary output paths."""
from __future__ import annotations

from pathlib import Path

import pytest

from snn_deploy.shared import shared_models_dir

REPO = Path(__file__).resolve().parents[1]
MODELS = shared_models_dir()


@pytest.fixture(scope="session")
def shared_models() -> Path:
    if not MODELS.is_dir():
        pytest.fail(f"shared models not found at {MODELS} (set SNN_DEPLOY_SHARED)")
    return MODELS
