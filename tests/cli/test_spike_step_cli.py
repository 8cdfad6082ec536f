"""--spike-step on the verbs that read a model: the file read with the exporter's per-step spikes."""
from __future__ import annotations

import json

import numpy as np
from click.testing import CliRunner

from snn_deploy.cli import main
from snn_deploy.ir import graphs_equal
from snn_deploy.ir.io import load
from snn_deploy.ir.spike_steps import per_step_spikes


def _invoke(*args: str):
    return CliRunner().invoke(main, list(args), prog_name="snn-deploy")


def test_inspect_and_convert_read_the_weights_times_the_step(shared_models, tmp_path):
    model = str(shared_models / "lif_norse.nir")
    shown = _invoke("inspect", model, "--spike-step", "1e-4", "--json")
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["metadata"]["spike_step_s"] == 1e-4
    out = tmp_path / "norse_stepped.onnx"
    converted = _invoke("convert", model, str(out), "--spike-step", "1e-4")
    assert converted.exit_code == 0, converted.output
    expected = per_step_spikes(load(model), 1e-4)
    assert graphs_equal(load(out), expected)
    np.testing.assert_array_equal(load(out).nodes["0"].weight, load(model).nodes["0"].weight * 1e-4)


def test_a_model_it_cannot_rescale_is_refused_in_one_line(tmp_path):
    from snn_deploy.ir.graph import Graph
    from snn_deploy.ir.io import save
    from snn_deploy.ir.nodes import LIF, Input, Output, SumPool2d

    nodes = {"in": Input((1, 2, 2)), "pool": SumPool2d(kernel_size=2, stride=2),
             "p": LIF.create((1, 1, 1), tau_mem_s=1e-2, v_threshold=1.0), "out": Output((1, 1, 1))}
    path = tmp_path / "pooled.onnx"
    save(Graph(nodes, [("in", "pool"), ("pool", "p"), ("p", "out")]).validate(), path)
    result = _invoke("inspect", str(path), "--spike-step", "1e-3")
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "node 'p'" in result.output
