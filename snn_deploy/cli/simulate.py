"""CLI command ``simulate``: exact event-driven reference spikes of a model for given input events."""
from __future__ import annotations

import click

from snn_deploy.cli.options import input_option, model_argument, output_option, record_option, reset_mode_option


@click.command("simulate")
@model_argument
@reset_mode_option
@input_option
@output_option
@record_option
@click.option("--t-end", "t_end_s", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Simulate up to this time in seconds (default: until no event is left).")
def simulate_command(model: str, reset_mode: str | None, spike_step_s: float | None, input_path: str, output: str,
                     record: str, t_end_s: float | None) -> None:
    """Run MODEL exactly (float64 spike times, no time step) on the input events; write <node>/sample, unit, time_s."""
    import snn_deploy as sd

    graph = sd.read(model, reset_mode=reset_mode, spike_step_s=spike_step_s)
    events = sd.read_events(input_path, sd.input_units(graph))
    spikes = sd.simulate(graph, events, t_end_s=t_end_s, record=record)
    sd.write_spikes(output, spikes)
    counts = ", ".join(f"{name}: {events.time_s.size} spikes" for name, events in spikes.items())
    click.echo(f"wrote {output} ({counts})")


COMMANDS: list[click.Command] = [simulate_command]
