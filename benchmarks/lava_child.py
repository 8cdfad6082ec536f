"""Lava side of the Loihi 2 benchmarks: run one job of an artifact's ``network.py`` here and time its phases.

    <lava python> benchmarks/lava_child.py NETWORK_PY JOB.json TIMING.json

Runs in the Lava interpreter (Python 3.10, lava-nc 0.10) and imports nothing from snn-deploy. ``JOB.json`` is
one job as ``network.py --jobs`` takes it (``weights``, ``input``, ``output``, ``record``, ``record_state``);
the job runs through the artifact's own ``run_job``, unchanged. The phases are timed by wrapping Lava's
``AbstractProcess.create_runtime`` and ``run`` in this process (the artifact's code is not touched):

* ``import_s``: importing ``network.py`` (and with it Lava);
* ``build_s``: ``run_job`` start to the first ``create_runtime`` (reading weights, building the process graph);
* ``compile_s``: ``create_runtime`` (Lava's compiler, the runtime and its worker processes);
* ``runs``: ``[start, end]`` of every ``run`` call, seconds from the job start, ``create_runtime`` excluded:
  one call per sample (``network.py`` runs the samples one after the other on the same graph);
* ``job_s``: the whole ``run_job`` (also the resets between samples, ``stop``, gathering and writing spikes).

``TIMING.json`` gets these numbers; the parent (``loihi2_timing.py``) adds the process's wall time.
"""
from __future__ import annotations

import importlib.util
import json
import sys
import time
from pathlib import Path


def _timed(owner: type, name: str, log: list, origin: list) -> None:
    """Replace ``owner.name`` by a wrapper appending ``(name, start, end)`` (seconds from ``origin[0]``) to ``log``."""
    original = getattr(owner, name)

    def wrapper(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            log.append((name, start - origin[0], time.perf_counter() - origin[0]))

    setattr(owner, name, wrapper)


def main(network_py: str, job_path: str, timing_path: str) -> int:
    start = time.perf_counter()
    spec = importlib.util.spec_from_file_location("snn_deploy_network", network_py)
    network = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = network  # Lava's compiler looks the process models up by module name
    spec.loader.exec_module(network)
    import_s = time.perf_counter() - start

    from lava.magma.core.process.process import AbstractProcess

    log: list = []
    origin = [0.0]
    for name in ("create_runtime", "run"):
        _timed(AbstractProcess, name, log, origin)
    job = json.loads(Path(job_path).read_text())
    origin[0] = time.perf_counter()
    network.run_job(Path(job["weights"]), Path(job["input"]), Path(job["output"]), job.get("record"),
                    bool(job.get("record_state")), False)
    job_s = time.perf_counter() - origin[0]

    compiles = [(s, e) for n, s, e in log if n == "create_runtime"]
    if len(compiles) != 1:
        sys.exit(f"error: expected one create_runtime call, saw {len(compiles)}")
    compile_start, compile_end = compiles[0]
    runs = [[max(s, compile_end) if s <= compile_start else s, e] for n, s, e in log if n == "run"]
    Path(timing_path).write_text(json.dumps({
        "import_s": import_s, "build_s": compile_start, "compile_s": compile_end - compile_start,
        "runs": runs, "job_s": job_s}))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__.strip().splitlines()[2].strip())
    sys.exit(main(*sys.argv[1:]))
