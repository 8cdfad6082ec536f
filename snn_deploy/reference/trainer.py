r"""Training layered CubaLIF networks on spike times with exact gradients, Adam and minibatches.

The network is ``Input -> Dense -> CubaLIF -> ... -> Dense -> CubaLIF(classes) -> Output``, optionally with
skip-layer projections (``TrainConfig.skip``) and heterogeneous neurons (``TrainConfig.neurons``: per-neuron
``tau_mem_s``, ``v_leak`` and ``r`` drawn from the seed at initialisation and kept fixed in every population;
only weights are trained). A sample is classified by the output neuron that fires first
(:mod:`snn_deploy.reference.decoding`). Gradients are the exact ones of
:func:`snn_deploy.reference.gradients.backward` for the training forward pass, whose hidden
neurons stop after ``max_spikes`` spikes (output neurons after their first); the accuracies stored with the
model come from the uncapped pass (:mod:`snn_deploy.reference.evaluation`). The loss is :class:`~snn_deploy.reference.losses.FirstSpikeLoss` plus
:class:`~snn_deploy.reference.losses.SilencePenalty` (the only gradient a silent neuron's weights receive).

Weights are optimised in *normalised* units ``u = W / k`` with ``k = theta / (c * eps_max)``: ``u = 1`` is
one input spike whose post-synaptic potential peaks exactly at the threshold, so learning rates and
initialisations mean the same for every time constant (with heterogeneous neurons, ``k`` is that of the
nominal ``tau_mem_s`` and ``r = 1``). Adam (Kingma & Ba) with bias correction; the
learning rate is multiplied by ``lr_decay`` after every epoch; minibatches are drawn from a seeded
permutation, so the same seed gives the same model bit for bit. The returned model is the one of the epoch
with the best validation accuracy (capped pass, the earliest among equals). The trainer reads the train and
validation splits only (:class:`~snn_deploy.reference.datasets.Dataset`); the model's metadata names the
split of every number it stores, and test accuracy is measured afterwards by ``snn-deploy evaluate``.

Robustness to deployment (``TrainConfig.robust``, a :class:`RobustPhase`): after the main epochs, training
continues from the selected model with a fresh Adam, and every minibatch's forward pass runs with weights
``W = p k (1 + sigma n)``, ``n ~ N(0, 1)`` per weight, and input spike times moved by ``U(-j, j)``, drawn
from a stream seeded by ``[seed, 1]``; the exact gradient of that perturbed network's loss is taken with
respect to the clean parameters (``dL/dp = dL/dW k (1 + sigma n)``), and the model returned is the robust
epoch with the best clean validation accuracy. Why: a chip runs the network on a time grid, so spike times
move by up to a step and every post-synaptic potential is off by a fraction of a percent (and Lava's LIF
resets ``v`` to 0 at the grid step after a crossing inside the step), which costs a noise-free model accuracy
when deployed. The Yin-Yang preset's phase and deployment step are chosen on the validation split by
``scripts/select_yinyang.py`` (:class:`MainPhase` lets it run several robust phases from one main phase).
"""
from __future__ import annotations

import copy
import dataclasses
import math
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from snn_deploy.errors import UnsupportedError
from snn_deploy.ir.graph import Graph
from snn_deploy.ir.nodes import CubaLIF, Dense, Input, Output
from snn_deploy.reference.datasets import Dataset, LatencyEncoding, load
from snn_deploy.reference.decoding import accuracy
from snn_deploy.reference.evaluation import layered_first_spikes
from snn_deploy.reference.gradients import backward
from snn_deploy.reference.layered import LayeredNetwork, first_output_spikes, forward
from snn_deploy.reference.losses import FirstSpikeLoss, SilencePenalty


