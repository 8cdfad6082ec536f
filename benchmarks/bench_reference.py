"""Exact reference simulator: input events per second, and spike-time error against fixed-grid integration.

Profile (100-100-10 below, batch 8, 0.5 s; CPU time of one thread, so the shared machine's load does not
enter; perf sampling of the numba code resolved to source lines through gdb with ``NUMBA_DEBUGINFO=1``):

* before (commit 4004aba): 10.0 us per input event (~100 ns per synaptic event). 33 % of the cycles were
  ``NRT_incref``/``NRT_decref``: about 30 atomic reference-count updates per delivered pulse, from
  ``inline="always"`` helpers that took arrays (``_advance_neuron``, ``_predict_neuron``, ``_row``, ``_key``)
  and from array variables rebound inside the per-pulse and per-prediction loops (``heap = _push(...)``,
  ``pending = _grow(...)``). 12 % was libm (``exp``/``expm1``/``log``) in the exact crossing (Newton).
  Fix: the loops index arrays only in ``run_sample`` and call helpers of scalars and tuples; buffers grow
  before the loops; a pulse is a synapse index. 1.6x.
* Most exact predictions were thrown away: a dense fan-out touches every hidden neuron at the next input
  (~200 us later) and invalidates them. A neuron that provably stays below threshold until the next input
  instant (``neuron_ode.below_until``, transcendental-free) is now predicted only there, and only if no
  pulse touched it. Another 1.9x: 3.3 us per input event (3.0e5 input events/s on one thread); 300-300-10
  7.0 us (3.4x), 1000-1000-10 21 us (3.6x). Spike times bit-identical to before. Counted per input event:
  104 predictions, 103.8 of them deferred; 0.6 exact ones at the touch and 2.6 at the next input instant
  (output neurons touched by a hidden spike, which the next input does not reach).
* now, by source line: delivering a pulse (advance with the shared decay, jump, round/touched
  bookkeeping) ~40 % = ~13 ns per synaptic event; the next-crossing step per touched neuron (bound test,
  deferral bookkeeping) ~24 % = ~8 ns per neuron; exact crossings (Newton, stationary point, libm) ~16 %;
  threshold tests, CSR walk, heap and sorting the rest. No single hot spot is left: the cost is ~20 ns of
  scalar work per synaptic event plus fixed per-instant overhead (300-300 and 1000-1000: ~22 ns per
  synaptic event).
* gap to 1e6 input events/s (100-100-10): one thread is at 3.0e5 (3.3x short). Two threads (``simulate``
  runs samples on one thread per core, no shared writes) use the same CPU time per event summed over the
  threads (measured x1.03), so on two idle cores ~6e5 (1.7x short). The remaining cost is the per-synapse
  scalar work above; closing it needs population-level (SIMD) updates of all targets of a fan-out row
  that share the same update time and time constants, which the CSR-over-synapses loop does not see.

Networks are ``n_in`` Poisson inputs -> Dense -> CubaLIF(``n_hidden``) -> Dense -> CubaLIF(10) (subtractive
reset, ``tau_syn = 5 ms``, ``tau_mem = 10 ms``). Throughput is input events (and synaptic events: every
delivered pulse, input and hidden) per wall second of :func:`snn_deploy.reference.simulator.simulate`.

Accuracy: the same network and input are integrated on a fixed grid ``dt = f * min(tau)`` for
``f = 1e-4, 1e-5, 1e-6`` with the exact exponential step (:func:`grid_simulate`); the spike times of both
populations are compared with the reference's. Input times are multiples of the coarsest grid step, so
every grid holds them exactly; the grid's remaining errors are the threshold crossing (linear
interpolation between grid points, O(dt^2)) and the reset and hidden-spike delivery on the next grid point
(O(dt)), so the difference must shrink ~10x per row if the reference is exact. That convergence bounds
the reference's error only by the finest grid's own (~1e-7 s); it cannot show 1e-9 s.

Peers (:mod:`peer_compare`, :mod:`peer_snn`): the same kind of network and input run by NEST 3.10's precise
``iaf_psc_exp_ps`` (at two resolutions h in the full run) and brian2 2.11 (clock-driven, ``method='exact'``),
each in its own process of ``.venv-bench`` (``make bench-env``); spike-time errors of each pair and
throughput, ratios printed here. The 1e-9 s goal is judged against NEST on the clean spikes (those NEST's
``t_ref >= h`` cannot reach, fixed from the reference's spikes before the run, see :mod:`peer_compare`).
Every check (a sample's status, one thread vs threads, spikes in both populations) is explicit code that
stops the run before any figure is printed.

    .venv/bin/python benchmarks/bench_reference.py [--quick]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numba
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import best_of, markdown_table, write_results  # noqa: E402
from peer_compare import (PEER_LATTICE_S, POPULATIONS, clean_first_spikes, first_spike_errors,  # noqa: E402
                          peer_inputs, peer_python, run_peer)

from snn_deploy.ir import CubaLIF, Dense, Graph, Input, Output  # noqa: E402
from snn_deploy.reference.event_loop import OK, Sample, run_sample  # noqa: E402
from snn_deploy.reference.network import lower  # noqa: E402
from snn_deploy.reference.simulator import MAX_EVENTS, simulate  # noqa: E402
from snn_deploy.spikes import SpikeEvents  # noqa: E402

TAU_SYN_S = 5e-3
TAU_MEM_S = 1e-2
V_THRESHOLD = 1.0
N_OUT = 10
RATE_HZ = 50.0
GRID_FRACTIONS = (1e-4, 1e-5, 1e-6)
#: input times are multiples of this (the coarsest grid step), so every grid holds them exactly
INPUT_GRID_S = GRID_FRACTIONS[0] * min(TAU_SYN_S, TAU_MEM_S)


def network(n_in: int, n_hidden: int, rng: np.random.Generator) -> tuple[Graph, list[np.ndarray]]:
    """The benchmark graph (weights scaled for hidden rates of a few tens of Hz) and its two weight matrices."""
    weights = [rng.normal(1.8e-4 * 100 / n_in, 3e-4 * np.sqrt(100 / n_in), (n_hidden, n_in)),
               rng.normal(6e-4 * 100 / n_hidden, 1e-3 * np.sqrt(100 / n_hidden), (N_OUT, n_hidden))]
    lif = {"tau_syn_s": TAU_SYN_S, "tau_mem_s": TAU_MEM_S, "v_threshold": V_THRESHOLD, "reset_mode": "subtract"}
    graph = Graph(
        nodes={"in": Input((n_in,)), "fc0": Dense(weights[0]), "hidden": CubaLIF.create(n_hidden, **lif),
               "fc1": Dense(weights[1]), "out": CubaLIF.create(N_OUT, **lif), "output": Output((N_OUT,))},
        edges=(("in", "fc0"), ("fc0", "hidden"), ("hidden", "fc1"), ("fc1", "out"), ("out", "output")),
    )
    return graph, weights


def poisson_events(batch: int, n_in: int, t_end_s: float, rng: np.random.Generator) -> SpikeEvents:
    """Poisson input at ``RATE_HZ`` per unit on the ``INPUT_GRID_S`` lattice (at most one event per unit and slot)."""
    slots = int(round(t_end_s / INPUT_GRID_S))
    p = RATE_HZ * INPUT_GRID_S
    count = rng.binomial(batch * n_in * slots, p)
    flat = np.unique(rng.integers(0, batch * n_in * slots, count))
    sample, rest = np.divmod(flat, n_in * slots)
    unit, slot = np.divmod(rest, slots)
    return SpikeEvents(sample, unit, slot * INPUT_GRID_S, batch, n_in)


@numba.njit(cache=True)
def _grid_run(in_step, in_unit, w0, w1, steps, dt_s, decay_i, decay_v, i_to_v, jump_i):  # pragma: no cover
    """Exact-exponential step of both CubaLIF layers; spikes at the linearly interpolated crossing time."""
    n_hidden, n_out = w0.shape[0], w1.shape[0]
    sizes = (n_hidden, n_out)
    cur = [np.zeros(n_hidden), np.zeros(n_out)]
    mem = [np.zeros(n_hidden), np.zeros(n_out)]
    pending = np.zeros(n_hidden, np.bool_)
    spike_layer, spike_unit, spike_time = [0], [0], [0.0]
    e = 0
    n_events = in_step.size
    for k in range(steps + 1):
        # input pulses at t_k, then hidden spikes of (t_{k-1}, t_k] delivered at t_k
        while e < n_events and in_step[e] == k:
            for j in range(n_hidden):
                cur[0][j] += jump_i * w0[j, in_unit[e]]
            e += 1
        for h in range(n_hidden):
            if pending[h]:
                for j in range(n_out):
                    cur[1][j] += jump_i * w1[j, h]
                pending[h] = False
        if k == steps:
            break
        for layer in range(2):
            i, v = cur[layer], mem[layer]
            for j in range(sizes[layer]):
                v_next = v[j] * decay_v + i[j] * i_to_v
                i[j] *= decay_i
                if v_next > V_THRESHOLD:
                    frac = (V_THRESHOLD - v[j]) / (v_next - v[j]) if v_next != v[j] else 1.0
                    spike_layer.append(layer)
                    spike_unit.append(j)
                    spike_time.append((k + frac) * dt_s)
                    v_next -= V_THRESHOLD
                    if layer == 0:
                        pending[j] = True
                v[j] = v_next
    return np.array(spike_layer[1:]), np.array(spike_unit[1:]), np.array(spike_time[1:])


def grid_simulate(events: SpikeEvents, weights: list[np.ndarray], t_end_s: float, dt_s: float
                  ) -> tuple[list[SpikeEvents], float]:
    """Fixed-grid integration of sample 0: exact over each step, ``I(t+dt) = e^{-dt/tau_syn} I`` and

    ``v(t+dt) = e^{-dt/tau_mem} v + r I (e^{-beta dt} - e^{-alpha dt}) / (tau_mem (alpha - beta))``;
    a pulse of weight ``w`` adds ``w_in w / tau_syn`` to ``I`` (``r = w_in = 1``). Returns both layers' spikes
    and the wall time.
    """
    unit, time_s = events.for_sample(0)
    in_step = np.rint(time_s / dt_s).astype(np.int64)
    alpha, beta = 1 / TAU_SYN_S, 1 / TAU_MEM_S
    decay_i, decay_v = np.exp(-alpha * dt_s), np.exp(-beta * dt_s)
    i_to_v = (decay_v - decay_i) / (TAU_MEM_S * (alpha - beta))
    steps = int(round(t_end_s / dt_s))
    start = time.perf_counter()
    layer, neuron, spike_t = _grid_run(in_step, unit, weights[0], weights[1], steps, dt_s, decay_i, decay_v,
                                       i_to_v, 1 / TAU_SYN_S)
    seconds = time.perf_counter() - start
    sizes = (weights[0].shape[0], N_OUT)
    return [SpikeEvents(np.zeros(int((layer == k).sum())), neuron[layer == k], spike_t[layer == k], 1, sizes[k])
            for k in range(2)], seconds


def event_loop(network, events: SpikeEvents, t_end_s: float) -> int:
    """Run the lowered ``network``'s event loop on each sample in turn (one thread); the spike count."""
    recorded = np.ones(network.params.shape[0], dtype=bool)
    spikes = 0
    for b in range(events.batch):
        unit, time_s = events.for_sample(b)
        status, neuron, _, _, _ = run_sample(network.kernel_network(), Sample(
            unit, time_s, t_end_s, recorded, np.zeros(0), np.zeros(0, dtype=np.int64), MAX_EVENTS))
        if status != OK:
            raise SystemExit(f"sample {b}: the event loop stopped with status {status}; no timing reported")
        spikes += neuron.size
    return spikes


