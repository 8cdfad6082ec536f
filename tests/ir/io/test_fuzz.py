"""1000 corrupted files of each format: every read ends in a validated graph or an snn-deploy error, nothing else."""
from __future__ import annotations

from collections import Counter

import pytest

from snn_deploy.errors import SnnDeployError
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
