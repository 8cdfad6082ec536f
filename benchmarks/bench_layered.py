"""Layered engine throughput on the trained Yin-Yang model: forward, gradient, general simulator.

Times the batched layered forward pass, its reverse-mode gradient, and the general event-driven simulator
(:func:`snn_deploy.reference.simulator.simulate`) on ``examples/models/yinyang.onnx`` and its test inputs,
after checking that the two engines give the same spike times (to 1e-9 s) in every population.

    .venv/bin/python benchmarks/bench_layered.py [--quick]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import best_of, markdown_table, write_results  # noqa: E402

from snn_deploy.ir.io import load as load_model  # noqa: E402
from snn_deploy.reference.datasets import load  # noqa: E402
from snn_deploy.reference.evaluation import encoding_of  # noqa: E402
from snn_deploy.reference.gradients import backward  # noqa: E402
from snn_deploy.reference.layered import LayeredNetwork, events_from_times, forward, times_from_events  # noqa: E402
from snn_deploy.reference.simulator import simulate  # noqa: E402

MODEL = Path(__file__).resolve().parents[1] / "examples" / "models" / "yinyang.onnx"
MAX_SPIKES = 64


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 samples instead of 1000")
    args = parser.parse_args()
    samples = 200 if args.quick else 1000
    graph = load_model(MODEL)
    inputs = encoding_of(graph, str(MODEL)).encode(load("yinyang").test()[0][:samples])
    network = LayeredNetwork.from_graph(graph)

    spikes = forward(network, inputs, MAX_SPIKES)
    reference = simulate(graph, events_from_times(inputs), record="all")
    for index, layer in enumerate(network.layers):
        assert not spikes.saturated(index)
        expected = times_from_events(reference[layer.name])
        assert np.all(np.isinf(spikes.times[index][:, :, expected.shape[2]:]))
        ours = spikes.times[index][:, :, :expected.shape[2]]
        assert np.array_equal(np.isfinite(ours), np.isfinite(expected)), layer.name
        assert np.abs(ours[np.isfinite(ours)] - expected[np.isfinite(expected)]).max() < 1e-9
    adjoint = [None, np.where(np.isfinite(spikes.times[-1]), 1.0, 0.0)]

    rows, results = [], {}
    for name, fn in (
        ("layered forward", lambda: forward(network, inputs, MAX_SPIKES)),
        ("layered forward + gradient", lambda: backward(network, forward(network, inputs, MAX_SPIKES), adjoint)),
        ("general simulator", lambda: simulate(graph, events_from_times(inputs), record="outputs")),
    ):
        seconds, _ = best_of(fn, repeats=2 if args.quick else 3)
        results[name] = {"seconds": seconds, "samples_per_second": samples / seconds}
        rows.append([name, samples, seconds, samples / seconds])
    spikes_per_sample = sum(int(np.isfinite(t).sum()) for t in spikes.times) / samples
    print(markdown_table(["engine", "samples", "seconds", "samples/s"], rows))
    print(f"spikes per sample: {spikes_per_sample:.1f}")
    sizes = [network.input_size, *(layer.size for layer in network.layers)]
    path = write_results("layered", {"samples": samples, "spikes_per_sample": spikes_per_sample,
                                     "network": sizes, "runs": results, "quick": args.quick})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
