"""Exact event-driven simulation of an IR graph: spike times in float64, no time step.

Semantics are those of :mod:`snn_deploy.ir.nodes` (NIR's equations driven by Dirac pulses), solved as
in Lee, Haghighatshoar & Karbasi, Algorithm 1: between events every membrane has a closed form and its
next threshold crossing is computed exactly (:mod:`snn_deploy.reference.neuron_ode`); the event loop
(:mod:`snn_deploy.reference.event_loop`) documents the deterministic order of simultaneous events.

Conventions:

* every neuron starts at ``I = 0``, ``v = 0`` at ``t = 0`` (as Lava, Sinabs and snnTorch do);
* input events are given per sample (samples are independent); units of several Input nodes are
  concatenated in graph insertion order;
* results are keyed by population name; ``record="outputs"`` means the populations feeding the
  graph's Output nodes; non-spiking populations (``LI``) record no spikes, use :func:`membrane_traces`;
* ``t_end_s=None`` runs until no event is left (refused when a neuron would fire for ever without input).
"""
from __future__ import annotations

from dataclasses import dataclass
import numpy as np

from snn_deploy.errors import UnsupportedError
from snn_deploy.ir.graph import Graph
from snn_deploy.ir.records import Record, select_records
from snn_deploy.parallel import map_batches
from snn_deploy.reference.event_loop import OK, TOO_MANY_EVENTS, Sample, run_sample
from snn_deploy.reference.network import EventNetwork, lower
from snn_deploy.reference.neuron_ode import BETA, G, I_INF, K0, THETA
from snn_deploy.spikes import SpikeEvents

#: default bound on synaptic events per sample (guards against self-sustained activity without t_end_s)
MAX_EVENTS = 10**8

@dataclass(frozen=True)
class StateTrace:
    """Sub-threshold state of one population at the probe times: ``i`` and ``v`` are ``[batch, times, *shape]``."""

    times_s: np.ndarray
    i: np.ndarray
    v: np.ndarray


def input_units(graph: Graph) -> int:
    """Number of input units: the sizes of the graph's Input nodes, concatenated in insertion order."""
    return sum(int(np.prod(graph.nodes[name].shape, dtype=np.int64)) for name in graph.inputs)


def recorded_populations(graph: Graph, record: Record) -> list[str]:
    """Population names selected by ``record`` (:func:`snn_deploy.ir.records.select_records`), each once.

    An Output node's name selects the population that feeds it.
    """
    populations = graph.populations()
    outputs = {name: graph.sources(name)[0] for name in graph.outputs}
    chosen: list[str] = []
    for key, name in select_records(populations, outputs, record).items():
        if name not in populations:
            raise UnsupportedError(
                f"node '{key}': its source '{name}' is a {graph.nodes[name].kind}, not a population with spikes")
        if name not in chosen:
            chosen.append(name)
    return chosen


def _check_finite_run(network: EventNetwork) -> None:
    """Without ``t_end_s`` every neuron must settle below threshold without input (else it fires for ever)."""
    p = network.params
    k = p[:, K0] + p[:, G] * p[:, I_INF]
    beta = np.where(p[:, BETA] > 0, p[:, BETA], 1.0)
    rest = np.where(p[:, BETA] > 0, k / beta, np.where(k > 0, np.inf, -np.inf))
    blocks = network.blocks
    for b in range(blocks.first.size):
        n, first, offset = int(blocks.size[b]), blocks.first[b], blocks.rest_offset[b]
        rest[first:first + n] = blocks.rests[offset + n:offset + 2 * n]  # NaN: no stable rest
    tonic = network.spiking & ~(rest < p[:, THETA])
    if np.any(tonic):
        first_tonic = int(np.argmax(tonic))
        name = next(n for n, (s, c) in network.offsets.items() if s <= first_tonic < s + c)
        raise UnsupportedError(
            f"node '{name}': a neuron does not settle below threshold without input (it may fire for ever); "
            "pass t_end_s")


