"""The four shared third-party NIR models compile to Loihi 2 and run bit for bit equal in the emulator and Lava.

The files (``shared/models``, NIR paper) are read with nir 1.0.8 through :func:`snn_deploy.ir.io.load`; each
population is then given its exporter's reset explicitly (the 1.0.4-era files do not say): Sinabs' ``IF``
and the snnTorch Braille net named ``subtract`` reset by subtraction (snn-deploy's ``SubtractLIF`` process),
the Braille net named ``zero`` and Norse's LIF reset to 0 (Lava's LIF). The Braille and Norse models run at
the NIR paper's ``dt = 0.1 ms``, the Sinabs CNN (``IF`` neurons: no time constant) at 1 ms. Every population
must spike (a silent one would make the comparison empty); spikes, ``u`` and ``v`` of every population must
equal Lava's. The CNN (8970 neurons, 843k synapses) runs 1 sample of a few steps in Lava. (Read as
continuous-time pulses, the Braille and Norse files' ``r`` / ``w_in`` make one input spike worth 10^3 to
10^5 thresholds at 0.1 ms, so their groups get ``vth = 1`` and ``v`` clips: bit-exact all the same, but not
the trained networks' behaviour; the compile report says so.)
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from snn_deploy.backends.lava.artifact import write_artifact
from snn_deploy.backends.lava.engine import run_many
from snn_deploy.emulate.loihi2 import emulate
from snn_deploy.ir.graph import Graph
from snn_deploy.ir.io import load
from snn_deploy.quantize.loihi2.deployment import Deployment
from snn_deploy.quantize.loihi2.quantizer import quantize
from snn_deploy.quantize.loihi2.spec import ResetRule
from tests.backends.test_lava_bitexact import assert_same_records

NIR_PAPER_DT_S = 1e-4
#: (file, reset reading, dt_s, steps, input spike probability per unit and step)
SMALL = [("braille_noDelay_noBias_subtract", "subtract", NIR_PAPER_DT_S, 60, 0.1),
         ("braille_noDelay_bias_zero", "to_value", NIR_PAPER_DT_S, 60, 0.1),
         ("lif_norse", "to_value", NIR_PAPER_DT_S, 60, 0.3)]


def with_reset(graph: Graph, reset_mode: str) -> Graph:
    """``graph`` with every population's ``reset_mode`` set (``v_reset`` as read: 0 in these files)."""
    nodes = {name: dataclasses.replace(node, reset_mode=reset_mode) if name in graph.populations() else node
             for name, node in graph.nodes.items()}
    return dataclasses.replace(graph, nodes=nodes)


def _compiled(shared_models: Path, tmp_path: Path, name: str, reset_mode: str, dt_s: float) -> Deployment:
    graph = with_reset(load(shared_models / f"{name}.nir"), reset_mode)
    deployment = quantize(graph, dt_s)
    notes = write_artifact(deployment, tmp_path / name)
    rule = ResetRule.SUBTRACT if reset_mode == "subtract" else ResetRule.ZERO
    assert {g.reset for g in deployment.groups} == {rule}
    manifest = json.loads((tmp_path / name / "manifest.json").read_text())
    if rule is ResetRule.SUBTRACT:  # the artifact says that a chip needs a custom neuron, and holds no netx file
        assert set(manifest["custom_processes"]) == {g.name for g in deployment.groups}
        assert all("custom microcode neuron" in why for why in manifest["custom_processes"].values())
        assert not (tmp_path / name / "network.net").exists() and any("subtraction" in n for n in notes)
    else:
        assert manifest["custom_processes"] == {}
    return deployment


def _raster(deployment: Deployment, batch: int, steps: int, rate: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.random((batch, steps, deployment.input_units)) < rate).astype(np.uint8)


def _assert_all_spike(name: str, emulated) -> None:
    for pop, spikes in emulated.spikes.items():
        assert spikes.sum() > 0, f"{name}: population {pop} never spiked"


@pytest.mark.lava
@pytest.mark.slow
@pytest.mark.xdist_group("lava")
def test_braille_and_norse_equal_lava_at_the_nir_papers_dt(shared_models, tmp_path):
    cases = []
    for k, (name, reset_mode, dt_s, steps, rate) in enumerate(SMALL):
        deployment = _compiled(shared_models, tmp_path, name, reset_mode, dt_s)
        assert deployment.dt_s == dt_s
        cases.append((name, deployment, _raster(deployment, 2, steps, rate, k)))
    # the Braille nets' recurrent Dense (lif1.w_rec, no delay) takes Lava's one step: reported, as snnTorch's
    # recurrence (spikes of step t reach the synapse at t + 1) has it too
    braille = cases[0][1].report["latency_errors"]
    assert braille == [{"source": "lif1.lif", "target": "lif1.lif", "extra_steps": 1, "why": "recurrent edge"}]
    results = run_many([(tmp_path / name, raster, list(d.populations)) for name, d, raster in cases],
                       record_state=True)
    for (name, deployment, raster), lava in zip(cases, results):
        emulated = emulate(deployment, raster, record_state=True)
        _assert_all_spike(name, emulated)
        assert_same_records(name, deployment, emulated, lava)


@pytest.mark.lava
@pytest.mark.slow
@pytest.mark.xdist_group("lava")
def test_sinabs_cnn_compiles_emulates_and_equals_lava(shared_models, tmp_path):
    deployment = _compiled(shared_models, tmp_path, "cnn_sinabs", "subtract", 1e-3)
    assert sum(deployment.populations.values()) == 8970
    assert sum(int(np.count_nonzero(s.weight)) for s in deployment.synapses) > 800_000
    assert deployment.report["clipped_total"] == 0
    raster = _raster(deployment, 1, 12, 0.1, 0)
    emulated = emulate(deployment, raster, record_state=True)
    _assert_all_spike("cnn_sinabs", emulated)
    lava = run_many([(tmp_path / "cnn_sinabs", raster, list(deployment.populations))], record_state=True)[0]
    assert_same_records("cnn_sinabs", deployment, emulated, lava)
