"""The demo's pieces: it writes only under its output directory (a missing example model is trained into it),
and a shared model is deployed, saved under it and checked bit for bit against the engine."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

import snn_deploy as sd
from snn_deploy import demo, demo_shared
from tests.conftest import REPO


def test_a_missing_model_is_trained_into_the_output_directory(tmp_path, monkeypatch):
    xor = sd.read(REPO / "examples" / "models" / "xor.onnx")
    monkeypatch.setattr(sd, "train", lambda dataset, seed: SimpleNamespace(graph=xor))
    out = tmp_path / "out"
    out.mkdir()
    graph, path = demo.trained_model(tmp_path / "absent" / "yinyang.onnx", out)
    assert path == out / "yinyang.onnx" and path.is_file() and not (tmp_path / "absent").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert list(graph.nodes) == list(xor.nodes)
    graph, path = demo.trained_model(REPO / "examples" / "models" / "xor.onnx", out)  # present: read as it is
    assert path == REPO / "examples" / "models" / "xor.onnx"


@pytest.mark.lava
@pytest.mark.xdist_group("lava")
def test_a_shared_model_is_deployed_under_the_output_directory(tmp_path, shared_models):
    tiny = next(m for m in demo_shared.SHARED_MODELS if m.file == "lava-dl/tiny.net")
    logged: list[str] = []
    rows = [demo_shared.deploy_shared(shared_models, tiny, target, tmp_path, logged.append)
            for target in demo.TARGETS]
    loihi2, speck = rows
    assert loihi2.result is not None and loihi2.result.to_json()["bit_exact"] is True
    assert (tmp_path / "tiny" / "loihi2" / "manifest.json").is_file()
    assert speck.result is None and speck.status.startswith("does not fit: speck:")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny"] and logged
    table = demo_shared.shared_table(rows)
    assert "| lava-dl/tiny.net | loihi2 | dt = 1 ms | yes (lava" in table
