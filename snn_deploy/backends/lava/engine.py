"""Run an artifact's ``network.py`` with Lava 0.10 (Python 3.10) as a subprocess.

Lava needs Python 3.10; snn-deploy may run on another version, so the engine is a separate interpreter,
found in this order: ``$SNN_DEPLOY_LAVA_PYTHON``; the repository's ``.venv-lava/bin/python`` (next to the
package's source tree); ``python3.10`` on ``PATH`` if it can import lava; pyenv's ``3.10.*`` if it can.
"""
from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np

from snn_deploy.errors import EngineError

INSTALL_HINT = "lava-nc==0.10.0 in a Python 3.10 venv: run `make env`"
REPO = Path(__file__).resolve().parents[3]


def _imports_lava(python: Path) -> bool:
    try:
        done = subprocess.run([str(python), "-c", "import lava.magma.core.run_configs"],
                              capture_output=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _pyenv_candidates() -> list[Path]:
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    return sorted(root.glob("3.10.*/bin/python"), reverse=True) if root.is_dir() else []


@functools.lru_cache(maxsize=None)
def _discover(env_value: str | None) -> Path:
    if env_value:
        python = Path(env_value)
        if not (python.is_file() and os.access(python, os.X_OK)):
            raise EngineError(f"SNN_DEPLOY_LAVA_PYTHON={env_value} is not an executable interpreter")
        return python
    venv = REPO / ".venv-lava" / "bin" / "python"
    if venv.is_file():
        return venv
    on_path = shutil.which("python3.10")
    for candidate in ([Path(on_path)] if on_path else []) + _pyenv_candidates():
        if _imports_lava(candidate):
            return candidate
    raise EngineError(f"no Python interpreter with Lava found; install {INSTALL_HINT}")


def lava_python() -> Path:
    """The interpreter that runs ``network.py`` (see the module docstring for the search order)."""
    return _discover(os.environ.get("SNN_DEPLOY_LAVA_PYTHON"))


def _invoke(network_py: Path, args: Sequence[str], what: str) -> None:
    command = [str(lava_python()), str(network_py), *args]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        lines = [line for line in (done.stderr or done.stdout).strip().splitlines() if line.strip()]
        raise EngineError(f"{what}: Lava run failed (exit {done.returncode}): {lines[-1] if lines else 'no output'}")


def run_network(artifact_dir: Path, raster: np.ndarray, populations: Sequence[str],
                record_state: bool) -> dict[str, np.ndarray]:
    """Run ``artifact_dir/network.py`` on ``raster`` ``[batch, steps, units]``; the records it writes."""
    return run_many([(artifact_dir, raster, populations)], record_state)[0]


def run_many(jobs: Sequence[tuple[Path, np.ndarray, Sequence[str]]], record_state: bool
             ) -> list[dict[str, np.ndarray]]:
    """Run several artifacts in ONE Lava process (one after the other): Lava's start-up is paid once."""
    if not jobs:
        return []
    with tempfile.TemporaryDirectory(prefix="snn-deploy-lava-") as scratch:
        scratch_dir = Path(scratch)
        listing = []
        for k, (artifact_dir, raster, populations) in enumerate(jobs):
            input_path, output_path = scratch_dir / f"in_{k}.npz", scratch_dir / f"out_{k}.npz"
            np.savez(input_path, spikes=np.asarray(raster, np.uint8))
            listing.append({"weights": str(Path(artifact_dir) / "weights.npz"), "input": str(input_path),
                            "output": str(output_path), "record": list(populations), "record_state": record_state})
        (scratch_dir / "jobs.json").write_text(json.dumps(listing))
        _invoke(Path(jobs[0][0]) / "network.py", ["--jobs", str(scratch_dir / "jobs.json")], str(jobs[0][0]))
        results = []
        for job in listing:
            with np.load(job["output"], allow_pickle=False) as data:
                results.append({key: data[key] for key in data.files})
        return results
