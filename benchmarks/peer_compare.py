"""The exact reference side by side with NEST 3.10's ``iaf_psc_exp_ps`` and brian2 2.11 (``peer_snn.py``).

Same network (the benchmark's 100-100-10 CubaLIF, parameters mapped as ``peer_snn.py`` states), same input
spikes (one sample, Poisson on a ``PEER_LATTICE_S`` lattice so that brian2's grid holds them exactly, none at
t = 0); each peer runs in its own process of the benchmark environment (``.venv-bench``, ``make bench-env``;
``$SNN_DEPLOY_BENCH_PYTHON`` overrides). Reported: spike-time error of each pair, over neurons with equal
spike counts, and throughput: input events per second of the simulation call, network construction
excluded on every side (NEST: ``Simulate``; brian2: ``Network.run`` after a one-step warm-up that generates
and compiles its code; the reference: its event loop on one thread, best of 2, the graph lowered once
before). brian2 runs its ``numpy`` target in ``--quick`` (no C compiler needed) and ``cython`` in the full run.

**Clean spikes.** NEST's precise neurons need ``t_ref >= h``: after a spike NEST clamps V for h while the IR
has no refractory time, so a neuron's later spikes differ by O(h) (the rows at two h show it). Spikes
that this cannot reach are fixed before anything runs, from the reference's spikes: every hidden neuron's
first spike, and an output neuron's first spike if it comes before the earliest second spike of any hidden
neuron. The 1e-9 s accuracy goal is judged on the clean spikes against NEST (``clean max error``).
"""
from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from snn_deploy.spikes import SpikeEvents

REPO = Path(__file__).resolve().parents[1]
#: peer inputs lie on this lattice (brian2's dt), so every peer holds them exactly
PEER_LATTICE_S = 1e-5
POPULATIONS = ("hidden", "out")


def peer_python() -> Path | None:
    """The benchmark environment's interpreter, or None when it is not built."""
    python = Path(os.environ.get("SNN_DEPLOY_BENCH_PYTHON", REPO / ".venv-bench" / "bin" / "python"))
    return python if python.is_file() else None


def peer_inputs(n_in: int, rate_hz: float, t_end_s: float, rng: np.random.Generator) -> SpikeEvents:
    """One sample of Poisson input at ``rate_hz`` per unit on the ``PEER_LATTICE_S`` lattice, none at t = 0."""
    slots = int(round(t_end_s / PEER_LATTICE_S))
    fire = rng.random((slots, n_in)) < rate_hz * PEER_LATTICE_S
    fire[0] = False
    slot, unit = np.nonzero(fire)
    return SpikeEvents(np.zeros(slot.size, np.int64), unit, slot * PEER_LATTICE_S, 1, n_in)


def run_peer(python: Path, peer: str, resolution_s: float, weights: list[np.ndarray], events: SpikeEvents,
             t_end_s: float, neuron: dict) -> dict:
    """Run ``peer`` in its own process; its spikes per population and its timings.

    ``peer``: ``nest``, or ``brian2:TARGET`` (TARGET = brian2's code-generation target, ``numpy`` or ``cython``).
    """
    peer, _, target = peer.partition(":")
    with tempfile.TemporaryDirectory(prefix="bench-peer-") as scratch:
        scratch_dir = Path(scratch)
        np.savez(scratch_dir / "in.npz", w0=weights[0], w1=weights[1], in_unit=events.unit, in_time_s=events.time_s,
                 t_end_s=t_end_s, resolution_s=resolution_s, brian2_target=target or "numpy", **neuron)
        command = [str(python), str(REPO / "benchmarks" / "peer_snn.py"), peer, str(scratch_dir / "in.npz"),
                   str(scratch_dir / "out.npz")]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        wall_s = time.perf_counter() - start
        if done.returncode != 0:
            tail = [line for line in done.stderr.strip().splitlines() if line.strip()]
            raise SystemExit(f"peer {peer} failed (exit {done.returncode}): {tail[-1] if tail else 'no output'}")
        with np.load(scratch_dir / "out.npz", allow_pickle=False) as data:
            out = {key: data[key] for key in data.files}
    sizes = {"hidden": weights[0].shape[0], "out": weights[1].shape[0]}
    spikes = {pop: SpikeEvents(np.zeros(out[f"{pop}_unit"].size, np.int64), out[f"{pop}_unit"],
                               out[f"{pop}_time_s"], 1, sizes[pop]) for pop in POPULATIONS}
    return {"spikes": spikes, "build_s": float(out["build_s"]), "run_s": float(out["run_s"]), "wall_s": wall_s,
            "version": str(out["version"])}


def clean_first_spikes(reference: dict[str, SpikeEvents]) -> dict[str, np.ndarray]:
    """Per population, the neurons whose first reference spike is clean (see the module docstring)."""
    hidden = reference["hidden"]
    firsts, seconds = {}, []
    for n in range(hidden.units):
        t = np.sort(hidden.time_s[hidden.unit == n])
        if t.size >= 2:
            seconds.append(t[1])
    dirty_from_s = min(seconds, default=np.inf)
    firsts["hidden"] = np.unique(hidden.unit)
    out = reference["out"]
    firsts["out"] = np.array([n for n in np.unique(out.unit) if out.time_s[out.unit == n].min() < dirty_from_s],
                             np.int64)
    return firsts


def first_spike_errors(ours: dict[str, SpikeEvents], theirs: dict[str, SpikeEvents],
                       clean: dict[str, np.ndarray]) -> tuple[float, int]:
    """Largest |first-spike time difference| over the clean neurons, and how many were compared.

    A clean neuron without a spike in ``theirs`` makes the error infinite (a missed spike is no agreement).
    """
    worst, compared = 0.0, 0
    for pop, neurons in clean.items():
        for n in neurons:
            a, b = ours[pop].time_s[ours[pop].unit == n], theirs[pop].time_s[theirs[pop].unit == n]
            worst = max(worst, abs(float(a.min()) - float(b.min())) if b.size else np.inf)
            compared += 1
    return worst, compared
