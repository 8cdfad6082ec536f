"""1000 corrupted files of each format: every read ends in a validated graph or an snn-deploy error, nothing else."""
from __future__ import annotations

from collections import Counter

import pytest

from snn_deploy.errors import ModelFormatError, SnnDeployError
from snn_deploy.ir.graph import Graph
from snn_deploy.ir.io import load
from tests.ir.io.fuzz_cases import FORMATS, mutated_files

CASES = 1000


@pytest.mark.parametrize("suffix", FORMATS)
def test_every_corrupted_file_ends_in_an_snn_deploy_error(suffix, shared_models, tmp_path):
    outcomes: Counter[tuple[str, str]] = Counter()
    for kind, path in mutated_files(suffix, shared_models, tmp_path, CASES, seed=20261124):
        try:
            graph = load(path)
        except SnnDeployError as exc:
            message = str(exc)
            assert "\n" not in message and message.startswith(f"{path}: "), (kind, message)
            outcomes[kind, "error"] += 1
        else:  # a mutation that kept the file valid (e.g. a changed weight) must give a valid graph
            assert isinstance(graph, Graph)
            graph.validate()
            outcomes[kind, "valid"] += 1
        path.unlink()
    assert sum(outcomes.values()) == CASES
    assert outcomes["truncate", "valid"] == 0 and outcomes["random", "valid"] == 0, outcomes
    structural = outcomes["structure", "error"] + outcomes["structure", "valid"]
    assert outcomes["structure", "error"] >= 0.75 * structural, outcomes


def test_corrupt_hdf5_global_heap_is_refused_before_hdf5_loops_on_it(shared_models, tmp_path):
    """A regression found by the fuzzer: one wrong object size in the heap of strings hung HDF5's reader."""
    data = bytearray((shared_models / "lif_norse.nir").read_bytes())
    heap = data.find(b"GCOL\x01\x00\x00\x00")
    assert heap > 0
    data[heap + 16 + 5 * 24 + 8] = 0xC2  # size field of the sixth string in the collection (6 -> 194 bytes)
    path = tmp_path / "heap.nir"
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFormatError, match=f"{path}: corrupt HDF5 global heap"):
        load(path)
