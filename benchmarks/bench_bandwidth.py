"""Synaptic events per second of both emulators against the machine's memory bandwidth (measured in the same run).

A synaptic event is one (presynaptic spike, postsynaptic neuron) pair joined by a non-zero weight; counts
are exact (spike counts times non-zero fan-out, per layer). Bytes touched per event are the weight bytes
the emulator reads for it:

* Loihi 2 (:mod:`snn_deploy.emulate.loihi2`, dense chains of ``bench_loihi2_scaling.chain``): each active
  presynaptic spike adds one whole weight column (``n_out`` entries of int32, or int64 when a row of
  ``|W|`` can reach ``2**31``), so bytes per event = column length x item size / non-zero fan-out. When the
  quantizer splits a mixed-sign layer into an excitatory and an inhibitory Dense, a spike reads both columns.
  (Weights with <= 10 % non-zeros are kept column-compressed by the emulator; these dense chains are not.)
* Speck (:mod:`snn_deploy.emulate.speck`, ``cnn_sinabs.nir``): convolutions are dense over all
  ``batch x steps`` frames, so the weights are read once per frame block and stay in cache; the table gives
  the weight bytes per event a spike-driven kernel would read (one float32 weight), for comparison only.
  Its "non-zero weights" are the kernels' (shared over positions), not the unrolled synapses.

"fraction of bandwidth" = events/s x bytes per event / copy bandwidth (``common.memory_bandwidth_gbs``): how
close the emulator is to being limited by streaming its weights from memory.

    .venv/bin/python benchmarks/bench_bandwidth.py [--quick]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_loihi2_scaling import chain  # noqa: E402
from common import best_of, markdown_table, memory_bandwidth_gbs, write_results  # noqa: E402

from snn_deploy.emulate import loihi2 as loihi2_emulator  # noqa: E402
from snn_deploy.emulate import speck as speck_emulator  # noqa: E402
from snn_deploy.ir.io import load  # noqa: E402
from snn_deploy.quantize.loihi2.quantizer import quantize as quantize_loihi2  # noqa: E402
from snn_deploy.quantize.loihi2.spec import LOIHI2  # noqa: E402
from snn_deploy.quantize.speck.quantizer import quantize as quantize_speck  # noqa: E402

SPECK_MODEL = Path(__file__).resolve().parents[2] / "shared" / "models" / "cnn_sinabs.nir"
INPUT_DENSITY = 0.05


def loihi2_row(layers: int, width: int, batch: int, steps: int, rng: np.random.Generator) -> dict:
    deployment = quantize_loihi2(chain(layers, width, rng))
    raster = (rng.random((batch, steps, width)) < INPUT_DENSITY).astype(np.uint8)
    seconds, result = best_of(lambda: loihi2_emulator.emulate(deployment, raster), 2)
    fired = {deployment.input_name: raster > 0}
    fired.update({g.name: result.spikes[g.population][:, :, g.indices] for g in deployment.groups})
    events = touched = 0
    for s in deployment.synapses:
        weight = LOIHI2.effective_weights(s.weight, LOIHI2.sign_mode(s.weight), s.num_weight_bits)
        itemsize = 4 if np.abs(weight).sum(axis=1).max(initial=0) < 2**31 else 8
        spikes_per_input = fired[s.source].reshape(-1, weight.shape[1]).sum(axis=0, dtype=np.int64)
        events += int(spikes_per_input @ np.count_nonzero(weight, axis=0))
        touched += int(spikes_per_input.sum()) * weight.shape[0] * itemsize
    return {"emulator": "loihi2", "network": f"{layers}x{width} dense", "synapses": layers * width * width,
            "weight_mib": sum(s.weight.size for s in deployment.synapses) * 4 / 2**20,
            "batch": batch, "steps": steps, "seconds": seconds, "synaptic_events": events, "weight_bytes": touched}


def speck_row(batch: int, steps: int, rng: np.random.Generator) -> dict:
    deployment = quantize_speck(load(SPECK_MODEL)).deployment
    raster = (rng.random((batch, steps, deployment.input_units)) < INPUT_DENSITY).astype(np.uint8)
    seconds, traces = best_of(lambda: speck_emulator.emulate(deployment, raster), 2)
    frames = raster.reshape(batch * steps, *deployment.input_shape).astype(np.int64)
    events = 0
    for layer in deployment.layers:
        frames = frames.reshape(batch * steps, *layer.in_shape)
        mask = (layer.weight != 0).astype(np.int64)
        events += int(speck_emulator.conv2d(frames, mask, layer.stride, layer.padding).sum())
        spikes = traces[layer.population].spikes.reshape(batch * steps, *layer.neuron_shape)
        frames = speck_emulator.sum_pool(spikes, layer.pool)
    synapses = sum(int(np.count_nonzero(layer.weight)) for layer in deployment.layers)
    return {"emulator": "speck", "network": "cnn_sinabs.nir", "synapses": synapses,
            "weight_mib": sum(layer.weight.size for layer in deployment.layers) * 4 / 2**20,
            "batch": batch, "steps": steps, "seconds": seconds, "synaptic_events": events, "weight_bytes": events * 4}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller networks and batches")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    bandwidth = memory_bandwidth_gbs()
    if args.quick:
        runs = [loihi2_row(1, 1000, 16, 100, rng), speck_row(8, 50, rng)]
    else:
        runs = [loihi2_row(1, 1000, 64, 200, rng), loihi2_row(1, 3162, 16, 200, rng),
                loihi2_row(10, 1000, 16, 200, rng), speck_row(32, 200, rng)]
    rows = []
    for r in runs:
        r["events_per_s"] = r["synaptic_events"] / r["seconds"]
        r["bytes_per_event"] = r["weight_bytes"] / max(r["synaptic_events"], 1)
        r["weight_gbs"] = r["weight_bytes"] / r["seconds"] / 1e9
        r["fraction_of_bandwidth"] = r["weight_gbs"] / bandwidth
        rows.append([r["emulator"], r["network"], f"{r['synapses']:,}", f"{r['weight_mib']:.2f}", r["batch"],
                     r["steps"], f"{r['synaptic_events']:.3g}", r["seconds"], f"{r['events_per_s']:.3g}",
                     f"{r['bytes_per_event']:.2f}", f"{r['weight_gbs']:.2f}", f"{r['fraction_of_bandwidth']:.1%}"])
    print(f"emulator synaptic events/s vs copy bandwidth {bandwidth:.1f} GB/s (read + write), input density "
          f"{INPUT_DENSITY}")
    print(markdown_table(["emulator", "network", "non-zero weights", "weights MiB (int32)", "batch", "steps",
                          "synaptic events", "seconds", "events/s", "weight B/event", "weight GB/s",
                          "fraction of bandwidth"], rows))
    path = write_results("bench_bandwidth", {"runs": runs, "copy_bandwidth_gbs": bandwidth, "quick": args.quick})
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
