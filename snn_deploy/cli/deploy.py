"""CLI commands that compile a model for a target and run the result: ``compile``, ``emulate``, ``run``."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from snn_deploy.cli.options import (
    artifact_argument, input_option, model_argument, output_option, record_option, record_state_option,
    reset_mode_option,
    steps_option,
)

if TYPE_CHECKING:
    from snn_deploy.spikes import SpikeEvents

json_option = click.option("--json", "as_json", is_flag=True,
                           help="Print the activity report (spikes per population, the silent ones) as one JSON object.")


@click.command("compile")
@model_argument
@reset_mode_option
@click.option("--target", required=True, type=click.Choice(["loihi2", "speck"]), help="Chip to deploy to.")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False, path_type=str),
              help="Artifact directory to write (replaced atomically).")
@click.option("--dt", "dt_s", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Time step in seconds (default: the model's metadata or the target's rule).")
@click.option("--allow-leak-removal", is_flag=True, help="Speck: turn LIF into IAF (recorded in the report).")
@click.option("--json", "as_json", is_flag=True, help="Print the quantization summary as one JSON object.")
def compile_command(model: str, reset_mode: str | None, spike_step_s: float | None, target: str, output: str, dt_s: float | None, allow_leak_removal: bool,
                    as_json: bool) -> None:
    """Quantize MODEL for TARGET and write the deployment package to OUTPUT."""
    from snn_deploy.backends import CompileOptions, backend_for_target
    from snn_deploy.ir.io import load
    from snn_deploy.quantize.reachability import SilentPopulation

    graph = load(model, reset_mode=reset_mode, spike_step_s=spike_step_s)
    options = CompileOptions(dt_s=dt_s, allow_leak_removal=allow_leak_removal)
    summary = backend_for_target(target).compile_model(graph, output, options)
    silent = [SilentPopulation(**entry).describe() for entry in summary.get("silent_populations", [])]
    if as_json:
        for line in silent:
            click.echo(f"warning: {line}", err=True)
        click.echo(json.dumps(summary, sort_keys=True))
    else:
        click.echo(summary.get("text", json.dumps(summary, sort_keys=True, indent=2)))
        for line in silent:
            click.echo(f"warning: {line}")


def _recorded_with_every_population(manifest: dict, record: str) -> tuple[str, list[str], list[str] | None]:
    """The ``--record`` value that also records every population (for the activity report), the populations,
    and the record keys the user asked for (None: all)."""
    from snn_deploy.check.activity import artifact_populations

    populations = artifact_populations(manifest)
    if record == "all":
        return record, populations, None
    asked = list(manifest.get("outputs") or []) if record == "outputs" else \
        [name.strip() for name in record.split(",") if name.strip()]
    return ",".join(dict.fromkeys(asked + populations)), populations, asked


def execute_artifact(artifact_dir: str, events: SpikeEvents, *, record: str, record_state: bool, steps: int | None,
                     engine: str | None) -> tuple[dict, float, dict]:
    """Run ``artifact_dir`` on ``events`` in the emulator (``engine`` None) or the vendor engine; returns the
    records asked for, ``dt_s`` and the activity report of every population (:mod:`snn_deploy.check.activity`)."""
    from snn_deploy.backends import TARGETS, backend_for_artifact, read_manifest
    from snn_deploy.check.activity import activity_json, population_activity, structurally_silent
    from snn_deploy.errors import UnsupportedError

    manifest = read_manifest(artifact_dir)
    backend = backend_for_artifact(artifact_dir)
    native = TARGETS[manifest["target"]][1]
    if engine is not None and engine != native:
        raise UnsupportedError(
            f"{artifact_dir}: compiled for {manifest['target']}, which runs on engine '{native}', not '{engine}'")
    run = backend.emulate_artifact if engine is None else backend.run_artifact
    every, populations, asked = _recorded_with_every_population(manifest, record)
    records, dt_s = run(artifact_dir, events, steps=steps, record=every, record_state=record_state)
    activity = activity_json(population_activity(records, populations), structurally_silent(artifact_dir))
    activity["engine"] = engine or "emulator"
    if asked is not None:
        records = {key: value for key, value in records.items() if key.rpartition("/")[0] in asked}
    return records, dt_s, activity


def _execute(artifact_dir: str, input_path: str, output: str, record: str, record_state: bool,
             steps: int | None, engine: str | None, as_json: bool) -> None:
    from snn_deploy.backends import read_manifest
    from snn_deploy.check.activity import PopulationActivity, describe_silent
    from snn_deploy.spikes import load_input, save_engine_output

    manifest = read_manifest(artifact_dir)
    events, _ = load_input(input_path, units=manifest.get("input_units"))
    records, dt_s, activity = execute_artifact(artifact_dir, events, record=record, record_state=record_state,
                                               steps=steps, engine=engine)
    save_engine_output(output, records, dt_s, activity)
    for name in activity["silent_populations"]:
        entry = {k: v for k, v in activity["populations"][name].items() if k != "silent"}
        line = describe_silent(PopulationActivity(**entry), activity["structurally_silent"].get(name))
        click.echo(f"warning: {line}", err=True)
    if as_json:
        click.echo(json.dumps({"output": output, "dt_s": dt_s, **activity}, sort_keys=True))


@click.command("emulate")
@artifact_argument
@input_option
@output_option
@record_option
@record_state_option
@steps_option
@json_option
def emulate_command(artifact_dir: str, input_path: str, output: str, record: str, record_state: bool,
                    steps: int | None, as_json: bool) -> None:
    """Run a compiled ARTIFACT_DIR in snn-deploy's bit-accurate integer emulator."""
    _execute(artifact_dir, input_path, output, record, record_state, steps, engine=None, as_json=as_json)


@click.command("run")
@artifact_argument
@click.option("--engine", required=True, type=click.Choice(["lava", "sinabs"]), help="Vendor simulator.")
@input_option
@output_option
@record_option
@record_state_option
@steps_option
@json_option
def run_command(artifact_dir: str, engine: str, input_path: str, output: str, record: str, record_state: bool,
                steps: int | None, as_json: bool) -> None:
    """Run a compiled ARTIFACT_DIR in the vendor's simulator (Lava fixed_pt or sinabs on CPU)."""
    _execute(artifact_dir, input_path, output, record, record_state, steps, engine=engine, as_json=as_json)


COMMANDS: list[click.Command] = [compile_command, emulate_command, run_command]
