"""Speck: snn-deploy's integer emulator vs sinabs's forward pass of the emitted model, on cnn_sinabs.nir.

Goals (issue 7): not slower than sinabs at batch 64, faster at batch 1. Both sides get the same raster and
their spikes are asserted equal for every layer before a time is reported. sinabs runs each conv once over
all ``batch x steps`` frames (float32 torch, every output position), then its IAF layers loop over steps in
Python; the emulator (:mod:`snn_deploy.emulate.speck`) runs conv + IAF + pooling frame by frame in one
compiled kernel, event driven, one thread per core.

Profile of the previous emulator (2026-11-24, same machine): it ran sinabs's own float32 torch conv over
every output position for all frames, then a numpy IAF loop over steps on int64 ``[batch, steps, ...]``
arrays; at batch 32 x 200 steps it was 0.47x sinabs's speed (7.9 s vs 3.7 s). Per layer, the torch conv
was the main cost (layer 3: 0.49 s for 6400 frames whose inputs are ~2-4 % non-zero), then the int64
arrays: allocating and first touching the 420 MB of one layer's int64 spikes at batch 64 x 200 cost ~0.6 s
of page faults, more than the arithmetic. Now the conv does work only for non-zero inputs (events x
features x kernel area), exactly in int64, fused with the IAF and the pooling per frame, and spike counts
are stored as uint8 (wider only when a count needs it). Before / after in one run (old code kept aside,
spikes asserted identical, one core free): batch 1 x 200 steps 0.176 -> 0.018 s (9.7x), batch 32 x 200
3.13 -> 0.46 s (6.9x), batch 64 x 200 5.79 -> 0.98 s (5.9x); the full run of this script (loaded machine)
then measured sinabs / emulator = 8.8 at batch 1 and 6.7 at batch 64.

The second table times the conv alone: event driven (``conv2d``) vs torch float32 over every position (what
sinabs computes), on the frames each layer sees; both allocate their whole output there (int64 / float32),
which the emulator's fused kernel does not.

Where each side runs: the emulator in this process (the main environment, no torch); sinabs and torch in the
Sinabs engine interpreter (``.venv-sinabs``, :mod:`snn_deploy.backends.sinabs.engine`), all sizes in one
process, timed inside it on the same work (``build_model`` plus the forward pass, best of the repeats; its
start-up and the transfer of rasters and spikes are not timed). The torch conv outputs are compared with the
emulator's by sha256 of their int64 values.

    .venv/bin/python benchmarks/bench_speck_vs_sinabs.py [--quick]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import best_of, markdown_table, write_results  # noqa: E402

from snn_deploy.backends.sinabs.artifact import write_artifact  # noqa: E402
from snn_deploy.backends.sinabs.engine import run_many, sinabs_python  # noqa: E402
from snn_deploy.emulate.speck import conv2d, emulate  # noqa: E402
from snn_deploy.ir.io import load  # noqa: E402
from snn_deploy.quantize.speck.quantizer import quantize  # noqa: E402
from snn_deploy.shared import shared_models_dir  # noqa: E402

MODEL = shared_models_dir() / "cnn_sinabs.nir"
INPUT_DENSITY = 0.05
GOALS = {1: "faster than sinabs (ratio > 1)", 64: "not slower than sinabs (ratio >= 1)"}


#: run in the Sinabs engine interpreter: per layer, the best time of float32 torch conv over every output position
#: (what sinabs computes; exact here: sums below 2^24) and the sha256 of its output as int64
_TORCH_CONV = """
import hashlib, json, sys, time
import numpy as np
import torch
spec = json.loads(open(sys.argv[1]).read())
results = []
with np.load(spec["arrays"], allow_pickle=False) as data:
    for i, layer in enumerate(spec["layers"]):
        frames, weight = data[f"{i}/frames"].astype(np.int64), data[f"{i}/weight"]  # as the emulator gets them
        best = float("inf")
        for _ in range(spec["repeats"]):
            start = time.perf_counter()
            out = torch.nn.functional.conv2d(torch.from_numpy(frames.astype(np.float32)),
                                             torch.from_numpy(weight.astype(np.float32)),
                                             stride=tuple(layer["stride"]), padding=tuple(layer["padding"])).numpy()
            best = min(best, time.perf_counter() - start)
        digest = hashlib.sha256(np.ascontiguousarray(out.astype(np.int64)).tobytes()).hexdigest()
        results.append({"seconds": best, "sha256": digest})
