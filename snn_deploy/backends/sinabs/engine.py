"""Run an artifact's ``model.py`` with sinabs on the CPU (in this process; sinabs is in the same venv).

The emitted ``nn.Sequential`` gets all ``batch x steps`` frames at once, as sinabs's Speck tools feed it;
forward hooks on its ``IAFSqueeze`` layers take each layer's input ``u`` and spike counts, and the layers'
``record_states`` gives ``v`` after reset and low bound.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np

from snn_deploy.errors import EngineError


def _load_builder(artifact_dir: Path):
    path = artifact_dir / "model.py"
    name = f"_snn_deploy_speck_model_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise EngineError(f"{path}: cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    return module


def run_sinabs(artifact_dir: str | Path, raster: np.ndarray, record_state: bool
               ) -> tuple[list[np.ndarray], list[tuple[np.ndarray, np.ndarray]] | None]:
    """Per layer (in order): spike counts ``[batch, steps, ...]`` and with ``record_state`` ``(u, v)``."""
    import sinabs.layers as sl
    import torch

    builder = _load_builder(Path(artifact_dir))
    batch, steps, _ = raster.shape
    model = builder.build_model(batch_size=batch)
    iaf_layers = [m for m in model if isinstance(m, sl.IAFSqueeze)]
    captured: list[tuple[torch.Tensor, torch.Tensor]] = []
    for layer in iaf_layers:
        layer.record_states = record_state
        layer.register_forward_hook(lambda _m, inputs, output: captured.append((inputs[0], output)))
    x = torch.from_numpy(np.asarray(raster, dtype=np.float32)).reshape(batch * steps, *builder.INPUT_SHAPE)
    with torch.no_grad():
        model(x)
    spikes, state = [], [] if record_state else None
    for layer, (u, out) in zip(iaf_layers, captured):
        spikes.append(out.numpy().reshape(batch, steps, *out.shape[1:]).astype(np.int64))
        if state is not None:
            v = layer.recordings["v_mem"].numpy()
            state.append((u.numpy().reshape(batch, steps, *u.shape[1:]).astype(np.int64),
                          v.reshape(batch, steps, *v.shape[2:]).astype(np.int64)))
    return spikes, state
