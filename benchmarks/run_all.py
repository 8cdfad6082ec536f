"""Run every benchmark script (one subprocess each) and write benchmarks/RESULTS.md with the goals met or missed.

Each script prints its Markdown tables and writes ``benchmarks/results/<name>.json``; this runner copies the
printed tables into RESULTS.md under the machine description, the date and the load average (the machine may
be shared: timings are noisy), then checks the goals against the JSON results.

    .venv/bin/python benchmarks/run_all.py [--quick] [--only NAME ...]

``--only`` re-runs some scripts and keeps the other scripts' sections of the existing RESULTS.md.
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
from common import RESULTS, machine  # noqa: E402

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


def goals() -> list[tuple[str, str, str]]:
    """(goal, measured, verdict) for every goal whose benchmark has results."""
    out = []
    ref = _load("bench_reference")
    if ref:
        worst = min(r["input_events_per_s"] for r in ref["throughput"])
        per_size = "; ".join(f"{r['n_in']}-{r['n_hidden']}: {r['input_events_per_s']:.2g} input "
                             f"({r['synaptic_events_per_s']:.2g} synaptic) events/s" for r in ref["throughput"])
        out.append((">= 1e6 input events/s, exact reference", per_size, "met" if worst >= 1e6 else "MISSED"))
        grid = sorted((a for a in ref["accuracy"] if a["engine"].startswith("fixed grid")), key=lambda a: -a["dt_s"])
        errors = [a["max_abs_error_s"] for a in grid]
        converging = all(b <= a / 5 for a, b in zip(errors, errors[1:]))
        out.append(("1e-9 s spike-time accuracy", "max / mean error vs finest grid (dt "
                    f"{grid[-1]['dt_s']:.0e} s): {errors[-1]:.1e} / {grid[-1]['mean_abs_error_s']:.1e} s; "
                    f"errors {' -> '.join(f'{e:.1e}' for e in errors)}",
                    "consistent: first-order convergence to the reference, bounded by the grid's own error"
                    if converging else "NOT shown: errors do not converge"))
    comp = _load("bench_compile")
    if comp:
        goal = comp["goal"]
        hit = next((r for r in comp["runs"] if r["synapses"] == goal["synapses"]), None)
        if hit:
            out.append((f"compile 1M synapses <= {goal['seconds']:g} s", f"{hit['compile_s']:.2f} s",
                        "met" if hit["compile_s"] <= goal["seconds"] else "MISSED"))
    scal = _load("bench_loihi2_scaling")
    if scal:
        for batch, target in sorted((int(b), g) for b, g in scal["goals"].items()):
            runs = [r for r in scal["runs"] if r["batch"] == batch]
            worst = min(runs, key=lambda r: r["speedup"])
            how = sorted({r["lava_how"] for r in runs})
            out.append((f"Loihi 2 emulator >= {target:g}x Lava at batch {batch}",
                        f"{worst['speedup']:.0f}x at the least favourable size ({worst['neurons']} neurons; Lava "
                        f"{', '.join(how)})", "met" if worst["speedup"] >= target else "MISSED"))
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
        "script, back to back). Speed is never asserted in tests; correctness (bit-exact spikes) is asserted "
        "inside the benchmarks before anything is timed.",
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
