"""The exact integers of a lava-dl netx file, as the netx reader hands them to the Loihi 2 quantizer.

A netx file holds Loihi's own integers (:mod:`snn_deploy.ir.io.netx_format`, "Integers"); the IR graph the
reader makes keeps its continuous equivalent in the nodes' fields and these integers beside them, so a Loihi 2
compile of the graph reproduces the file bit for bit. This module is the one definition of that contract:

* :class:`NetxNeuron` -- a population's ``neuron`` block (``du = iDecay - 1``, ``dv = vDecay``,
  ``vth = vThMant``, bias mantissas ``bias`` with exponent ``bias_exp``);
* :class:`NetxSynapse` -- a projection's integer ``weight`` (IR layout), ``weight_exp``, ``num_weight_bits`` and
  ``delay`` (steps: one per output unit, or ``[out, in]``);
* :class:`NetxReadout` -- the ``average`` read-out an :class:`~snn_deploy.ir.nodes.Output` stands for.

The reader builds these objects and stores :meth:`to_metadata` under ``node.metadata["netx"]``; the quantizer
reads them back with :func:`netx_neuron` / :func:`netx_synapse`. In the graph they are plain data (a dict of
ints and integer arrays, the keys the netx file uses) because IR metadata is what every model format stores
(:mod:`snn_deploy.ir.io.metadata`): an ONNX or NIR file written from a netx graph carries the integers, and
reading it back gives the same objects. A malformed entry is a :class:`ModelFormatError` naming the node.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from snn_deploy.errors import ModelFormatError
from snn_deploy.ir.nodes import Node

KEY = "netx"  #: the node metadata key


def _int(value: Any, key: str, where: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ModelFormatError(f"{where}: metadata 'netx' '{key}' must be an integer, got {value!r}")
    return int(value)


def _ints(value: Any, key: str, where: str) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype.kind not in "iu":
        raise ModelFormatError(f"{where}: metadata 'netx' '{key}' must be an integer array, got {array.dtype}")
    return array.astype(np.int64)


def _entry(node: Node, where: str) -> Mapping[str, Any] | None:
    value = node.metadata.get(KEY)
    if value is not None and not isinstance(value, Mapping):
        raise ModelFormatError(f"{where}: metadata 'netx' is not an object")
    return value


@dataclass(frozen=True, eq=False)
class NetxNeuron:
    """One netx neuron block, the integers Lava's LIF takes: ``du = i_decay - 1``, ``dv = v_decay``,
    ``vth = v_th_mant``, per-neuron ``bias_mant = bias`` (int64, population shape; None: 0) ``<< bias_exp``."""

    layer: int
    neuron_type: str
    i_decay: int
    v_decay: int
    v_th_mant: int
    bias_exp: int
    bias: np.ndarray | None = None
    ref_delay: int | None = None  #: netx's refractory delay, kept, unused (Lava's LIF has none)
    default_neuron: bool = False  #: netx's neuron of a ``dense`` layer without one (reader rule N0)
    transform: Mapping[str, int] | None = None  #: the input layer's ``weight`` / ``bias`` transform (rule I1)

    def to_metadata(self) -> dict[str, Any]:
        """The metadata entry, with the netx file's key names."""
        out: dict[str, Any] = {"layer": self.layer, "neuron_type": self.neuron_type}
        if self.default_neuron:
            out["default_neuron"] = True
        out.update({"iDecay": self.i_decay, "vDecay": self.v_decay, "vThMant": self.v_th_mant})
        if self.ref_delay is not None:
            out["refDelay"] = self.ref_delay
        if self.bias is not None:
            out["bias"] = self.bias
        out["bias_exp"] = self.bias_exp
        if self.transform is not None:
            out["transform"] = dict(self.transform)
        return out

    @classmethod
    def from_metadata(cls, value: Mapping[str, Any], where: str) -> "NetxNeuron":
        """Inverse of :meth:`to_metadata` (``where`` names the node in errors)."""
        try:
            transform = value.get("transform")
            return cls(
                layer=_int(value["layer"], "layer", where), neuron_type=str(value["neuron_type"]),
                i_decay=_int(value["iDecay"], "iDecay", where), v_decay=_int(value["vDecay"], "vDecay", where),
                v_th_mant=_int(value["vThMant"], "vThMant", where),
                bias_exp=_int(value["bias_exp"], "bias_exp", where),
                bias=None if value.get("bias") is None else _ints(value["bias"], "bias", where),
                ref_delay=None if value.get("refDelay") is None else _int(value["refDelay"], "refDelay", where),
                default_neuron=bool(value.get("default_neuron", False)),
                transform=None if transform is None else {str(k): _int(v, k, where) for k, v in transform.items()})
        except (KeyError, AttributeError) as exc:
            raise ModelFormatError(f"{where}: metadata 'netx' of a netx population lacks {exc}") from None


@dataclass(frozen=True, eq=False)
class NetxSynapse:
    """One netx projection: the integer ``weight`` Lava's Dense sums (IR layout), its ``weight_exp`` and
    ``num_weight_bits`` as the file states them, and ``delay`` steps (one per output unit, or ``[out, in]``)."""

    layer: int
    weight: np.ndarray
    weight_exp: int
    num_weight_bits: int
    delay: np.ndarray | None = None

    def to_metadata(self) -> dict[str, Any]:
        out: dict[str, Any] = {"layer": self.layer, "weight": self.weight, "weight_exp": self.weight_exp,
                               "num_weight_bits": self.num_weight_bits}
        if self.delay is not None:
            out["delay"] = self.delay
        return out

    @classmethod
    def from_metadata(cls, value: Mapping[str, Any], where: str) -> "NetxSynapse":
        try:
            return cls(layer=_int(value["layer"], "layer", where), weight=_ints(value["weight"], "weight", where),
                       weight_exp=_int(value["weight_exp"], "weight_exp", where),
                       num_weight_bits=_int(value["num_weight_bits"], "num_weight_bits", where),
                       delay=None if value.get("delay") is None else _ints(value["delay"], "delay", where))
        except (KeyError, AttributeError) as exc:
            raise ModelFormatError(f"{where}: metadata 'netx' of a netx projection lacks {exc}") from None


@dataclass(frozen=True)
class NetxReadout:
    """slayer's ``average`` read-out over ``num_outputs`` groups of ``group_size`` consecutive units (rule A)."""

    layer: int
    num_outputs: int
    group_size: int

    def to_metadata(self) -> dict[str, Any]:
        return {"layer": self.layer, "readout": "average", "num_outputs": self.num_outputs,
                "group_size": self.group_size}


def netx_neuron(node: Node, name: str) -> NetxNeuron | None:
    """The population's netx integers, or None when it has none."""
    value = _entry(node, f"node '{name}'")
    return None if value is None else NetxNeuron.from_metadata(value, f"node '{name}'")


def netx_synapse(node: Node, name: str) -> NetxSynapse | None:
    """The projection's netx integers, or None when it has none."""
    value = _entry(node, f"node '{name}'")
    return None if value is None else NetxSynapse.from_metadata(value, f"node '{name}'")
