"""``snn-deploy simulate``: the written reference output equals the library's spikes; one-line errors, exit 2."""
from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from snn_deploy.cli import main
from snn_deploy.ir.graph import Graph
from snn_deploy.ir.io import load, save
from snn_deploy.ir.nodes import CubaLIF, Dense, Input, LIF, Output
from snn_deploy.reference.encoders import poisson_encode
from snn_deploy.reference.simulator import simulate
from snn_deploy.spikes import save_input, save_npz


def _invoke(*args: str):
    return CliRunner().invoke(main, list(args), prog_name="snn-deploy")


def _graph() -> Graph:
    rng = np.random.default_rng(0)
    nodes = {"in": Input((5,)), "d1": Dense(rng.uniform(0, 0.02, (4, 5)), bias=np.full(4, 0.2)),
             "h": CubaLIF.create(4, tau_syn_s=4e-3, tau_mem_s=8e-3, v_threshold=1.0, reset_mode="to_value"),
             "d2": Dense(rng.uniform(0, 0.004, (3, 4))),
             "o": LIF.create(3, tau_mem_s=5e-3, v_threshold=0.5, reset_mode="to_value"),  # NIR: reset to v_reset
             "out": Output((3,))}
    return Graph(nodes, [("in", "d1"), ("d1", "h"), ("h", "d2"), ("d2", "o"), ("o", "out")])


@pytest.mark.parametrize("suffix", [".onnx", ".nir"])
@pytest.mark.parametrize("record", ["outputs", "all"])
def test_simulate_writes_the_simulators_spikes(tmp_path, suffix, record):
    model = tmp_path / f"model{suffix}"
    save(_graph(), model)
    events = poisson_encode(np.full((2, 5), 300.0), 0.05, seed=1)
    save_input(tmp_path / "in.npz", events)
    result = _invoke("simulate", str(model), "--input", str(tmp_path / "in.npz"), "-o", str(tmp_path / "out.npz"),
                     "--record", record, "--t-end", "0.06")
    assert result.exit_code == 0, result.output
    expected = simulate(load(model), events, t_end_s=0.06, record=record)
    with np.load(tmp_path / "out.npz") as written:
        assert sorted(written.files) == sorted(f"{n}/{k}.npy"[:-4] for n in expected for k in ("sample", "unit", "time_s"))
        for name, spikes in expected.items():
            assert spikes.time_s.size > 0
            np.testing.assert_array_equal(written[f"{name}/time_s"], spikes.time_s)
            np.testing.assert_array_equal(written[f"{name}/unit"], spikes.unit)
            np.testing.assert_array_equal(written[f"{name}/sample"], spikes.sample)


def test_simulate_accepts_dense_input_and_runs_a_shared_model(tmp_path, shared_models):
    raster = np.zeros((1, 20, 1), dtype=np.uint8)
    raster[0, [2, 9], 0] = 1
    save_npz(tmp_path / "in.npz", {"spikes": raster, "dt_s": np.float64(1e-3)})
    model = shared_models / "lif_norse.nir"
    result = _invoke("simulate", str(model), "--input", str(tmp_path / "in.npz"), "-o", str(tmp_path / "out.npz"))
    assert result.exit_code == 0, result.output
    with np.load(tmp_path / "out.npz") as written:
        # a unit pulse makes this LIF's v jump far above threshold: it fires (many times) at the input times
        np.testing.assert_array_equal(np.unique(written["1/time_s"]), np.array([2, 9]) * 1e-3)


def test_simulate_wrong_input_size_is_one_line_exit_2(tmp_path):
    save(_graph(), tmp_path / "model.onnx")
    save_input(tmp_path / "in.npz", poisson_encode(np.full((1, 3), 100.0), 0.01, seed=0))
    result = _invoke("simulate", str(tmp_path / "model.onnx"), "--input", str(tmp_path / "in.npz"),
                     "-o", str(tmp_path / "out.npz"))
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "3 input units" in result.output and "5" in result.output
    assert not (tmp_path / "out.npz").exists()


def test_simulate_unknown_record_name_is_exit_2(tmp_path):
    save(_graph(), tmp_path / "model.onnx")
    save_input(tmp_path / "in.npz", poisson_encode(np.full((1, 5), 100.0), 0.01, seed=0))
    result = _invoke("simulate", str(tmp_path / "model.onnx"), "--input", str(tmp_path / "in.npz"),
                     "-o", str(tmp_path / "out.npz"), "--record", "nope")
    assert result.exit_code == 2 and "'nope'" in result.output