def _run(
    graph: Graph, events: SpikeEvents, t_end_s: float | None, record: Record, probe_times_s: np.ndarray,
    max_events: int, threads: int | None,
) -> tuple[EventNetwork, list[str], list[tuple[np.ndarray, np.ndarray]], np.ndarray, np.ndarray]:
    network = lower(graph)
    if events.units != network.n_inputs:
        raise UnsupportedError(f"input events have {events.units} units, the graph's inputs have {network.n_inputs}")
    if t_end_s is None:
        _check_finite_run(network)
        t_end = np.inf
    else:
        t_end = float(t_end_s)
        if not (np.isfinite(t_end) and t_end >= 0):
            raise UnsupportedError(f"t_end_s must be finite and >= 0, got {t_end_s}")
    names = recorded_populations(graph, record)
    recorded = np.zeros(network.params.shape[0], dtype=bool)
    for name in names:
        recorded[network.neuron_slice(name)] = True
    probe_neurons = np.flatnonzero(recorded) if probe_times_s.size else np.zeros(0, dtype=np.int64)
    spikes, probe_i, probe_v = [], [], []

    kernel = network.kernel_network()

    def one_sample(b: int):
        unit, time_s = events.for_sample(b)
        return run_sample(kernel, Sample(unit, time_s, t_end, recorded, probe_times_s, probe_neurons, max_events))

    # samples are independent and run_sample releases the GIL; one sample per call balances unequal samples
    parts = map_batches(lambda s: [one_sample(b) for b in range(s.start, s.stop)], events.batch, threads,
                        samples_per_call=1)
    results = [result for part in parts for result in part]
    for b, (status, neuron, spike_t, p_i, p_v) in enumerate(results):
        if status == TOO_MANY_EVENTS:
            raise UnsupportedError(f"sample {b}: more than {max_events} synaptic events; pass a smaller t_end_s")
        if status != OK:
            raise UnsupportedError(f"sample {b}: endless cascade of zero-delay spikes at one instant")
        spikes.append((neuron, spike_t))
        probe_i.append(p_i)
        probe_v.append(p_v)
    return network, names, spikes, np.array(probe_i), np.array(probe_v)


def simulate(
    graph: Graph, events: SpikeEvents, *, t_end_s: float | None = None, record: Record = "outputs",
    max_events: int = MAX_EVENTS, threads: int | None = None,
) -> dict[str, SpikeEvents]:
    """Exact spike times of the recorded populations for every sample of ``events``.

    Input events after ``t_end_s`` are ignored; spikes are reported for times ``<= t_end_s``. Samples run on
    ``threads`` threads (default :func:`snn_deploy.parallel.default_threads`); the result does not depend on it.
    """
    network, names, spikes, _, _ = _run(graph, events, t_end_s, record, np.zeros(0), max_events, threads)
    result: dict[str, SpikeEvents] = {}
    for name in names:
        start, count = network.offsets[name]
        samples, units, times = [], [], []
        for b, (neuron, time_s) in enumerate(spikes):
            mine = (neuron >= start) & (neuron < start + count)
            samples.append(np.full(int(mine.sum()), b))
            units.append(neuron[mine] - start)
            times.append(time_s[mine])
        result[name] = SpikeEvents(np.concatenate(samples), np.concatenate(units), np.concatenate(times),
                                   events.batch, count)
    return result


def membrane_traces(
    graph: Graph, events: SpikeEvents, times_s: np.ndarray, *, record: Record = "outputs",
    max_events: int = MAX_EVENTS, threads: int | None = None,
) -> dict[str, StateTrace]:
    """Synaptic current and membrane of the recorded populations at ``times_s`` (exact, left limits).

    ``v`` at a spike time is the potential just before the reset (``v_threshold`` for a crossing).
    """
    times = np.sort(np.asarray(times_s, dtype=np.float64).reshape(-1))
    if times.size == 0 or not np.all(np.isfinite(times)) or times[0] < 0:
        raise UnsupportedError("membrane_traces: times_s must be non-empty, finite and >= 0")
    network, names, _, probe_i, probe_v = _run(graph, events, float(times[-1]), record, times, max_events, threads)
    traces: dict[str, StateTrace] = {}
    for name in names:
        start, count = network.offsets[name]
        column = sum(network.offsets[other][1] for other in names if network.offsets[other][0] < start)
        shape = (events.batch, times.size, *network.shapes[name])
        traces[name] = StateTrace(times, probe_i[:, :, column:column + count].reshape(shape),
                                  probe_v[:, :, column:column + count].reshape(shape))
    return traces