@dataclass(frozen=True)
class NeuronDraw:
    r"""Per-neuron parameters of the mMND neuron :math:`\tau_m \dot v = a - v + R_m I`, drawn once per seed.

    ``tau_mem_s`` uniformly from ``tau_mem_choices_s`` (a few neuron types: a Loihi 2 population splits into
    one process per distinct decay), ``v_leak`` (``a``) uniform in ``v_leak_range``, ``r`` (``R_m``)
    log-uniform in ``r_range``.
    """

    tau_mem_choices_s: tuple[float, ...]
    v_leak_range: tuple[float, float]
    r_range: tuple[float, float]

    def draw(self, rng: np.random.Generator, size: int) -> dict[str, np.ndarray]:
        """``tau_mem_s``, ``v_leak`` and ``r`` arrays of ``size`` neurons."""
        tau_mem_s = np.asarray(self.tau_mem_choices_s)[rng.integers(0, len(self.tau_mem_choices_s), size)]
        v_leak = rng.uniform(*self.v_leak_range, size)
        r = np.exp(rng.uniform(*np.log(self.r_range), size))
        return {"tau_mem_s": tau_mem_s, "v_leak": v_leak, "r": r}


@dataclass(frozen=True)
class RobustPhase:
    """Fine-tuning for deployment (module docstring): ``epochs`` more epochs from the selected model, a fresh
    Adam at ``learning_rate`` (decayed by the config's ``lr_decay``), forward passes with multiplicative
    Gaussian weight noise of standard deviation ``weight_noise`` and input spike times jittered by
    ``U(-time_jitter_s, time_jitter_s)``."""

    epochs: int
    learning_rate: float
    weight_noise: float
    time_jitter_s: float


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run except the seed (times in seconds)."""

    dataset: str
    hidden: tuple[int, ...]
    tau_syn_s: float
    tau_mem_s: float
    encoding: LatencyEncoding
    loss: FirstSpikeLoss
    epochs: int
    batch_size: int
    learning_rate: float
    lr_decay: float
    init_mean: tuple[float, ...]
    init_std: tuple[float, ...]
    silence: SilencePenalty = SilencePenalty(kappa=1.0)
    v_threshold: float = 1.0
    #: reset to 0 as Loihi 2's LIF does, so the example models deploy there unchanged
    reset_mode: str = "to_value"
    v_reset: float = 0.0
    max_spikes: int = 16
    #: extra projections ``(source, target)``: 0 is the input, ``k`` the ``k``-th population (the last is the
    #: output layer); ``init_mean``/``init_std`` then list every projection grouped by target, the chain first
    skip: tuple[tuple[int, int], ...] = ()
    #: heterogeneous neurons (None: every neuron has ``tau_mem_s``, ``v_leak = 0``, ``r = 1``)
    neurons: NeuronDraw | None = None
    #: largest Euclidean norm of a minibatch's gradient over all normalised weights (None: no clipping)
    max_grad_norm: float | None = None
    #: a fine-tuning phase on perturbed forward passes after the main epochs (module docstring; None: none)
    robust: RobustPhase | None = None
    #: the time step the model is meant to be deployed at, stored as the graph's ``metadata["dt_s"]`` (which
    #: the quantizers use unless ``--dt`` is given); None: the target's own rule
    deploy_dt_s: float | None = None

    def as_metadata(self) -> dict:
        """The hyper-parameters as plain values (the encoding is stored on its own; ``skip``, ``neurons`` and
        ``max_grad_norm``, ``robust`` and ``deploy_dt_s`` only when used, so the models of plain presets keep their
        bytes)."""
        data = dataclasses.asdict(self)
        data.pop("encoding")
        for name in ("skip", "neurons", "max_grad_norm", "robust", "deploy_dt_s"):
            if not data[name]:
                data.pop(name)
        return data

    def projections(self) -> tuple[tuple[int, int], ...]:
        """Every projection ``(source, target)`` grouped by target, the chain's first, then skips by source."""
        layers = len(self.hidden) + 1
        for source, target in self.skip:
            if not 0 <= source < target - 1 < layers:
                raise UnsupportedError(f"skip projection ({source}, {target}): needs 0 <= source < target - 1 "
                                       f"and target <= {layers}")
        return tuple((source, target) for target in range(1, layers + 1)
                     for source in [target - 1, *sorted(s for s, t in self.skip if t == target)])


def _config(dataset: str, hidden: tuple[int, ...], epochs: int, batch_size: int, learning_rate: float,
            init_mean: tuple[float, ...], init_std: tuple[float, ...], lr_decay: float = 1.0) -> TrainConfig:
    tau_syn_s, tau_mem_s = 5e-3, 10e-3
    return TrainConfig(
        dataset=dataset, hidden=hidden, tau_syn_s=tau_syn_s, tau_mem_s=tau_mem_s,
        encoding=LatencyEncoding(t_max_s=2 * tau_syn_s, bias_time_s=0.0),
        loss=FirstSpikeLoss(tau0_s=0.5 * tau_syn_s, tau1_s=6.4 * tau_syn_s, gamma=0.005, t_silent_s=3 * tau_syn_s),
        epochs=epochs, batch_size=batch_size, learning_rate=learning_rate, lr_decay=lr_decay,
        init_mean=init_mean, init_std=init_std,
    )


