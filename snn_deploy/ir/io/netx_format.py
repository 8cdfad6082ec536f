r"""lava-dl netx ``.net`` (HDF5) networks, read only: fixed-point Loihi layers -> continuous IR + exact integers.

File layout (slayer's exporter; read as lava-dl 0.6.0's ``netx`` builds it)
-------------------------------------------------------------------------
``layer/<i>`` for ``i = 0..n-1`` (a sequential chain), each with ``type`` and ``shape`` (C, H, W or
N; netx reverses it to its W, H, C order) and, by type, the datasets below. Each rule names the
lava-dl 0.6.0 code it follows (``src/lava/lib/dl/netx/``: ``hdf5.py`` = ``Network``, ``process.py`` =
``blocks/process.py``, ``utils.py``); ``tests/ir/io/test_netx_lavadl.py`` checks them against lava-dl's
own ``Network`` run (``tests/fixtures/netx/``).

* **I0 -- input without neuron** (``Network._create``, branch ``layer_type == 'input'``): lava-dl creates
  no block, only ``input_shape``; the spikes go straight into the next layer's synapse. Read as the
  :class:`Input` alone (no population), its ``weight``/``bias`` ignored as lava-dl ignores them.
* **I1 -- input with neuron** (``create_input``; ``process.py`` ``Input``): lava-dl builds a neuron
  block whose ``inp`` port is connected to nothing ("The input must be handled through neuron's bias"):
  a source on ``Network.inp`` fails to compile (Lava 0.10: "No subcompiler exists for ... PyInputModel"),
  and lava-dl's own ``test_tinynet`` drives the layer through the neuron's bias. snn-deploy reads it as a
  relay: :class:`Input` -> identity :class:`Dense` (weight 1) -> the neuron (``layer0``), so a bias set
  in ``metadata["netx"]["bias"]`` drives it as in lava-dl, and each input spike adds 1 to its current
  (thresholds are ``vThMant << 6``): the relay fires on spikes only if ``vThMant`` is 0, as snn-deploy's
  own netx writer sets it. The scalar
  ``weight``/``bias`` are netx's input *transform*, which netx keeps but never applies (default 64 / 0):
  kept as ``metadata["netx"]["transform"]`` with the keys the file has.
* **N -- neurons** (``get_neuron_params``): types ``CUBA`` and ``LOIHI`` are Lava's LIF with ``du =
  iDecay - 1``, ``dv = vDecay``, ``vth = vThMant``, ``bias_exp = 6`` and the layer's ``bias`` as
  ``bias_mant``; ``refDelay`` is not passed (Lava's LIF has no refractory period): kept in metadata,
  unused. ``messageBits > 0`` (graded spikes) is refused; ``gradedSpike``, which lava-dl does not read,
  is refused when true (the layer was trained graded). SDNN and RF neurons are refused.
* **N0 -- default neuron** (``create_dense``): a ``dense`` layer without ``neuron`` gets ``iDecay = 0,
  vDecay = 4096, vThMant = 1 << 18 - 1`` (``= 1 << 17``, Python's precedence), marked
  ``"default_neuron"``. ``conv`` has no default (``create_conv`` reads ``layer_config['neuron']``):
  refused.
* **W -- weights** (``utils.py`` ``NetDict``: ``weight``, ``weight_rec``, ``bias`` read with
  ``astype(int)``; ``optimize_weight_bits``): the file's integers are the effective weights. lava-dl
  reads no weight exponent or bit count from the file (``weight_exp``/``num_weight_bits``/``wgtExp`` are
  ignored); for ``dense`` it picks ``weight_exponent = -s``, ``num_weight_bits`` and stores ``w << s`` so
  that Lava's Dense sums exactly ``sum w`` (mixed signs in ``-256..254``; larger ones it clips), and the
  ``sign_mode`` it computes is never used (Lava's Dense determines its own). ``conv`` weights go to Lava's
  Conv as they are. Metadata: ``weight_exp = 0``, ``num_weight_bits = 8``, the exact integers; the
  Loihi quantizer stores them so that the sums are exact (mixed signs in ``-128..127``, else it counts
  the weights Lava changes). Non-integer values, which ``astype(int)`` would truncate, are refused.
* **D -- delays** (``create_dense``; ``process.py`` ``Dense``; Lava's ``DelayDense``): ``delay`` of a
  ``dense``/``dense_rec`` layer, in steps, is one per output unit (axonal, kept as such), a scalar (all
  synapses, kept as one per output unit), or, for ``dense``, one per *input* unit (kept as the
  ``[out, in]`` matrix); any other size is refused (lava-dl raises). lava-dl clamps delays above 62
  (``max_delay=62``): refused instead. Lava's DelayDense delivers a spike sent at step ``t`` with delay
  ``d`` at step ``t + 1 + d`` (its buffer is sent, then rolled; a delay of 0 is Dense's one step): the IR's
  ``delay_s = d dt`` on each synapse, on top of the one step every Lava synapse adds.
* **R -- dense_rec** (``create_dense`` with ``rec=True``; ``process.py`` ``RecurrentDense``): ``weight`` and
  ``weight_rec`` ``[out, out]`` share one ``optimize_weight_bits`` (exact as in W); the recurrent Dense
  runs from the population's spikes back into it, one step late (Lava's Dense buffer). With ``delay``
  lava-dl's recurrent DelayDense gets the feed-forward ``[out, in]`` delay matrix (so it builds only for
  ``in == out``) and neither DelayDense gets ``weight_exponent`` (``w << s`` unscaled: weights ``2^s``
  too large): snn-deploy reads the file's weights and puts the per-output delays on both synapses.
  Per-input delays on ``dense_rec`` are refused.
* **C -- conv** (``create_conv``): ``weight`` ``[out, in/groups, kh, kw, 1]`` is flipped in kh, kw and
  transposed to Lava's ``[out, W, H, in]``: it is PyTorch's layout and cross-correlation, kept as the
  IR's Conv2d weight. ``stride``/``padding``/``dilation`` in (H, W) order (netx reverses them), ``groups``
  (default 1 here; lava-dl requires it), optional per-channel ``bias`` (a neuron bias, ``process.py``
  ``AbstractBlock._neuron``).
* **F -- flatten** (``_create``: ``out.transpose([2, 1, 0]).flatten()``): the W, H, C port is transposed
  back to C, H, W and flattened: :class:`Flatten` of the C, H, W layer. lava-dl applies it only to the
  ``dense`` that follows; a ``dense`` after a 3-D block without it fails in lava-dl (port shapes differ):
  refused, except after an input without neuron, where ``Network.inp`` takes the flat units (C, H, W
  order here).
* **A -- average**: lava-dl 0.6.0's ``Network`` raises NotImplementedError for it (``_create``,
  ``create_average``). Read as slayer's ``Average`` read-out :math:`y_k(t) = \mathrm{mean}_{j \in G_k}
  s_j(t)` over ``num_outputs`` groups ``G_k`` of consecutive (C, H, W-flattened) units of the last
  population: no neurons; the graph's :class:`Output` records the last population's spikes, with
  ``metadata["netx"] = {"layer", "readout": "average", "num_outputs", "group_size"}``.
* Other types (``pool``, ``convT``, ``unpool``, ``concat``, ``dense_comp``) lava-dl cannot build either
  (NotImplementedError / no ``create_complex_dense``); unknown types it skips silently: all refused here,
  as are complex ``weight/real``/``weight/imag`` dense layers (lava-dl's ComplexDense, for RF neurons).
  ``input`` must be layer 0.

Graph
-----
``input`` (:class:`Input`) -> [``layer0.synapse`` (identity :class:`Dense`) -> ``layer0``
(:class:`CubaLIF`), rule I1 only] -> ``layer1.synapse`` (:class:`Conv2d`/:class:`Dense`) -> ``layer1`` ->
... -> ``output``; ``layer<i>`` of type ``flatten`` is a :class:`Flatten`; ``layer<i>.recurrent`` is the
recurrent Dense of a ``dense_rec`` layer. ``graph.metadata = {"dt_s": 1e-3, "source_format": "netx",
"netx": {"simulation": {...}}}`` (netx has no time unit; ``simulation/Ts`` is in steps).

Integers (exact, for the Loihi quantizer)
-----------------------------------------
Populations carry a :class:`~snn_deploy.ir.io.netx_integers.NetxNeuron` (``iDecay``, ``vDecay``, ``vThMant``,
``refDelay`` if present, ``bias`` int64 in the population's shape if present, ``bias_exp = 6``; netx passes
``du = iDecay - 1``, ``dv = vDecay``), projections a :class:`~snn_deploy.ir.io.netx_integers.NetxSynapse`
(``weight`` int64 in the IR layout, ``weight_exp = 0``, ``num_weight_bits = 8``, ``delay`` int64 one per output
unit or ``[out, in]`` if present), the ``average`` read-out's Output a
:class:`~snn_deploy.ir.io.netx_integers.NetxReadout`, each stored as ``metadata["netx"]``
(:mod:`snn_deploy.ir.io.netx_integers`: the contract and why it is plain data in the graph).

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

from dataclasses import replace
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from snn_deploy.errors import ModelFormatError, UnsupportedError
from snn_deploy.ir.graph import Graph
from snn_deploy.ir.io.files import open_hdf5, reading
from snn_deploy.ir.io.netx_integers import KEY, NetxNeuron, NetxReadout, NetxSynapse
from snn_deploy.ir.nodes import Conv2d, CubaLIF, Dense, Flatten, Input, Node, Output
from snn_deploy.ir.shapes import conv2d_output_hw

DT_S = 1e-3
DECAY_UNITY = 4096
#: lava-dl passes every netx bias mantissa with this exponent (``get_neuron_params``: ``bias_exp = 6``)
BIAS_EXP = 6
#: the weight exponent and bit count of a netx projection: lava-dl reads neither from the file (rule W)
NETX_WEIGHT_EXP, NETX_NUM_WEIGHT_BITS = 0, 8
#: clamp of a decay factor away from 0 and 1, so every time constant is finite and positive
DECAY_MARGIN = 2.0 ** -24
#: netx's neuron for a layer without one: ``iDecay=0, vDecay=4096, vThMant=1 << 18 - 1`` (= 1 << 17)
DEFAULT_NEURON = {"type": "CUBA", "iDecay": 0, "vDecay": 4096, "vThMant": 1 << 17, "refDelay": 1}
NEURON_TYPES = ("CUBA", "LOIHI")
#: lava-dl's largest delay (steps): ``create_dense`` clamps larger ones, DelayDense gets ``max_delay=62``
MAX_DELAY_STEPS = 62
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
        self.readout: NetxReadout | None = None

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
            if "messageBits" in neuron and _integer(neuron, "messageBits", where) != 0:
                raise UnsupportedError(f"{where}: 'messageBits' > 0 (graded spikes) is not supported")
            config: dict[str, Any] = {key: _integer(neuron, key, where) for key in ("iDecay", "vDecay", "vThMant")}
            config.update(neuron_type=kind, default_neuron=False,
                          refDelay=_integer(neuron, "refDelay", where) if "refDelay" in neuron else None)
        else:
            config = {**DEFAULT_NEURON, "neuron_type": DEFAULT_NEURON["type"], "default_neuron": True}
        for key in ("iDecay", "vDecay"):
            if not 0 <= config[key] <= DECAY_UNITY:
                raise ModelFormatError(f"{where}: '{key}' = {config[key]} is outside 0..{DECAY_UNITY}")
        bias_mant = np.zeros(shape, dtype=np.int64)
        if bias is not None:
            try:
                bias_mant = np.array(np.broadcast_to(bias.reshape(bias.shape + (1,) * (len(shape) - bias.ndim)), shape))
            except ValueError:
                raise ModelFormatError(f"layer {index}: 'bias' of shape {bias.shape} does not fit the layer shape "
                                       f"{shape}") from None
        netx = NetxNeuron(layer=index, neuron_type=config["neuron_type"], i_decay=config["iDecay"],
                          v_decay=config["vDecay"], v_th_mant=config["vThMant"], bias_exp=BIAS_EXP,
                          bias=None if bias is None else bias_mant, ref_delay=config["refDelay"],
                          default_neuron=config["default_neuron"])
        params = cuba_parameters(netx.i_decay, netx.v_decay, netx.v_th_mant, bias_mant, self.dt_s)
        self.add(f"layer{index}", CubaLIF.create(shape, **params, metadata={KEY: netx.to_metadata()}), source, shape)

    def input_layer(self, index: int, layer: h5py.Group, shape: Shape) -> None:
        """Without ``neuron``: the :class:`Input` alone (lava-dl's pass-through); with it: Input -> relay."""
        self.add("input", Input(shape), None, shape)
        if "neuron" not in layer:
            return
        size = int(np.prod(shape))
        if size > MAX_INPUT_UNITS:
            raise UnsupportedError(f"layer {index}: input of {size} units; the identity Dense in front of the input "
                                   f"population is [units, units], supported up to {MAX_INPUT_UNITS} units")
        transform = {key: _integer(layer, key, f"layer {index}") for key in ("weight", "bias") if key in layer}
        identity = np.eye(size, dtype=np.int64)
        self.add(f"layer{index}.synapse", Dense(identity, metadata={KEY: self.synapse(index, identity).to_metadata()}),
                 "input", (size,))
        self.population(index, layer, shape, None, f"layer{index}.synapse")
        if transform:
            pop = self.nodes[f"layer{index}"]
            netx = replace(NetxNeuron.from_metadata(pop.metadata[KEY], f"layer {index}"), transform=transform)
            self.nodes[f"layer{index}"] = pop.replace(metadata={KEY: netx.to_metadata()})

    @staticmethod
    def synapse(index: int, weight: np.ndarray, delay: np.ndarray | None = None) -> NetxSynapse:
        """The exact integer weights; lava-dl reads no exponent from the file (module docstring, rule W)."""
        return NetxSynapse(layer=index, weight=weight, weight_exp=NETX_WEIGHT_EXP,
                           num_weight_bits=NETX_NUM_WEIGHT_BITS, delay=delay)

    def conv_layer(self, index: int, layer: h5py.Group, shape: Shape) -> None:
        where = f"layer {index}"
        if "neuron" not in layer:
            raise ModelFormatError(f"{where}: conv layer without a 'neuron' group (lava-dl's create_conv needs one)")
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
                      metadata={KEY: self.synapse(index, weight).to_metadata()})
        self.add(f"layer{index}.synapse", conv, self.last, shape)
        bias = _integers(layer, "bias", where) if "bias" in layer else None
        self.population(index, layer, shape, bias, f"layer{index}.synapse")

    def dense_layer(self, index: int, layer: h5py.Group, shape: Shape, recurrent: bool) -> None:
        where = f"layer {index}"
        size = int(np.prod(shape))
        if len(self.last_shape) > 1 and self.last != "input":
            raise UnsupportedError(f"{where}: dense layer after the {self.last_shape} layer '{self.last}' needs a "
                                   f"'flatten' layer between them (lava-dl connects them only through one)")
        weights = {"weight": _integers(layer, "weight", where)}
        if recurrent:
            weights["weight_rec"] = _integers(layer, "weight_rec", where)
        expected = {"weight": (size, int(np.prod(self.last_shape))), "weight_rec": (size, size)}
        for key, weight in weights.items():
            if weight.ndim == 1 and weight.size == np.prod(expected[key]):
                weights[key] = weight = weight.reshape(expected[key])
            if weight.shape != expected[key]:
                raise ModelFormatError(f"{where}: '{key}' has shape {weight.shape}, expected {expected[key]}")
        delay = self.delay(index, layer, size, int(np.prod(self.last_shape)), recurrent)
        names = {"weight": f"layer{index}.synapse", "weight_rec": f"layer{index}.recurrent"}
        dense = {}
        for key, weight in weights.items():
            delay_s = None
            if delay is not None:
                delay_s = np.broadcast_to(delay * self.dt_s if delay.ndim == 2 else (delay * self.dt_s)[:, None],
                                          weight.shape)
            dense[key] = Dense(weight.astype(np.float64), delay_s=delay_s,
                               metadata={KEY: self.synapse(index, weight, delay).to_metadata()})
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
    def delay(index: int, layer: h5py.Group, out_units: int, in_units: int, recurrent: bool) -> np.ndarray | None:
        """The file's ``delay`` as lava-dl's ``create_dense`` expands it (rule D): one per output unit (a scalar
        is one for all), else one per input unit ``[out, in]``; above :data:`MAX_DELAY_STEPS` refused."""
        if "delay" not in layer:
            return None
        where = f"layer {index}"
        raw = _integers(layer, "delay", where)
        if raw.ndim == 0:
            delay = np.full(out_units, int(raw))
        elif raw.ndim == 1 and raw.size == out_units:
            delay = raw
        elif raw.ndim == 1 and raw.size == in_units and not recurrent:
            delay = np.repeat(raw.reshape(1, -1), out_units, axis=0)
        else:
            per_input = "" if recurrent else f" or one per input unit ({in_units})"
            raise UnsupportedError(f"{where}: 'delay' of shape {raw.shape}; lava-dl takes one delay per output "
                                   f"unit ({out_units}){per_input}")
        if np.any(delay < 0):
            raise ModelFormatError(f"{where}: 'delay' must be >= 0 steps")
        if delay.max() > MAX_DELAY_STEPS:
            raise UnsupportedError(f"{where}: 'delay' of {int(delay.max())} steps; lava-dl clamps delays to "
                                   f"{MAX_DELAY_STEPS} steps (a different network), snn-deploy refuses them")
        return delay

    def flatten_layer(self, index: int) -> None:
        size = int(np.prod(self.last_shape))
        self.add(f"layer{index}", Flatten(start_dim=0, end_dim=-1), self.last, (size,))

    def average_layer(self, index: int, shape: Shape) -> None:
        outputs = int(np.prod(shape))
        size = int(np.prod(self.last_shape))
        if outputs < 1 or size % outputs:
            raise ModelFormatError(f"layer {index}: average over {outputs} groups does not divide {size} units")
        self.readout = NetxReadout(layer=index, num_outputs=outputs, group_size=size // outputs)


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
    output_meta = {KEY: builder.readout.to_metadata()} if builder.readout else {}
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
