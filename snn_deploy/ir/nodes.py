r"""IR primitives: one frozen dataclass per neuron population or projection.

Time is continuous and in seconds, as in NIR. Every parameter array of a population has the
population's full shape (one value per neuron); :meth:`Population.create` broadcasts scalars.

Semantics (NIR's equations; inputs to a node from several edges are summed)
--------------------------------------------------------------------------
A projection maps its input (spikes, a sum of Dirac pulses ``S(t) = sum_k delta(t - t_k)`` per unit)
linearly: ``Dense`` gives ``W S + b``. A population integrates what arrives:

* ``CubaLIF``: ``tau_syn dI/dt = -I + w_in S``, ``tau_mem dv/dt = (v_leak - v) + r I``.
  An input pulse of weight ``w`` makes ``I`` jump by ``w_in w / tau_syn``. ``tau_syn_s = 0`` is the
  delta-synapse limit: ``v`` jumps by ``r w_in w / tau_mem``.
* ``LIF``: ``tau_mem dv/dt = (v_leak - v) + r S`` (a pulse of weight ``w`` makes ``v`` jump by
  ``r w / tau_mem``).
* ``IF``: ``dv/dt = r S`` (a pulse makes ``v`` jump by ``r w``).
* ``LI``: ``tau_mem dv/dt = (v_leak - v) + r S``; never spikes (read-out).
* ``CubaLI``: ``tau_syn dI/dt = -I + w_in S``, ``tau_mem dv/dt = (v_leak - v) + r I``; a CubaLIF that
  never spikes (read-out).
* ``CoupledLIF``: ``CubaLIF`` plus ``dv_k/dt += sum_{j != k} lambda_kj v_j`` (scSNN self connections,
  BSNN dynamics matrix).

Spiking populations fire when ``v > v_threshold`` (strict) and then reset: ``subtract`` sets
``v <- v - v_threshold``, ``to_value`` sets ``v <- v_reset``.

Mapping to the kernel form of Lee, Haghighatshoar & Karbasi ("Exact Gradient Computation for SNNs
Through Forward Propagation"): synaptic kernel ``e^{-alpha t}`` and membrane kernel ``e^{-beta t}`` are
``alpha = 1/tau_syn_s`` and ``beta = 1/tau_mem_s``; a pulse of weight ``w`` adds to the membrane
``r w_in w / (tau_syn tau_mem) (e^{-beta t} - e^{-alpha t}) / (alpha - beta)`` (``alpha != beta``) or
``r w_in w / (tau_syn tau_mem) t e^{-alpha t}`` (``alpha == beta``), with ``v_leak = 0``.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Mapping

import numpy as np

ResetMode = Literal["subtract", "to_value"]
RESET_MODES: tuple[str, ...] = ("subtract", "to_value")

Shape = tuple[int, ...]


def _as_array(value: Any, shape: Shape | None = None) -> np.ndarray:
    """Return ``value`` as a read-only float64 array, broadcast to ``shape`` when given."""
    array = np.asarray(value, dtype=np.float64)
    if shape is not None:
        array = np.broadcast_to(array, shape)
    array = np.array(array, dtype=np.float64, copy=True)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class Node:
    """Base of every IR node. ``metadata`` holds provenance (e.g. netx integers) and is kept by all formats."""

    metadata: Mapping[str, Any] = field(default_factory=dict, kw_only=True)

    #: names of the array-valued fields, in declaration order (filled by subclasses)
    array_fields: ClassVar[tuple[str, ...]] = ()

    def arrays(self) -> dict[str, np.ndarray]:
        """The node's parameter arrays by field name (``None`` optionals left out)."""
        return {name: getattr(self, name) for name in self.array_fields if getattr(self, name) is not None}

    def replace(self, **changes: Any) -> "Node":
        """A copy with some fields changed (arrays are re-frozen by ``__post_init__``)."""
        return dataclasses.replace(self, **changes)

    @property
    def kind(self) -> str:
        return type(self).__name__


# --------------------------------------------------------------------------------------------------
# Graph terminals
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Input(Node):
    """A graph input: spike events on ``prod(shape)`` units (C, H, W order for images)."""

    shape: Shape

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", tuple(int(s) for s in self.shape))


@dataclass(frozen=True, eq=False)
class Output(Node):
    """A graph output: records what its single source emits."""

    shape: Shape

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", tuple(int(s) for s in self.shape))


