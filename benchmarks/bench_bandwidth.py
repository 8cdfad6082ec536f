"""Synaptic events per second of both emulators against the machine's memory bandwidth (measured in the same run).

A synaptic event is one (presynaptic spike, postsynaptic neuron) pair joined by a non-zero weight; counts
are exact (spike counts times non-zero fan-out, per layer). Bytes touched per event are the weight bytes
the emulator reads for it:

* Loihi 2 (:mod:`snn_deploy.emulate.loihi2`, dense chains of ``bench_loihi2_scaling.chain``): each active
  presynaptic spike adds one whole weight row of each of its terms (``n_out`` mantissas of the emulator's
  storage type, int16 for 8-bit mantissas), so bytes per event = row length x item size / non-zero fan-out.
  The quantizer's excitatory and inhibitory Dense of one projection are one term when their exponents are
  >= 0 (as here), so a spike reads one row, not two.
* Speck (:mod:`snn_deploy.emulate.speck`, ``cnn_sinabs.nir``): the conv is event driven; each event reads
  one int64 kernel entry (8 bytes), from kernels small enough to stay in cache. Its "non-zero weights" are
  the kernels' (shared over positions), not the unrolled synapses.

"fraction of bandwidth" = events/s x bytes per event / copy bandwidth (``common.memory_bandwidth_gbs``): how
close the emulator is to being limited by streaming its weights from memory.

Where the Loihi 2 kernel stands (profiled per core with CPU time, 2026-11-24): the row sums reach 5-7e9
synaptic events/s per core on the 10x1000 chain (AVX-512: 64 int16 weights widened and added per
instruction group; four rows per pass over the int32 accumulator, which cut its loads and stores, was worth
~25 %), i.e. 10-14 GB/s of weight rows from L2/L3 (a 1000 x 1000 int16 matrix is 2 MB, twice the 1 MB L2),
under half the copy bandwidth: the sums are bound by the caches and the accumulator traffic, not by DRAM.
The branch-free neuron update costs ~1.2-1.7 ns per neuron and step (vectorized int64), a quarter to a
third of the 10x1000 run at 5 % activity. The earlier kernel (int32 columns, excitatory and inhibitory
matrices apart, Python per step) read 8 bytes per event and reached ~1.2e9 events/s.

    .venv/bin/python benchmarks/bench_bandwidth.py [--quick]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_loihi2_scaling import chain  # noqa: E402
from bench_speck_vs_sinabs import layer_inputs  # noqa: E402
from common import best_of, markdown_table, memory_bandwidth_gbs, write_results  # noqa: E402

from snn_deploy.emulate import loihi2 as loihi2_emulator  # noqa: E402
from snn_deploy.emulate import speck as speck_emulator  # noqa: E402
from snn_deploy.ir.io import load  # noqa: E402
from snn_deploy.quantize.loihi2.quantizer import quantize as quantize_loihi2  # noqa: E402
from snn_deploy.quantize.loihi2.spec import LOIHI2  # noqa: E402
from snn_deploy.quantize.speck.quantizer import quantize as quantize_speck  # noqa: E402
from snn_deploy.shared import shared_models_dir  # noqa: E402

SPECK_MODEL = shared_models_dir() / "cnn_sinabs.nir"
INPUT_DENSITY = 0.05


def loihi2_row(layers: int, width: int, batch: int, steps: int, rng: np.random.Generator) -> dict:
    deployment = quantize_loihi2(chain(layers, width, rng))
    raster = (rng.random((batch, steps, width)) < INPUT_DENSITY).astype(np.uint8)
    seconds, result = best_of(lambda: loihi2_emulator.emulate(deployment, raster), 2)
    fired = {deployment.input_name: raster > 0}
    fired.update({g.name: result.spikes[g.population][:, :, g.indices] for g in deployment.groups})
    terms = loihi2_emulator._Network(deployment, (), LOIHI2).terms  # what the emulator reads per event
    sources = {k: g.name for k, g in enumerate(deployment.groups)} | {len(deployment.groups): deployment.input_name}
    events = touched = 0
    for s in deployment.synapses:
        weight = LOIHI2.effective_weights(s.weight, LOIHI2.sign_mode(s.weight), s.num_weight_bits)
        spikes_per_input = fired[s.source].reshape(-1, weight.shape[1]).sum(axis=0, dtype=np.int64)
        events += int(spikes_per_input @ np.count_nonzero(weight, axis=0))
    for source, target, *_ in terms.params:
        n_out = deployment.groups[target].size
        touched += int(np.count_nonzero(fired[sources[source]])) * n_out * terms.dense.itemsize
    return {"emulator": "loihi2", "network": f"{layers}x{width} dense", "synapses": layers * width * width,
            "weight_mib": sum(s.weight.size for s in deployment.synapses) * 4 / 2**20,
            "batch": batch, "steps": steps, "seconds": seconds, "synaptic_events": events, "weight_bytes": touched}


def speck_row(batch: int, steps: int, rng: np.random.Generator) -> dict:
    deployment = quantize_speck(load(SPECK_MODEL)).deployment
    raster = (rng.random((batch, steps, deployment.input_units)) < INPUT_DENSITY).astype(np.uint8)
    seconds, traces = best_of(lambda: speck_emulator.emulate(deployment, raster), 2)
    events = 0
    for layer, frames in zip(deployment.layers, layer_inputs(deployment, raster, traces)):
        mask = (layer.weight != 0).astype(np.int64)
        events += int(speck_emulator.conv2d(frames, mask, layer.stride, layer.padding).sum())
    synapses = sum(int(np.count_nonzero(layer.weight)) for layer in deployment.layers)
    return {"emulator": "speck", "network": "cnn_sinabs.nir", "synapses": synapses,
            "weight_mib": sum(layer.weight.size for layer in deployment.layers) * 4 / 2**20,
            "batch": batch, "steps": steps, "seconds": seconds, "synaptic_events": events, "weight_bytes": events * 8}


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
