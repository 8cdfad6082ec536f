"""The Loihi 2 emulator end to end in a fresh process, as ``snn-deploy emulate`` pays it.

    .venv/bin/python benchmarks/emulator_child.py ARTIFACT_DIR IN.npz OUT.npz POP[,POP...]

Interpreter start-up, importing snn-deploy (and numba's cached kernels), reading the artifact, building the
connections, the run and writing each ``POP``'s spikes ``[batch, steps, units]`` to ``OUT.npz`` (key ``POP``): the
emulator's counterpart of the Lava process's wall time (``lava_child.py``).
"""
from __future__ import annotations

import sys

import numpy as np

from snn_deploy.backends.lava.artifact import load_deployment
from snn_deploy.emulate.loihi2 import emulate


def main(artifact_dir: str, input_path: str, output_path: str, populations: str) -> int:
    deployment = load_deployment(artifact_dir)
    with np.load(input_path, allow_pickle=False) as data:
        raster = data["spikes"]
    record = tuple(populations.split(","))
    np.savez(output_path, **emulate(deployment, raster, record=record).spikes)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__.strip().splitlines()[2].strip())
    sys.exit(main(*sys.argv[1:]))
