r"""lava-dl netx ``.net`` (HDF5) networks, read only: fixed-point Loihi layers -> continuous IR + exact integers.

File layout (read from lava-dl's ``netx/hdf5.py`` and the files themselves)
--------------------------------------------------------------------------
``layer/<i>`` for ``i = 0..n-1`` (a sequential chain), each with ``type`` and ``shape`` (C, H, W or
N; netx reverses it to its W, H, C order) and, by type:

* ``input``: ``neuron``; scalar ``weight``/``bias`` are netx's input *transform* (for graded inputs),
  which netx does not apply as a neuron bias: kept as ``metadata["netx"]["transform"]``.
* ``conv``: ``weight`` ``[out, in/groups, kh, kw, 1]`` (PyTorch's layout and cross-correlation: netx
  flips and transposes it for Lava), ``stride``/``padding``/``dilation`` in (H, W) order, ``groups``,
  optional per-channel ``bias`` (a *neuron* bias), ``neuron``.
* ``dense``: ``weight`` ``[out, in]``, optional per-neuron ``bias`` (neuron bias), optional
  ``delay`` (axonal, in steps, one per output unit), optional ``neuron`` (absent: netx's default,
  a non-leaky integrator ``iDecay=0, vDecay=4096, vThMant=1 << 17``; marked ``"default_neuron"``).
* ``dense_rec``: ``dense`` plus ``weight_rec`` ``[out, out]``, a Dense from the population back to
  itself (same delay).
* ``flatten``: flattens in C, H, W order (netx transposes W, H, C back before flattening).
* ``average``: the read-out :math:`y_k(t) = \mathrm{mean}_{j \in G_k} s_j(t)` over ``num_outputs``
  groups ``G_k`` of consecutive (C, H, W-flattened) units of the last population (slayer's
  ``Average`` block). It has no neurons: the graph's :class:`Output` records the last population's
  spikes, with ``metadata["netx"] = {"layer", "readout": "average", "num_outputs", "group_size"}``.

Graph
-----
``input`` (:class:`Input`) -> ``layer0.synapse`` (identity :class:`Dense`) -> ``layer0``
(:class:`CubaLIF`) -> ``layer1.synapse`` (:class:`Conv2d`/:class:`Dense`) -> ``layer1`` -> ... ->
``output``; ``layer<i>`` of type ``flatten`` is a :class:`Flatten`; ``layer<i>.recurrent`` is the
recurrent Dense of a ``dense_rec`` layer. ``graph.metadata = {"dt_s": 1e-3, "source_format": "netx",
"netx": {"simulation": {...}}}`` (netx has no time unit; ``simulation/Ts`` is in steps).

Integers (exact, for the Loihi quantizer)
-----------------------------------------
Populations: ``metadata["netx"] = {"layer", "neuron_type", "iDecay", "vDecay", "vThMant",
"refDelay" (if present), "bias" (int64, population shape, if present), "bias_exp": 6}``; netx
passes ``du = iDecay - 1``, ``dv = vDecay``. Projections: ``{"layer", "weight" (int64, IR layout),
"weight_exp" (0 if absent), "num_weight_bits" (8 if absent), "delay" (int64 per output unit, if
present)}``.

Continuous equivalent (``dt = dt_s``)
-------------------------------------
Loihi's CUBA step, divided by the common factor 64 (weights and thresholds are shifted left by 6),
is :math:`u_t = \alpha_u u_{t-1} + \sum w s`, :math:`v_t = \alpha_v v_{t-1} + u_t + b`, spike
when :math:`v_t > \mathrm{vThMant}`, then :math:`v \leftarrow 0`, with
:math:`\alpha_u = 1 - \mathrm{iDecay}/4096` and :math:`\alpha_v = 1 - \mathrm{vDecay}/4096`.
The IR's CubaLIF (:math:`\tau_{syn}\dot I = -I + w_{in} S`, :math:`\tau_{mem}\dot v = (v_{leak}-v) + rI`)
matches it step for step as follows:

* decays: :math:`\tau_{syn} = -dt/\ln\alpha_u`, :math:`\tau_{mem} = -dt/\ln\alpha_v` (so
  :math:`e^{-dt/\tau} = \alpha`). ``iDecay = 4096`` is the delta synapse, ``tau_syn_s = 0``.
  A decay factor of exactly 1 (``iDecay``/``vDecay`` = 0: no leak) or 0 (``vDecay = 4096``) is
  clamped to :math:`1 - 2^{-24}` or :math:`2^{-24}`: a very large (:math:`\approx 2^{24} dt`) or
  very small (:math:`dt / (24 \ln 2)`) time constant; both round back to the same 12-bit decay.
* current jump: a pulse of weight :math:`w` makes :math:`I` jump by :math:`w_{in} w/\tau_{syn}`;
  :math:`w_{in} = \tau_{syn}` makes it :math:`w`, as :math:`u` jumps by :math:`w`.
* membrane: over one step a current :math:`I` moves :math:`v` by :math:`(dt/\tau_{mem})\, r I`
  (forward Euler); :math:`r = \tau_{mem}/dt` makes that :math:`I`, as :math:`v` gains :math:`u`.
  Delta synapse: :math:`v` jumps by :math:`r w_{in} w/\tau_{mem}`; :math:`w_{in} = dt` makes it :math:`w`.
* bias: :math:`(dt/\tau_{mem}) v_{leak} = b` per step, so :math:`v_{leak} = b\,\tau_{mem}/dt`.
* threshold ``v_threshold = vThMant``, weights in units of the integer weight, ``reset_mode =
  "to_value"`` with ``v_reset = 0``; an axonal ``delay`` of ``d`` steps is ``delay_s = d dt`` on
  every synapse of the output unit (the IR's per-synapse form).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import h5py
import numpy as np

from snn_deploy.errors import ModelFormatError, UnsupportedError
from snn_deploy.ir.graph import Graph
from snn_deploy.ir.io.files import open_hdf5, reading
from snn_deploy.ir.nodes import Conv2d, CubaLIF, Dense, Flatten, Input, Node, Output
from snn_deploy.ir.shapes import conv2d_output_hw

DT_S = 1e-3
DECAY_UNITY = 4096
BIAS_EXP = 6
#: clamp of a decay factor away from 0 and 1, so every time constant is finite and positive
DECAY_MARGIN = 2.0 ** -24
#: netx's neuron for a layer without one: ``iDecay=0, vDecay=4096, vThMant=1 << 18 - 1`` (= 1 << 17)
DEFAULT_NEURON = {"type": "CUBA", "iDecay": 0, "vDecay": 4096, "vThMant": 1 << 17, "refDelay": 1}
NEURON_TYPES = ("CUBA", "LOIHI")
#: largest input layer read: its identity Dense holds units**2 float64 weights (and int64 in metadata)
MAX_INPUT_UNITS = 8192

Shape = tuple[int, ...]


# ------------------------------------------------------------------------------------------------
# continuous equivalent of one CUBA neuron configuration
# ------------------------------------------------------------------------------------------------
def decay_to_tau_s(decay_12b: int, dt_s: float) -> float:
    """:math:`\\tau = -dt/\\ln(1 - d/4096)`, the decay factor clamped into ``[2^-24, 1 - 2^-24]``."""
    factor = min(max(1.0 - decay_12b / DECAY_UNITY, DECAY_MARGIN), 1.0 - DECAY_MARGIN)
    return -dt_s / np.log(factor)


def cuba_parameters(i_decay: int, v_decay: int, v_th_mant: int, bias_mant: np.ndarray,
                    dt_s: float) -> dict[str, Any]:
    """CubaLIF parameters whose per-step jumps equal netx's integer CUBA update (module docstring)."""
    tau_syn_s = 0.0 if i_decay == DECAY_UNITY else decay_to_tau_s(i_decay, dt_s)
    tau_mem_s = decay_to_tau_s(v_decay, dt_s)
    return {
        "tau_syn_s": tau_syn_s,
        "tau_mem_s": tau_mem_s,
        "w_in": dt_s if tau_syn_s == 0.0 else tau_syn_s,
        "r": tau_mem_s / dt_s,
        "v_threshold": float(v_th_mant),
        "v_leak": bias_mant.astype(np.float64) * (tau_mem_s / dt_s),
        "v_reset": 0.0,
        "reset_mode": "to_value",
    }


