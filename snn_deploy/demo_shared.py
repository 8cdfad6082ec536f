"""The main job's second half: the shared third-party models deployed to every target that can hold them.

Each model in the shared models directory (:func:`snn_deploy.shared_models_dir`) is read the way its exporter
meant it (:data:`SHARED_MODELS`: the reset the exporter used where the file cannot say, and whether it counted
spikes per step), compiled for each target, and checked on seeded Poisson inputs: the emulator against the exact
reference (spike-time equivalence with the tolerance :mod:`snn_deploy.check.tolerance` derives from the model and
the step) and against the vendor engine bit for bit, on the same samples. A target that cannot hold a model is a
row with the compiler's reason.

Inputs are the same rule for every model, fixed before any run: Poisson trains at ``INPUT_FRACTION / dt`` per
input unit (one event every twenty steps on average, so few steps hold two events of one unit: Loihi 2's
input spikes are unary), for :attr:`SharedModel.steps` steps.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import snn_deploy as sd

#: input events per unit per step (module docstring)
INPUT_FRACTION = 0.05
#: the time step snnTorch's and Norse's exporters discretised with, and the NIR paper deployed at (0.1 ms)
NIR_PAPER_DT_S = 1e-4
SEED = 0


@dataclass(frozen=True)
class SharedModel:
    """One shared file, how to read it, and the work the demo gives it."""

    file: str
    #: the exporter's reset where the file predates NIR's ``v_reset`` (None: as the file reads)
    reset_mode: str | None
    #: the exporter counted spikes per step of this many seconds (None: unit-area pulses, as NIR)
    spike_step_s: float | None
    #: deployment step on Loihi 2 (Speck's frame step is the compiler's)
    dt_s: float
    steps: int
    samples: int
    why: str


SHARED_MODELS: tuple[SharedModel, ...] = (
    SharedModel("cnn_sinabs.nir", "subtract", None, 1e-3, 20, 1,
                "sinabs's IAF resets by subtraction (MembraneSubtract) and writes no v_reset"),
    SharedModel("braille_noDelay_noBias_subtract.nir", "subtract", NIR_PAPER_DT_S, NIR_PAPER_DT_S, 500, 4,
                "snnTorch, reset by subtraction (the file's name); spikes per 0.1 ms step"),
    SharedModel("braille_noDelay_bias_zero.nir", None, NIR_PAPER_DT_S, NIR_PAPER_DT_S, 500, 4,
                "snnTorch, reset to zero (the file's name, as current NIR reads it); spikes per 0.1 ms step"),
    SharedModel("lif_norse.nir", None, NIR_PAPER_DT_S, NIR_PAPER_DT_S, 500, 4,
                "Norse resets to v_reset = 0; spikes per step (Norse's Euler step, at the NIR paper's 0.1 ms)"),
    SharedModel("lava-dl/tiny.net", None, None, 1e-3, 20, 2, "lava-dl netx integers, exact"),
    SharedModel("lava-dl/mnist.net", None, None, 1e-3, 20, 2, "lava-dl netx integers, exact"),
)


def read_shared(root: Path, model: SharedModel) -> sd.Graph:
    """The model's graph as its exporter meant it (:class:`SharedModel`)."""
    return sd.read(root / model.file, reset_mode=model.reset_mode, spike_step_s=model.spike_step_s)


@dataclass(frozen=True)
class SharedRow:
    """One model on one target: compiled or why not, and the check."""

    model: SharedModel
    target: str
    status: str
    result: sd.CheckResult | None = None
    seconds: float = 0.0


def deploy_shared(root: Path, model: SharedModel, target: str, out_dir: Path,
                  log: Callable[[str], None]) -> SharedRow:
    """Compile ``model`` for ``target`` and check it against the exact reference and the target's engine on
    one input (criteria derived from the model and the step, :mod:`snn_deploy.check.tolerance`)."""
    start = time.perf_counter()
    graph = read_shared(root, model)
    try:
        deployment = sd.compile(graph, target, model.dt_s)
    except sd.UnsupportedError as exc:
        return SharedRow(model, target, f"does not fit: {exc}", seconds=time.perf_counter() - start)
    deployment.save(out_dir / Path(model.file).stem / target)
    dt_s, engine = deployment.dt_s, deployment.target.engine
    check_input = sd.poisson_inputs(sd.input_units(graph), model.samples, SEED, model.steps * dt_s,
                                    INPUT_FRACTION / dt_s)
    log(f"{model.file} on {target}: {check_input.description}; reference, emulator and {engine}")
    result = sd.check(graph, deployment, check_input, engine, steps=model.steps, name=model.file, progress=log)
    return SharedRow(model, target, f"dt = {dt_s * 1e3:g} ms", result, time.perf_counter() - start)


def _silent(result: sd.CheckResult) -> str:
    silent = result.to_json().get("silent_populations", {})
    parts = [f"deployed only: {', '.join(silent['deployment_only'])}"] if silent.get("deployment_only") else []
    parts += [f"both: {', '.join(silent['both'])}"] if silent.get("both") else []
    return "; ".join(parts) or "none"


def shared_table(rows: list[SharedRow]) -> str:
    """Markdown table: model, reading, target, fits or why not, bit-exact, matched spikes, silent, verdict."""
    lines = ["| model | target | fits | bit-exact vs engine | matched spikes (tolerance) | silent populations | "
             "verdict |", "|---|---|---|---|---|---|---|"]
    for row in rows:
        if row.result is None:
            lines.append(f"| {row.model.file} | {row.target} | {row.status} | - | - | - | n/a |")
            continue
        j = row.result.to_json()
        exact = "yes" if j["bit_exact"] else "NO"
        lines.append(f"| {row.model.file} | {row.target} | {row.status} | {exact} ({j['engine']}, "
                     f"{row.model.samples} x {row.model.steps} steps) | {100 * j['matched_fraction']:.1f} % "
                     f"(±{j['tolerance_steps']:g} steps) | {_silent(row.result)} | "
                     f"{'PASS' if row.result.passed else 'FAIL'} |")
    return "\n".join(lines)


def readings_list() -> str:
    """How each shared file was read, one line each."""
    return "\n".join(f"- {m.file}: {m.why}" for m in SHARED_MODELS)
