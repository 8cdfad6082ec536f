"""The main job run by ``make demo``: a trained model deployed to every target, with proof.

1. Load the example model, ``MODEL`` (default ``examples/models/yinyang.onnx`` of the current directory, as
   ``make demo`` runs it; when the file is absent, the exact-gradient trainer trains it into ``OUT_DIR``).
2. Compile it for each target (Loihi 2, Speck); a target the model does not fit is reported with its reason.
3. For each compiled target, ``check`` the deployment: the emulator against the exact reference on the whole
   Yin-Yang test set (spike-time equivalence and accuracy), and the emulator against the vendor engine (Lava
   ``fixed_pt`` / sinabs) bit for bit on the first ``ENGINE_SAMPLES`` test samples.
4. Print a summary table and write the reports (``report.json`` + plots) under ``OUT_DIR/report-<target>/``.
5. Deploy every shared third-party model (NIR, lava-dl netx) to every target that can hold it and check it
   against the exact reference and bit for bit against the vendor engine (:mod:`snn_deploy.demo_shared`).
6. Run every shared model through the ONNX and NIR round trips.

Usage: ``python -m snn_deploy.demo [OUT_DIR [MODEL]]``; ``OUT_DIR`` defaults to ``demo-out``, and the demo
writes nothing outside it. Everything runs through the public API (:mod:`snn_deploy.api`). Exit code 0 when
the job ran end to end (the tables say PASS or FAIL for each row: the demo shows, ``snn-deploy check`` gates),
1 when a round trip was lossy or a compiled deployment was not bit-exact with its engine, 2 on bad input.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import snn_deploy as sd
from snn_deploy.artifacts import write_json
from snn_deploy.demo_shared import SHARED_MODELS, deploy_shared, readings_list, shared_table
from snn_deploy.ir.graph import graphs_equal

#: the example model, relative to the directory the demo runs in (``make demo``: the repository)
MODEL = Path("examples") / "models" / "yinyang.onnx"
DATASET = "yinyang"
#: test samples run through the vendor engine: Lava runs them one by one at ~6 ms per step of this network
#: (3 LIF + 4 Dense processes exchanging messages every step), so 5 x 849 steps keep the job under 3 minutes
ENGINE_SAMPLES = 5
#: every registered target (snn_deploy.targets)
TARGETS: tuple[str, ...] = tuple(sd.target_names())


def log(message: str) -> None:
    print(f"[demo] {message}", file=sys.stderr, flush=True)


def trained_model(model: Path, out_dir: Path) -> tuple[sd.Graph, Path]:
    """The example model and its path; when ``model`` is absent, trained (Yin-Yang preset, seed 0) and saved
    under ``out_dir``."""
    if not model.exists():
        trained = out_dir / model.name
        log(f"{model} is absent: training it into {trained} (Yin-Yang preset, seed 0)")
        sd.write(sd.train(DATASET, seed=0).graph, trained)
        model = trained
    return sd.read(model), model


@dataclass(frozen=True)
class TargetRow:
    """One line of the summary table."""

    target: str
    status: str
    equivalence: sd.CheckResult | None = None
    bit_exact: sd.CheckResult | None = None
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        """The whole test set passes every criterion and the engine subset is bit-exact (its other criteria
        are judged on the whole set, not on 20 samples)."""
        if self.equivalence is None:
            return True
        return self.equivalence.passed and self.bit_exact.bit_exact is not None and self.bit_exact.bit_exact.equal


def deploy_and_check(graph: sd.Graph, model: Path, target: str, out_dir: Path) -> TargetRow:
    """Compile, check against the reference (whole test set) and the target's engine (a subset); write the
    report. Criteria: derived from the model and the step (:mod:`snn_deploy.check.tolerance`)."""
    start = time.perf_counter()
    try:
        deployment = sd.compile(graph, target)
    except sd.UnsupportedError as exc:
        return TargetRow(target, f"does not fit: {exc}", seconds=time.perf_counter() - start)
    artifact = deployment.save(out_dir / target)
    log(f"{target}: compiled to {artifact}; checking against the exact reference")
    equivalence = sd.check(graph, deployment, sd.dataset_inputs(graph, DATASET), name=str(model),
                           report_dir=out_dir / f"report-{target}", progress=log)
    engine = deployment.target.engine
    log(f"{target}: bit-exactness against {engine} on {ENGINE_SAMPLES} samples")
    exact = sd.check(graph, deployment, sd.dataset_inputs(graph, DATASET, limit=ENGINE_SAMPLES), engine,
                     name=str(model), progress=log)
    write_json(out_dir / f"report-{target}" / "bit_exact.json", exact.to_json())
    return TargetRow(target, "compiled", equivalence, exact, time.perf_counter() - start)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"


def summary_table(rows: list[TargetRow]) -> str:
    """Markdown table: one row per target."""
    lines = ["| target | status | bit-exact vs engine | matched spikes (tolerance) | mean / max abs dt (steps) | "
             "accuracy reference | accuracy deployed | agreement | verdict |",
             "|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        if row.equivalence is None:
            lines.append(f"| {row.target} | {row.status} | - | - | - | - | - | - | n/a |")
            continue
        eq, be = row.equivalence.to_json(), row.bit_exact.to_json()
        engine = f"{'yes' if be['bit_exact'] else 'NO'} ({be['engine']}, {ENGINE_SAMPLES} samples)"
        lines.append(
            f"| {row.target} | dt = {eq['dt_s'] * 1e3:g} ms | {engine} | {_pct(eq['matched_fraction'])} "
            f"(±{eq['tolerance_steps']:g} steps) | "
            f"{eq['mean_abs_dt_steps']:.2f} / {eq['max_abs_dt_steps']:.2f} | {_pct(eq['accuracy_reference'])} | "
            f"{_pct(eq['accuracy_deployed'])} | {_pct(eq['classification_agreement'])} | "
            f"{'PASS' if row.passed else 'FAIL'} |")
    return "\n".join(lines)


def shared_models(root: Path) -> list[Path]:
    """The shared third-party model files (NIR and netx) under ``root``, sorted."""
    return sorted(p for p in root.rglob("*") if p.suffix in (".nir", ".net"))


def round_trip(graph: sd.Graph, path: Path) -> str:
    """Write ``graph`` to ``path``, read it back: "ok", "LOSSY" or "n/a" when the format cannot hold it."""
    try:
        sd.write(graph, path)
    except sd.UnsupportedError:
        return "n/a"
    return "ok" if graphs_equal(sd.read(path), graph) else "LOSSY"


def model_zoo(root: Path, out_dir: Path) -> tuple[str, int]:
    """Markdown table of the shared models' sizes and round trips; the number of lossy round trips."""
    lines = ["| model | nodes | neurons | synapses | ONNX round trip | NIR round trip |", "|---|---|---|---|---|---|"]
    failures = 0
    for model in shared_models(root):
        graph = sd.read(model)
        totals = sd.inspect(graph)["totals"]
        onnx_path = out_dir / f"{model.stem}.onnx"
        onnx_result = round_trip(graph, onnx_path)
        nir_result = round_trip(sd.read(onnx_path), out_dir / f"{model.stem}.nir")
        failures += onnx_result != "ok" or nir_result == "LOSSY"
        lines.append(f"| {model.name} | {totals['nodes']} | {totals['neurons']} | {totals['synapses']} | "
                     f"{onnx_result} | {nir_result} |")
    return "\n".join(lines), failures


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out_dir = Path(argv[0] if argv else "demo-out")
    out_dir.mkdir(parents=True, exist_ok=True)
    root = sd.shared_models_dir()
    start = time.perf_counter()
    try:
        graph, model = trained_model(Path(argv[1]) if len(argv) > 1 else MODEL, out_dir)
        rows = [deploy_and_check(graph, model, target, out_dir) for target in TARGETS]
        shared = [deploy_shared(root, shared_model, target, out_dir / "shared-deployed", log)
                  for shared_model in SHARED_MODELS for target in TARGETS]
        log("shared models: ONNX and NIR round trips")
        zoo, lossy = model_zoo(root, out_dir / "shared-models")
    except sd.SnnDeployError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"\n## {model} deployed (Yin-Yang test set)\n")
    print(summary_table(rows))
    for row in rows:
        print(f"- {row.target}: {row.status}" + (f"; report in {out_dir / ('report-' + row.target)}"
                                                  if row.equivalence is not None else ""))
    print("\n## Shared third-party models deployed (seeded Poisson inputs)\n")
    print(shared_table(shared))
    print("\nHow each file was read:\n" + readings_list())
    print("\n## Shared third-party models: round trips\n")
    print(zoo)
    print(f"\ntotal {time.perf_counter() - start:.0f} s")
    not_exact = [r for r in shared if r.result is not None and not r.result.to_json()["bit_exact"]]
    not_exact += [r for r in rows if r.bit_exact is not None and not r.bit_exact.to_json()["bit_exact"]]
    return 1 if lossy or not_exact else 0


if __name__ == "__main__":
    sys.exit(main())
