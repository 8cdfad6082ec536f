"""The Sinabs engine's side of the subprocess: run Speck artifacts' ``model.py`` with sinabs on the CPU.

It runs in the Sinabs engine environment (``.venv-sinabs``: sinabs, torch, numpy), where snn-deploy is not
installed, so it imports nothing from snn-deploy; :mod:`snn_deploy.backends.sinabs.engine` passes this file to
that interpreter by path (torch and sinabs are imported in :func:`main` only, so the main environment can import
this module without them)::

    python runner.py JOBS.json

``JOBS.json`` is a list of jobs ``{"model": ".../model.py", "input": "IN.npz", "output": "OUT.npz",
"record_state": bool, "repeats": int}``, run one after the other in this process (torch's start-up is paid once).
``IN.npz`` holds ``spikes`` ``[batch, steps, units]`` (counts per step). The model gets all ``batch x steps``
frames in one forward call, as sinabs's Speck tools feed it; forward hooks on its ``IAFSqueeze`` layers take
each layer's input and spike counts, their ``record_states`` the membrane. ``OUT.npz`` gets, for the ``i``-th
``IAFSqueeze`` of the model, ``<i>/spikes`` and with ``record_state`` ``<i>/u`` (the layer's input: conv or
linear output plus bias) and ``<i>/v`` (membrane after reset and low bound), each ``[batch, steps, ...]`` in
integers (a non-integer value is an error), and ``forward_s``: the best wall time over ``repeats`` of
``build_model`` plus the forward pass.
"""
from __future__ import annotations

import importlib.util
import json
import sys
import time
from pathlib import Path

try:
    import numpy as np
except ImportError:  # main() says what the interpreter lacks
    np = None

_INTEGER_TYPES = ("uint8", "int16", "int32", "int64")


def _integers(values: np.ndarray, what: str) -> np.ndarray:
    """``values`` (float) in the narrowest integer type that holds them exactly; refuses non-integers."""
    if values.size and not np.array_equal(values, np.round(values)):
        raise ValueError(f"{what}: sinabs produced non-integer values (the model should hold integers only)")
    low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 0.0)
    for dtype in _INTEGER_TYPES:
        info = np.iinfo(dtype)
        if info.min <= low and high <= info.max:
            return values.astype(dtype)
    raise ValueError(f"{what}: values beyond int64")


def _load_builder(model_py: Path):
    name = f"_speck_model_{abs(hash(str(model_py.resolve())))}"
    spec = importlib.util.spec_from_file_location(name, model_py)
    if spec is None or spec.loader is None:
        raise ValueError(f"{model_py}: cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _forward(builder, raster: np.ndarray, record_state: bool, torch, iaf_type) -> tuple[list, list]:
    """One fresh model, one forward pass: per IAF layer (input, output) tensors and the layers themselves."""
    batch, steps, _ = raster.shape
    model = builder.build_model(batch_size=batch)
    layers = [m for m in model if isinstance(m, iaf_type)]
    captured: list = []
    for layer in layers:
        layer.record_states = record_state
        layer.register_forward_hook(lambda _m, inputs, output: captured.append((inputs[0], output)))
    x = torch.from_numpy(raster.astype(np.float32)).reshape(batch * steps, *builder.INPUT_SHAPE)
    with torch.no_grad():
        model(x)
    return layers, captured


def run_job(job: dict, torch, iaf_type) -> None:
    """Run one job of ``JOBS.json`` and write its ``OUT.npz``."""
    builder = _load_builder(Path(job["model"]))
    with np.load(job["input"], allow_pickle=False) as data:
        raster = data["spikes"]
    record_state = bool(job.get("record_state"))
    best = float("inf")
    for _ in range(max(1, int(job.get("repeats", 1)))):
        start = time.perf_counter()
        layers, captured = _forward(builder, raster, record_state, torch, iaf_type)
        best = min(best, time.perf_counter() - start)
    batch, steps, _ = raster.shape
    out: dict[str, np.ndarray] = {"forward_s": np.float64(best)}
    for i, (layer, (u, spikes)) in enumerate(zip(layers, captured)):
        out[f"{i}/spikes"] = _integers(spikes.numpy().reshape(batch, steps, *spikes.shape[1:]), f"layer {i} spikes")
        if record_state:
            v = layer.recordings["v_mem"].numpy()
            out[f"{i}/u"] = _integers(u.numpy().reshape(batch, steps, *u.shape[1:]), f"layer {i} u")
            out[f"{i}/v"] = _integers(v.reshape(batch, steps, *v.shape[2:]), f"layer {i} v")
    np.savez(job["output"], **out)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        sys.exit("usage: python runner.py JOBS.json")
    try:
        if np is None:
            import numpy  # noqa: F401  (raises the ImportError to report)
        import sinabs.layers as sl
        import torch
    except ImportError as exc:
        sys.exit(f"error: the Sinabs engine needs sinabs, torch and numpy in this interpreter ({exc}); "
                 "install requirements/sinabs.txt (make env creates .venv-sinabs)")
    for job in json.loads(Path(argv[0]).read_text()):
        try:
            run_job(job, torch, sl.IAFSqueeze)
        except (OSError, KeyError, ValueError, AttributeError) as exc:
            sys.exit(f"error: {job.get('model')}: {type(exc).__name__}: {exc}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
