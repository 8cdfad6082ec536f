"""snn-deploy: deploy trained spiking neural networks to neuromorphic chips, with proof.

Flow: model file -> IR graph (:mod:`snn_deploy.ir`) -> exact reference (:mod:`snn_deploy.reference`)
and quantized deployment (:mod:`snn_deploy.quantize`) -> integer emulation (:mod:`snn_deploy.emulate`)
and vendor artifacts (:mod:`snn_deploy.backends`) -> equivalence checks (:mod:`snn_deploy.check`).
Each chip is one :class:`snn_deploy.targets.Target`.

The Python API (:mod:`snn_deploy.api`) is exported here: ``read``, ``write``, ``inspect``, ``simulate``,
``compile`` (-> :class:`Deployment`: ``.report``, ``.emulate``, ``.run``, ``.save``), ``load_artifact``,
``check``, the inputs ``SpikeEvents``, ``dataset_inputs``, ``poisson_inputs``, ``poisson_events``, the files
``read_events``, ``write_events``, ``read_spikes``, ``write_spikes``, the rates ``window_rate`` and
``instantaneous_rate``, ``evaluate``, ``train``, the targets ``get_target``, ``target_names``,
``register_target``, ``Target``, the shared models ``shared_models_dir``, and the errors. Names are imported
on first use, so ``import snn_deploy`` stays cheap.
"""
from __future__ import annotations

import importlib
from typing import Any

from snn_deploy.errors import (
    EngineError, GraphValidationError, ModelFormatError, QuantizationError, SnnDeployError, UnsupportedError,
)

__version__ = "0.1.0"

#: exported name -> module that defines it (imported by :func:`__getattr__` on first use)
_LAZY: dict[str, str] = {
    **dict.fromkeys(["CompileReport", "Deployment", "Records", "check", "compile", "dataset_inputs", "evaluate",
                     "input_units", "inspect", "load_artifact", "poisson_events", "poisson_inputs", "read",
                     "read_events", "read_spikes", "simulate", "train", "write", "write_events", "write_spikes"],
                    "snn_deploy.api"),
    **dict.fromkeys(["shared_dir", "shared_models_dir"], "snn_deploy.shared"),
    **dict.fromkeys(["Target", "get_target", "register_target", "target_names"], "snn_deploy.targets"),
    **dict.fromkeys(["instantaneous_rate", "window_rate"], "snn_deploy.reference.decoding"),
    "SpikeEvents": "snn_deploy.spikes",
    "CheckResult": "snn_deploy.check.equivalence",
    "CheckInput": "snn_deploy.check.runner",
    "Graph": "snn_deploy.ir.graph",
}

__all__ = ["EngineError", "GraphValidationError", "ModelFormatError", "QuantizationError", "SnnDeployError",
           "UnsupportedError", "__version__", *sorted(_LAZY)]


# ``snn_deploy.check`` is both a subpackage and the API's ``check`` function. Importing the (docstring-only)
# package now, then unbinding the attribute the import system set, makes ``snn_deploy.check`` the function
# (resolved by ``__getattr__``), and later imports of ``snn_deploy.check.<module>`` leave it so (the package is
# already loaded, so the import system does not set the attribute again).
importlib.import_module("snn_deploy.check")
del globals()["check"]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'snn_deploy' has no attribute '{name}'")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
