"""A Loihi 2 deployment: the integer network the quantizer produces and the emulator and Lava both run.

One :class:`LifGroup` is one Lava ``LIF`` process (one ``du``, ``dv``, ``vth``; per-neuron bias), with
``reset = SUBTRACT`` one ``SubtractLIF`` process, or with a ``coupling`` matrix one ``CoupledLIF`` process
(both snn-deploy's own, spec.py); one
:class:`Synapse` is one Lava ``Dense`` (or ``DelayDense`` when it has delays) from a group or the input to a
group. An IR population may be split over several groups (``LifGroup.indices`` says which of its neurons
each holds). ``weights.npz`` of a Lava artifact is :meth:`Deployment.to_arrays`: a JSON ``structure`` string
plus integer arrays, so the emitted ``network.py`` needs only numpy to read it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

import numpy as np

from snn_deploy.errors import ModelFormatError
from snn_deploy.quantize.loihi2.spec import LOIHI2, Loihi2Spec, ResetRule


def coupled_arithmetic(spec: Loihi2Spec) -> dict[str, int]:
    """The spec's widths the emitted ``CoupledLIF`` process model computes with (``network.py`` reads them)."""
    return {"decay_bits": spec.decay_bits, "du_offset": spec.du_offset, "dv_offset": spec.dv_offset,
            "act_shift": spec.act_shift, "vth_shift": spec.vth_shift, "uv_bits": spec.uv_bits,
            "channel_bits": spec.channel_bits}


def _int_array(value: Any) -> np.ndarray:
    array = np.array(value, dtype=np.int64, copy=True)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class LifGroup:
    """One Lava LIF process: neurons ``indices`` (flat) of IR population ``population``."""

    name: str
    population: str
    indices: np.ndarray
    du: int
    dv: int
    vth: int
    bias_mant: np.ndarray
    bias_exp: np.ndarray
    reset_interval: int = 0  #: 0 = never; else ``u = v = 0`` before steps with ``time_step % interval == offset``
    reset_offset: int = 0
    coupling: np.ndarray | None = None  #: ``[n, n]`` mantissas ``M`` of a ``CoupledLIF`` process (spec.py)
    coupling_shift: int = 0  #: the coupling sum is shifted right by this
    reset: ResetRule = ResetRule.ZERO  #: what a spike does to ``v`` (spec.py)
    v_init: np.ndarray | None = None  #: per-neuron ``v`` at the start of every sample (None: 0)

    def __post_init__(self) -> None:
        for name in ("indices", "bias_mant", "bias_exp"):
            object.__setattr__(self, name, _int_array(getattr(self, name)))
        object.__setattr__(self, "reset", ResetRule(self.reset))
        if self.v_init is not None:
            object.__setattr__(self, "v_init", _int_array(np.broadcast_to(self.v_init, (self.size,))))
        for name in ("du", "dv", "vth", "reset_interval", "reset_offset", "coupling_shift"):
            object.__setattr__(self, name, int(getattr(self, name)))
        if self.coupling is not None:
            object.__setattr__(self, "coupling", _int_array(self.coupling))
            if self.coupling.shape != (self.size, self.size):
                raise ValueError(f"group '{self.name}': coupling must be [{self.size}, {self.size}]")

    @property
    def size(self) -> int:
        return int(self.indices.size)


@dataclass(frozen=True, eq=False)
class Synapse:
    """One Lava Dense process: ``weight`` ``[out, in]`` mantissas from ``source`` (a group or the input) to ``target``.

    ``delay`` (``[out, in]`` steps, optional) is what ``DelayDense`` adds to Dense's one-step latency.
    """

    name: str
    source: str
    target: str
    weight: np.ndarray
    weight_exp: int
    num_weight_bits: int = LOIHI2.weight_bits
    delay: np.ndarray | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "weight", _int_array(self.weight))
        if self.delay is not None:
            object.__setattr__(self, "delay", _int_array(np.broadcast_to(self.delay, self.weight.shape)))
        object.__setattr__(self, "weight_exp", int(self.weight_exp))
        object.__setattr__(self, "num_weight_bits", int(self.num_weight_bits))


