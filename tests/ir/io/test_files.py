"""``reading()``: a malformed file is exit 2 with one line naming it; a bug inside a reader's own converter is not
disguised as bad input: it surfaces as exit 3, "internal error" (a bug is injected into each reader)."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from snn_deploy.cli import main
from snn_deploy.errors import ModelFormatError
from snn_deploy.ir.io import netx_format, nir_format, onnx_format
from snn_deploy.ir.io.files import is_malformed_input, reading
from tests.ir.io.fuzz_cases import mutated_files

#: per format: a real file, the reader module and the converter it calls on the parsed file
READERS = {
    ".onnx": (None, onnx_format, "from_model"),
    ".nir": ("lif_norse.nir", nir_format, "from_nir"),
    ".net": ("lava-dl/tiny.net", netx_format, "from_hdf5"),
}


def _model(suffix: str, shared_models, tmp_path):
    name = READERS[suffix][0]
    if name is not None:
        return shared_models / name
    path = tmp_path / "lif.onnx"
    assert CliRunner().invoke(main, ["convert", str(shared_models / "lif_norse.nir"), str(path)]).exit_code == 0
    return path


def _inspect(path):
    return CliRunner().invoke(main, ["inspect", str(path)], prog_name="snn-deploy")


@pytest.mark.parametrize("bug", [ZeroDivisionError("division by zero"), AttributeError("'Graph' has no 'nodez'")])
@pytest.mark.parametrize("suffix", sorted(READERS))
def test_a_bug_in_a_converter_is_an_internal_error_exit_3(suffix, bug, shared_models, tmp_path, monkeypatch):
    path = _model(suffix, shared_models, tmp_path)
    assert _inspect(path).exit_code == 0
    _, module, converter = READERS[suffix]

    def broken(*args, **kwargs):
        raise bug

    monkeypatch.setattr(module, converter, broken)
    result = _inspect(path)
    assert result.exit_code == 3, result.stderr
    assert result.stderr == f"error: internal error: {type(bug).__name__}: {bug} (rerun with --debug)\n"
    assert "not a valid" not in result.stderr


@pytest.mark.parametrize("suffix", sorted(READERS))
def test_truncated_and_structurally_broken_files_are_still_exit_2(suffix, shared_models, tmp_path):
    seen = set()
    for kind, path in mutated_files(suffix, shared_models, tmp_path, 60, seed=11):
        result = _inspect(path)
        if kind in ("truncate", "structure") and result.exit_code != 0:
            assert result.exit_code == 2, (kind, result.stderr)
            assert result.stderr.startswith(f"error: {path}: ") and result.stderr.count("\n") == 1, result.stderr
            seen.add(kind)
    assert seen == {"truncate", "structure"}


def test_reading_keeps_decoding_errors_as_bad_input_and_lets_bugs_through(tmp_path):
    path = tmp_path / "x.onnx"
    for malformed in (OSError("short read"), KeyError("layer"), ValueError("bad shape"),
                      UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")):
        with pytest.raises(ModelFormatError, match=f"{path}: not a valid test file \\({type(malformed).__name__}"):
            with reading(path, "test"):
                raise malformed
    for bug in (TypeError("unsupported operand"), AttributeError("x"), ZeroDivisionError(), IndexError(),
                RuntimeError("oops"), AssertionError()):
        with pytest.raises(type(bug)):
            with reading(path, "test"):
                raise bug
        assert not is_malformed_input(bug)


def test_an_exception_raised_inside_a_parser_library_is_bad_input(tmp_path):
    """h5py raises RuntimeError on a corrupt object, nir AttributeError / TypeError on a bad node dictionary:
    classified by where they were raised (the innermost frame's package), not by their type."""
    import nir
    import numpy as np

    strings = {"type": "LIF", "tau": "x", "r": "x", "v_leak": "x", "v_threshold": "x"}
    mixed = {"type": "LIF", "tau": np.ones(2), "r": np.ones(3), "v_leak": np.ones(2), "v_threshold": np.ones(2)}
    for node, raised in ((strings, "AttributeError"), (mixed, "AssertionError")):
        with pytest.raises(ModelFormatError, match=f"not a valid NIR file \\({raised}"):
            with reading(tmp_path / "x.nir", "NIR"):
                nir.dict2NIRNode(node)
