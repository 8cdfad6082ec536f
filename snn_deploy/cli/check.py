"""CLI command ``check``: the CI equivalence check of a deployment (exit 0 pass, 1 fail, 2 bad input)."""
from __future__ import annotations

import json
import sys

import click

from snn_deploy.cli.options import model_argument, reset_mode_option
from snn_deploy.reference.datasets import DATASETS
from snn_deploy.targets import engine_names, target_names


def _progress_bar(quiet: bool):
    """A tqdm bar on stderr that advances one tick per stage of the check (none under ``--json``)."""
    from tqdm import tqdm

    return tqdm(file=sys.stderr, disable=quiet, unit="stage", bar_format="check {n_fmt} stages {elapsed} | {desc}")


def _population_lines(summary: dict) -> list[str]:
    """One line per population: reference and deployed spike counts, marked when silent."""
    lines = []
    for name, entry in summary["populations"].items():
        marks = [mark for mark, flag in (("silent in the reference", entry.get("silent_reference")),
                                         ("SILENT in the deployment", entry.get("silent_deployed"))) if flag]
        lines.append(f"population {name}: reference {entry['reference_spikes']} spikes, deployed "
                     f"{entry.get('deployed_spikes_all_steps', entry['deployed_spikes'])} spikes in "
                     f"{entry.get('samples', '?')} sample(s) x {entry.get('steps', '?')} steps"
                     + (f" ({', '.join(marks)})" if marks else ""))
    return lines


@click.command("check")
@model_argument
@reset_mode_option
@click.option("--target", required=True, type=click.Choice(target_names()), help="Chip to deploy to.")
@click.option("--engine", type=click.Choice(engine_names()), default=None,
              help="Also run the vendor simulator and require bit-exact equality with the emulator.")
@click.option("--artifact", "artifact_dir", type=click.Path(file_okay=False, exists=True, path_type=str),
              default=None, help="Use this compiled directory instead of compiling MODEL.")
@click.option("--input", "input_path", type=click.Path(dir_okay=False, path_type=str), default=None,
              help="Input events .npz.")
@click.option("--dataset", type=click.Choice(DATASETS), default=None,
              help="Use the test split of a dataset, encoded as the model's metadata says.")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Use only the first N samples of --dataset.")
@click.option("--random", "random_samples", type=click.IntRange(min=1), default=None,
              help="Use N random Poisson input samples.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of --random.")
@click.option("--rate-hz", type=click.FloatRange(min=0, min_open=True), default=50.0, show_default=True,
              help="Poisson rate of --random.")
@click.option("--duration", "duration_s", type=click.FloatRange(min=0, min_open=True), default=0.1,
              show_default=True, help="Length of --random inputs in seconds.")
@click.option("--tolerance-steps", type=click.FloatRange(min=0), default=None,
              help="A deployed spike matches a reference spike within this many time steps (default: derived from "
                   "the model, max(2, ceil(fastest tau / (10 dt))); snn_deploy/check/tolerance.py).")
@click.option("--min-match", type=click.FloatRange(0, 1), default=None,
              help="Minimum fraction of matched spikes (default: 0.9, snn_deploy/check/tolerance.py).")
@click.option("--max-accuracy-drop", type=click.FloatRange(0, 100), default=0.5, show_default=True,
              help="With --dataset: the deployed accuracy may be at most this many percentage points below the "
                   "reference's.")
@click.option("--dt", "dt_s", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Time step when compiling (default: the target's rule).")
@click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON object on stdout; no progress.")
@click.option("--junit", "junit_path", type=click.Path(dir_okay=False, path_type=str), default=None,
              help="Write JUnit XML here.")
@click.option("--report", "report_dir", type=click.Path(file_okay=False, path_type=str), default=None,
              help="Write report.json and PNG plots to this directory.")
def check_command(model: str, *, reset_mode: str | None, spike_step_s: float | None, target: str,
                  engine: str | None, artifact_dir: str | None, input_path: str | None, dataset: str | None,
                  limit: int | None, random_samples: int | None, seed: int, rate_hz: float, duration_s: float,
                  tolerance_steps: float | None, min_match: float | None, max_accuracy_drop: float,
                  dt_s: float | None, as_json: bool, junit_path: str | None, report_dir: str | None) -> None:
    """Check that MODEL deployed to TARGET does what the exact reference does (and what the vendor engine does)."""
    import snn_deploy as sd

    chosen = [name for name, value in (("--input", input_path), ("--dataset", dataset),
                                       ("--random", random_samples)) if value is not None]
    if len(chosen) != 1:
        raise click.UsageError("give exactly one of --input, --dataset, --random")
    graph = sd.read(model, reset_mode=reset_mode, spike_step_s=spike_step_s)
    units = sd.input_units(graph)
    if input_path is not None:
        check_input = sd.CheckInput(sd.read_events(input_path, units), None, f"input {input_path}")
    elif dataset is not None:
        check_input = sd.dataset_inputs(graph, dataset, limit=limit)
    else:
        check_input = sd.poisson_inputs(units, random_samples, seed, duration_s, rate_hz)
    with _progress_bar(as_json) as bar:
        def progress(message: str) -> None:
            bar.set_description_str(message)
            bar.update(1)

        if artifact_dir is None:
            progress(f"compiling {model} for {target}")
            deployment = sd.compile(graph, target, dt_s)
        else:
            deployment = sd.load_artifact(artifact_dir)
            if deployment.target.name != target:
                raise sd.UnsupportedError(f"{artifact_dir}: compiled for '{deployment.target.name}', "
                                          f"not '{target}'")
        result = sd.check(graph, deployment, check_input, engine, tolerance_steps=tolerance_steps,
                          min_match=min_match, max_accuracy_drop=max_accuracy_drop / 100, report_dir=report_dir,
                          junit_path=junit_path, name=model, progress=progress)
    if as_json:
        click.echo(json.dumps(result.to_json(), sort_keys=True))
    else:
        for criterion in result.criteria():
            click.echo(f"{'PASS' if criterion.passed else 'FAIL'} {criterion.name}: {criterion.message}")
        summary = result.to_json()
        for line in _population_lines(summary):
            click.echo(line)
        if summary["accuracy_reference"] is not None:
            click.echo(f"accuracy: reference {summary['accuracy_reference']:.4f}, deployed "
                       f"{summary['accuracy_deployed']:.4f}, agreement {summary['classification_agreement']:.4f}")
    click.get_current_context().exit(0 if result.passed else 1)


COMMANDS: list[click.Command] = [check_command]
