"""Run every benchmark script (one subprocess each) and write benchmarks/RESULTS.md with the goals met or missed.

Each script prints its Markdown tables and writes ``benchmarks/results/<name>.json``; this runner copies the
printed tables into RESULTS.md under the machine description, the date and the load average (the machine may
be shared: timings are noisy), then checks the goals against the JSON results.

    .venv/bin/python benchmarks/run_all.py [--quick] [--only NAME ...]

``--only`` re-runs some scripts and keeps the other scripts' sections of the existing RESULTS.md.
Interpreters: ``$SNN_DEPLOY_LAVA_PYTHON`` (Lava), ``$SNN_DEPLOY_SINABS_PYTHON`` (sinabs) and
``$SNN_DEPLOY_BENCH_PYTHON`` (NEST and brian2, ``.venv-bench`` from ``make bench-env``; without it the NEST
and brian2 rows are missing and the 1e-9 s goal reads MISSED (not measured)). The full run (no ``--quick``)
runs Lava's 64-sample batches of every scaling network: ~35-40 min on an idle 2-core machine.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, machine, times, verdict  # noqa: E402

HERE = Path(__file__).resolve().parent
SCRIPTS = ("bench_reference", "bench_compile", "bench_bandwidth", "bench_loihi2_scaling", "bench_loihi2_vs_lava",
           "bench_speck_vs_sinabs", "bench_training")


def _load(name: str) -> dict | None:
    path = Path(os.environ.get("SNN_DEPLOY_BENCH_RESULTS", RESULTS)) / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def previous_sections(path: Path) -> dict[str, str]:
    """The per-script sections (``## name (... s)`` to the next ``## ``) of an existing RESULTS.md."""
    sections: dict[str, str] = {}
    if not path.exists():
        return sections
    for block in path.read_text().split("\n## ")[1:]:
        name = block.split(" ", 1)[0]
        if name in SCRIPTS:
            sections[name] = "## " + block.rstrip("\n") + "\n"
    return sections


def accuracy_goal(ref: dict) -> tuple[str, str, str]:
    """1e-9 s spike-time accuracy: judged on the clean spikes against NEST's precise neuron (every NEST run)."""
    goal = "1e-9 s spike-time accuracy (vs NEST iaf_psc_exp_ps, clean spikes)"
    grid = sorted((a for a in ref["accuracy"] if a["engine"].startswith("fixed grid")), key=lambda a: -a["dt_s"])
    errors = " -> ".join(f"{a['max_abs_error_s']:.1e}" for a in grid)
    grid_text = (f"fixed grid: errors {errors} s down to dt "
                 f"{grid[-1]['dt_s']:.0e} s (bounded by the grid's own error, cannot show 1e-9 s)")
    peers = ref.get("peers", {})
    nest = [r for r in peers.get("peers", []) if r["peer"] == "nest"]
    if not nest:
        return goal, f"no NEST run ({peers.get('note', 'no peer results')}); {grid_text}", "MISSED (not measured)"
    worst = max(r["clean_max_abs_error_s"] for r in nest)
    compared = min(r["clean_spikes_compared"] for r in nest)
    steps = ", ".join(f"{r['resolution_s']:.0e}" for r in nest)
    text = (f"largest reference vs NEST difference over {compared} clean spikes: {worst:.1e} s (NEST h "
            f"{steps} s; all spikes: max "
            f"{max(r['max_abs_error_s'] for r in nest):.1e} s, from NEST's t_ref = h); {grid_text}")
    return goal, text, verdict(compared > 0 and worst <= 1e-9)


def scaling_goals(scal: dict) -> list[tuple[str, str, str]]:
    """Emulator vs Lava at batch 1 and 64: end to end and steady state, each met or MISSED."""
    out = []
    runs = scal["runs"]
    measured = sorted({f"{r['layers']}x{r['width']}" for r in runs if r["batch"] > 1 and r["lava_how"] == "measured"})
    sizes = sorted({f"{r['layers']}x{r['width']}" for r in runs})
    for batch, target in sorted((int(b), g) for b, g in scal["goals"].items()):
        chosen = [r for r in runs if r["batch"] == batch]
        for key, what in (("speedup_end_to_end", "end to end"), ("speedup_steady", "steady state")):
            worst = min(chosen, key=lambda r: r[key])
            note = (f"; Lava batch {batch} measured at {len(measured)} of {len(sizes)} sizes"
                    f" ({', '.join(measured) or 'none'})" if batch > 1 else "")
            out.append((f"Loihi 2 emulator >= {target:g}x Lava at batch {batch}, {what}",
                        f"{times(worst[key])} at the least favourable size ({worst['neurons']} neurons; Lava "
                        f"{worst['lava_how']}){note}", verdict(worst[key] >= target)))
    return out


def goals() -> list[tuple[str, str, str]]:
    """(goal, measured, verdict) for every goal whose benchmark has results."""
    out = []
    ref = _load("bench_reference")
    if ref:
        worst = min(r["input_events_per_s"] for r in ref["throughput"])
        per_size = "; ".join(f"{r['n_in']}-{r['n_hidden']}: {r['input_events_per_s']:.2g} input "
                             f"({r['synaptic_events_per_s']:.2g} synaptic) events/s" for r in ref["throughput"])
        out.append((">= 1e6 input events/s, exact reference", per_size, verdict(worst >= 1e6)))
        out.append(accuracy_goal(ref))
    comp = _load("bench_compile")
    if comp:
        goal = comp["goal"]
        hit = next((r for r in comp["runs"] if r["synapses"] == goal["synapses"]), None)
        if hit:
            out.append((f"compile 1M synapses <= {goal['seconds']:g} s", f"{hit['compile_s']:.2f} s",
                        verdict(hit["compile_s"] <= goal["seconds"])))
    scal = _load("bench_loihi2_scaling")
    if scal:
        out += scaling_goals(scal)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="pass --quick to every script")
    parser.add_argument("--only", nargs="*", choices=SCRIPTS, help="run these scripts only")
    args = parser.parse_args()
    report = HERE / ("RESULTS-quick.md" if args.quick else "RESULTS.md")
    if args.quick:  # quick numbers go beside the committed full run, never over it
        os.environ["SNN_DEPLOY_BENCH_RESULTS"] = str(RESULTS / "quick")
    load = os.getloadavg()
    started = time.perf_counter()
    kept = previous_sections(report) if args.only else {}
    sections = {}
    for name in args.only or SCRIPTS:
        command = [sys.executable, str(HERE / f"{name}.py"), *(["--quick"] if args.quick else [])]
        print(f"== {name}", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        seconds = time.perf_counter() - t0
        printed = "\n".join(line for line in done.stdout.strip().splitlines() if not line.startswith("wrote "))
        if done.returncode != 0:
            tail = "\n".join(done.stderr.strip().splitlines()[-5:])
            printed += f"\n\n**FAILED (exit {done.returncode})**:\n\n```\n{tail}\n```"
        print(printed, flush=True)
        when = f"{datetime.datetime.now(datetime.timezone.utc):%H:%M} UTC"
        sections[name] = f"## {name} ({seconds:.0f} s, finished {when})\n\n{printed.strip()}\n"
    total = time.perf_counter() - started
    m = machine()
    rows = goals()
    lines = [
        "# Benchmark results",
        "",
        f"Written by `benchmarks/run_all.py{' --quick' if args.quick else ''}` on "
        f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC in {total:.0f} s"
        + (f" (re-ran {', '.join(args.only)}; the other sections are from the previous RESULTS.md)."
           if args.only else "."),
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Python {m['python']}, numpy {m['numpy']}.",
        f"Load average at start: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min). The machine is "
        "shared with other jobs, so wall times are noisy (ratios less so: both sides of a ratio run in the same "
        "script, back to back). Speed is never asserted in tests; inside the benchmarks, equality of the outputs "
        "(bit-exact spikes) is checked by explicit code on every sample both sides ran, before any figure is "
        "printed.",
        "",
        "## Goals",
        "",
        "| goal | measured | verdict |",
        "|---|---|---|",
        *[f"| {g} | {v} | {verdict} |" for g, v, verdict in rows],
        "",
        *(sections.get(name) or kept[name] for name in SCRIPTS if name in sections or name in kept),
    ]
    report.write_text("\n".join(lines))
    print(f"\nwrote {report} ({total:.0f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
