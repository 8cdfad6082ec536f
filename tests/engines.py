"""Run a piece of Python in the Sinabs engine interpreter (``.venv-sinabs``), for tests whose oracle is sinabs
or torch itself: neither is installed in the main environment.

The code gets ``inputs`` (a dict of numpy arrays, passed through an ``.npz``) and fills ``outputs`` (a dict of
arrays, returned the same way). One call is one process: put all of a test's cases into one call (importing torch
and sinabs costs seconds).
"""
from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import Mapping

import numpy as np

from snn_deploy.backends.sinabs.engine import sinabs_python

_DRIVER = """
import sys
import numpy as np
with np.load(sys.argv[1], allow_pickle=False) as data:
    inputs = {key: data[key] for key in data.files}
outputs = {}
exec(compile(open(sys.argv[3]).read(), "sinabs_snippet", "exec"))
np.savez(sys.argv[2], **outputs)
"""


def run_in_sinabs(code: str, inputs: Mapping[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Execute ``code`` in the Sinabs engine interpreter; the arrays it puts in ``outputs``."""
    with tempfile.TemporaryDirectory(prefix="snn-deploy-test-sinabs-") as scratch:
        in_path, out_path, code_path = (Path(scratch) / name for name in ("in.npz", "out.npz", "snippet.py"))
        np.savez(in_path, **dict(inputs or {}))
        code_path.write_text(code)
        done = subprocess.run([str(sinabs_python()), "-c", _DRIVER, str(in_path), str(out_path), str(code_path)],
                              capture_output=True, text=True, cwd=scratch)
        if done.returncode != 0:
            raise AssertionError(f"the sinabs snippet failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
        with np.load(out_path, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
