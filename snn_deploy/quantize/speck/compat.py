r"""Speck compatibility: which IR graphs Speck can run, as which chain of layers, on which cores.

A Speck layer is ``weight projection (Conv2d | Dense) -> IAF population -> sum pooling`` (see
:mod:`snn_deploy.quantize.speck.spec`). :func:`check_compatibility` walks the IR graph, groups its nodes into
such layers, folds the population's input gain into the weights and returns a
:class:`CompatibilityReport` that lists every rule a node breaks (naming node, rule and numbers) and, when
nothing is broken, the layers with their float parameters and a core for each.

IR -> IAF layer (float, before quantization), per output channel ``c``, time step ``dt``:

* ``IF`` (:math:`\dot v = r S`): a pulse of weight ``w`` makes ``v`` jump by ``r w``, so the layer's weight
  is ``w r_c``; a projection bias ``b`` is a constant input, :math:`\dot v = r b`, so the per-step bias is
  ``r_c b dt``.
* ``LIF`` / ``CubaLIF`` with ``tau_syn_s = 0``, only with ``allow_leak_removal`` (recorded in the report):
  dropping ``-v / tau_mem`` leaves :math:`\dot v = (v_{leak} + g (W S + b)) / \tau_{mem}` with
  ``g = r`` (LIF) or ``g = r w_in`` (CubaLIF), so the weight is ``w g_c / tau_mem_c`` and the per-step bias
  ``(v_leak_c + g_c b) dt / tau_mem_c``.
* ``AvgPool2d(k)`` before a layer becomes sum pooling with that layer's weights times ``1 / k^2``.
* Thresholds may differ between output channels (not within one): Speck has one threshold per layer, so
  channel ``c``'s weights and bias are divided by :math:`\theta_c` and the threshold is 1 (the IAF is linear
  in ``v``: the same spikes; ``v`` is then in units of each channel's threshold). Recorded in the report.

Spike rule: the IR fires when ``v > v_threshold``, sinabs's MultiSpike when ``v >= threshold``; the two differ
only when ``v`` lands exactly on the threshold. The low bound ``min_v_mem`` is the population's
``metadata["v_min"]`` (IR units) when given, else the bottom of the 16-bit state (the IR has no bound).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from snn_deploy.errors import UnsupportedError
from snn_deploy.ir.graph import Graph
from snn_deploy.ir.nodes import (
    IF, LIF, AvgPool2d, Conv2d, CubaLIF, Dense, Flatten, Output, Population, SumPool2d,
)
from snn_deploy.quantize.speck.deployment import LayerGeometry, Shape3, pooled_hw
from snn_deploy.quantize.speck.spec import SPECK, LayerMemory, SpeckSpec


@dataclass(frozen=True, eq=False, kw_only=True)
class LayerPlan(LayerGeometry):
    """One Speck layer in float, before quantization (a Dense is a conv over its whole input)."""

    bias_per_step: np.ndarray
    threshold: float
    v_min: float | None
    reset: str  # "subtract" | "to_zero"

    @property
    def memory(self) -> LayerMemory:
        """Memory this layer needs (``DynapcnnLayer.memory_summary``; a bias only when one is non-zero)."""
        return SpeckSpec.layer_memory(self.weight.shape, self.neuron_shape, bool(np.any(self.bias_per_step != 0)))


@dataclass
class CompatibilityReport:
    """What :func:`check_compatibility` found: broken rules, notes (e.g. leaks removed), layers and cores."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    layers: list[LayerPlan] = field(default_factory=list)
    cores: dict[str, int] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    input_shape: Shape3 | None = None
    spec: SpeckSpec = SPECK  #: the spec the rules were checked against

    @property
    def ok(self) -> bool:
        return not self.problems

    def raise_if_unsupported(self) -> None:
        """Raise :class:`UnsupportedError` with the first problem (one line) when there is any."""
        if self.problems:
            more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
            raise UnsupportedError(f"speck: {self.problems[0]}{more}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.spec.name,
            "compatible": self.ok,
            "problems": list(self.problems),
            "notes": list(self.notes),
            "input_shape": list(self.input_shape) if self.input_shape else None,
            "outputs": dict(self.outputs),
            "layers": [
                {
                    "population": p.population, "projection": p.projection, "kind": p.kind,
                    "in_shape": list(p.in_shape), "kernel_shape": list(p.weight.shape),
                    "neuron_shape": list(p.neuron_shape), "pool": p.pool, "core": self.cores.get(p.population),
                    "memory": {"kernel": p.memory.kernel, "neuron": p.memory.neuron, "bias": p.memory.bias},
                    "core_memory": _core_dict(self.spec, self.cores.get(p.population)),
                }
                for p in self.layers
            ],
        }

    def text(self) -> str:
        lines = [f"speck compatibility: {'ok' if self.ok else 'NOT compatible'}"]
        lines += [f"  problem: {p}" for p in self.problems]
        lines += [f"  note: {n}" for n in self.notes]
        for p in self.layers:
            m = p.memory
            lines.append(
                f"  layer '{p.population}' ({p.kind} '{p.projection}', kernel {list(p.weight.shape)}, neurons "
                f"{list(p.neuron_shape)}, pool {p.pool}) -> core {self.cores.get(p.population, '-')} "
                f"[kernel {m.kernel}, neuron {m.neuron}, bias {m.bias}]"
            )
        return "\n".join(lines)


