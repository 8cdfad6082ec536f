"""Click options and argument types shared by several commands."""
from __future__ import annotations

import click

model_argument = click.argument("model", type=click.Path(dir_okay=False, path_type=str))
_reset_mode = click.option(
    "--reset-mode", type=click.Choice(["subtract", "to-value"]), default=None,
    help="Reset every spiking population of the model file this way, whatever the file says: subtract "
         "(v -= v_threshold) or to-value (v = v_reset). Default: as the file says; NIR files written before "
         "NIR had v_reset are read as to-value with v_reset = 0, as current NIR reads them.",
)
_spike_step = click.option(
    "--spike-step", "spike_step_s", type=click.FloatRange(min=0, min_open=True), default=None,
    help="The exporter counted spikes one per step of this many seconds (snnTorch, Norse: e.g. 1e-4): "
         "spike-carrying weights are multiplied by it so a spike moves the state as one exporter step did. "
         "Default: spikes are unit-area pulses, as NIR says.",
)


def reset_mode_option(command):
    """``--reset-mode`` and ``--spike-step``: how a command reads its model file (passed to ``load``)."""
    return _reset_mode(_spike_step(command))
artifact_argument = click.argument("artifact_dir", type=click.Path(file_okay=False, path_type=str))
input_option = click.option(
    "--input", "input_path", required=True, type=click.Path(dir_okay=False, path_type=str),
    help="Input events .npz (dense 'spikes' + 'dt_s', or 'sample'/'unit'/'time_s' + 'batch'/'units').",
)
output_option = click.option("-o", "--output", required=True, type=click.Path(path_type=str), help="Output path.")
record_option = click.option(
    "--record", default="outputs", show_default=True,
    help="Which nodes to record: 'outputs', 'all' (every population) or comma-separated node names.",
)
record_state_option = click.option("--record-state", is_flag=True, help="Also record u and v (integers).")
steps_option = click.option(
    "--steps", type=click.IntRange(min=1), default=None,
    help="Time steps to run (default: last input event + the network's depth).",
)
