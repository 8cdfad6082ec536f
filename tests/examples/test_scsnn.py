"""examples/scsnn on a small budget: the committed model is build_graph() with its fitted read-out, and the script
(one test point of 0.25 s) prints both read-outs and ends in a passing `snn-deploy check --engine lava` (exit 0)."""
from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

from snn_deploy.check.tolerance import tolerance_steps
from snn_deploy.ir.io import load
from snn_deploy.ir.nodes import nodes_equal
from tests.conftest import REPO
from tests.examples.scripts import load_example

SCRIPT = REPO / "examples" / "scsnn" / "run.py"


def test_committed_model_is_the_constructed_one_with_a_fitted_readout():
    example = load_example("scsnn")
    committed = load(SCRIPT.parent / "model.onnx")
    readout = committed.metadata["readout"]
    built = example.build_graph(readout)
    assert built.edges == committed.edges
    assert all(nodes_equal(built.nodes[name], committed.nodes[name]) for name in built.nodes)
    hidden = committed.nodes["hidden"]
    assert len(readout["weights"]) == hidden.size and readout["window_s"] == list(example.WINDOW_S)
    # each coordinate's bank is symmetric with well separated eigenvalues (so off the real/complex boundary), and
    # the banks are uncoupled (zeros stay exact zeros when quantized: no mixing between banks)
    knees = len(example.KNEES)
    system = hidden.coupling - np.diag(1 / hidden.tau_mem_s)
    for bank in range(example.DIMENSIONS):
        block = system[bank * knees:(bank + 1) * knees, bank * knees:(bank + 1) * knees]
        assert np.array_equal(block, block.T) and np.min(np.diff(np.linalg.eigvalsh(block))) > 5.0
    assert np.count_nonzero(hidden.coupling) == example.DIMENSIONS * knees * (knees - 1)


@pytest.mark.lava
@pytest.mark.xdist_group("lava")
def test_script_prints_both_readouts_and_checks_bit_exact_on_the_derived_criteria(tmp_path):
    done = subprocess.run([sys.executable, str(SCRIPT), "--samples", "1", "--duration", "0.25", "--out", str(tmp_path)],
                          capture_output=True, text=True, cwd=REPO)
    assert done.returncode in (0, 1), done.stdout + done.stderr[-2000:]
    errors = [float(e) for e in re.findall(r"RMSE ([0-9.]+)", done.stdout)]
    assert len(errors) == 2 and all(np.isfinite(errors))
    assert "PASS bit_exact: emulator == lava" in done.stdout and "PASS dynamics_preserved" in done.stdout
    # check's own criterion (tau_syn / 10 at the example's step), not one chosen by the example
    steps = tolerance_steps(load(SCRIPT.parent / "model.onnx"), load_example("scsnn").DT_S)
    assert f"within {steps:g} step(s)" in done.stdout
    assert done.returncode == (1 if "FAIL " in done.stdout else 0)
