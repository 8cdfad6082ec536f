"""CLI commands that compile a model for a target and run the result: ``compile``, ``emulate``, ``run``."""
from __future__ import annotations

import json

import click

from snn_deploy.cli.options import (
    artifact_argument, input_option, model_argument, output_option, record_option, record_state_option,
    reset_mode_option,
    steps_option,
)


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
def compile_command(model: str, reset_mode: str | None, target: str, output: str, dt_s: float | None, allow_leak_removal: bool,
                    as_json: bool) -> None:
    """Quantize MODEL for TARGET and write the deployment package to OUTPUT."""
    from snn_deploy.backends import CompileOptions, backend_for_target
    from snn_deploy.ir.io import load

    graph = load(model, reset_mode=reset_mode)
    options = CompileOptions(dt_s=dt_s, allow_leak_removal=allow_leak_removal)
    summary = backend_for_target(target).compile_model(graph, output, options)
    if as_json:
        click.echo(json.dumps(summary, sort_keys=True))
    else:
        click.echo(summary.get("text", json.dumps(summary, sort_keys=True, indent=2)))


def _execute(artifact_dir: str, input_path: str, output: str, record: str, record_state: bool,
             steps: int | None, engine: str | None) -> None:
    from snn_deploy.backends import TARGETS, backend_for_artifact, read_manifest
    from snn_deploy.errors import UnsupportedError
    from snn_deploy.spikes import load_input, save_engine_output

    manifest = read_manifest(artifact_dir)
    backend = backend_for_artifact(artifact_dir)
    events, _ = load_input(input_path, units=manifest.get("input_units"))
    if engine is None:
        records, dt_s = backend.emulate_artifact(
            artifact_dir, events, steps=steps, record=record, record_state=record_state)
    else:
        native = TARGETS[manifest["target"]][1]
        if engine != native:
            raise UnsupportedError(
                f"{artifact_dir}: compiled for {manifest['target']}, which runs on engine '{native}', not '{engine}'")
        records, dt_s = backend.run_artifact(
            artifact_dir, events, steps=steps, record=record, record_state=record_state)
    save_engine_output(output, records, dt_s)


@click.command("emulate")
@artifact_argument
@input_option
@output_option
@record_option
@record_state_option
@steps_option
def emulate_command(artifact_dir: str, input_path: str, output: str, record: str, record_state: bool,
                    steps: int | None) -> None:
    """Run a compiled ARTIFACT_DIR in snn-deploy's bit-accurate integer emulator."""
    _execute(artifact_dir, input_path, output, record, record_state, steps, engine=None)


@click.command("run")
@artifact_argument
@click.option("--engine", required=True, type=click.Choice(["lava", "sinabs"]), help="Vendor simulator.")
@input_option
@output_option
@record_option
@record_state_option
@steps_option
def run_command(artifact_dir: str, engine: str, input_path: str, output: str, record: str, record_state: bool,
                steps: int | None) -> None:
    """Run a compiled ARTIFACT_DIR in the vendor's simulator (Lava fixed_pt or sinabs on CPU)."""
    _execute(artifact_dir, input_path, output, record, record_state, steps, engine=engine)


COMMANDS: list[click.Command] = [compile_command, emulate_command, run_command]