def _core_dict(spec: SpeckSpec, core: int | None) -> dict[str, int] | None:
    if core is None:
        return None
    c = spec.cores[core]
    return {"kernel": c.kernel, "neuron": c.neuron, "bias": c.bias}


# --------------------------------------------------------------------------------------------------
# population -> IAF gain
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Neuron:
    gain: np.ndarray          # v jump per unit weight, per neuron
    drive_per_s: np.ndarray   # constant dv/dt besides the bias, per neuron
    note: str | None


def _iaf_view(name: str, pop: Population, allow_leak_removal: bool, problems: list[str]) -> _Neuron | None:
    """The population as an IAF: input gain and constant drive (module docstring), or None with a problem."""
    if isinstance(pop, IF):
        return _Neuron(pop.r, np.zeros(pop.shape), None)
    if isinstance(pop, CubaLIF) and np.any(pop.tau_syn_s > 0):
        problems.append(f"node '{name}': uses a synaptic current (tau_syn_s up to {pop.tau_syn_s.max():g} s); "
                        "Speck neurons have none")
        return None
    if isinstance(pop, (LIF, CubaLIF)):
        tau = pop.tau_mem_s
        if not allow_leak_removal:
            problems.append(f"node '{name}': {pop.kind} leaks (tau_mem_s from {tau.min():g} s); Speck neurons are "
                            "IAF (pass --allow-leak-removal to drop the leak)")
            return None
        gain = pop.r * (pop.w_in if isinstance(pop, CubaLIF) else 1.0) / tau
        note = f"node '{name}': {pop.kind} leak removed (tau_mem_s {tau.min():g}..{tau.max():g} s) to run as IAF"
        return _Neuron(gain, pop.v_leak / tau, note)
    problems.append(f"node '{name}': {pop.kind} is not supported; Speck neurons are IAF"
                    + (" (coupling between neurons)" if pop.kind == "CoupledLIF" else ""))
    return None


def _per_channel(name: str, param: str, values: np.ndarray, channels: int, problems: list[str]) -> np.ndarray:
    """One value per output channel; a problem when a channel's neurons disagree (conv weights are shared)."""
    rows = np.asarray(values, dtype=np.float64).reshape(channels, -1)
    if np.any(rows != rows[:, :1]):
        problems.append(f"node '{name}': '{param}' differs within an output channel; Speck shares it per channel")
    return rows[:, 0].copy()


