"""examples/bsnn on a small budget: the committed model is what build_graph() makes, the check fails at the model's
dt on the accumulator's leak (bit-exact with Lava all the same) and passes at the suggested step."""
from __future__ import annotations

import subprocess
import sys

import pytest

from snn_deploy.check.tolerance import tolerance_steps
from snn_deploy.ir.io import load
from snn_deploy.ir.nodes import nodes_equal
from tests.conftest import REPO
from tests.examples.scripts import load_example

SCRIPT = REPO / "examples" / "bsnn" / "run.py"


def test_committed_model_is_the_constructed_one():
    built, committed = load_example("bsnn").build_graph(), load(SCRIPT.parent / "model.onnx")
    assert built.edges == committed.edges and built.metadata["dt_s"] == committed.metadata["dt_s"]
    assert all(nodes_equal(built.nodes[name], committed.nodes[name]) for name in built.nodes)


@pytest.mark.lava
@pytest.mark.xdist_group("lava")
def test_check_fails_at_the_model_dt_and_passes_at_the_suggested_one(tmp_path):
    done = subprocess.run([sys.executable, str(SCRIPT), "--samples", "2", "--duration", "0.2", "--out", str(tmp_path)],
                          capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stdout + done.stderr
    first, second = done.stdout.split("check at the suggested step:")
    assert "exit 1, dt = 0.0001 s" in first and "FAIL dynamics_preserved: accumulator:" in first
    assert "PASS bit_exact" in first and "-> 1)" in first
    assert "exit 0, dt = 0.0004 s" in second and "FAIL" not in second and "PASS bit_exact" in second
    # check's own spike-time criterion at each step (derived from the model's time constants, not the example's)
    model = load(SCRIPT.parent / "model.onnx")
    assert f"within {tolerance_steps(model, 1e-4):g} steps" in first
    assert f"within {tolerance_steps(model, 4e-4):g} steps" in second