def one_thread_seconds(graph: Graph, events: SpikeEvents, t_end_s: float) -> tuple[float, int]:
    """Wall time of what :func:`simulate` does, on one thread: lower the graph once, then run the event loop on
    each sample in turn (``simulate`` runs the samples on one thread per core); and the spike count."""
    return best_of(lambda: event_loop(lower(graph), events, t_end_s), 2)


def spike_time_errors(ours: SpikeEvents, theirs: SpikeEvents) -> tuple[float, float, int]:
    """(max, mean) |time difference| over neurons with equal spike counts, and how many neurons differ in count."""
    diffs, mismatched = [], 0
    for n in range(ours.units):
        a, b = ours.time_s[ours.unit == n], theirs.time_s[theirs.unit == n]
        if a.size != b.size:
            mismatched += 1
            continue
        diffs.append(np.abs(np.sort(a) - np.sort(b)))
    d = np.concatenate(diffs) if diffs else np.zeros(0)
    return (float(d.max()) if d.size else 0.0), (float(d.mean()) if d.size else 0.0), mismatched


def _errors(ours: dict[str, SpikeEvents], theirs: dict[str, SpikeEvents]) -> tuple[float, float, int]:
    """(max, mean) spike-time error over both populations' neurons with equal counts; neurons with other counts."""
    errs = [spike_time_errors(ours[pop], theirs[pop]) for pop in POPULATIONS]
    counts = [ours[pop].time_s.size for pop in POPULATIONS]
    mean = sum(e[1] * c for e, c in zip(errs, counts)) / max(sum(counts), 1)
    return max(e[0] for e in errs), mean, sum(e[2] for e in errs)