# --------------------------------------------------------------------------------------------------
# graph walk
# --------------------------------------------------------------------------------------------------
def _chain(graph: Graph, problems: list[str]) -> list[str] | None:
    """The nodes from the Input to the Output when the graph is one chain, else None with problems."""
    for source, target in sorted(graph.recurrent_edges()):
        problems.append(f"edge '{source}' -> '{target}' is recurrent; Speck layers are feed-forward")
    forward = graph.feedforward_edges()
    for name in graph.nodes:
        sources = [s for s, t in forward if t == name]
        targets = [t for s, t in forward if s == name]
        if len(sources) > 1:
            problems.append(f"node '{name}' sums {len(sources)} sources (skip or merge edges from "
                            f"{', '.join(sources)}); supported here: one chain of layers")
        if len(targets) > 1:
            problems.append(f"node '{name}' feeds {len(targets)} nodes ({', '.join(targets)}); supported here: "
                            "one chain of layers")
    if len(graph.inputs) != 1 or len(graph.outputs) != 1:
        problems.append(f"graph has {len(graph.inputs)} inputs and {len(graph.outputs)} outputs; supported: one each")
    if problems:
        return None
    chain = [graph.inputs[0]]
    while graph.targets(chain[-1]):
        chain.append(graph.targets(chain[-1])[0])
    return chain


def _input_shape(name: str, shape: tuple[int, ...], problems: list[str]) -> Shape3 | None:
    if len(shape) == 3:
        return tuple(shape)  # type: ignore[return-value]
    if len(shape) == 1:
        return (shape[0], 1, 1)
    problems.append(f"node '{name}': input shape {shape}; Speck takes [C, H, W] or [N] inputs")
    return None


def _check_conv(name: str, node: Conv2d, problems: list[str], spec: SpeckSpec) -> None:
    kh, kw = node.weight.shape[2:]
    if kh != kw:
        problems.append(f"node '{name}': kernel {kh}x{kw} is not square")
    if max(kh, kw) > spec.max_kernel_size:
        problems.append(f"node '{name}': kernel {kh}x{kw} exceeds {spec.max_kernel_size}x{spec.max_kernel_size}")
    if node.groups != 1:
        problems.append(f"node '{name}': groups={node.groups}; Speck convolutions are dense (groups=1)")
    if node.dilation != (1, 1):
        problems.append(f"node '{name}': dilation {node.dilation}; Speck has none")
    if any(s not in spec.strides for s in node.stride):
        problems.append(f"node '{name}': stride {node.stride}; Speck strides are {spec.strides}")


def _pool_size(name: str, node: SumPool2d, problems: list[str], spec: SpeckSpec) -> int:
    k = node.kernel_size
    if k[0] != k[1] or node.stride != k or node.padding != (0, 0) or k[0] not in spec.pool_sizes:
        problems.append(f"node '{name}': {node.kind} kernel {k}, stride {node.stride}, padding {node.padding}; "
                        f"Speck pools square windows of {spec.pool_sizes} with stride = kernel and no padding")
    return k[0]


def check_compatibility(graph: Graph, dt_s: float, allow_leak_removal: bool = False,
                        spec: SpeckSpec = SPECK) -> CompatibilityReport:
    """Check ``graph`` against Speck's rules and plan its layers and cores (see the module docstring).

    Never raises for an unsupported graph (only :class:`GraphValidationError` for an invalid one): the
    report lists the problems; :meth:`CompatibilityReport.raise_if_unsupported` turns them into an error.
    """
    graph.validate()
    report = CompatibilityReport(spec=spec)
    chain = _chain(graph, report.problems)
    if chain is None:
        for name, pop in graph.populations().items():
            _iaf_view(name, pop, allow_leak_removal, report.problems)
        return report
    report.input_shape = _input_shape(chain[0], graph.shapes()[chain[0]], report.problems)
    walk = _Walk(report, dt_s, allow_leak_removal, report.input_shape)
    for name in chain[1:]:
        if walk.feature is None or not walk.step(name, graph.nodes[name]):
            break
    _plan_cores(report)
    return report


def _plan_cores(report: CompatibilityReport) -> None:
    """Give every layer of a report without problems its core (:func:`map_cores`), else add the problem."""
    spec = report.spec
    if len(report.layers) > len(spec.cores):
        report.problems.append(f"network has {len(report.layers)} layers; Speck has {len(spec.cores)} cores")
    if not report.problems:
        try:
            report.cores = map_cores(report.layers, spec)
        except UnsupportedError as exc:
            report.problems.append(str(exc))


