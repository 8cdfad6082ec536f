"""The ``check`` job: compile (or take a compiled directory), emulate, run the vendor engine and the exact
reference on the same input, and compare (:mod:`snn_deploy.check.equivalence`)."""
from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from snn_deploy.backends.manifest import read_manifest
from snn_deploy.check.activity import silent_reasons
from snn_deploy.check.dynamics import nearby_time_steps
from snn_deploy.check.equivalence import CheckResult, Tolerances, compare, compare_dynamics
from snn_deploy.check.tolerance import derived_tolerances
from snn_deploy.errors import UnsupportedError
from snn_deploy.ir.graph import Graph
from snn_deploy.spikes import SpikeEvents
from snn_deploy.targets import get_target

Progress = Callable[[str], None]
#: pass criteria, or the rule that makes them from the graph and the deployed step (snn_deploy.check.tolerance)
ToleranceRule = Tolerances | Callable[[Graph, float], Tolerances]


@dataclass(frozen=True)
class CheckInput:
    """The input of a check: events, optional class labels, and where they came from (for the report)."""

    events: SpikeEvents
    labels: np.ndarray | None
    description: str
    #: the inputs' length, when they have one (random trains): the reference is compared up to it
    t_end_s: float | None = None


def dataset_input(graph: Graph, dataset: str, split: str = "test", limit: int | None = None) -> CheckInput:
    """A dataset split (its first ``limit`` samples) encoded as the model's metadata says (latency coding)."""
    from snn_deploy.reference.datasets import load
    from snn_deploy.reference.evaluation import encoding_of
    from snn_deploy.reference.layered import events_from_times

    x, y = load(dataset).split(split)
    x, y = x[:limit], y[:limit]
    events = events_from_times(encoding_of(graph).encode(x))
    return CheckInput(events, y, f"dataset {dataset} ({split}, {y.size} samples)")


def random_input(units: int, samples: int, seed: int, duration_s: float, rate_hz: float) -> CheckInput:
    """Poisson spike trains on every input unit (seeded)."""
    from snn_deploy.reference.encoders import poisson_encode

    events = poisson_encode(np.full((samples, units), float(rate_hz)), duration_s, seed)
    return CheckInput(events, None, f"{samples} random Poisson samples at {rate_hz:g} Hz for {duration_s:g} s, "
                                    f"seed {seed}", t_end_s=float(duration_s))


@dataclass(frozen=True)
class CheckRun:
    """A check's verdicts and the runs behind them (for the report's plots)."""

    result: CheckResult
    reference: dict[str, SpikeEvents]
    emulated: dict[str, np.ndarray]
    manifest: dict


def output_population(graph: Graph) -> str:
    """The population feeding the graph's first Output node."""
    source = graph.sources(graph.outputs[0])[0]
    while source not in graph.populations():
        sources = graph.sources(source)
        if not sources:
            raise UnsupportedError(f"output '{graph.outputs[0]}' is fed by no population")
        source = sources[0]
    return source


def _reference(graph: Graph, events: SpikeEvents, t_end_s: float | None) -> dict[str, SpikeEvents]:
    """Exact reference spikes of every population, to ``t_end_s`` or, when None, until activity ends."""
    from snn_deploy.reference.simulator import simulate

    return dict(simulate(graph, events, t_end_s=t_end_s, record="all"))


def _before(events: SpikeEvents, t_end_s: float) -> SpikeEvents:
    keep = events.time_s < t_end_s
    return SpikeEvents(events.sample[keep], events.unit[keep], events.time_s[keep], events.batch, events.units)


def deployed_steps(events: SpikeEvents, reference: dict[str, SpikeEvents], dt_s: float, latency_steps: int,
                   tolerance_steps: float) -> int:
    """Steps that cover the last input event and the last reference spike, plus latency and tolerance."""
    last = max([float(events.time_s.max(initial=0.0))] + [float(e.time_s.max(initial=0.0)) for e in reference.values()])
    return int(np.ceil(last / dt_s)) + latency_steps + int(np.ceil(tolerance_steps)) + 2


def _quantization_report(graph: Graph, target: str, dt_s: float) -> dict:
    """What ``quantization.json`` of ``graph`` compiled for ``target`` at ``dt_s`` holds, made in memory."""
    if target == "loihi2":
        from snn_deploy.quantize.loihi2.quantizer import quantize as quantize_loihi2

        return dict(quantize_loihi2(graph, dt_s).report)
    from snn_deploy.quantize.speck.quantizer import quantize as quantize_speck

    return quantize_speck(graph, dt_s).to_dict()


def suggest_dt(graph: Graph, target: str, dt_s: float, octaves: int = 6) -> str | None:
    """The ``dt_s 2^{-+k}`` (k = 1..octaves, nearest first, finer first) whose quantization preserves every
    population's dynamics (:func:`snn_deploy.check.dynamics.nearby_time_steps`: why both directions).
    Each candidate is quantized in memory; no artifact is written."""
    for candidate in nearby_time_steps(dt_s, octaves):
        report = _quantization_report(graph, target, candidate)
        if all(c.preserved for c in compare_dynamics(report).values()):
            return f"--dt {candidate:.3g} preserves the dynamics of every population"
    return None


