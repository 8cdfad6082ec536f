"""A peer simulator runs the exact reference's benchmark network: NEST 3.10 ``iaf_psc_exp_ps`` or brian2 2.11.

    .venv-bench/bin/python benchmarks/peer_snn.py {nest,brian2} IN.npz OUT.npz

Runs in the optional benchmark environment (``make bench-env``), one process per peer, and imports nothing
from snn-deploy. ``IN.npz``: ``w0`` ``[hidden, in]``, ``w1`` ``[out, hidden]``, ``in_unit``, ``in_time_s`` (one
sample), ``t_end_s``, ``tau_syn_s``, ``tau_mem_s``, ``v_threshold``, ``resolution_s`` (NEST's step h; brian2's
dt), optional ``brian2_target``. ``OUT.npz``: ``hidden_unit``/``hidden_time_s``, ``out_unit``/``out_time_s``,
``build_s`` (network construction), ``run_s`` (the simulation call), ``version``.

The network is the IR's CubaLIF (``tau_syn dI/dt = -I + w_in S``, ``tau_mem dv/dt = v_leak - v + r I``, spike
when ``v > v_th``, reset by subtraction; ``w_in = r = 1``, ``v_leak = 0``, no delays). Mapping to NEST's
``iaf_psc_exp_ps`` (``C_m dV/dt = -C_m (V - E_L) / tau_m + I_syn``, ``dI_syn/dt = -I_syn / tau_syn``, a spike
of weight J adds J pA to ``I_syn``), in NEST's units (mV, ms, pF, pA), with ``V = v`` mV:

* ``E_L = 0``, ``V_m(0) = 0``, ``V_th = v_th``, ``tau_m = 1000 tau_mem_s``, ``tau_syn_ex = tau_syn_in =
  1000 tau_syn_s``; ``C_m = tau_m`` (numerically, pF), so ``I_syn/C_m = I / tau_m``, i.e. ``I_syn = I`` pA;
* a pulse adds ``w_in w / tau_syn_s`` to I, so ``J = w / tau_syn_s`` pA (negative J: NEST's inhibitory input,
  same tau);
* reset by subtraction: v is continuous (only I jumps), so at the crossing ``v = v_th`` and ``v - v_th = 0``:
  ``V_reset = 0`` is the same rule;
* ``t_ref``: NEST needs at least one step, so ``t_ref = h`` (V clamped to 0 for h after a spike; the IR has no
  refractory time): a neuron's spikes after its first differ by O(h); first spikes are unaffected;
* NEST delays are at least h: every connection gets ``d = h``, so NEST's hidden spikes come ``d`` and its
  output spikes ``2 d`` after the reference's; they are shifted back before writing ``OUT.npz``. Input spike
  times are precise (``spike_generator``, ``precise_times``), one thread.

brian2: the same equations (``method='exact'``), ``dt = resolution_s``, threshold ``v > v_th`` tested on the
grid, ``v -= v_th`` reset, zero delays; input times must be multiples of dt (the caller draws them so).
``brian2_target`` (``numpy`` default, or ``cython``) is brian2's code-generation target; one step is run and
the state restored before the timed run, so code generation (and cython's compilation) is in ``build_s``.
"""
from __future__ import annotations

import sys
import time

import numpy as np


