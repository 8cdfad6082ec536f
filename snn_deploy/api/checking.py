"""``check``: a deployment against the exact reference (and the vendor engine), and the inputs it takes."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable

import numpy as np

from snn_deploy.api.deployment import Deployment, _check_events, _target, compile
from snn_deploy.check.equivalence import CheckResult, Tolerances
from snn_deploy.check.runner import CheckInput
from snn_deploy.errors import UnsupportedError
from snn_deploy.ir.graph import Graph
from snn_deploy.spikes import SpikeEvents


def dataset_inputs(graph: Graph, dataset: str, split: str = "test", limit: int | None = None) -> CheckInput:
    """A dataset split (its first ``limit`` samples) with its labels, encoded as the model's metadata says."""
    from snn_deploy.check.runner import dataset_input
    from snn_deploy.reference.datasets import DATASETS

    if dataset not in DATASETS:
        raise UnsupportedError(f"dataset: unknown '{dataset}' (known: {', '.join(DATASETS)})")
    return dataset_input(graph, dataset, split=split, limit=limit)


def poisson_inputs(units: int, samples: int, seed: int = 0, duration_s: float = 0.1, rate_hz: float = 50.0
                   ) -> CheckInput:
    """``samples`` seeded Poisson trains at ``rate_hz`` on every one of ``units`` inputs for ``duration_s``."""
    from snn_deploy.check.runner import random_input

    return random_input(units, samples, seed, duration_s, rate_hz)


def poisson_events(rates_hz: np.ndarray, duration_s: float, seed: int = 0) -> SpikeEvents:
    """Independent homogeneous Poisson trains on ``[0, duration_s)`` for ``[batch, units]`` rates in Hz
    (``snn-deploy encode poisson``: the same seed gives the same events)."""
    from snn_deploy.reference.encoders import poisson_encode

    return poisson_encode(np.asarray(rates_hz, dtype=np.float64), duration_s, seed)


def _tolerance_rule(tolerance_steps: float | None, min_match: float | None, max_accuracy_drop: float | None
                    ) -> Callable[[Graph, float], Tolerances]:
    """The derived criteria (:mod:`snn_deploy.check.tolerance`) with the ones given replacing them."""
    from snn_deploy.check.tolerance import derived_tolerances

    given = {"steps": tolerance_steps, "min_match": min_match, "max_accuracy_drop": max_accuracy_drop}

    def rule(graph: Graph, dt_s: float) -> Tolerances:
        return replace(derived_tolerances(graph, dt_s), **{k: v for k, v in given.items() if v is not None})
    return rule


def check(graph: Graph, deployment: Deployment | str, inputs: SpikeEvents | CheckInput, engine: str | None = None,
          *, labels: np.ndarray | None = None, tolerance_steps: float | None = None, min_match: float | None = None,
          max_accuracy_drop: float | None = None, steps: int | None = None, report_dir: str | Path | None = None,
          junit_path: str | Path | None = None, name: str = "model",
          progress: Callable[[str], None] = lambda message: None) -> CheckResult:
    """Check that ``deployment`` (a :class:`Deployment`, or a target name to compile ``graph`` for) does what
    the exact reference does on ``inputs``, and with ``engine`` also that the vendor engine equals the emulator
    bit for bit (``snn-deploy check``).

    ``inputs``: events (with optional class ``labels``) or :func:`dataset_inputs` / :func:`poisson_inputs`.
    Criteria not given are derived from the model and the step (:mod:`snn_deploy.check.tolerance`);
    ``max_accuracy_drop`` is a fraction (0.005 = 0.5 percentage points). ``report_dir``: write ``report.json``
    and plots there; ``junit_path``: JUnit XML (suite named after ``name``).
    """
    from snn_deploy.check.runner import CheckOptions, run_check

    if not isinstance(graph, Graph):
        raise UnsupportedError(f"check: expected a snn_deploy graph (snn_deploy.read(path)), got "
                               f"{type(graph).__name__}")
    if not isinstance(deployment, Deployment):
        deployment = compile(graph, _target(deployment))
    if engine is not None and engine != deployment.target.engine:
        raise UnsupportedError(f"{deployment.target.name} runs on engine '{deployment.target.engine}', "
                               f"not '{engine}'")
    if not isinstance(inputs, CheckInput):
        inputs = CheckInput(_check_events(inputs, deployment.input_units, "check"), labels, "input events")
    run = run_check(graph, inputs, CheckOptions(
        target=deployment.target.name, engine=engine,
        tolerances=_tolerance_rule(tolerance_steps, min_match, max_accuracy_drop),
        artifact_dir=str(deployment.artifact_dir), steps=steps, record_state=report_dir is not None,
        progress=progress, model_name=name))
    if junit_path is not None:
        from snn_deploy.check.junit import write_junit

        write_junit(junit_path, f"snn-deploy check {name} --target {deployment.target.name}", run.result.criteria())
    if report_dir is not None:
        from snn_deploy.check.report import write_report

        write_report(report_dir, run.result, graph, inputs.events, run.reference, run.emulated, run.manifest)
    return run.result