@dataclass(frozen=True)
class CheckOptions:
    """How a check runs: the target (and engine, ``None``: no engine run), the pass criteria, where the
    artifact is, the comparison window and what is kept.

    ``tolerances`` may be a rule called with the graph and the deployed step once the artifact is known (the
    default derives them from the model's time constants). ``artifact_dir=None`` compiles the graph (at
    ``dt_s``, ``None``: the target's rule). ``steps`` (else the input's ``t_end_s``) bounds the comparison;
    without either the reference runs until its activity ends. ``record_state`` keeps the u/v traces.
    """

    target: str
    engine: str | None = None
    tolerances: ToleranceRule = derived_tolerances
    artifact_dir: str | None = None
    dt_s: float | None = None
    steps: int | None = None
    record_state: bool = False
    progress: Progress = lambda message: None
    #: the model's name in progress messages
    model_name: str = "the model"


@dataclass(frozen=True)
class _Window:
    """The compared stretch of time: the reference's spikes before ``t_end_s``, ``steps`` deployed steps."""

    reference: dict[str, SpikeEvents]
    steps: int
    t_end_s: float


@dataclass(frozen=True)
class _Runs:
    """The deployed runs and the artifact's quantization report."""

    emulated: dict[str, np.ndarray]
    engine_records: dict[str, np.ndarray] | None
    quantization: dict


def _artifact(graph: Graph, options: CheckOptions, scratch: str) -> tuple[str, dict]:
    """The artifact directory (compiled into ``scratch`` when the options name none) and its manifest."""
    artifact_dir = options.artifact_dir
    if artifact_dir is None:
        options.progress(f"compiling {options.model_name} for {options.target}")
        artifact_dir = str(Path(scratch) / "artifact")
        get_target(options.target).emit(graph, artifact_dir, options.dt_s, False)
    manifest = read_manifest(artifact_dir)
    if manifest["target"] != options.target:
        raise UnsupportedError(f"{artifact_dir}: compiled for '{manifest['target']}', not '{options.target}'")
    return artifact_dir, manifest


def _window(graph: Graph, check_input: CheckInput, options: CheckOptions, manifest: dict,
            tolerances: Tolerances) -> _Window:
    """Run the exact reference and choose the compared window (see :class:`CheckOptions`)."""
    dt_s = float(manifest["dt_s"])
    deepest = max(int(v) for v in (manifest.get("latency_steps_by_node") or {"": 0}).values())
    options.progress("simulating the exact reference")
    steps = options.steps
    limit_s = check_input.t_end_s if steps is None else (steps - deepest) * dt_s
    reference = _reference(graph, check_input.events, limit_s)
    if steps is None:
        steps = deployed_steps(check_input.events, reference, dt_s, deepest, tolerances.steps)
    t_end_s = (steps - deepest) * dt_s if limit_s is None else min(limit_s, (steps - deepest) * dt_s)
    return _Window({node: _before(events, t_end_s) for node, events in reference.items()}, steps, t_end_s)


def _deployed_runs(artifact_dir: str, check_input: CheckInput, options: CheckOptions, steps: int) -> _Runs:
    """The emulator (and with an engine, the engine) on the artifact, all populations recorded."""
    target = get_target(options.target)
    options.progress(f"emulating {check_input.description} for {steps} steps")
    emulated, _ = target.emulate(artifact_dir, check_input.events, steps=steps, record="all",
                                 record_state=options.record_state or options.engine is not None)
    engine_records = None
    if options.engine is not None:
        options.progress(f"running {options.engine}")
        engine_records, _ = target.run(artifact_dir, check_input.events, steps=steps, record="all",
                                       record_state=True)
    quantization = json.loads((Path(artifact_dir) / "quantization.json").read_text())
    return _Runs(dict(emulated), engine_records, quantization if isinstance(quantization, dict) else {})


def run_check(graph: Graph, check_input: CheckInput, options: CheckOptions) -> CheckRun:
    """Run every side of the check on ``check_input`` and compare them (:class:`CheckOptions`: how)."""
    target, engine = options.target, options.engine
    if engine is not None and get_target(target).engine != engine:
        raise UnsupportedError(f"target '{target}' runs on engine '{get_target(target).engine}', not '{engine}'")
    with tempfile.TemporaryDirectory(prefix="snn-deploy-check-") as scratch:
        artifact_dir, manifest = _artifact(graph, options, scratch)
        dt_s = float(manifest["dt_s"])
        tolerances = options.tolerances(graph, dt_s) if callable(options.tolerances) else options.tolerances
        window = _window(graph, check_input, options, manifest, tolerances)
        runs = _deployed_runs(artifact_dir, check_input, options, window.steps)
    options.progress("comparing")
    dynamics = compare_dynamics(runs.quantization)
    suggestion = None
    if any(not c.preserved for c in dynamics.values()):
        options.progress("quantization changed the dynamics: looking for a time step that keeps them")
        suggestion = suggest_dt(graph, target, dt_s)
    result = compare(
        target=target, engine=engine, manifest=manifest, reference=window.reference, emulated=runs.emulated,
        dt_s=dt_s, tolerances=tolerances, output_population=output_population(graph), t_end_s=window.t_end_s,
        engine_records=runs.engine_records, node_order=graph.topological_order(), labels=check_input.labels,
        quantization=list(runs.quantization.get("arrays", [])), dynamics=dynamics,
        dynamics_suggestion=suggestion, structurally_silent=silent_reasons(runs.quantization),
    )
    return CheckRun(result, dict(window.reference), runs.emulated, dict(manifest))