def compare_peers(quick: bool) -> tuple[str, dict]:
    """The reference vs NEST ``iaf_psc_exp_ps`` and brian2 on one network and input: (Markdown, results)."""
    python = peer_python()
    if python is None:
        note = "NEST / brian2: no benchmark environment (.venv-bench; run `make bench-env`): not compared"
        return note, {"available": False, "note": note}
    t_end_s = 0.05 if quick else 0.2
    runs = [("nest", 1e-4), ("brian2:numpy", PEER_LATTICE_S)] if quick else [  # quick: no C compilation
        ("nest", 1e-4), ("nest", 1e-6), ("brian2:cython", PEER_LATTICE_S)]
    graph, weights = network(100, 100, np.random.default_rng(3))
    events = peer_inputs(100, RATE_HZ, t_end_s, np.random.default_rng(4))
    ref = simulate(graph, events, t_end_s=t_end_s, record="all")
    reference = {pop: ref[pop] for pop in POPULATIONS}
    lowered = lower(graph)
    ref_s, ref_spikes = best_of(lambda: event_loop(lowered, events, t_end_s), 2)  # the run; lowering is the build
    if any(reference[pop].time_s.size == 0 for pop in POPULATIONS) or ref_spikes != sum(
            r.time_s.size for r in reference.values()):
        raise SystemExit("peer comparison: a population of the reference never spiked, or the event loop's spike "
                         "count differs from simulate's; nothing compared")
    clean = clean_first_spikes(reference)
    neuron = {"tau_syn_s": TAU_SYN_S, "tau_mem_s": TAU_MEM_S, "v_threshold": V_THRESHOLD}
    peers = [(peer, h, run_peer(python, peer, h, weights, events, t_end_s, neuron)) for peer, h in runs]
    n_input = events.time_s.size
    ref_rate = n_input / ref_s
    rows = [["snn-deploy reference (exact)", "-", sum(r.time_s.size for r in reference.values()), "-", "-", "-",
             "-", "-", ref_s, f"{ref_rate:.3g}", "1"]]
    results = []
    for peer, h, out in peers:
        max_err, mean_err, other = _errors(reference, out["spikes"])
        clean_err, compared = first_spike_errors(reference, out["spikes"], clean)
        rate = n_input / out["run_s"]
        rows.append([out["version"], f"{h:.0e}", sum(r.time_s.size for r in out["spikes"].values()),
                     f"{max_err:.2e}", f"{mean_err:.2e}", other, f"{clean_err:.2e}", compared, out["run_s"],
                     f"{rate:.3g}", f"{ref_rate / rate:.3g}"])
        results.append({"peer": peer.partition(":")[0], "version": out["version"], "resolution_s": h,
                        "max_abs_error_s": max_err,
                        "mean_abs_error_s": mean_err, "neurons_with_other_spike_count": other,
                        "clean_max_abs_error_s": clean_err, "clean_spikes_compared": compared,
                        "build_s": out["build_s"], "run_s": out["run_s"], "process_s": out["wall_s"],
                        "input_events_per_s": rate, "reference_over_peer": ref_rate / rate})
    nest_fine = min((r for r in peers if r[0] == "nest"), key=lambda r: r[1])
    brian = next(r for r in peers if r[0].startswith("brian2"))
    pair = _errors(nest_fine[2]["spikes"], brian[2]["spikes"])
    text = "\n".join([
        f"exact reference vs NEST iaf_psc_exp_ps and brian2 (network 100-100-{N_OUT}, one sample, {t_end_s} s, "
        f"{n_input} input events on a {PEER_LATTICE_S:.0e} s lattice; errors vs the reference; clean = first "
        f"spikes NEST's t_ref = h cannot reach; throughput = input events / s of the simulation call)",
        markdown_table(["engine", "h / dt s", "spikes", "max abs error s", "mean abs error s",
                        "neurons with other count", "clean max error s", "clean spikes", "run s", "input events/s",
                        "reference / peer"], rows),
        "",
        f"NEST (h {nest_fine[1]:.0e} s) vs brian2 (dt {brian[1]:.0e} s): max / mean error {pair[0]:.2e} / "
        f"{pair[1]:.2e} s, {pair[2]} neurons with other counts",
        "",
        f"IR CubaLIF -> iaf_psc_exp_ps (benchmarks/peer_snn.py): E_L = V_m(0) = V_reset = 0 (reset by subtraction "
        f"at v = v_th), V_th = {V_THRESHOLD:g} mV, tau_m = {1e3 * TAU_MEM_S:g} ms, tau_syn_ex = tau_syn_in = "
        f"{1e3 * TAU_SYN_S:g} ms, C_m = tau_m pF (so I_syn = I), weight J = w / tau_syn_s pA, t_ref = h (NEST's "
        "minimum; the IR has none), delays h (shifted back: hidden - h, output - 2 h)"])
    return text, {"available": True, "t_end_s": t_end_s, "input_events": n_input, "reference_s": ref_s,
                  "reference_input_events_per_s": ref_rate, "peers": results,
                  "nest_vs_brian2": {"max_abs_error_s": pair[0], "mean_abs_error_s": pair[1],
                                     "neurons_with_other_spike_count": pair[2]}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, smaller sizes and a shorter accuracy run")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    sizes = [(100, 100, 4)] if args.quick else [(100, 100, 8), (300, 300, 4), (1000, 1000, 1)]
    t_end_s = 0.2 if args.quick else 0.5

    speed_rows, speed = [], []
    for n_in, n_hidden, batch in sizes:
        graph, _ = network(n_in, n_hidden, rng)
        events = poisson_events(batch, n_in, t_end_s, rng)
        seconds, spikes = best_of(lambda: simulate(graph, events, t_end_s=t_end_s, record="all"), 2)
        seconds_1, spikes_1 = one_thread_seconds(graph, events, t_end_s)
        if spikes_1 != sum(s.time_s.size for s in spikes.values()) or spikes["hidden"].time_s.size == 0:
            raise SystemExit(f"{n_in}-{n_hidden}: one thread ({spikes_1} spikes) and threads "
                             f"({sum(s.time_s.size for s in spikes.values())}) disagree, or no hidden spikes")
        n_input = events.time_s.size
        hidden = spikes["hidden"].time_s.size
        synaptic = n_input * n_hidden + hidden * N_OUT
        rate = hidden / (batch * n_hidden * t_end_s)
        threads = min(batch, os.cpu_count() or 1)
        speed_rows.append([f"{n_in}-{n_hidden}-{N_OUT}", batch, n_input, f"{rate:.1f}", seconds_1,
                           f"{n_input / seconds_1:.3g}", threads, seconds, f"{n_input / seconds:.3g}",
                           f"{synaptic / seconds:.3g}"])
        speed.append({"n_in": n_in, "n_hidden": n_hidden, "batch": batch, "t_end_s": t_end_s,
                      "input_events": n_input, "hidden_rate_hz": rate, "synaptic_events": synaptic,
                      "seconds_one_thread": seconds_1, "input_events_per_s_one_thread": n_input / seconds_1,
                      "threads": threads, "seconds": seconds, "input_events_per_s": n_input / seconds,
                      "synaptic_events_per_s": synaptic / seconds})

    # accuracy: one sample of the smallest network
    n_in, n_hidden = 100, 100
    t_acc_s = 0.05 if args.quick else 0.2
    graph, weights = network(n_in, n_hidden, np.random.default_rng(1))
    events = poisson_events(1, n_in, t_acc_s, np.random.default_rng(2))
    ref_seconds, ref = best_of(lambda: simulate(graph, events, t_end_s=t_acc_s, record="all"), 1)
    reference = [ref["hidden"], ref["out"]]
    acc_rows, accuracy = [], []
    dt_min = min(TAU_SYN_S, TAU_MEM_S)

    def compare(engine: str, fraction: float, theirs: list[SpikeEvents], seconds: float) -> None:
        errs = [spike_time_errors(r, g) for r, g in zip(reference, theirs)]
        max_err = max(e[0] for e in errs)
        n_spikes = sum(r.time_s.size for r in reference)
        mean_err = sum(e[1] * r.time_s.size for e, r in zip(errs, reference)) / max(n_spikes, 1)
        mismatched = sum(e[2] for e in errs)
        acc_rows.append([engine, f"{fraction:g}", f"{fraction * dt_min:.1e}", seconds, f"{max_err:.2e}",
                         f"{mean_err:.2e}", mismatched])
        accuracy.append({"engine": engine, "dt_fraction_of_tau": fraction, "dt_s": fraction * dt_min,
                         "seconds": seconds, "max_abs_error_s": max_err, "mean_abs_error_s": mean_err,
                         "neurons_with_other_spike_count": mismatched})

    acc_rows.append(["snn-deploy reference (exact)", "-", "-", ref_seconds, "-", "-", "-"])
    grid_simulate(events, weights, t_acc_s, INPUT_GRID_S)  # compile the kernel outside the timing
    for fraction in GRID_FRACTIONS:
        compare("fixed grid, exact step", fraction, *grid_simulate(events, weights, t_acc_s, fraction * dt_min))
    peer_text, peers = compare_peers(args.quick)

    n_ref = sum(r.time_s.size for r in reference)
    print(f"exact reference throughput, Poisson {RATE_HZ:g} Hz inputs, {t_end_s} s per sample")
    print(markdown_table(["network", "batch", "input events", "hidden rate Hz", "1 thread s",
                          "1 thread input events/s", "threads", "seconds", "input events/s", "synaptic events/s"],
                         speed_rows))
    print(f"\nspike times vs the exact reference ({n_ref} spikes, network {n_in}-{n_hidden}-{N_OUT}, "
          f"{t_acc_s} s; errors over neurons with equal spike counts)")
    print(markdown_table(["engine", "dt / tau", "dt s", "seconds", "max abs error s", "mean abs error s",
                          "neurons with other count"], acc_rows))
    print(f"\n{peer_text}")
    path = write_results("bench_reference", {"throughput": speed, "accuracy": accuracy, "reference_spikes": n_ref,
                                             "reference_seconds": ref_seconds, "peers": peers,
                                             "quick": args.quick})
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