#: mMND skip-layer network for the spike-order task (examples/mmnd_skip): input -> h1 -> h2 -> out plus
#: input -> h2 and h1 -> out (3 input-to-output paths); two neuron types, tau_m = 10 and 40 ms (each type is
#: one Lava process per population on Loihi 2, and Lava's CPU simulator pays per process); a, R_m per neuron;
#: learning rate and gradient clipping (none): the decision of scripts/select_presets.py on the validation split
#: (examples/models/spikeorder.selection.json; the hand-set clipping to 10 gave 90.2 % against 94.6 %); the other
#: hyper-parameters set by hand on short runs before the dataset had a validation split; epoch chosen on validation
SPIKEORDER = TrainConfig(
    dataset="spikeorder", hidden=(32, 32), tau_syn_s=5e-3, tau_mem_s=20e-3,
    encoding=LatencyEncoding(t_max_s=40e-3, bias_time_s=0.0),
    loss=FirstSpikeLoss(tau0_s=5e-3, tau1_s=80e-3, gamma=0.005, t_silent_s=80e-3),
    epochs=50, batch_size=50, learning_rate=0.01, lr_decay=0.97,
    init_mean=(0.3, 0.2, 0.0, 0.2, 0.0), init_std=(0.3, 0.2, 0.2, 0.2, 0.2),
    skip=((0, 2), (1, 3)),
    neurons=NeuronDraw(tau_mem_choices_s=(10e-3, 40e-3), v_leak_range=(-0.3, 0.3), r_range=(0.7, 1.4)),
)

#: architectures after Lee et al. Tables 1-3 (hidden sizes changed: XOR 16, Yin-Yang 200); hyper-parameters set by
#: hand on short runs before the datasets had validation splits (the split used was not recorded); every epoch
#: choice is made on validation
PRESETS: dict[str, TrainConfig] = {
    "xor": _config("xor", (16,), epochs=300, batch_size=4, learning_rate=0.05,
                   init_mean=(1.0, 0.5), init_std=(0.5, 0.5)),
    "iris": _config("iris", (10,), epochs=300, batch_size=20, learning_rate=0.01,
                    init_mean=(0.2, 0.3), init_std=(0.3, 0.3), lr_decay=0.995),
    # robust phase and deployment step: the decision of scripts/select_yinyang.py on the validation split
    # (examples/models/yinyang.selection.json holds every candidate's numbers; a test checks the two agree)
    "yinyang": dataclasses.replace(
        _config("yinyang", (200,), epochs=80, batch_size=100, learning_rate=0.003,
                init_mean=(0.4, 0.3), init_std=(0.3, 0.3), lr_decay=0.96),
        robust=RobustPhase(epochs=20, learning_rate=1e-3, weight_noise=0.03, time_jitter_s=1e-4),
        deploy_dt_s=2.5e-05),
    "spikeorder": SPIKEORDER,
}


@dataclass
class History:
    """Per epoch: mean minibatch loss, train and validation accuracy after the epoch (capped pass), learning rate."""

    loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    validation_accuracy: list[float] = field(default_factory=list)
    learning_rate: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class TrainResult:
    """The selected model and its train / validation accuracy (uncapped pass); no test number: see module."""

    graph: Graph
    network: LayeredNetwork
    history: History
    train_accuracy: float
    validation_accuracy: float
    seconds: float


def weight_scale(config: TrainConfig) -> float:
    """``k = theta / (c eps_max)``: the weight whose single PSP peaks at the threshold (same for every layer)."""
    alpha, beta = 1.0 / config.tau_syn_s, 1.0 / config.tau_mem_s
    peak_s = math.log(alpha / beta) / (alpha - beta)
    eps_max = math.exp(-beta * peak_s) - math.exp(-alpha * peak_s)
    gain = 1.0 / (config.tau_mem_s - config.tau_syn_s)
    return config.v_threshold / (gain * eps_max)