# --------------------------------------------------------------------------------------------------
# Populations
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Population(Node):
    """A group of neurons; every array field has the population shape."""

    spiking: ClassVar[bool] = True

    @property
    def shape(self) -> Shape:
        first = self.array_fields[0]
        return tuple(getattr(self, first).shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def __post_init__(self) -> None:
        shape = np.shape(getattr(self, self.array_fields[0]))
        for name in self.array_fields:
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, _as_array(value, shape if name != "coupling" else None))
        reset_mode = getattr(self, "reset_mode", None)
        if reset_mode is not None and reset_mode not in RESET_MODES:
            from snn_deploy.errors import GraphValidationError

            raise GraphValidationError(f"reset_mode must be one of {RESET_MODES}, got {reset_mode!r}")

    @classmethod
    def create(cls, shape: int | Shape, **params: Any) -> "Population":
        """Build a population of ``shape`` neurons, broadcasting scalar parameters to it."""
        shape = (int(shape),) if np.isscalar(shape) else tuple(int(s) for s in shape)
        kwargs = {}
        for name, value in params.items():
            if name in cls.array_fields and name != "coupling":
                kwargs[name] = _as_array(value, shape)
            else:
                kwargs[name] = value
        for name in cls.array_fields:
            if name not in kwargs and name in _DEFAULTS:
                kwargs[name] = _as_array(_DEFAULTS[name], shape)
        return cls(**kwargs)


_DEFAULTS: dict[str, float] = {"r": 1.0, "v_leak": 0.0, "v_reset": 0.0, "w_in": 1.0}


@dataclass(frozen=True, eq=False)
class CubaLIF(Population):
    r"""Current-based LIF: :math:`\tau_{syn}\dot I = -I + w_{in} S`, :math:`\tau_{mem}\dot v = (v_{leak}-v) + r I`.

    Spike when :math:`v > v_{threshold}`; reset by ``reset_mode``. ``tau_syn_s = 0``: delta synapse.
    """

    tau_syn_s: np.ndarray
    tau_mem_s: np.ndarray
    v_threshold: np.ndarray
    v_leak: np.ndarray
    r: np.ndarray
    v_reset: np.ndarray
    w_in: np.ndarray
    reset_mode: ResetMode = "subtract"

    array_fields: ClassVar[tuple[str, ...]] = (
        "tau_syn_s", "tau_mem_s", "v_threshold", "v_leak", "r", "v_reset", "w_in",
    )


@dataclass(frozen=True, eq=False)
class LIF(Population):
    r"""Leaky integrate-and-fire: :math:`\tau_{mem}\dot v = (v_{leak} - v) + r S`; spike when :math:`v > v_{threshold}`."""

    tau_mem_s: np.ndarray
    v_threshold: np.ndarray
    v_leak: np.ndarray
    r: np.ndarray
    v_reset: np.ndarray
    reset_mode: ResetMode = "subtract"

    array_fields: ClassVar[tuple[str, ...]] = ("tau_mem_s", "v_threshold", "v_leak", "r", "v_reset")


@dataclass(frozen=True, eq=False)
class IF(Population):
    r"""Integrate-and-fire: :math:`\dot v = r S`; spike when :math:`v > v_{threshold}`."""

    v_threshold: np.ndarray
    r: np.ndarray
    v_reset: np.ndarray
    reset_mode: ResetMode = "subtract"

    array_fields: ClassVar[tuple[str, ...]] = ("v_threshold", "r", "v_reset")


@dataclass(frozen=True, eq=False)
class LI(Population):
    r"""Leaky integrator read-out (never spikes): :math:`\tau_{mem}\dot v = (v_{leak} - v) + r S`."""

    tau_mem_s: np.ndarray
    v_leak: np.ndarray
    r: np.ndarray

    spiking: ClassVar[bool] = False
    array_fields: ClassVar[tuple[str, ...]] = ("tau_mem_s", "v_leak", "r")


@dataclass(frozen=True, eq=False)
class CubaLI(Population):
    r"""Current-based leaky integrator: :math:`\tau_{syn}\dot I = -I + w_{in} S`, :math:`\tau_{mem}\dot v = v_{leak}-v + r I`.

    A read-out that never spikes (NIR's ``CubaLI``). ``tau_syn_s = 0``: delta synapse, as :class:`CubaLIF`.
    """

    tau_syn_s: np.ndarray
    tau_mem_s: np.ndarray
    v_leak: np.ndarray
    r: np.ndarray
    w_in: np.ndarray

    spiking: ClassVar[bool] = False
    array_fields: ClassVar[tuple[str, ...]] = ("tau_syn_s", "tau_mem_s", "v_leak", "r", "w_in")


@dataclass(frozen=True, eq=False)
class CoupledLIF(Population):
    r"""CubaLIF with membrane coupling :math:`\Lambda` (1-D populations only).

    :math:`\tau_{syn}\dot I = -I + w_{in} S`,
    :math:`\dot v_k = ((v_{leak,k} - v_k) + r_k I_k)/\tau_{mem,k} + \sum_{j\ne k}\lambda_{kj} v_j`.
    ``coupling[k, j]`` is :math:`\lambda_{kj}` in 1/s; its diagonal must be zero.
    """

    tau_syn_s: np.ndarray
    tau_mem_s: np.ndarray
    v_threshold: np.ndarray
    v_leak: np.ndarray
    r: np.ndarray
    v_reset: np.ndarray
    w_in: np.ndarray
    coupling: np.ndarray
    reset_mode: ResetMode = "subtract"

    array_fields: ClassVar[tuple[str, ...]] = (
        "tau_syn_s", "tau_mem_s", "v_threshold", "v_leak", "r", "v_reset", "w_in", "coupling",
    )