@dataclass(frozen=True, eq=False)
class Deployment:
    """The integer network for one input (``input_units`` wide) at time step ``dt_s``.

    ``populations`` maps IR population names to their neuron counts (the record layout), ``outputs`` maps
    IR Output nodes to the population they record, ``latency_steps`` gives each population's delay (steps)
    with respect to the IR's continuous time. ``report`` is the quantization report (not stored in npz);
    ``spec`` the target spec the integers were made for (the emulator refuses another one; an artifact's
    manifest records it).
    """

    dt_s: float
    input_name: str
    input_units: int
    groups: tuple[LifGroup, ...]
    synapses: tuple[Synapse, ...]
    populations: Mapping[str, int]
    outputs: Mapping[str, str]
    latency_steps: Mapping[str, int]
    report: Mapping[str, Any] = field(default_factory=dict)
    spec: Loihi2Spec = LOIHI2

    def __post_init__(self) -> None:
        object.__setattr__(self, "groups", tuple(self.groups))
        object.__setattr__(self, "synapses", tuple(self.synapses))
        names = [g.name for g in self.groups]
        if len(set(names)) != len(names) or self.input_name in names:
            raise ValueError("group names must be unique and differ from the input name")
        for syn in self.synapses:
            if syn.target not in names or (syn.source not in names and syn.source != self.input_name):
                raise ValueError(f"synapse '{syn.name}' connects unknown groups")

    def group(self, name: str) -> LifGroup:
        return next(g for g in self.groups if g.name == name)

    def source_size(self, name: str) -> int:
        return self.input_units if name == self.input_name else self.group(name).size

    def with_periodic_reset(self, interval: int, offsets: Mapping[str, int]) -> "Deployment":
        """A copy whose populations (by name) reset ``u`` and ``v`` every ``interval`` steps (``LIFReset``)."""
        groups = tuple(
            replace(g, reset_interval=interval, reset_offset=offsets[g.population] % interval)
            if g.population in offsets else g
            for g in self.groups
        )
        return replace(self, groups=groups)

    # ------------------------------------------------------------------ npz layout
    def to_arrays(self) -> dict[str, np.ndarray]:
        """``structure`` (JSON text) plus ``group/<i>/...`` and ``synapse/<i>/...`` int64 arrays."""
        structure = {
            "format": "snn-deploy loihi2 deployment 1",
            "dt_s": self.dt_s,
            "input": {"name": self.input_name, "units": self.input_units},
            "groups": [
                {"name": g.name, "population": g.population, "du": g.du, "dv": g.dv, "vth": g.vth,
                 "reset_interval": g.reset_interval, "reset_offset": g.reset_offset,
                 "coupled": g.coupling is not None, "coupling_shift": g.coupling_shift, "reset": g.reset.value,
                 "v_init": g.v_init is not None}
                for g in self.groups
            ],
            "synapses": [
                {"name": s.name, "source": s.source, "target": s.target, "weight_exp": s.weight_exp,
                 "num_weight_bits": s.num_weight_bits, "delayed": s.delay is not None}
                for s in self.synapses
            ],
            "populations": dict(self.populations),
            "outputs": dict(self.outputs),
            "latency_steps": dict(self.latency_steps),
        }
        if any(g.coupling is not None for g in self.groups):
            structure["coupled_arithmetic"] = coupled_arithmetic(self.spec)
        arrays: dict[str, np.ndarray] = {"structure": np.array(json.dumps(structure, sort_keys=True))}
        for i, g in enumerate(self.groups):
            arrays[f"group/{i}/indices"] = g.indices
            arrays[f"group/{i}/bias_mant"] = g.bias_mant
            arrays[f"group/{i}/bias_exp"] = g.bias_exp
            if g.coupling is not None:
                arrays[f"group/{i}/coupling"] = g.coupling
            if g.v_init is not None:
                arrays[f"group/{i}/v_init"] = g.v_init
        for i, s in enumerate(self.synapses):
            arrays[f"synapse/{i}/weight"] = s.weight
            if s.delay is not None:
                arrays[f"synapse/{i}/delay"] = s.delay
        return arrays

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], source: str = "weights.npz",
                    spec: Loihi2Spec = LOIHI2) -> "Deployment":
        """Inverse of :meth:`to_arrays` for integers made for ``spec``; a missing or malformed entry raises
        :class:`ModelFormatError`."""
        try:
            structure = json.loads(str(arrays["structure"].reshape(-1)[0]))
            groups = tuple(
                LifGroup(
                    name=g["name"], population=g["population"], du=g["du"], dv=g["dv"], vth=g["vth"],
                    reset_interval=g["reset_interval"], reset_offset=g["reset_offset"],
                    indices=arrays[f"group/{i}/indices"], bias_mant=arrays[f"group/{i}/bias_mant"],
                    bias_exp=arrays[f"group/{i}/bias_exp"],
                    coupling=arrays[f"group/{i}/coupling"] if g.get("coupled") else None,
                    coupling_shift=g.get("coupling_shift", 0), reset=g.get("reset", ResetRule.ZERO.value),
                    v_init=arrays[f"group/{i}/v_init"] if g.get("v_init") else None,
                )
                for i, g in enumerate(structure["groups"])
            )
            synapses = tuple(
                Synapse(
                    name=s["name"], source=s["source"], target=s["target"], weight=arrays[f"synapse/{i}/weight"],
                    weight_exp=s["weight_exp"], num_weight_bits=s["num_weight_bits"],
                    delay=arrays[f"synapse/{i}/delay"] if s["delayed"] else None,
                )
                for i, s in enumerate(structure["synapses"])
            )
            return cls(
                dt_s=float(structure["dt_s"]), input_name=structure["input"]["name"],
                input_units=int(structure["input"]["units"]), groups=groups, synapses=synapses,
                populations=structure["populations"], outputs=structure["outputs"],
                latency_steps=structure["latency_steps"], spec=spec,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFormatError(f"{source}: not a Loihi 2 deployment ({type(exc).__name__}: {exc})") from None
