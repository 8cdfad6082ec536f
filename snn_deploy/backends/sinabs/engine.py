"""Run artifacts' ``model.py`` with sinabs on the CPU, in the Sinabs engine interpreter, as a subprocess.

sinabs 3.1.3 pins ``nir<=1.0.4`` and needs torch, so neither is in snn-deploy's environment: the engine is a
separate interpreter that runs :mod:`snn_deploy.backends.sinabs.runner` (passed by path; it imports nothing
from snn-deploy), found in this order (:mod:`snn_deploy.backends.interpreter`): ``$SNN_DEPLOY_SINABS_PYTHON``;
``.venv-sinabs/bin/python`` in the current directory or a parent; ``python3`` on ``PATH`` if it can import sinabs.
Several artifacts or inputs run in ONE process (:func:`run_many`): importing torch and sinabs costs seconds.
"""
from __future__ import annotations

import functools
import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from snn_deploy.backends.interpreter import EngineInterpreter, find_interpreter, on_path
from snn_deploy.errors import EngineError

#: the sinabs release the Speck spec was read from (requirements/sinabs.txt pins it, with torch)
SINABS_VERSION = "3.1.3"
INSTALL_HINT = (f"sinabs=={SINABS_VERSION} and torch (requirements/sinabs.txt) in their own venv: run `make env` "
                "(creates .venv-sinabs) or set SNN_DEPLOY_SINABS_PYTHON")
RUNNER = Path(__file__).with_name("runner.py")


@dataclass(frozen=True)
class SinabsRun:
    """One job's result, per ``IAFSqueeze`` layer in order: spike counts ``[batch, steps, ...]`` (int64), with
    ``record_state`` ``(u, v)`` (int64, else ``None``), and the engine's best time of build + forward."""

    spikes: list[np.ndarray]
    state: list[tuple[np.ndarray, np.ndarray]] | None
    forward_s: float


SINABS = EngineInterpreter(engine="sinabs", env_var="SNN_DEPLOY_SINABS_PYTHON", venv=".venv-sinabs",
                           probe="import sinabs.layers, torch", install_hint=INSTALL_HINT,
                           candidates=lambda: on_path("python3"))


@functools.lru_cache(maxsize=None)
def _discover(env_value: str | None, cwd: Path) -> Path:
    return find_interpreter(SINABS, env_value, cwd)


def sinabs_python() -> Path:
    """The interpreter that runs the artifacts (:mod:`snn_deploy.backends.interpreter`: search order)."""
    return _discover(os.environ.get(SINABS.env_var), Path.cwd())


def _invoke(jobs_json: Path, what: str) -> None:
    done = subprocess.run([str(sinabs_python()), str(RUNNER), str(jobs_json)], capture_output=True, text=True)
    if done.returncode != 0:
        lines = [line for line in (done.stderr or done.stdout).strip().splitlines() if line.strip()]
        raise EngineError(f"{what}: sinabs run failed (exit {done.returncode}): {lines[-1] if lines else 'no output'}")


def _read_run(path: Path, record_state: bool) -> SinabsRun:
    with np.load(path, allow_pickle=False) as data:
        layers = sum(key.endswith("/spikes") for key in data.files)
        spikes = [data[f"{i}/spikes"].astype(np.int64) for i in range(layers)]
        state = ([(data[f"{i}/u"].astype(np.int64), data[f"{i}/v"].astype(np.int64)) for i in range(layers)]
                 if record_state else None)
        return SinabsRun(spikes, state, float(data["forward_s"]))


def run_many(jobs: Sequence[tuple[str | Path, np.ndarray]], record_state: bool, repeats: int = 1
             ) -> list[SinabsRun]:
    """Run each ``(artifact_dir, raster [batch, steps, units])`` in ONE sinabs process, one after the other;
    ``repeats`` times each (a fresh model every time; the time reported is the best)."""
    if not jobs:
        return []
    with tempfile.TemporaryDirectory(prefix="snn-deploy-sinabs-") as scratch:
        scratch_dir = Path(scratch)
        listing = []
        for k, (artifact_dir, raster) in enumerate(jobs):
            input_path, output_path = scratch_dir / f"in_{k}.npz", scratch_dir / f"out_{k}.npz"
            np.savez(input_path, spikes=np.asarray(raster))
            listing.append({"model": str(Path(artifact_dir).resolve() / "model.py"), "input": str(input_path),
                            "output": str(output_path), "record_state": record_state, "repeats": repeats})
        (scratch_dir / "jobs.json").write_text(json.dumps(listing))
        _invoke(scratch_dir / "jobs.json", str(jobs[0][0]))
        return [_read_run(Path(job["output"]), record_state) for job in listing]


def run_sinabs(artifact_dir: str | Path, raster: np.ndarray, record_state: bool
               ) -> tuple[list[np.ndarray], list[tuple[np.ndarray, np.ndarray]] | None]:
    """Per layer (in order): spike counts ``[batch, steps, ...]`` and with ``record_state`` ``(u, v)``."""
    run = run_many([(artifact_dir, raster)], record_state)[0]
    return run.spikes, run.state