def build_graph(config: TrainConfig, input_units: int, weights: list[np.ndarray], metadata: dict,
                neurons: list[dict[str, np.ndarray]] | None = None) -> Graph:
    """``input -> fc1 -> lif1 -> ... -> output`` (``fc{k}`` into ``lif{k}``) plus skip projections
    ``skip{s}_{k}`` from population ``s`` (0: the input) into ``lif{k}``; ``weights`` are the ``[out, in]``
    matrices in :meth:`TrainConfig.projections` order, ``neurons`` the per-population heterogeneous
    parameters (:meth:`NeuronDraw.draw`)."""
    nodes: dict = {"input": Input((input_units,))}
    edges: list[tuple[str, str]] = []
    names = ["input"]
    projections = config.projections()
    for index in range(1, len(config.hidden) + 2):
        population = f"lif{index}"
        for (source, target), weight in zip(projections, weights):
            if target != index:
                continue
            dense = f"fc{index}" if source == index - 1 else f"skip{source}_{index}"
            nodes[dense] = Dense(weight=weight)
            edges += [(names[source], dense), (dense, population)]
        size = nodes[f"fc{index}"].out_features
        per_neuron = {"tau_mem_s": config.tau_mem_s} if neurons is None else neurons[index - 1]
        nodes[population] = CubaLIF.create(
            size, tau_syn_s=config.tau_syn_s, v_threshold=config.v_threshold, reset_mode=config.reset_mode,
            v_reset=config.v_reset, **per_neuron)
        names.append(population)
    nodes["output"] = Output((nodes[names[-1]].size,))
    edges.append((names[-1], "output"))
    return Graph(nodes, tuple(edges), metadata).validate()


class _Adam:
    """Adam over a list of arrays (beta1 = 0.9, beta2 = 0.999, eps = 1e-8)."""

    def __init__(self, params: list[np.ndarray]) -> None:
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.step_count = 0

    def step(self, params: list[np.ndarray], grads: list[np.ndarray], learning_rate: float) -> None:
        self.step_count += 1
        c1, c2 = 1 - 0.9 ** self.step_count, 1 - 0.999 ** self.step_count
        for p, g, m, v in zip(params, grads, self.m, self.v):
            m *= 0.9
            m += 0.1 * g
            v *= 0.999
            v += 0.001 * g * g
            p -= learning_rate * (m / c1) / (np.sqrt(v / c2) + 1e-8)


