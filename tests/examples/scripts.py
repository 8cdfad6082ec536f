"""Load an example's run.py as a module (examples/ is not a package)."""
from __future__ import annotations

import importlib.util
from types import ModuleType

from tests.conftest import REPO


def load_example(name: str) -> ModuleType:
    """``examples/<name>/run.py``, imported under the name ``<name>_example``."""
    spec = importlib.util.spec_from_file_location(f"{name}_example", REPO / "examples" / name / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
