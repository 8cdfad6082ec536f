"""examples/python_api.py, and the CLI on the same inputs: the same artifact files, the same reference, emulator
and engine records, byte for byte, and the same check verdict; a model a target cannot hold fails the same way."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from snn_deploy.cli import main as cli
from tests.conftest import REPO

SCRIPT = REPO / "examples" / "python_api.py"


def _example():
    spec = importlib.util.spec_from_file_location("python_api_example", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cli(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _files(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


def _same_bytes(a: Path, b: Path) -> None:
    assert a.read_bytes() == b.read_bytes(), f"{a} differs from {b}"


@pytest.mark.slow
@pytest.mark.lava
@pytest.mark.sinabs
@pytest.mark.xdist_group("lava")
def test_example_equals_the_cli_on_the_same_inputs(tmp_path, shared_models):
    out, cli_out = tmp_path / "api", tmp_path / "cli"
    summary = _example().main(["--out", str(out)])
    models = {"cnn_sinabs": [str(shared_models / "cnn_sinabs.nir"), "--reset-mode", "subtract"],
              "yinyang": [str(REPO / "examples" / "models" / "yinyang.onnx")]}
    dt = {"cnn_sinabs": ["--dt", "0.001"], "yinyang": []}
    compiled = 0
    for name, model in models.items():
        events = str(out / f"{name}-input.npz")
        _cli("simulate", *model, "--input", events, "--record", "all", "-o", str(cli_out / f"{name}-reference.npz"))
        _same_bytes(out / f"{name}-reference.npz", cli_out / f"{name}-reference.npz")
        for target, engine in (("loihi2", "lava"), ("speck", "sinabs")):
            artifact = cli_out / f"{name}-{target}"
            result = CliRunner().invoke(cli, ["compile", *model, "--target", target, *dt[name], "-o", str(artifact)])
            if isinstance(summary[name][target], str):  # the example found it does not fit: so does the CLI
                assert result.exit_code == 2 and summary[name][target].split(": ", 1)[1] in result.output
                continue
            assert result.exit_code == 0, result.output
            compiled += 1
            assert _files(artifact) == _files(out / f"{name}-{target}")
            for verb, extra, suffix in (("emulate", [], "emulated"), ("run", ["--engine", engine], engine)):
                records = cli_out / f"{name}-{target}-{suffix}.npz"
                _cli(verb, str(artifact), *extra, "--input", events, "--record", "all", "-o", str(records))
                _same_bytes(out / f"{name}-{target}-{suffix}.npz", records)
            verdict = CliRunner().invoke(cli, ["check", *model, "--target", target, "--artifact", str(artifact),
                                               "--engine", engine, "--input", events, "--json"])
            assert verdict.exit_code in (0, 1), verdict.output
            assert json.loads(verdict.output) == json.loads((out / f"{name}-{target}-check.json").read_text())
            assert summary[name][target]["engine_equals_emulator"]
            assert sum(summary[name][target]["spikes"].values()) > 0  # guard: the runs spike
    assert compiled == 3  # CNN on both chips, Yin-Yang on Loihi 2 (Speck has no synaptic current)