def _silence_terms(spikes, labels: np.ndarray, projections: tuple[tuple[int, int], ...]
                   ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per projection, (source spike counts ``[batch, in]``, target silent mask ``[batch, out]``) for
    :class:`SilencePenalty`: hidden neurons silent on the whole batch; the label neuron where it is silent."""
    sources = [spikes.input_times, *spikes.times[:-1]]
    activity = [np.isfinite(t).sum(axis=2).astype(np.float64) for t in sources]
    masks = [np.broadcast_to((~np.isfinite(t[..., 0])).all(axis=0), t.shape[:2]) for t in spikes.times[:-1]]
    first = spikes.first_spikes()
    label_mask = np.zeros(first.shape, dtype=bool)
    label_mask[np.arange(labels.size), labels] = True
    masks.append(label_mask & ~np.isfinite(first))
    return [(activity[source], masks[target - 1]) for source, target in projections]


def _clipped(grads: list[np.ndarray], max_norm: float | None) -> list[np.ndarray]:
    """``grads`` scaled down to Euclidean norm ``max_norm`` when larger (one norm over every array)."""
    if max_norm is None:
        return grads
    norm = math.sqrt(sum(float(np.sum(g * g)) for g in grads))
    return grads if norm <= max_norm else [g * (max_norm / norm) for g in grads]


def _grouped(weights: list[np.ndarray], projections: tuple[tuple[int, int], ...]) -> list[tuple[np.ndarray, ...]]:
    """Flat per-projection weights -> per layer, in :meth:`TrainConfig.projections` order."""
    layers = max(target for _, target in projections)
    return [tuple(w for w, (_, t) in zip(weights, projections) if t == layer) for layer in range(1, layers + 1)]


class _Epochs:
    """The minibatch loop of one training phase over a dataset (shared by the main and the robust phase)."""

    def __init__(self, config: TrainConfig, data: Dataset, network: LayeredNetwork, rng: np.random.Generator,
                 seed: int, history: History, progress: Callable[[int, History, LayeredNetwork], None] | None) -> None:
        self.config, self.data, self.network, self.rng = config, data, network, rng
        self.train_times = config.encoding.encode(data.train_x)
        self.validation_times = config.encoding.encode(data.validation_x)
        self.noise = np.random.default_rng([seed, 1])  # a stream of its own: noise-free phases draw as before
        self.history, self.progress = history, progress
        self.projections = config.projections()
        self.scale = weight_scale(config)
        self.caps = (config.max_spikes,) * len(config.hidden) + (1,)

    def weights(self, params: list[np.ndarray], gains: list | None = None) -> list[tuple[np.ndarray, ...]]:
        """The layers' weight matrices for normalised ``params`` (times ``gains``, the noise, if given)."""
        gains = gains or [1.0] * len(params)
        return _grouped([p * self.scale * k for p, k in zip(params, gains)], self.projections)

    def run(self, params: list[np.ndarray], epochs: int, learning_rate: float, weight_noise: float = 0.0,
            time_jitter_s: float = 0.0) -> tuple[list[np.ndarray], int]:
        """Adam on ``params`` for ``epochs``; the parameters (and epoch) of the best clean validation accuracy."""
        config, data, n_train = self.config, self.data, self.train_times.shape[0]
        optimizer = _Adam(params)
        best_accuracy, best_epoch, best_params = -1.0, -1, [p.copy() for p in params]
        for epoch in range(epochs):
            order = self.rng.permutation(n_train)
            losses = []
            for first in range(0, n_train, config.batch_size):
                batch = order[first:first + config.batch_size]
                gains = [1 + weight_noise * self.noise.standard_normal(p.shape) if weight_noise else 1.0
                         for p in params]
                network = self.network.with_weights(self.weights(params, gains))
                times = self.train_times[batch]
                if time_jitter_s:
                    times = np.maximum(times + self.noise.uniform(-time_jitter_s, time_jitter_s, times.shape), 0)
                spikes = forward(network, times, self.caps)
                loss, grad_first = config.loss(spikes.first_spikes(), data.train_y[batch])
                adjoint = np.zeros_like(spikes.times[-1])
                adjoint[..., 0] = grad_first
                grads = [g for layer in backward(network, spikes, [None] * len(config.hidden) + [adjoint])
                         for g in layer]
                # chain rule through the noise: d(loss)/d(p) = d(loss)/d(W) * scale * k for W = p * scale * k
                grads = [g * self.scale * k + config.silence.gradient(p, activity, mask)
                         for g, k, p, (activity, mask)
                         in zip(grads, gains, params, _silence_terms(spikes, data.train_y[batch], self.projections))]
                optimizer.step(params, _clipped(grads, config.max_grad_norm), learning_rate)
                losses.append(loss * batch.size)
            network = self.network.with_weights(self.weights(params))
            train_accuracy = accuracy(first_output_spikes(network, self.train_times, self.caps)[0], data.train_y)
            validation_accuracy = accuracy(first_output_spikes(network, self.validation_times, self.caps)[0],
                                           data.validation_y)
            if validation_accuracy > best_accuracy:
                best_accuracy, best_epoch, best_params = validation_accuracy, epoch, [p.copy() for p in params]
            self.history.loss.append(float(np.sum(losses) / n_train))
            self.history.train_accuracy.append(train_accuracy)
            self.history.validation_accuracy.append(validation_accuracy)
            self.history.learning_rate.append(learning_rate)
            learning_rate *= config.lr_decay
            if self.progress is not None:
                self.progress(len(self.history.loss) - 1, self.history, network)
        return best_params, best_epoch


#: how the trainer picks the returned epoch (stored in the model's metadata)
SELECTION_RULE = "the epoch with the best validation accuracy (training forward pass), the earliest among equals"


@dataclass
class MainPhase:
    """A run after its main epochs (:func:`main_phase`); :meth:`finish` adds a robust phase (or none) and builds
    the model. ``finish`` works on copies of the random streams and the history, so several phases can be
    finished from one main phase, each giving the model that :func:`train` gives for that phase."""

    config: TrainConfig
    seed: int
    epochs: int
    data: Dataset
    loop: _Epochs
    params: list[np.ndarray]
    best_epoch: int
    neurons: list[dict[str, np.ndarray]] | None
    seconds: float

    def finish(self, robust: RobustPhase | None, deploy_dt_s: float | None = None,
               progress: Callable[[int, History, LayeredNetwork], None] | None = None) -> TrainResult:
        """The model after ``robust`` (None: the main phase's selected model), measured on train and validation,
        its metadata naming ``deploy_dt_s`` (:attr:`TrainConfig.deploy_dt_s`)."""
        start = time.perf_counter()
        config = dataclasses.replace(self.config, robust=robust, deploy_dt_s=deploy_dt_s)
        loop = copy.copy(self.loop)
        loop.config, loop.progress = config, progress or self.loop.progress
        loop.rng, loop.noise, loop.history = copy.deepcopy((self.loop.rng, self.loop.noise, self.loop.history))
        params, best_epoch = [p.copy() for p in self.params], self.best_epoch
        if robust is not None:
            params, robust_epoch = loop.run(params, robust.epochs, robust.learning_rate, robust.weight_noise,
                                            robust.time_jitter_s)
            best_epoch = self.epochs + robust_epoch
        network = loop.network.with_weights(loop.weights(params))
        train_accuracy = accuracy(layered_first_spikes(network, loop.train_times), self.data.train_y)
        validation_accuracy = accuracy(layered_first_spikes(network, loop.validation_times), self.data.validation_y)
        metadata = {
            "dataset": config.dataset, "seed": int(self.seed), "epochs": self.epochs,
            "selected_epoch": best_epoch + 1, "selection": SELECTION_RULE, "splits": dict(self.data.splits),
            "encoding": config.encoding.as_metadata(), "hyperparameters": config.as_metadata(),
            "train_accuracy": train_accuracy, "validation_accuracy": validation_accuracy,
            "trainer": "snn_deploy.reference.trainer",
        }
        if config.deploy_dt_s is not None:
            metadata["dt_s"] = config.deploy_dt_s
        graph = build_graph(config, loop.train_times.shape[1], [p * loop.scale for p in params], metadata,
                            self.neurons)
        return TrainResult(graph, network, loop.history, train_accuracy, validation_accuracy,
                           self.seconds + time.perf_counter() - start)


def main_phase(config: TrainConfig, seed: int, epochs: int | None = None,
               progress: Callable[[int, History, LayeredNetwork], None] | None = None,
               dataset: Dataset | None = None) -> MainPhase:
    """Initialise ``config`` from ``seed`` and run its main epochs (``epochs`` overrides the config's)."""
    start = time.perf_counter()
    epochs = config.epochs if epochs is None else int(epochs)
    data = load(config.dataset) if dataset is None else dataset
    sizes = [config.encoding.units(data.features), *config.hidden, data.classes]
    projections = config.projections()
    if len(config.init_mean) != len(projections) or len(config.init_std) != len(projections):
        raise UnsupportedError(f"train {config.dataset}: init_mean and init_std need one value per projection "
                               f"({len(projections)})")
    rng = np.random.default_rng(seed)
    scale = weight_scale(config)
    params = [rng.normal(mean, std, (sizes[target], sizes[source]))
              for (source, target), mean, std in zip(projections, config.init_mean, config.init_std)]
    neurons = None if config.neurons is None else [config.neurons.draw(rng, size) for size in sizes[1:]]
    template = build_graph(config, sizes[0], [p * scale for p in params], {}, neurons)
    loop = _Epochs(config, data, LayeredNetwork.from_graph(template), rng, seed, History(), progress)
    params, best_epoch = loop.run(params, epochs, config.learning_rate)
    return MainPhase(config, int(seed), epochs, data, loop, params, best_epoch, neurons,
                     time.perf_counter() - start)


def train(config: TrainConfig, seed: int, epochs: int | None = None,
          progress: Callable[[int, History, LayeredNetwork], None] | None = None,
          dataset: Dataset | None = None) -> TrainResult:
    """Train ``config`` from ``seed`` (then its robust phase, if any); ``progress(epoch, history, network)`` is
    called after every epoch of both phases."""
    return main_phase(config, seed, epochs, progress, dataset).finish(config.robust, config.deploy_dt_s)
