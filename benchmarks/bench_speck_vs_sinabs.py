"""Speck: snn-deploy's integer emulator vs sinabs's forward pass of the emitted model, on cnn_sinabs.nir.

Also times the emulator's conv choice (torch on the CPU) against a numpy im2col product, the alternative
its docstring names. Every timed pair is checked for equal results first.

    .venv/bin/python benchmarks/bench_speck_vs_sinabs.py [--quick]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import best_of, markdown_table, write_results  # noqa: E402

from snn_deploy.backends.sinabs.artifact import write_artifact  # noqa: E402
from snn_deploy.backends.sinabs.engine import run_sinabs  # noqa: E402
from snn_deploy.emulate.speck import conv2d, emulate  # noqa: E402
from snn_deploy.ir.io import load  # noqa: E402
from snn_deploy.quantize.speck.quantizer import quantize  # noqa: E402

MODEL = Path(__file__).resolve().parents[2] / "shared" / "models" / "cnn_sinabs.nir"


def conv2d_im2col(frames: np.ndarray, weight: np.ndarray, stride, padding) -> np.ndarray:
    """The numpy alternative: im2col windows times the kernel matrix in float64 (BLAS)."""
    f, c, kh, kw = weight.shape
    x = np.pad(frames.astype(np.float64), ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::stride[0], ::stride[1]]
    n, _, ho, wo = windows.shape[:4]
    cols = windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * ho * wo, c * kh * kw)
    return (cols @ weight.reshape(f, -1).T.astype(np.float64)).reshape(n, ho, wo, f).transpose(0, 3, 1, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller inputs, fewer repeats")
    args = parser.parse_args()
    sizes = [(4, 50)] if args.quick else [(4, 50), (16, 100), (32, 200)]
    repeats = 2 if args.quick else 3
    deployment_q = quantize(load(MODEL))
    rng = np.random.default_rng(0)
    rows, results = [], []
    with tempfile.TemporaryDirectory() as tmp:
        artifact = Path(tmp) / "cnn"
        write_artifact(deployment_q, artifact)
        deployment = deployment_q.deployment
        for batch, steps in sizes:
            raster = (rng.random((batch, steps, deployment.input_units)) < 0.05).astype(np.uint8)
            t_emu, traces = best_of(lambda: emulate(deployment, raster), repeats)
            t_sin, (spikes, _) = best_of(lambda: run_sinabs(artifact, raster, False), repeats)
            for layer, theirs in zip(deployment.layers, spikes):
                assert np.array_equal(traces[layer.population].spikes.reshape(theirs.shape), theirs)
            rows.append([batch, steps, t_emu, t_sin, t_sin / t_emu])
            results.append({"batch": batch, "steps": steps, "emulator_s": t_emu, "sinabs_s": t_sin})
        # conv implementations on the frames each layer sees
        conv_rows, conv_results = [], []
        batch, steps = sizes[-1]
        raster = (rng.random((batch, steps, deployment.input_units)) < 0.05).astype(np.uint8)
        traces = emulate(deployment, raster)
        frames = raster.reshape(batch * steps, *deployment.input_shape).astype(np.int64)
        for layer in deployment.layers:
            frames = frames.reshape(batch * steps, *layer.in_shape)
            t_torch, ours = best_of(lambda: conv2d(frames, layer.weight, layer.stride, layer.padding), repeats)
            t_numpy, ref = best_of(lambda: conv2d_im2col(frames, layer.weight, layer.stride, layer.padding), repeats)
            assert np.array_equal(ours, ref)
            conv_rows.append([layer.population, list(layer.weight.shape), t_torch, t_numpy, t_numpy / t_torch])
            conv_results.append({"layer": layer.population, "torch_s": t_torch, "numpy_im2col_s": t_numpy})
            spikes = traces[layer.population].spikes.reshape(batch * steps, *layer.neuron_shape)
            k = layer.pool
            f, h, w = layer.neuron_shape
            frames = spikes[:, :, :h // k * k, :w // k * k].reshape(-1, f, h // k, k, w // k, k).sum(axis=(3, 5))
    print("emulator vs sinabs forward (bit-exact checked), cnn_sinabs.nir, input density 0.05")
    print(markdown_table(["batch", "steps", "emulator s", "sinabs s", "sinabs / emulator"], rows))
    print(f"\nconv per layer, batch x steps = {batch} x {steps} frames")
    print(markdown_table(["layer", "kernel", "torch s", "numpy im2col s", "numpy / torch"], conv_rows))
    path = write_results("bench_speck_vs_sinabs", {"runs": results, "conv": conv_results, "quick": args.quick})
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
