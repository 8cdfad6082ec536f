"""Timed runs of a Loihi 2 artifact: Lava in its own process with its phases apart, the emulator end to end.

Lava (``lava_child.py`` in the Lava interpreter, one process per run, as ``snn-deploy run`` starts one):

* ``wall_s``: the process, interpreter start to exit (what a user waits for);
* ``startup_s = wall_s - job_s``: interpreter start-up, importing Lava and ``network.py``, exit;
* ``build_s`` + ``compile_s``: reading the weights and building the process graph; Lava's compiler and runtime;
* ``sample_s``: the steady-state cost of one sample, ``(end of the last run - end of the first run) / (B - 1)``
  over the ``B`` samples of one process (samples 2..B measured back to back, the resets between them
  included); the first sample is kept apart (``first_sample_s``), it may carry warm-up;
* ``steady_s(batch) = batch * sample_s``: Lava's cost of the batch without start-up and build.

Nothing is extrapolated here; :func:`extrapolated_wall_s` is the one explicit extrapolation, and callers
label every figure that uses it with :data:`EXTRAPOLATION`.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from snn_deploy.backends.lava.engine import lava_python

HERE = Path(__file__).resolve().parent
EXTRAPOLATION = ("extrapolated: wall of a P-sample Lava process + (64 - P) x its steady-state sample time "
                 "(samples 2..P)")


@dataclass(frozen=True)
class LavaTiming:
    batch: int
    wall_s: float
    import_s: float
    build_s: float
    compile_s: float
    runs: tuple[tuple[float, float], ...]
    job_s: float

    @property
    def startup_s(self) -> float:
        """Interpreter start-up, imports and exit: the process's wall time outside ``run_job``."""
        return self.wall_s - self.job_s

    @property
    def first_sample_s(self) -> float:
        return self.runs[0][1] - self.runs[0][0]

    @property
    def sample_s(self) -> float | None:
        """Steady-state seconds per sample (samples 2..B); None for a one-sample process."""
        if len(self.runs) < 2:
            return None
        return (self.runs[-1][1] - self.runs[0][1]) / (len(self.runs) - 1)

    def to_dict(self) -> dict:
        return {"batch": self.batch, "wall_s": self.wall_s, "startup_s": self.startup_s, "import_s": self.import_s,
                "build_s": self.build_s, "compile_s": self.compile_s, "first_sample_s": self.first_sample_s,
                "sample_s": self.sample_s, "job_s": self.job_s, "runs": [list(r) for r in self.runs]}


def _check(done: subprocess.CompletedProcess, what: str) -> None:
    if done.returncode != 0:
        tail = [line for line in (done.stderr or done.stdout).strip().splitlines() if line.strip()]
        raise SystemExit(f"{what} failed (exit {done.returncode}): {tail[-1] if tail else 'no output'}")


def run_lava_timed(artifact: Path, raster: np.ndarray, populations: Sequence[str]
                   ) -> tuple[dict[str, np.ndarray], LavaTiming]:
    """Each population's spikes ``[batch, steps, units]`` from one Lava process on ``raster``, and its timing."""
    with tempfile.TemporaryDirectory(prefix="bench-lava-") as scratch:
        scratch_dir = Path(scratch)
        np.savez(scratch_dir / "in.npz", spikes=np.asarray(raster, np.uint8))
        job = {"weights": str(artifact / "weights.npz"), "input": str(scratch_dir / "in.npz"),
               "output": str(scratch_dir / "out.npz"), "record": list(populations), "record_state": False}
        (scratch_dir / "job.json").write_text(json.dumps(job))
        command = [str(lava_python()), str(HERE / "lava_child.py"), str(artifact / "network.py"),
                   str(scratch_dir / "job.json"), str(scratch_dir / "timing.json")]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        wall_s = time.perf_counter() - start
        _check(done, f"Lava run of {artifact.name}")
        timing = json.loads((scratch_dir / "timing.json").read_text())
        with np.load(scratch_dir / "out.npz", allow_pickle=False) as data:
            spikes = {pop: data[f"{pop}/spikes"] for pop in populations}
    runs = tuple((float(a), float(b)) for a, b in timing["runs"])
    if len(runs) != raster.shape[0]:
        raise SystemExit(f"{artifact.name}: {len(runs)} Lava run calls for {raster.shape[0]} samples")
    return spikes, LavaTiming(raster.shape[0], wall_s, timing["import_s"], timing["build_s"], timing["compile_s"],
                              runs, timing["job_s"])


def extrapolated_wall_s(probe: LavaTiming, batch: int) -> float:
    """The one extrapolation (label it :data:`EXTRAPOLATION`): ``probe``'s wall + the missing samples' steady cost."""
    if probe.sample_s is None:
        raise ValueError("a probe needs at least two samples")
    return probe.wall_s + (batch - probe.batch) * probe.sample_s


def run_emulator_cold(artifact: Path, raster: np.ndarray, populations: Sequence[str]
                      ) -> tuple[dict[str, np.ndarray], float]:
    """Each population's spikes from the emulator in a fresh process (``emulator_child.py``), that process's wall."""
    with tempfile.TemporaryDirectory(prefix="bench-emu-") as scratch:
        scratch_dir = Path(scratch)
        np.savez(scratch_dir / "in.npz", spikes=np.asarray(raster, np.uint8))
        command = [sys.executable, str(HERE / "emulator_child.py"), str(artifact), str(scratch_dir / "in.npz"),
                   str(scratch_dir / "out.npz"), ",".join(populations)]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        wall_s = time.perf_counter() - start
        _check(done, f"emulator process on {artifact.name}")
        with np.load(scratch_dir / "out.npz", allow_pickle=False) as data:
            return {pop: data[pop] for pop in populations}, wall_s
