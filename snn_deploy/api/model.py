"""Model files and the exact reference: ``read``, ``write``, ``inspect``, ``simulate``, ``evaluate``,
``train`` (the calls behind ``snn-deploy convert / inspect / simulate / evaluate / train``)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence

from snn_deploy.errors import UnsupportedError
from snn_deploy.ir.graph import Graph
from snn_deploy.spikes import SpikeEvents

_RESET_MODES = ("subtract", "to-value", "to_value")


def read(path: str | Path, reset_mode: str | None = None, spike_step_s: float | None = None) -> Graph:
    """Read a model file (``.nir``, ``.onnx``, lava-dl ``.net``; by extension) into a validated graph.

    ``reset_mode`` (``"subtract"`` or ``"to-value"``): reset every spiking population this way, whatever the
    file says (default: as the file says). ``spike_step_s``: the exporter counted spikes one per step of this
    many seconds (snnTorch, Norse: e.g. ``1e-4``; default: unit-area pulses, as NIR says).
    """
    from snn_deploy.ir.io import load

    if reset_mode is not None and reset_mode not in _RESET_MODES:
        raise UnsupportedError(f"reset_mode: '{reset_mode}' is not one of 'subtract', 'to-value'")
    if spike_step_s is not None and not (isinstance(spike_step_s, (int, float)) and spike_step_s > 0):
        raise UnsupportedError(f"spike_step_s: must be a number of seconds > 0, got {spike_step_s!r}")
    return load(path, reset_mode=reset_mode, spike_step_s=spike_step_s)


def _graph(graph: object, what: str) -> Graph:
    if not isinstance(graph, Graph):
        raise UnsupportedError(f"{what}: expected a snn_deploy graph (snn_deploy.read(path)), got "
                               f"{type(graph).__name__}")
    return graph


def write(graph: Graph, path: str | Path) -> None:
    """Write ``graph`` in the format ``path``'s extension names (``.onnx``, ``.nir``), atomically."""
    from snn_deploy.ir.io import save

    save(_graph(graph, "write"), path)


def inspect(graph: Graph) -> dict[str, Any]:
    """Per node: kind, output shape, neurons, synapses, parameter ranges; and the totals (``snn-deploy inspect``)."""
    from snn_deploy.ir.io.summary import graph_summary

    return graph_summary(_graph(graph, "inspect"))


def simulate(graph: Graph, events: SpikeEvents, *, record: str | Sequence[str] = "outputs",
             t_end_s: float | None = None, threads: int | None = None) -> dict[str, SpikeEvents]:
    """The exact event-driven reference (float64 spike times, no time step): node -> spike events.

    ``record``: ``"outputs"``, ``"all"`` (every population) or node names; ``t_end_s``: simulate up to this
    time (default: until no event is left); ``threads``: samples run in parallel (default
    :func:`snn_deploy.parallel.default_threads`: ``$SNN_DEPLOY_THREADS`` or the CPUs this process may use).
    """
    from snn_deploy.api.deployment import _check_events, _record_choice
    from snn_deploy.reference.simulator import input_units, simulate as reference_simulate

    graph = _graph(graph, "simulate")
    _check_events(events, input_units(graph), "simulate")
    return reference_simulate(graph, events, t_end_s=t_end_s, record=_record_choice(record), threads=threads)


def evaluate(graph: Graph, dataset: str | None = None, *, source: str = "model") -> dict[str, Any]:
    """Train, validation and test accuracy of ``graph`` on ``dataset`` (default: the one in its metadata) in
    the exact reference; the output neuron that fires first is the class (``snn-deploy evaluate``)."""
    from snn_deploy.reference.datasets import DATASETS
    from snn_deploy.reference.evaluation import evaluate as reference_evaluate

    graph = _graph(graph, "evaluate")
    dataset = dataset or graph.metadata.get("dataset")
    if dataset not in DATASETS:
        raise UnsupportedError(f"{source}: no dataset in its metadata; name one ({', '.join(DATASETS)})")
    return reference_evaluate(graph, dataset, source=source)


def train(dataset: str, seed: int = 0, epochs: int | None = None,
          progress: Callable[..., None] | None = None) -> Any:
    """Train the example network for ``dataset`` with exact spike-time gradients (``snn-deploy train``);
    returns the trainer's result (``.graph``, ``.train_accuracy``, ``.validation_accuracy``, ``.seconds``).
    ``progress(epoch, history, network)`` is called after every epoch."""
    from snn_deploy.reference.datasets import DATASETS
    from snn_deploy.reference.trainer import PRESETS, train as reference_train

    if dataset not in PRESETS:
        raise UnsupportedError(f"train: unknown dataset '{dataset}' (known: {', '.join(DATASETS)})")
    config = PRESETS[dataset]
    return reference_train(config, seed, epochs=config.epochs if epochs is None else epochs, progress=progress)