# ------------------------------------------------------------------------------------------------
# typed access to HDF5 datasets
# ------------------------------------------------------------------------------------------------
def _dataset(group: h5py.Group, key: str, where: str) -> np.ndarray:
    if key not in group:
        raise ModelFormatError(f"{where}: missing '{key}'")
    item = group[key]
    if not isinstance(item, h5py.Dataset):
        raise ModelFormatError(f"{where}: '{key}' is not a dataset")
    return np.asarray(item[()])


def _numbers(group: h5py.Group, key: str, where: str) -> np.ndarray:
    value = _dataset(group, key, where)
    if value.dtype.kind not in "iuf" or (value.dtype.kind == "f" and not np.all(np.isfinite(value))):
        raise ModelFormatError(f"{where}: '{key}' must be finite numbers, got dtype {value.dtype}")
    return value


def _integers(group: h5py.Group, key: str, where: str) -> np.ndarray:
    """An int64 array from a dataset holding integers (netx stores many as float32)."""
    value = _numbers(group, key, where)
    if value.dtype.kind == "f" and np.any(value != np.round(value)):
        raise ModelFormatError(f"{where}: '{key}' must hold integers")
    if value.dtype.kind == "f" and np.any(np.abs(value) > 2.0 ** 53):
        raise ModelFormatError(f"{where}: '{key}' is out of range")
    return value.astype(np.int64)


