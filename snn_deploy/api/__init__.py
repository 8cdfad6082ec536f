"""The public Python API, re-exported by :mod:`snn_deploy` (``import snn_deploy as sd``).

Same calls and result types for every target::

    graph = sd.read("model.nir")                       # .nir, .onnx, lava-dl .net
    deployment = sd.compile(graph, "loihi2")           # or "speck"; -> Deployment
    deployment.report.to_json()                        # what quantizing did
    records = deployment.emulate(events)               # bit-accurate integer emulator -> Records
    records = deployment.run(events)                   # the vendor engine (Lava / sinabs)
    deployment.save("artifact/")                       # the artifact snn-deploy compile writes
    result = sd.check(graph, deployment, events, engine="lava")   # -> CheckResult

Events are always :class:`snn_deploy.spikes.SpikeEvents` (``SpikeEvents.from_raster`` makes them from a
raster). Misuse raises a :class:`snn_deploy.errors.SnnDeployError` subclass with a one-line message.
"""
from __future__ import annotations

from snn_deploy.api.checking import check, dataset_inputs, poisson_events, poisson_inputs
from snn_deploy.api.deployment import CompileReport, Deployment, compile, load_artifact
from snn_deploy.api.files import input_units, read_events, read_spikes, write_events, write_spikes
from snn_deploy.api.model import evaluate, inspect, read, simulate, train, write
from snn_deploy.api.records import Records

__all__ = ["CompileReport", "Deployment", "Records", "check", "compile", "dataset_inputs", "evaluate", "input_units",
           "inspect", "load_artifact", "poisson_events", "poisson_inputs", "read", "read_events", "read_spikes",
           "simulate", "train", "write", "write_events", "write_spikes"]
