"""``snn-deploy inspect`` and ``convert``: counts against the raw files, one JSON object, atomic writes,
one-line errors with exit code 2 on 1000 corrupted files of each format (in-process) and in real processes."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import h5py
import nir
import pytest
from click.testing import CliRunner

from snn_deploy.cli import main
from snn_deploy.ir import graphs_equal
from snn_deploy.ir.io import load
from tests.ir.io.fuzz_cases import FORMATS, mutated_files
from tests.ir.io.raw_counts import netx_counts, nir_counts

SHARED = ["braille_noDelay_bias_zero.nir", "braille_noDelay_noBias_subtract.nir", "cnn_sinabs.nir", "lif_norse.nir",
          "lava-dl/tiny.net", "lava-dl/mnist.net"]
EXECUTABLE = Path(sys.executable).parent / "snn-deploy"


def _invoke(*args: str):
    return CliRunner().invoke(main, list(args), prog_name="snn-deploy")


def _raw_counts(path: Path) -> tuple[int, int]:
    if path.suffix == ".net":
        with h5py.File(path, "r") as raw:
            return netx_counts(raw)
    return nir_counts(nir.read(path))


@pytest.mark.parametrize("model", SHARED)
def test_inspect_json_counts_match_the_raw_file(model, shared_models):
    path = shared_models / model
    result = _invoke("inspect", "--json", str(path))
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)  # exactly one JSON object on stdout
    assert isinstance(summary, dict) and result.stderr == ""
    neurons, synapses = _raw_counts(path)
    assert summary["totals"]["neurons"] == neurons
    assert summary["totals"]["synapses"] == synapses
    assert sum(row["neurons"] for row in summary["nodes"]) == neurons
    assert {row["name"] for row in summary["nodes"]} == set(load(path).nodes)


def test_inspect_table_lists_nodes_parameter_ranges_and_totals(shared_models):
    result = _invoke("inspect", str(shared_models / "braille_noDelay_noBias_subtract.nir"))
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split()[:5] == ["name", "kind", "shape", "neurons", "synapses"]
    row = next(line for line in lines if line.startswith("lif1.lif"))
    assert row.split()[1:4] == ["CubaLIF", "40", "40"] and "tau_syn_s=0.0004" in row
    assert lines[-1] == "total: 7 nodes, 47 neurons, 2360 synapses, 7 edges (recurrent: lif1.w_rec->lif1.lif)"


def test_convert_nir_to_onnx_and_back_is_lossless(shared_models, tmp_path):
    source = shared_models / "cnn_sinabs.nir"
    assert _invoke("convert", str(source), str(tmp_path / "m.onnx")).exit_code == 0
    assert _invoke("convert", str(tmp_path / "m.onnx"), str(tmp_path / "m.nir")).exit_code == 0
    assert graphs_equal(load(tmp_path / "m.nir"), load(source))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.nir", "m.onnx"]  # no temporary files left


@pytest.mark.parametrize("target, message", [
    ("out.nir", "NIR has no reset by subtraction"),  # netx resets to 0, read here with --reset-mode subtract
    ("out.net", "format '.net' is read-only"),
    ("out.txt", "unknown model format '.txt'"),
])
def test_failed_convert_leaves_no_partial_output(target, message, shared_models, tmp_path):
    result = _invoke("convert", str(shared_models / "lava-dl" / "tiny.net"), str(tmp_path / target),
                     "--reset-mode", "subtract")
    assert result.exit_code == 2 and message in result.stderr
    assert list(tmp_path.iterdir()) == []
    existing = tmp_path / "existing.nir"
    existing.write_bytes(b"previous")
    result = _invoke("convert", str(shared_models / "lava-dl" / "tiny.net"), str(existing), "--reset-mode", "subtract")
    assert result.exit_code == 2 and existing.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["existing.nir"]


def _assert_one_line_error(result_code: int, stderr: str, case: str) -> None:
    assert result_code == 2, (case, stderr)
    assert stderr.startswith("error: ") and stderr.count("\n") == 1 and "Traceback" not in stderr, (case, stderr)


@pytest.mark.parametrize("suffix", FORMATS)
def test_cli_on_1000_corrupted_files_exits_2_with_one_line(suffix, shared_models, tmp_path):
    errors = 0
    for kind, path in mutated_files(suffix, shared_models, tmp_path, 1000, seed=7):
        result = _invoke("inspect", str(path))
        if result.exit_code != 0:
            _assert_one_line_error(result.exit_code, result.stderr, f"{kind} {path.name}")
            assert str(path) in result.stderr
            errors += 1
        path.unlink()
    assert errors >= 700  # the rest are mutations that left a valid model (e.g. one changed weight)


def test_real_processes(shared_models, tmp_path):
    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(EXECUTABLE), *args], capture_output=True, text=True, timeout=120)

    ok = run("inspect", "--json", str(shared_models / "lif_norse.nir"))
    assert ok.returncode == 0 and json.loads(ok.stdout)["totals"] == {"nodes": 4, "neurons": 1, "synapses": 1}
    truncated = tmp_path / "cut.nir"
    truncated.write_bytes((shared_models / "lif_norse.nir").read_bytes()[:5000])
    bad = run("inspect", str(truncated))
    _assert_one_line_error(bad.returncode, bad.stderr, "truncated")
    missing = run("inspect", str(tmp_path / "missing.onnx"))
    _assert_one_line_error(missing.returncode, missing.stderr, "missing")
    assert "no such file" in missing.stderr
    unsupported = run("convert", str(shared_models / "lava-dl" / "tiny.net"), str(tmp_path / "t.nir"), "--reset-mode",
                      "subtract")
    _assert_one_line_error(unsupported.returncode, unsupported.stderr, "unsupported")
    assert not (tmp_path / "t.nir").exists()