def _nest(p: dict) -> dict:
    import nest

    nest.set_verbosity("M_ERROR")
    start = time.perf_counter()
    nest.ResetKernel()
    h_ms = 1e3 * float(p["resolution_s"])
    nest.SetKernelStatus({"resolution": h_ms, "local_num_threads": 1})
    tau_m, tau_s = 1e3 * float(p["tau_mem_s"]), 1e3 * float(p["tau_syn_s"])
    params = {"E_L": 0.0, "V_m": 0.0, "V_reset": 0.0, "V_th": float(p["v_threshold"]), "C_m": tau_m,
              "tau_m": tau_m, "tau_syn_ex": tau_s, "tau_syn_in": tau_s, "t_ref": h_ms, "I_e": 0.0}
    w0, w1 = p["w0"], p["w1"]
    hidden = nest.Create("iaf_psc_exp_ps", w0.shape[0], params=params)
    out = nest.Create("iaf_psc_exp_ps", w1.shape[0], params=params)
    times_ms = [[] for _ in range(w0.shape[1])]
    for unit, t in zip(p["in_unit"], p["in_time_s"]):
        times_ms[int(unit)].append(1e3 * float(t))
    sources = nest.Create("spike_generator", w0.shape[1], params=[
        {"spike_times": sorted(t), "precise_times": True} for t in times_ms])
    scale = 1.0 / float(p["tau_syn_s"])
    nest.Connect(sources, hidden, "all_to_all", {"weight": w0 * scale, "delay": h_ms})
    nest.Connect(hidden, out, "all_to_all", {"weight": w1 * scale, "delay": h_ms})
    recorders = [nest.Create("spike_recorder") for _ in range(2)]
    nest.Connect(hidden, recorders[0])
    nest.Connect(out, recorders[1])
    build_s = time.perf_counter() - start
    start = time.perf_counter()
    nest.Simulate(1e3 * float(p["t_end_s"]) + 2 * h_ms)
    run_s = time.perf_counter() - start
    result = {"build_s": build_s, "run_s": run_s, "version": f"nest-simulator {nest.__version__}"}
    for name, rec, nodes, shift in (("hidden", recorders[0], hidden, 1), ("out", recorders[1], out, 2)):
        events = rec.get("events")
        t_s = (np.asarray(events["times"], float) - shift * h_ms) * 1e-3
        keep = t_s <= float(p["t_end_s"])
        result[f"{name}_unit"] = np.asarray(events["senders"], np.int64)[keep] - nodes[0].global_id
        result[f"{name}_time_s"] = t_s[keep]
    return result


def _brian2(p: dict) -> dict:
    import brian2 as b2

    target = str(p.get("brian2_target", "numpy"))
    b2.prefs.codegen.target = target
    start = time.perf_counter()
    b2.start_scope()
    b2.defaultclock.dt = float(p["resolution_s"]) * b2.second
    namespace = {"tau_m": float(p["tau_mem_s"]) * b2.second, "tau_s": float(p["tau_syn_s"]) * b2.second,
                 "v_th": float(p["v_threshold"])}
    equations = "dv/dt = (I - v) / tau_m : 1\ndI/dt = -I / tau_s : 1"
    w0, w1 = p["w0"], p["w1"]
    steps = np.rint(np.asarray(p["in_time_s"], float) / float(p["resolution_s"]))
    inputs = b2.SpikeGeneratorGroup(w0.shape[1], np.asarray(p["in_unit"], int),
                                    steps * float(p["resolution_s"]) * b2.second)
    layers = [b2.NeuronGroup(n, equations, threshold="v > v_th", reset="v -= v_th", method="exact",
                             namespace=namespace) for n in (w0.shape[0], w1.shape[0])]
    synapses = []
    for pre_group, post_group, w in ((inputs, layers[0], w0), (layers[0], layers[1], w1)):
        syn = b2.Synapses(pre_group, post_group, "jump : 1", on_pre="I_post += jump")
        post, pre = np.nonzero(np.ones_like(w, bool))
        syn.connect(i=pre, j=post)
        syn.jump = w[post, pre] / float(p["tau_syn_s"])
        synapses.append(syn)
    monitors = [b2.SpikeMonitor(layer) for layer in layers]
    net = b2.Network(inputs, *layers, *synapses, *monitors)
    net.store("initial")
    net.run(b2.defaultclock.dt)  # generates (and for cython compiles) every code object outside the timing
    net.restore("initial")
    build_s = time.perf_counter() - start
    start = time.perf_counter()
    net.run(float(p["t_end_s"]) * b2.second)
    run_s = time.perf_counter() - start
    result = {"build_s": build_s, "run_s": run_s, "version": f"brian2 {b2.__version__} ({target} target)"}
    for name, monitor in zip(("hidden", "out"), monitors):
        result[f"{name}_unit"] = np.asarray(monitor.i[:], np.int64)
        result[f"{name}_time_s"] = np.asarray(monitor.t[:] / b2.second, float)
    return result


def main(peer: str, input_path: str, output_path: str) -> int:
    runners = {"nest": _nest, "brian2": _brian2}
    if peer not in runners:
        sys.exit(f"error: peer must be one of {', '.join(runners)}, not {peer!r}")
    with np.load(input_path, allow_pickle=False) as data:
        p = {key: data[key] for key in data.files}
    np.savez(output_path, **runners[peer](p))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__.strip().splitlines()[2].strip())
    sys.exit(main(*sys.argv[1:]))