def _integer(group: h5py.Group, key: str, where: str) -> int:
    value = _integers(group, key, where)
    if value.size != 1:
        raise ModelFormatError(f"{where}: '{key}' must be one integer, got shape {value.shape}")
    return int(value.reshape(()))


def _text(group: h5py.Group, key: str, where: str) -> str:
    value = _dataset(group, key, where).reshape(-1)
    if value.size != 1 or not isinstance(value[0], (bytes, str)):
        raise ModelFormatError(f"{where}: '{key}' must be a string")
    return value[0].decode("ascii") if isinstance(value[0], bytes) else str(value[0])


def _pair(group: h5py.Group, key: str, where: str) -> tuple[int, int]:
    value = _integers(group, key, where).reshape(-1)
    if value.size not in (1, 2):
        raise ModelFormatError(f"{where}: '{key}' must be one or two integers")
    return int(value[0]), int(value[-1])


# ------------------------------------------------------------------------------------------------
# layers
# ------------------------------------------------------------------------------------------------
class _Builder:
    """Appends the IR nodes of one netx layer after another."""

    def __init__(self, dt_s: float) -> None:
        self.dt_s = dt_s
        self.nodes: dict[str, Node] = {}
        self.edges: list[tuple[str, str]] = []
        self.last: str | None = None  # node whose output feeds the next layer
        self.last_shape: Shape = ()
        self.readout: dict[str, Any] | None = None

    def add(self, name: str, node: Node, source: str | None, shape: Shape) -> None:
        self.nodes[name] = node
        if source is not None:
            self.edges.append((source, name))
        self.last, self.last_shape = name, shape

    def population(self, index: int, layer: h5py.Group, shape: Shape, bias: np.ndarray | None, source: str) -> None:
        where = f"layer {index} neuron"
        if "neuron" in layer:
            neuron = layer["neuron"]
            if not isinstance(neuron, h5py.Group):
                raise ModelFormatError(f"{where}: 'neuron' is not a group")
            kind = _text(neuron, "type", where)
            if kind not in NEURON_TYPES:
                raise UnsupportedError(f"{where}: neuron type '{kind}' is not supported (only {', '.join(NEURON_TYPES)})")
            if "gradedSpike" in neuron and bool(_dataset(neuron, "gradedSpike", where)):
                raise UnsupportedError(f"{where}: graded spikes are not supported")
            config: dict[str, Any] = {"neuron_type": kind}
            for key in ("iDecay", "vDecay", "vThMant"):
                config[key] = _integer(neuron, key, where)
            if "refDelay" in neuron:
                config["refDelay"] = _integer(neuron, "refDelay", where)
        else:
            config = {"neuron_type": DEFAULT_NEURON["type"], "default_neuron": True,
                      **{k: DEFAULT_NEURON[k] for k in ("iDecay", "vDecay", "vThMant", "refDelay")}}
        for key in ("iDecay", "vDecay"):
            if not 0 <= config[key] <= DECAY_UNITY:
                raise ModelFormatError(f"{where}: '{key}' = {config[key]} is outside 0..{DECAY_UNITY}")
        netx: dict[str, Any] = {"layer": index, **config}
        bias_mant = np.zeros(shape, dtype=np.int64)
        if bias is not None:
            try:
                bias_mant = np.array(np.broadcast_to(bias.reshape(bias.shape + (1,) * (len(shape) - bias.ndim)), shape))
            except ValueError:
                raise ModelFormatError(f"layer {index}: 'bias' of shape {bias.shape} does not fit the layer shape "
                                       f"{shape}") from None
            netx["bias"] = bias_mant
        netx["bias_exp"] = BIAS_EXP
        params = cuba_parameters(config["iDecay"], config["vDecay"], config["vThMant"], bias_mant, self.dt_s)
        self.add(f"layer{index}", CubaLIF.create(shape, **params, metadata={"netx": netx}), source, shape)

    def input_layer(self, index: int, layer: h5py.Group, shape: Shape) -> None:
        size = int(np.prod(shape))
        if size > MAX_INPUT_UNITS:
            raise UnsupportedError(f"layer {index}: input of {size} units; the identity Dense in front of the input "
                                   f"population is [units, units], supported up to {MAX_INPUT_UNITS} units")
        self.add("input", Input(shape), None, shape)
        transform = {key: _integer(layer, key, f"layer {index}") for key in ("weight", "bias") if key in layer}
        identity = np.eye(size, dtype=np.int64)
        netx = {"layer": index, "weight": identity, "weight_exp": 0, "num_weight_bits": 8}
        self.add(f"layer{index}.synapse", Dense(identity, metadata={"netx": netx}), "input", (size,))
        self.population(index, layer, shape, None, f"layer{index}.synapse")
        if transform:
            pop = self.nodes[f"layer{index}"]
            meta = dict(pop.metadata["netx"], transform=transform)
            self.nodes[f"layer{index}"] = pop.replace(metadata={"netx": meta})

    def synapse_meta(self, index: int, layer: h5py.Group, weight: np.ndarray) -> dict[str, Any]:
        where = f"layer {index}"
        return {
            "layer": index, "weight": weight,
            "weight_exp": _integer(layer, "weight_exp", where) if "weight_exp" in layer else 0,
            "num_weight_bits": _integer(layer, "num_weight_bits", where) if "num_weight_bits" in layer else 8,
        }

    def conv_layer(self, index: int, layer: h5py.Group, shape: Shape) -> None:
        where = f"layer {index}"
        weight = _integers(layer, "weight", where)
        if weight.ndim == 5 and weight.shape[4] == 1:
            weight = weight[..., 0]
        if weight.ndim != 4 or len(self.last_shape) != 3 or len(shape) != 3:
            raise ModelFormatError(f"{where}: conv needs a [out, in, kh, kw, 1] weight and C, H, W shapes, got "
                                   f"weight {weight.shape}, input {self.last_shape}, output {shape}")
        stride, padding, dilation = (_pair(layer, k, where) for k in ("stride", "padding", "dilation"))
        groups = _integer(layer, "groups", where) if "groups" in layer else 1
        if groups < 1 or weight.shape[1] * groups != self.last_shape[0]:
            raise ModelFormatError(f"{where}: weight {weight.shape} with groups={groups} does not fit "
                                   f"{self.last_shape[0]} input channels")
        hw = conv2d_output_hw(self.last_shape[1:], weight.shape[2:], stride, padding, dilation)
        if (weight.shape[0], *hw) != shape:
            raise ModelFormatError(f"{where}: shape {shape} but the conv gives {(weight.shape[0], *hw)}")
        conv = Conv2d(weight.astype(np.float64), stride=stride, padding=padding, dilation=dilation, groups=groups,
                      metadata={"netx": self.synapse_meta(index, layer, weight)})
        self.add(f"layer{index}.synapse", conv, self.last, shape)
        bias = _integers(layer, "bias", where) if "bias" in layer else None
        self.population(index, layer, shape, bias, f"layer{index}.synapse")

    def dense_layer(self, index: int, layer: h5py.Group, shape: Shape, recurrent: bool) -> None:
        where = f"layer {index}"
        size = int(np.prod(shape))
        weights = {"weight": _integers(layer, "weight", where)}
        if recurrent:
            weights["weight_rec"] = _integers(layer, "weight_rec", where)
        expected = {"weight": (size, int(np.prod(self.last_shape))), "weight_rec": (size, size)}
        for key, weight in weights.items():
            if weight.ndim == 1 and weight.size == np.prod(expected[key]):
                weights[key] = weight = weight.reshape(expected[key])
            if weight.shape != expected[key]:
                raise ModelFormatError(f"{where}: '{key}' has shape {weight.shape}, expected {expected[key]}")
        delay = self.delay(index, layer, size)
        names = {"weight": f"layer{index}.synapse", "weight_rec": f"layer{index}.recurrent"}
        dense = {}
        for key, weight in weights.items():
            netx = self.synapse_meta(index, layer, weight)
            delay_s = None
            if delay is not None:
                netx["delay"] = delay
                delay_s = np.broadcast_to((delay * self.dt_s)[:, None], weight.shape)
            dense[key] = Dense(weight.astype(np.float64), delay_s=delay_s, metadata={"netx": netx})
        self.add(names["weight"], dense["weight"], self.last, (size,))
        bias = _integers(layer, "bias", where).reshape(-1) if "bias" in layer else None
        if bias is not None and bias.size not in (1, size):
            raise ModelFormatError(f"{where}: 'bias' has {bias.size} values for {size} neurons")
        self.population(index, layer, (size,), bias, names["weight"])
        if recurrent:
            population = self.last
            self.nodes[names["weight_rec"]] = dense["weight_rec"]
            self.edges += [(population, names["weight_rec"]), (names["weight_rec"], population)]

    @staticmethod
    def delay(index: int, layer: h5py.Group, size: int) -> np.ndarray | None:
        if "delay" not in layer:
            return None
        delay = _integers(layer, "delay", f"layer {index}").reshape(-1)
        if delay.size == 1:
            delay = np.full(size, delay[0])
        if delay.size != size:
            raise UnsupportedError(f"layer {index}: 'delay' has {delay.size} values; only axonal delays, one per "
                                   f"output unit ({size}), are supported")
        if np.any(delay < 0):
            raise ModelFormatError(f"layer {index}: 'delay' must be >= 0 steps")
        return delay

    def flatten_layer(self, index: int) -> None:
        size = int(np.prod(self.last_shape))
        self.add(f"layer{index}", Flatten(start_dim=0, end_dim=-1), self.last, (size,))

    def average_layer(self, index: int, shape: Shape) -> None:
        outputs = int(np.prod(shape))
        size = int(np.prod(self.last_shape))
        if outputs < 1 or size % outputs:
            raise ModelFormatError(f"layer {index}: average over {outputs} groups does not divide {size} units")
        self.readout = {"layer": index, "readout": "average", "num_outputs": outputs, "group_size": size // outputs}


def from_hdf5(handle: h5py.File, dt_s: float = DT_S) -> Graph:
    """The IR graph of an open netx file (validated)."""
    layers = handle["layer"]
    if not isinstance(layers, h5py.Group) or not len(layers):
        raise ModelFormatError("'layer' must be a non-empty group")
    keys = sorted(layers, key=lambda k: int(k) if k.isdigit() else -1)
    if keys != [str(i) for i in range(len(keys))]:
        raise ModelFormatError(f"layers must be numbered 0..{len(keys) - 1}, got {sorted(layers)}")
    builder = _Builder(dt_s)
    for index in range(len(keys)):
        layer = layers[str(index)]
        if not isinstance(layer, h5py.Group):
            raise ModelFormatError(f"layer {index} is not a group")
        kind = _text(layer, "type", f"layer {index}")
        shape = tuple(int(s) for s in _integers(layer, "shape", f"layer {index}").reshape(-1))
        if not shape or min(shape) < 1:
            raise ModelFormatError(f"layer {index}: shape {shape} has an empty dimension")
        if builder.readout is not None:
            raise UnsupportedError(f"layer {index}: '{kind}' after the 'average' read-out is not supported")
        if (index == 0) != (kind == "input"):
            raise UnsupportedError(f"layer {index}: '{kind}' (the input layer must be layer 0, and only it)")
        if kind == "input":
            builder.input_layer(index, layer, shape)
        elif kind == "conv":
            builder.conv_layer(index, layer, shape)
        elif kind in ("dense", "dense_rec"):
            builder.dense_layer(index, layer, shape, recurrent=kind == "dense_rec")
        elif kind == "flatten":
            builder.flatten_layer(index)
        elif kind == "average":
            builder.average_layer(index, shape)
        else:
            raise UnsupportedError(f"layer {index}: netx layer type '{kind}' is not supported")
    output_meta = {"netx": builder.readout} if builder.readout else {}
    builder.nodes["output"] = Output(builder.last_shape, metadata=output_meta)
    builder.edges.append((builder.last, "output"))
    simulation = {}
    if "simulation" in handle and isinstance(handle["simulation"], h5py.Group):
        simulation = {k: _integer(handle["simulation"], k, "simulation") for k in handle["simulation"]
                      if isinstance(handle["simulation"][k], h5py.Dataset)}
    metadata = {"dt_s": dt_s, "source_format": "netx", "netx": {"simulation": simulation}}
    return Graph(builder.nodes, builder.edges, metadata).validate()


def read(path: str | Path) -> Graph:
    """Read a lava-dl netx ``.net`` file; any problem is an snn-deploy error naming ``path``."""
    path = Path(path)
    with reading(path, "lava-dl netx (HDF5)"):
        with open_hdf5(path) as handle:
            return from_hdf5(handle)