print(json.dumps(results))
"""


def sha256_int64(values: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(values.astype(np.int64)).tobytes()).hexdigest()


def torch_conv_times(deployment, frames: list[np.ndarray], repeats: int, scratch: Path) -> list[dict]:
    """``_TORCH_CONV`` on each layer's input frames, in one Sinabs engine process."""
    arrays = {}
    for i, (layer, layer_frames) in enumerate(zip(deployment.layers, frames)):
        arrays[f"{i}/frames"] = layer_frames.astype(np.min_scalar_type(int(layer_frames.max())))
        arrays[f"{i}/weight"] = layer.weight
    np.savez(scratch / "conv.npz", **arrays)
    spec = {"arrays": str(scratch / "conv.npz"), "repeats": repeats,
            "layers": [{"stride": list(layer.stride), "padding": list(layer.padding)} for layer in deployment.layers]}
    (scratch / "conv.json").write_text(json.dumps(spec))
    done = subprocess.run([str(sinabs_python()), "-c", _TORCH_CONV, str(scratch / "conv.json")],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"torch conv in the Sinabs engine failed: {done.stderr.strip().splitlines()[-1:]}")
    return json.loads(done.stdout)


def layer_inputs(deployment, raster: np.ndarray, traces) -> list[np.ndarray]:
    """Each layer's input frames ``[batch x steps, c, h, w]``: the raster, then the sum-pooled spikes."""
    batch, steps, _ = raster.shape
    frames = [raster.reshape(batch * steps, *deployment.input_shape).astype(np.int64)]
    for layer in deployment.layers[:-1]:
        k = layer.pool
        f, h, w = layer.neuron_shape
        spikes = traces[layer.population].spikes.reshape(batch * steps, f, h, w).astype(np.int64)
        frames.append(spikes[:, :, :h // k * k, :w // k * k].reshape(-1, f, h // k, k, w // k, k).sum(axis=(3, 5)))
    return frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller inputs, fewer repeats")
    args = parser.parse_args()
    sizes = [(1, 100), (64, 20)] if args.quick else [(1, 200), (4, 50), (16, 100), (32, 200), (64, 200)]
    repeats = 2 if args.quick else 3
    deployment_q = quantize(load(MODEL))
    rng = np.random.default_rng(0)
    rows, results = [], []
    with tempfile.TemporaryDirectory() as tmp:
        artifact = Path(tmp) / "cnn"
        write_artifact(deployment_q, artifact)
        deployment = deployment_q.deployment
        emulate(deployment, np.zeros((1, 1, deployment.input_units), np.uint8))  # compile (cached) before timing
        rasters = [(rng.random((batch, steps, deployment.input_units)) < INPUT_DENSITY).astype(np.uint8)
                   for batch, steps in sizes]
        sinabs_runs = run_many([(artifact, raster) for raster in rasters], record_state=False, repeats=repeats)
        for (batch, steps), raster, sinabs_run in zip(sizes, rasters, sinabs_runs):
            t_emu, traces = best_of(lambda: emulate(deployment, raster), repeats)
            for layer, theirs in zip(deployment.layers, sinabs_run.spikes):
                assert np.array_equal(traces[layer.population].spikes.reshape(theirs.shape), theirs)
            t_sin = sinabs_run.forward_s
            rows.append([batch, steps, t_emu, t_sin, t_sin / t_emu])
            results.append({"batch": batch, "steps": steps, "emulator_s": t_emu, "sinabs_s": t_sin,
                            "speedup": t_sin / t_emu})
        # the conv alone, per layer, on the frames of the largest run
        conv_rows, conv_results = [], []
        all_frames = layer_inputs(deployment, raster, traces)
        torch_convs = torch_conv_times(deployment, all_frames, repeats, Path(tmp))
        for layer, frames, torch_conv in zip(deployment.layers, all_frames, torch_convs):
            t_events, ours = best_of(lambda: conv2d(frames, layer.weight, layer.stride, layer.padding), repeats)
            t_torch = torch_conv["seconds"]
            assert sha256_int64(ours) == torch_conv["sha256"], layer.population
            density = float(np.count_nonzero(frames)) / frames.size
            conv_rows.append([layer.population, list(layer.weight.shape), f"{density:.3f}", t_events, t_torch,
                              t_torch / t_events])
            conv_results.append({"layer": layer.population, "input_density": density, "event_driven_s": t_events,
                                 "torch_float32_s": t_torch})
    print(f"emulator vs sinabs forward (bit-exact checked), cnn_sinabs.nir, input density {INPUT_DENSITY}")
    print(markdown_table(["batch", "steps", "emulator s", "sinabs s", "sinabs / emulator"], rows))
    for batch, goal in GOALS.items():
        ratios = [r["speedup"] for r in results if r["batch"] == batch]
        if ratios:
            met = min(ratios) > 1 if batch == 1 else min(ratios) >= 1
            print(f"\ngoal at batch {batch}: {goal}: {min(ratios):.3g} ({'met' if met else 'MISSED'})")
    print(f"\nconv per layer, {len(frames)} frames (batch x steps of the last run)")
    print(markdown_table(["layer", "kernel", "input density", "event-driven s", "torch float32 s",
                          "torch / event-driven"], conv_rows))
    path = write_results("bench_speck_vs_sinabs", {"runs": results, "conv": conv_results, "quick": args.quick})
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