@dataclass
class _Walk:
    """The walk down the chain of nodes, one node at a time, adding layers (or problems) to ``report``.

    ``feature`` is the ``[C, H, W]`` map the next projection reads, ``pending`` the projection waiting for its
    population, ``pool`` / ``pool_scale`` the pooling since the last population (applied to the layer before).
    """

    report: CompatibilityReport
    dt_s: float
    allow_leak_removal: bool
    feature: Shape3 | None
    pending: dict[str, Any] = field(default_factory=dict)
    pool: int = 1
    pool_scale: float = 1.0
    last_pop: str | None = None

    def step(self, name: str, node: Any) -> bool:
        """Take ``node`` into the plan; False when the walk cannot go on (a problem says why)."""
        if isinstance(node, (Conv2d, Dense)):
            return self._projection(name, node)
        if isinstance(node, Population):
            return self._population(name, node)
        if isinstance(node, SumPool2d):  # and AvgPool2d
            self._pooling(name, node)
        elif isinstance(node, Output):
            self._output(name)
        elif not isinstance(node, Flatten):
            self.report.problems.append(f"node '{name}': {node.kind} is not supported on Speck"
                                        + (" (axonal delays)" if node.kind == "Delay" else ""))
            return False
        return True

    def _projection(self, name: str, node: Conv2d | Dense) -> bool:
        problems = self.report.problems
        if self.pending:
            problems.append(f"node '{name}' follows projection '{self.pending['name']}' with no neurons between")
            return False
        if self.report.layers:
            self.report.layers[-1] = replace(self.report.layers[-1], pool=self.pool)
        elif self.pool != 1:
            problems.append(f"node '{name}': pooling the input needs Speck's DVS layer; not supported")
        self.pending = _projection(name, node, self.feature, self.pool_scale, problems, self.report.spec)
        self.pool, self.pool_scale = 1, 1.0
        return True

    def _population(self, name: str, node: Population) -> bool:
        if not self.pending:
            self.report.problems.append(f"node '{name}': population without a weight projection before it")
            return False
        plan = _population(name, node, self.pending, self.allow_leak_removal, self.dt_s, self.report)
        if plan is None:
            return False
        self.report.layers.append(plan)
        self.feature, self.last_pop, self.pending = plan.neuron_shape, name, {}
        return True

    def _pooling(self, name: str, node: SumPool2d) -> None:
        k = _pool_size(name, node, self.report.problems, self.report.spec)
        self.pool *= k
        self.pool_scale /= k * k if isinstance(node, AvgPool2d) else 1
        self.feature = (self.feature[0], *pooled_hw(self.feature[1:], k))

    def _output(self, name: str) -> None:
        problems = self.report.problems
        if self.pool != 1:
            problems.append(f"node '{name}': pooling between the last population and the output is not supported")
        if self.last_pop is None or self.pending:
            problems.append(f"node '{name}': the output must follow a population")
        else:
            self.report.outputs[name] = self.last_pop


def _projection(name: str, node: Conv2d | Dense, feature: Shape3, pool_scale: float, problems: list[str],
                spec: SpeckSpec) -> dict[str, Any]:
    """The projection as a conv kernel ``[f, c, kh, kw]`` over ``feature``, with bias and geometry."""
    if isinstance(node, Conv2d):
        _check_conv(name, node, problems, spec)
        weight, stride, padding, kind = node.weight, node.stride, node.padding, "conv"
    else:
        c, h, w = feature
        if node.delay_s is not None and np.any(node.delay_s > 0):
            problems.append(f"node '{name}': synaptic delays (up to {node.delay_s.max():g} s); Speck has none")
        if h != w:
            problems.append(f"node '{name}': a Dense over [C, H, W] = {list(feature)} becomes a {h}x{w} kernel; "
                            "Speck kernels are square")
        if h > spec.max_kernel_size:
            problems.append(f"node '{name}': a Dense over [C, H, W] = {list(feature)} becomes a {h}x{w} kernel, "
                            f"over {spec.max_kernel_size}x{spec.max_kernel_size}")
        weight, stride, padding, kind = node.weight.reshape(node.out_features, c, h, w), (1, 1), (0, 0), "linear"
    if weight.shape[0] > spec.max_features:
        problems.append(f"node '{name}': {weight.shape[0]} output features; Speck allows {spec.max_features}")
    bias = node.bias if node.bias is not None else np.zeros(weight.shape[0])
    return {"name": name, "kind": kind, "in_shape": feature, "weight": weight * pool_scale, "bias": bias,
            "stride": stride, "padding": padding}


