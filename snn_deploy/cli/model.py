"""CLI commands on model files: ``inspect`` (what a model holds) and ``convert`` (between formats)."""
from __future__ import annotations

import click

from snn_deploy.cli.options import model_argument, reset_mode_option


@click.command("inspect")
@model_argument
@reset_mode_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
def inspect_command(model: str, reset_mode: str | None, spike_step_s: float | None, as_json: bool) -> None:
    """Show MODEL's nodes (kind, output shape, neurons, synapses, parameter ranges) and totals."""
    import snn_deploy as sd
    from snn_deploy.artifacts import dumps_json
    from snn_deploy.ir.io.summary import format_summary

    summary = {"model": model, **sd.inspect(sd.read(model, reset_mode=reset_mode, spike_step_s=spike_step_s))}
    click.echo(dumps_json(summary).rstrip("\n") if as_json else format_summary(summary))


@click.command("convert")
@click.argument("source", type=click.Path(dir_okay=False, path_type=str))
@click.argument("target", type=click.Path(dir_okay=False, path_type=str))
@reset_mode_option
def convert_command(source: str, target: str, reset_mode: str | None, spike_step_s: float | None) -> None:
    """Convert model SOURCE to TARGET; formats by extension (.onnx, .nir; .net is read only).

    TARGET is written atomically: it is either complete or left as it was.
    """
    import snn_deploy as sd

    graph = sd.read(source, reset_mode=reset_mode, spike_step_s=spike_step_s)
    sd.write(graph, target)
    click.echo(f"wrote {target} ({len(graph.nodes)} nodes, {len(graph.edges)} edges)")


COMMANDS: list[click.Command] = [inspect_command, convert_command]