# --------------------------------------------------------------------------------------------------
# Projections
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Projection(Node):
    """A linear map from its (summed) inputs to its output."""


@dataclass(frozen=True, eq=False)
class Dense(Projection):
    r"""All-to-all synapses: :math:`y = W x + b`, ``weight`` is ``[out, in]``.

    ``delay_s`` (optional, ``[out, in]``, seconds) delays each synapse's pulses.
    """

    weight: np.ndarray
    bias: np.ndarray | None = None
    delay_s: np.ndarray | None = None

    array_fields: ClassVar[tuple[str, ...]] = ("weight", "bias", "delay_s")

    def __post_init__(self) -> None:
        object.__setattr__(self, "weight", _as_array(self.weight))
        if self.bias is not None:
            object.__setattr__(self, "bias", _as_array(self.bias))
        if self.delay_s is not None:
            object.__setattr__(self, "delay_s", _as_array(self.delay_s, np.shape(self.weight)))

    @property
    def in_features(self) -> int:
        return int(self.weight.shape[1])

    @property
    def out_features(self) -> int:
        return int(self.weight.shape[0])


def _pair(value: int | tuple[int, ...] | np.ndarray) -> tuple[int, int]:
    values = np.broadcast_to(np.asarray(value, dtype=np.int64).reshape(-1), (2,))
    return int(values[0]), int(values[1])


@dataclass(frozen=True, eq=False)
class Conv2d(Projection):
    r"""2-D convolution over ``[C, H, W]``: :math:`y = W \star x + b`, ``weight`` is ``[out, in/groups, kh, kw]``."""

    weight: np.ndarray
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)
    dilation: tuple[int, int] = (1, 1)
    groups: int = 1
    bias: np.ndarray | None = None

    array_fields: ClassVar[tuple[str, ...]] = ("weight", "bias")

    def __post_init__(self) -> None:
        object.__setattr__(self, "weight", _as_array(self.weight))
        if self.bias is not None:
            object.__setattr__(self, "bias", _as_array(self.bias))
        for name in ("stride", "padding", "dilation"):
            object.__setattr__(self, name, _pair(getattr(self, name)))
        object.__setattr__(self, "groups", int(self.groups))


@dataclass(frozen=True, eq=False)
class SumPool2d(Projection):
    """Sum pooling over ``[C, H, W]`` windows."""

    kernel_size: tuple[int, int]
    stride: tuple[int, int] | None = None
    padding: tuple[int, int] = (0, 0)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kernel_size", _pair(self.kernel_size))
        stride = self.kernel_size if self.stride is None else self.stride
        object.__setattr__(self, "stride", _pair(stride))
        object.__setattr__(self, "padding", _pair(self.padding))


@dataclass(frozen=True, eq=False)
class AvgPool2d(SumPool2d):
    """Average pooling: :class:`SumPool2d` divided by the window size."""


@dataclass(frozen=True, eq=False)
class Flatten(Projection):
    """Reshape dims ``start_dim..end_dim`` (of the unbatched shape, inclusive) into one."""

    start_dim: int = 0
    end_dim: int = -1

    def __post_init__(self) -> None:
        object.__setattr__(self, "start_dim", int(self.start_dim))
        object.__setattr__(self, "end_dim", int(self.end_dim))


@dataclass(frozen=True, eq=False)
class Delay(Projection):
    """Elementwise axonal delay: output unit ``i`` is input unit ``i`` delayed by ``delay_s[i]`` seconds."""

    delay_s: np.ndarray

    array_fields: ClassVar[tuple[str, ...]] = ("delay_s",)

    def __post_init__(self) -> None:
        object.__setattr__(self, "delay_s", _as_array(self.delay_s))


POPULATION_KINDS: tuple[type[Population], ...] = (CubaLIF, LIF, IF, LI, CubaLI, CoupledLIF)
PROJECTION_KINDS: tuple[type[Projection], ...] = (Dense, Conv2d, SumPool2d, AvgPool2d, Flatten, Delay)
NODE_KINDS: dict[str, type[Node]] = {
    cls.__name__: cls for cls in (Input, Output, *POPULATION_KINDS, *PROJECTION_KINDS)
}


def nodes_equal(a: Node, b: Node) -> bool:
    """True when ``a`` and ``b`` are the same kind with bit-equal arrays and equal scalar fields."""
    if type(a) is not type(b):
        return False
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            if x is None or y is None or x.shape != y.shape or x.tobytes() != y.tobytes():
                return False
        elif f.name == "metadata":
            if not values_equal(dict(x), dict(y)):
                return False
        elif x != y:
            return False
    return True


def values_equal(a: Any, b: Any) -> bool:
    """Structural equality for metadata: dicts, sequences, scalars and bit-equal numpy arrays."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype
            and a.shape == b.shape and a.tobytes() == b.tobytes()
        )
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(values_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(values_equal(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b
