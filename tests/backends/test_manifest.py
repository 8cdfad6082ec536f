"""Both targets' artifacts: one manifest schema, the spec recorded, and files checked against their hashes on load."""
from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from snn_deploy.backends import CompileOptions
from snn_deploy.backends import lava, sinabs
from snn_deploy.backends.lava.artifact import load_deployment as load_loihi2
from snn_deploy.backends.manifest import SCHEMA
from snn_deploy.backends.sinabs.artifact import load_deployment as load_speck
from snn_deploy.cli import main
from snn_deploy.errors import ModelFormatError
from snn_deploy.ir import IF, Dense, Graph, Input, Output
from snn_deploy.quantize.loihi2.spec import LOIHI2
from snn_deploy.quantize.speck.spec import SPECK

COMMON_KEYS = {"schema", "target", "engine", "spec", "dt_s", "input_units", "outputs", "latency_steps",
               "latency_steps_by_node", "versions", "hashes"}
BACKENDS = {"loihi2": (lava, load_loihi2, LOIHI2), "speck": (sinabs, load_speck, SPECK)}


def _graph() -> Graph:
    rng = np.random.default_rng(1)
    return Graph({"in": Input((4,)), "d": Dense(rng.uniform(0.2, 1.0, (3, 4))), "p": IF.create(3, v_threshold=1.0),
                  "out": Output((3,))}, [("in", "d"), ("d", "p"), ("p", "out")], metadata={"dt_s": 1e-3})


@pytest.fixture(params=sorted(BACKENDS))
def artifact(request, tmp_path):
    backend, _, _ = BACKENDS[request.param]
    out = tmp_path / request.param
    backend.compile_model(_graph(), out, CompileOptions())
    return request.param, out


def test_one_schema_with_the_spec_and_every_files_hash(artifact):
    target, out = artifact
    manifest = json.loads((out / "manifest.json").read_text())
    assert COMMON_KEYS <= set(manifest) and manifest["schema"] == SCHEMA and manifest["target"] == target
    assert manifest["engine"] == {"loihi2": "lava", "speck": "sinabs"}[target]
    assert sorted(manifest["hashes"]) == sorted(p.name for p in out.iterdir() if p.name != "manifest.json")
    assert {"snn-deploy", f"{manifest['engine']} (engine)", "numpy", "python"} <= set(manifest["versions"])
    _, load, spec = BACKENDS[target]
    assert manifest["spec"]["name"] == spec.name and manifest["spec"]["values"]["weight_bits"] == spec.weight_bits
    assert load(out).spec == spec


def _cli(*args: str):
    return CliRunner().invoke(main, list(args))


def test_a_tampered_weights_file_is_refused_with_exit_2(artifact, tmp_path):
    target, out = artifact
    np.savez(tmp_path / "in.npz", spikes=np.ones((1, 5, 4), np.uint8), dt_s=1e-3)
    emulate = ("emulate", str(out), "--input", str(tmp_path / "in.npz"), "-o", str(tmp_path / "out.npz"))
    assert _cli(*emulate).exit_code == 0
    weights = out / "weights.npz"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 1  # one bit of the arrays' bytes: the file still reads, its hash does not match
    weights.write_bytes(bytes(data))
    result = _cli(*emulate)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and f"{weights}: " in lines[0] and "changed since compile" in lines[0], result.output
    with pytest.raises(ModelFormatError, match="weights.npz: changed since compile"):
        BACKENDS[target][1](out)


def test_a_missing_file_another_schema_and_another_target_are_refused(artifact):
    target, out = artifact
    _, load, _ = BACKENDS[target]
    other = BACKENDS["speck" if target == "loihi2" else "loihi2"][1]
    with pytest.raises(ModelFormatError, match=f"compiled for {target}, not "):
        other(out)
    manifest = json.loads((out / "manifest.json").read_text())
    (out / "manifest.json").write_text(json.dumps({**manifest, "schema": "snn-deploy artifact 1"}))
    with pytest.raises(ModelFormatError, match="schema 'snn-deploy artifact 1'.*compile the model again"):
        load(out)
    (out / "manifest.json").write_text(json.dumps(manifest))
    (out / "quantization.json").unlink()
    with pytest.raises(ModelFormatError, match="quantization.json: missing"):
        load(out)


def test_a_manifest_spec_that_is_not_the_targets_is_refused(artifact):
    target, out = artifact
    manifest = json.loads((out / "manifest.json").read_text())
    del manifest["spec"]["values"]["weight_bits"]
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelFormatError, match="'spec' is not a .*Spec .*weight_bits"):
        BACKENDS[target][1](out)
