"""Run an artifact's ``network.py`` with Lava 0.10 (Python 3.10) as a subprocess.

Lava needs Python 3.10; snn-deploy may run on another version, so the engine is a separate interpreter,
found in this order (:mod:`snn_deploy.backends.interpreter`): ``$SNN_DEPLOY_LAVA_PYTHON``; ``.venv-lava/bin/python``
in the current directory or a parent; ``python3.10`` on ``PATH`` if it can import lava; pyenv's ``3.10.*`` if
it can.
"""
from __future__ import annotations

import functools
import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np

from snn_deploy.backends.interpreter import EngineInterpreter, find_interpreter, on_path
from snn_deploy.errors import EngineError

INSTALL_HINT = "lava-nc==0.10.0 in a Python 3.10 venv: run `make env`"


def _pyenv_candidates() -> list[Path]:
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    return sorted(root.glob("3.10.*/bin/python"), reverse=True) if root.is_dir() else []


LAVA = EngineInterpreter(engine="Lava", env_var="SNN_DEPLOY_LAVA_PYTHON", venv=".venv-lava",
                         probe="import lava.magma.core.run_configs", install_hint=INSTALL_HINT,
                         candidates=lambda: on_path("python3.10") + _pyenv_candidates())


@functools.lru_cache(maxsize=None)
def _discover(env_value: str | None, cwd: Path) -> Path:
    return find_interpreter(LAVA, env_value, cwd)


def lava_python() -> Path:
    """The interpreter that runs ``network.py`` (:mod:`snn_deploy.backends.interpreter`: search order)."""
    return _discover(os.environ.get(LAVA.env_var), Path.cwd())


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
