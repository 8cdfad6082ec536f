"""Find the Python interpreter that runs a vendor engine (Lava, sinabs) in its own environment.

Search order, the same for every engine and independent of where snn-deploy is installed:

1. the environment variable (``$SNN_DEPLOY_LAVA_PYTHON``, ``$SNN_DEPLOY_SINABS_PYTHON``): must be an executable;
2. ``<venv>/bin/python`` (``.venv-lava``, ``.venv-sinabs``, as ``make env`` creates them) in the current directory
   or the nearest of its parents that has one;
3. the candidates on ``PATH`` (and, for Lava, pyenv's) that can import the engine's package.

None found: :class:`EngineError` naming the variable, the venv and what to install.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from snn_deploy.errors import EngineError


@dataclass(frozen=True)
class EngineInterpreter:
    """Where one engine's interpreter may be: its variable, venv directory name, fall-backs and import probe."""

    engine: str  #: "Lava", "sinabs" (messages)
    env_var: str
    venv: str
    probe: str  #: Python code that succeeds only where the engine can run
    install_hint: str
    candidates: Callable[[], Sequence[Path]]  #: interpreters to probe last, in order


def _imports(python: Path, probe: str) -> bool:
    try:
        done = subprocess.run([str(python), "-c", probe], capture_output=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def venv_python(venv: str, start: Path) -> Path | None:
    """``<dir>/<venv>/bin/python`` for ``start`` or its nearest parent that has one, else None."""
    for directory in (start, *start.parents):
        python = directory / venv / "bin" / "python"
        if python.is_file():
            return python
    return None


def on_path(*names: str) -> list[Path]:
    """The interpreters of these names on ``PATH``, in order."""
    return [Path(found) for found in map(shutil.which, names) if found]


def find_interpreter(where: EngineInterpreter, env_value: str | None, cwd: Path) -> Path:
    """The engine's interpreter by the module docstring's order (``env_value``: the variable's value)."""
    if env_value:
        python = Path(env_value)
        if not (python.is_file() and os.access(python, os.X_OK)):
            raise EngineError(f"{where.env_var}={env_value} is not an executable interpreter")
        return python
    venv = venv_python(where.venv, cwd)
    if venv is not None:
        return venv
    for candidate in where.candidates():
        if _imports(candidate, where.probe):
            return candidate
    raise EngineError(f"no Python interpreter with {where.engine} found (set {where.env_var}, or create "
                      f"{where.venv} in this directory or a parent); install {where.install_hint}")