def _population(name: str, pop: Population, proj: dict[str, Any], allow_leak_removal: bool, dt_s: float,
                report: CompatibilityReport) -> LayerPlan | None:
    problems = report.problems
    neuron = _iaf_view(name, pop, allow_leak_removal, problems)
    if neuron is None:
        return None
    if neuron.note:
        report.notes.append(neuron.note)
    f = proj["weight"].shape[0]
    gain = _per_channel(name, "input gain", neuron.gain, f, problems)
    drive = _per_channel(name, "v_leak", neuron.drive_per_s, f, problems)
    thresholds = _per_channel(name, "v_threshold", pop.v_threshold, f, problems)
    if np.any(thresholds <= 0):
        problems.append(f"node '{name}': v_threshold {thresholds.min():g} must be > 0 on Speck")
        return None
    reset = "subtract" if pop.reset_mode == "subtract" else "to_zero"
    if reset == "to_zero" and np.any(pop.v_reset != 0):
        problems.append(f"node '{name}': resets to v_reset up to {np.abs(pop.v_reset).max():g}; Speck resets to 0")
    v_min = pop.metadata.get("v_min")
    threshold, unit = float(thresholds[0]), np.ones(f)
    if np.any(thresholds != threshold):
        # one threshold per layer: measure each channel's v in units of its own threshold (exact for IAF)
        if v_min is not None:
            problems.append(f"node '{name}': 'v_threshold' differs between channels and 'v_min' is set; Speck has "
                            "one threshold and one low bound per layer")
        report.notes.append(f"node '{name}': thresholds {thresholds.min():g}..{thresholds.max():g} differ per "
                            "channel; each channel's weights and bias are divided by its threshold (threshold 1)")
        threshold, unit = 1.0, 1.0 / thresholds
    return LayerPlan(
        population=name, projection=proj["name"], kind=proj["kind"], in_shape=proj["in_shape"],
        weight=proj["weight"] * (gain * unit)[:, None, None, None],
        bias_per_step=(proj["bias"] * gain + drive) * unit * dt_s,
        stride=proj["stride"], padding=proj["padding"], threshold=threshold,
        v_min=None if v_min is None else float(v_min), reset=reset, pool=1,
    )


# --------------------------------------------------------------------------------------------------
# cores
# --------------------------------------------------------------------------------------------------
def map_cores(layers: list[LayerPlan], spec: SpeckSpec = SPECK) -> dict[str, int]:
    """Assign each layer a distinct core whose memories hold it (bipartite matching by augmenting paths).

    Raises :class:`UnsupportedError` naming the layer and the core memory it exceeds when it fits no core,
    or the layers that compete for too few cores.
    """
    fits = {}
    for plan in layers:
        fits[plan.population] = [i for i, core in enumerate(spec.cores) if plan.memory.fits(core)]
        if not fits[plan.population]:
            best = min(range(len(spec.cores)), key=lambda i: (plan.memory.overshoot(spec.cores[i]), i))
            raise UnsupportedError(
                f"layer '{plan.population}' fits no core: needs kernel {plan.memory.kernel}, neuron "
                f"{plan.memory.neuron}, bias {plan.memory.bias} entries; even the closest, core {best}, is short: "
                f"{', '.join(plan.memory.excess(spec.cores[best]))}"
            )
    owner: dict[int, str] = {}

    def augment(layer: str, seen: set[int]) -> bool:
        for core in fits[layer]:
            if core not in seen:
                seen.add(core)
                if core not in owner or augment(owner[core], seen):
                    owner[core] = layer
                    return True
        return False

    for plan in layers:
        if not augment(plan.population, set()):
            rivals = sorted({l for l, cs in fits.items() if set(cs) & set(fits[plan.population])})
            raise UnsupportedError(
                f"layers {', '.join(repr(r) for r in rivals)} compete for cores "
                f"{sorted(set().union(*(fits[r] for r in rivals)))}; too few cores have the memory they need"
            )
    core_of = {layer: core for core, layer in owner.items()}
    return {plan.population: core_of[plan.population] for plan in layers}
