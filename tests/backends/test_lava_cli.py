"""``snn-deploy compile --target loihi2`` + ``emulate`` + ``run --engine lava`` end to end on a small model."""
from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from snn_deploy.artifacts import sha256_file
from snn_deploy.cli import main
from snn_deploy.ir import CoupledLIF, CubaLIF, Dense, Graph, Input, Output
from snn_deploy.ir.io import save
from snn_deploy.spikes import load_engine_output


def _model(rng) -> Graph:
    pop = lambda n, tau: CubaLIF.create(n, tau_syn_s=5e-3, tau_mem_s=tau, v_threshold=1.0, reset_mode="to_value")
    nodes = {"in": Input((6,)), "fc1": Dense(rng.normal(0.4, 1, (5, 6)) * 6e-3),
             "hidden": pop(5, [1e-2, 2e-2] * 2 + [1e-2]), "fc2": Dense(rng.normal(0.4, 1, (3, 5)) * 6e-3),
             "readout": pop(3, 1e-2), "out": Output((3,))}
    edges = (("in", "fc1"), ("fc1", "hidden"), ("hidden", "fc2"), ("fc2", "readout"), ("readout", "out"))
    return Graph(nodes=nodes, edges=edges, metadata={"dt_s": 1e-3})


def _invoke(*args: str, code: int = 0):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == code, result.output
    return result


@pytest.mark.lava
@pytest.mark.xdist_group("lava")
def test_compile_emulate_run_end_to_end(tmp_path):
    rng = np.random.default_rng(3)
    save(_model(rng), tmp_path / "model.onnx")
    summary = json.loads(_invoke("compile", str(tmp_path / "model.onnx"), "--target", "loihi2",
                                 "-o", str(tmp_path / "art"), "--json").output)
    assert summary["dt_s"] == 1e-3 and summary["populations"]["hidden"]["split"]
    manifest = json.loads((tmp_path / "art" / "manifest.json").read_text())
    assert manifest["target"] == "loihi2" and manifest["outputs"] == ["out"] and manifest["latency_steps"] == 2
    files = sorted(p.name for p in (tmp_path / "art").iterdir())
    assert files == sorted(["manifest.json", *manifest["hashes"]])
    assert all(sha256_file(tmp_path / "art" / name) == digest for name, digest in manifest["hashes"].items())
    _invoke("compile", str(tmp_path / "model.onnx"), "--target", "loihi2", "-o", str(tmp_path / "again"))
    for name in files:  # deterministic: same model, same bytes
        assert (tmp_path / "art" / name).read_bytes() == (tmp_path / "again" / name).read_bytes(), name

    spikes = (rng.random((3, 40, 6)) < 0.3).astype(np.uint8)
    np.savez(tmp_path / "in.npz", spikes=spikes, dt_s=1e-3)
    common = ["--input", str(tmp_path / "in.npz"), "--record", "all", "--record-state", "--steps", "40"]
    _invoke("emulate", str(tmp_path / "art"), "-o", str(tmp_path / "emu.npz"), *common)
    _invoke("run", str(tmp_path / "art"), "--engine", "lava", "-o", str(tmp_path / "lava.npz"), *common)
    emulated, dt_emu = load_engine_output(tmp_path / "emu.npz")
    lava, dt_lava = load_engine_output(tmp_path / "lava.npz")
    assert dt_emu == dt_lava == 1e-3
    keys = sorted(f"{p}/{k}" for p in ("hidden", "readout") for k in ("spikes", "u", "v"))
    assert sorted(emulated) == sorted(lava) == keys
    assert emulated["readout/spikes"].shape == (3, 40, 3) and emulated["hidden/spikes"].sum() > 0
    for key in emulated:
        assert np.array_equal(emulated[key], lava[key]), key

    _invoke("emulate", str(tmp_path / "art"), "-o", str(tmp_path / "out.npz"), "--input", str(tmp_path / "in.npz"))
    outputs, _ = load_engine_output(tmp_path / "out.npz")  # default steps: last input step + 1 + latency 2
    last = int(np.nonzero(spikes)[1].max())
    assert sorted(outputs) == ["out/spikes"] and outputs["out/spikes"].shape == (3, last + 3, 3)
    assert np.array_equal(outputs["out/spikes"][:, :40], emulated["readout/spikes"][:, :last + 3])


def test_unsupported_model_and_wrong_engine_exit_2(tmp_path):
    coupled = CoupledLIF.create(2, tau_syn_s=[1e-3, 4e-3], tau_mem_s=1e-2, v_threshold=1.0, reset_mode="to_value",
                                coupling=np.array([[0.0, 1.0], [1.0, 0.0]]))  # two du in one coupled process
    graph = Graph(nodes={"in": Input((2,)), "fc": Dense(np.eye(2)), "coupled": coupled, "out": Output((2,))},
                  edges=(("in", "fc"), ("fc", "coupled"), ("coupled", "out")))
    save(graph, tmp_path / "coupled.onnx")
    result = _invoke("compile", str(tmp_path / "coupled.onnx"), "--target", "loihi2", "-o", str(tmp_path / "x"), code=2)
    assert "error: node 'coupled': CoupledLIF needs one tau_syn_s" in result.output and not (tmp_path / "x").exists()

    save(_model(np.random.default_rng(0)), tmp_path / "model.onnx")
    _invoke("compile", str(tmp_path / "model.onnx"), "--target", "loihi2", "-o", str(tmp_path / "art"))
    np.savez(tmp_path / "in.npz", spikes=np.zeros((1, 5, 6), np.uint8), dt_s=1e-3)
    result = _invoke("run", str(tmp_path / "art"), "--engine", "sinabs", "--input", str(tmp_path / "in.npz"),
                     "-o", str(tmp_path / "o.npz"), code=2)
    assert "engine 'lava'" in result.output
