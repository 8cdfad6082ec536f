"""The trained example models, compiled for Loihi 2: emulator == Lava fixed_pt (spikes, u, v) on dataset samples."""
from __future__ import annotations

from pathlib import Path

import pytest

from snn_deploy.backends import CompileOptions
from snn_deploy.backends import lava as backend
from snn_deploy.check.bitexact import compare_records
from snn_deploy.check.runner import dataset_input
from snn_deploy.ir.io import load

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "models"


@pytest.mark.lava
@pytest.mark.xdist_group("lava")
@pytest.mark.parametrize("name, samples", [("xor", 4), ("iris", 6), ("yinyang", 4)])
def test_example_model_is_bit_exact_in_lava(name, samples, tmp_path):
    graph = load(EXAMPLES / f"{name}.onnx")
    backend.compile_model(graph, tmp_path / "artifact", CompileOptions())
    events = dataset_input(graph, name, limit=samples).events
    emulated, dt_s = backend.emulate_artifact(tmp_path / "artifact", events, steps=None, record="all",
                                              record_state=True)
    engine, engine_dt_s = backend.run_artifact(tmp_path / "artifact", events, steps=None, record="all",
                                               record_state=True)
    assert dt_s == engine_dt_s
    result = compare_records(emulated, engine, graph.topological_order())
    assert result.equal, result.first.describe("emulator", "lava")
    assert len(result.compared) == 3 * len(graph.populations())
    assert sum(int(v.sum()) for k, v in emulated.items() if k.endswith("/spikes")) > 0
