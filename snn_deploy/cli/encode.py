"""CLI commands between numbers and spikes: ``encode poisson`` (rates -> input events) and ``decode`` (spikes ->
firing rates: the window rate or the instantaneous firing rate, scSNN's read-out)."""
from __future__ import annotations

import click

from snn_deploy.cli.options import output_option


@click.group("encode")
def encode_group() -> None:
    """Encode values as input spike events (for simulate, emulate, run and check --input)."""


@encode_group.command("poisson")
@click.option("--rates-hz", "rates_path", type=click.Path(dir_okay=False, path_type=str), default=None,
              help="A .npy of rates in Hz, [units] or [batch, units].")
@click.option("--rate-hz", type=click.FloatRange(min=0), default=None, help="One rate in Hz for every unit.")
@click.option("--units", type=click.IntRange(min=1), default=None, help="Input units (with --rate-hz).")
@click.option("--duration", "duration_s", required=True, type=click.FloatRange(min=0, min_open=True),
              help="Length of every sample in seconds: spikes lie in [0, duration).")
@click.option("--batch", type=click.IntRange(min=1), default=None,
              help="Samples (default 1; with a [batch, units] file, its batch).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed: the same seed writes the same bytes.")
@output_option
def poisson_command(rates_path: str | None, rate_hz: float | None, units: int | None, duration_s: float,
                    batch: int | None, seed: int, output: str) -> None:
    """Independent homogeneous Poisson spike trains; writes input events (sample, unit, time_s, batch, units)."""
    import numpy as np

    import snn_deploy as sd

    if (rates_path is None) == (rate_hz is None):
        raise click.UsageError("give exactly one of --rates-hz FILE and --rate-hz F")
    if rate_hz is not None:
        if units is None:
            raise click.UsageError("--rate-hz needs --units")
        rates = np.full((batch or 1, units), rate_hz)
    else:
        if units is not None:
            raise click.UsageError("--units goes with --rate-hz; a --rates-hz file gives its own units")
        rates = _read_rates(rates_path, batch)
    events = sd.poisson_events(rates, duration_s, seed)
    sd.write_events(output, events)
    click.echo(f"wrote {output} ({events.batch} samples, {events.units} units, {events.time_s.size} events)")


def _read_rates(path: str, batch: int | None):
    """``[batch, units]`` rates from a .npy of ``[units]`` (repeated ``batch`` times) or ``[batch, units]``."""
    import numpy as np

    from snn_deploy.errors import ModelFormatError

    try:
        rates = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise ModelFormatError(f"{path}: no such file") from None
    except (OSError, ValueError, EOFError) as exc:
        raise ModelFormatError(f"{path}: not a readable .npy file ({type(exc).__name__})") from None
    if not np.issubdtype(rates.dtype, np.number) or rates.ndim not in (1, 2) or rates.size == 0:
        raise ModelFormatError(f"{path}: rates must be a numeric [units] or [batch, units] array, got "
                               f"{rates.dtype} {rates.shape}")
    if not (np.all(np.isfinite(rates)) and np.all(rates >= 0)):
        raise ModelFormatError(f"{path}: rates must be finite and >= 0 Hz")
    if rates.ndim == 1:
        return np.broadcast_to(rates.astype(np.float64), (batch or 1, rates.size))
    if batch is not None and batch != rates.shape[0]:
        raise ModelFormatError(f"{path}: holds {rates.shape[0]} samples, --batch says {batch}")
    return rates.astype(np.float64)


@click.command("decode")
@click.argument("spikes_path", metavar="SPIKES", type=click.Path(dir_okay=False, path_type=str))
@click.option("--node", required=True, help="Population whose spikes to read.")
@click.option("--readout", type=click.Choice(["ifr", "window"]), required=True,
              help="ifr: exponential-kernel instantaneous firing rate at --at; window: count in --window / length.")
@click.option("--tau", "tau_s", type=click.FloatRange(min=0, min_open=True), default=None,
              help="IFR kernel time constant in seconds (--readout ifr).")
@click.option("--at", "at_s", type=float, multiple=True, help="Times in seconds to read the IFR at (repeatable).")
@click.option("--window", "window_s", type=float, nargs=2, default=None, help="T0 T1: the window [T0, T1) in seconds.")
@click.option("--batch", type=click.IntRange(min=1), default=None, help="Samples (reference files store none).")
@click.option("--units", type=click.IntRange(min=1), default=None, help="Neurons of --node (reference files).")
@click.option("--latency-steps", type=click.IntRange(min=0), default=0, show_default=True,
              help="Engine files: step k is time max(k - L, 0) dt_s, as in check (the manifest's "
                   "latency_steps_by_node).")
@output_option
def decode_command(spikes_path: str, *, node: str, readout: str, tau_s: float | None, at_s: tuple[float, ...],
                   window_s: tuple[float, float] | None, batch: int | None, units: int | None, latency_steps: int,
                   output: str) -> None:
    """Firing rates (Hz) of NODE from SPIKES: reference output (simulate) or engine output (emulate, run).

    Writes OUTPUT.npz: ``rate_hz`` ``[batch, len(--at), units]`` and ``times_s`` (ifr), or ``rate_hz``
    ``[batch, units]`` and ``window_s`` (window).
    """
    import numpy as np

    import snn_deploy as sd
    from snn_deploy.spikes import save_npz

    if readout == "ifr" and (tau_s is None or not at_s or window_s is not None):
        raise click.UsageError("--readout ifr needs --tau and at least one --at (and no --window)")
    if readout == "window" and (window_s is None or tau_s is not None or at_s):
        raise click.UsageError("--readout window needs --window T0 T1 (and no --tau / --at)")
    events = _node_events(spikes_path, node, batch, units, latency_steps)
    if readout == "ifr":
        times = np.asarray(at_s, np.float64)
        arrays = {"rate_hz": sd.instantaneous_rate(events, times, tau_s), "times_s": times}
    else:
        arrays = {"rate_hz": sd.window_rate(events, *window_s), "window_s": np.asarray(window_s, np.float64)}
    save_npz(output, arrays)
    rate = arrays["rate_hz"]
    click.echo(f"wrote {output} ({node}: {events.batch} samples x {events.units} units, mean rate "
               f"{float(rate.mean()):.4g} Hz)")


def _node_events(path: str, node: str, batch: int | None, units: int | None, latency_steps: int):
    """Spike events of ``node`` from an engine file (``<node>/spikes`` raster + ``dt_s``) or a reference file."""
    import snn_deploy as sd
    from snn_deploy.errors import ModelFormatError
    from snn_deploy.spikes import read_npz

    if "dt_s" not in read_npz(path):
        if batch is None or units is None:
            raise click.UsageError(f"{path} is a reference file (it stores no sizes): give --batch and --units")
        return sd.read_spikes(path, batch, {node: units})[node]
    records = sd.Records.load(path)
    raster = records.spikes.get(node)
    if raster is None or raster.ndim != 3:
        nodes = ", ".join(sorted({key.split("/")[0] for key in records.arrays})) or "none"
        raise ModelFormatError(f"{path}: no [batch, steps, units] '{node}/spikes' (nodes: {nodes})")
    return records.events(node, latency_steps)


COMMANDS: list[click.Command] = [encode_group, decode_command]
