"""CLI commands that compile a model for a target and run the result: ``compile``, ``emulate``, ``run``."""
from __future__ import annotations

import json

import click

from snn_deploy.cli.options import (
    artifact_argument, input_option, model_argument, output_option, record_option, record_state_option,
    reset_mode_option, steps_option,
)
from snn_deploy.targets import engine_names, target_names

json_option = click.option("--json", "as_json", is_flag=True,
                           help="Print the activity report (spikes per population, the silent ones) as one JSON "
                                "object.")


@click.command("compile")
@model_argument
@reset_mode_option
@click.option("--target", required=True, type=click.Choice(target_names()), help="Chip to deploy to.")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False, path_type=str),
              help="Artifact directory to write (replaced atomically).")
@click.option("--dt", "dt_s", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Time step in seconds (default: the model's metadata or the target's rule).")
@click.option("--allow-leak-removal", is_flag=True, help="Speck: turn LIF into IAF (recorded in the report).")
@click.option("--json", "as_json", is_flag=True, help="Print the quantization summary as one JSON object.")
def compile_command(model: str, reset_mode: str | None, spike_step_s: float | None, target: str, output: str,
                    dt_s: float | None, allow_leak_removal: bool, as_json: bool) -> None:
    """Quantize MODEL for TARGET and write the deployment package to OUTPUT."""
    import snn_deploy as sd

    graph = sd.read(model, reset_mode=reset_mode, spike_step_s=spike_step_s)
    deployment = sd.compile(graph, target, dt_s, allow_leak_removal=allow_leak_removal)
    deployment.save(output)
    report = deployment.report
    text = f"{report.text}\nwrote {output}"
    silent = [population.describe() for population in report.silent_populations]
    if as_json:
        for line in silent:
            click.echo(f"warning: {line}", err=True)
        click.echo(json.dumps({**report.to_json(), "text": text}, sort_keys=True))
    else:
        click.echo(text)
        for line in silent:
            click.echo(f"warning: {line}")


def _execute(artifact_dir: str, input_path: str, output: str, record: str, record_state: bool,
             steps: int | None, engine: str | None, as_json: bool) -> None:
    import snn_deploy as sd

    deployment = sd.load_artifact(artifact_dir)
    events = sd.read_events(input_path, deployment.input_units)
    if engine is None:
        records = deployment.emulate(events, record=record, record_state=record_state, steps=steps)
    else:
        records = deployment.run(events, engine=engine, record=record, record_state=record_state, steps=steps)
    records.save(output)
    for line in records.silent_lines():
        click.echo(f"warning: {line}", err=True)
    if as_json:
        click.echo(json.dumps({"output": output, "dt_s": records.dt_s, **records.activity}, sort_keys=True))


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
@click.option("--engine", required=True, type=click.Choice(engine_names()), help="Vendor simulator.")
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
