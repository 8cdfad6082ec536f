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

    .venv/bin/python benchmarks/bench_speck_vs_sinabs.py [--quick]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import best_of, markdown_table, write_results  # noqa: E402

from snn_deploy.backends.sinabs.artifact import write_artifact  # noqa: E402
from snn_deploy.backends.sinabs.engine import run_sinabs  # noqa: E402
from snn_deploy.emulate.speck import conv2d, emulate  # noqa: E402
from snn_deploy.ir.io import load  # noqa: E402
from snn_deploy.quantize.speck.quantizer import quantize  # noqa: E402
from snn_deploy.shared import shared_models_dir  # noqa: E402

MODEL = shared_models_dir() / "cnn_sinabs.nir"
INPUT_DENSITY = 0.05
GOALS = {1: "faster than sinabs (ratio > 1)", 64: "not slower than sinabs (ratio >= 1)"}


def conv2d_torch(frames: np.ndarray, weight: np.ndarray, stride, padding) -> np.ndarray:
    """What sinabs computes: float32 torch conv over every output position (exact here: sums below 2^24)."""
    out = torch.nn.functional.conv2d(torch.from_numpy(frames.astype(np.float32)),
                                     torch.from_numpy(weight.astype(np.float32)), stride=tuple(stride),
                                     padding=tuple(padding))
    return out.numpy()


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
        for batch, steps in sizes:
            raster = (rng.random((batch, steps, deployment.input_units)) < INPUT_DENSITY).astype(np.uint8)
            t_emu, traces = best_of(lambda: emulate(deployment, raster), repeats)
            t_sin, (spikes, _) = best_of(lambda: run_sinabs(artifact, raster, False), repeats)
            for layer, theirs in zip(deployment.layers, spikes):
                assert np.array_equal(traces[layer.population].spikes.reshape(theirs.shape), theirs)
            rows.append([batch, steps, t_emu, t_sin, t_sin / t_emu])
            results.append({"batch": batch, "steps": steps, "emulator_s": t_emu, "sinabs_s": t_sin,
                            "speedup": t_sin / t_emu})
        # the conv alone, per layer, on the frames of the largest run
        conv_rows, conv_results = [], []
        for layer, frames in zip(deployment.layers, layer_inputs(deployment, raster, traces)):
            t_events, ours = best_of(lambda: conv2d(frames, layer.weight, layer.stride, layer.padding), repeats)
            t_torch, ref = best_of(lambda: conv2d_torch(frames, layer.weight, layer.stride, layer.padding), repeats)
            assert np.array_equal(ours, ref)
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
