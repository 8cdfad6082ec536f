r"""NIR (``.nir``, the Neuromorphic Intermediate Representation) read and write, via the ``nir`` package.

Mapping (NIR's parameter names and units; NIR time constants are seconds, as the IR's)
---------------------------------------------------------------------------------------
=============================  ==========================================================
NIR                            IR
=============================  ==========================================================
``Input`` / ``Output``         :class:`Input` / :class:`Output` (shape)
``Affine`` / ``Linear``        :class:`Dense` (``weight``, ``bias``; ``Linear`` = no bias)
``Scale``                      :class:`Dense` with ``diag(scale)`` (written back as ``Scale``)
``Conv2d``                     :class:`Conv2d` (``input_shape`` checked; ``"same"``/``"valid"`` padding)
``SumPool2d`` / ``AvgPool2d``  :class:`SumPool2d` / :class:`AvgPool2d`
``Flatten``                    :class:`Flatten`
``Delay``                      :class:`Delay` (``delay`` -> ``delay_s``)
``CubaLIF``                    :class:`CubaLIF` (``tau_syn``, ``tau_mem``, ``r``, ``v_leak``, ``v_threshold``,
                               ``v_reset``, ``w_in``)
``LIF``                        :class:`LIF` (``tau`` -> ``tau_mem_s``)
``IF``                         :class:`IF`
``CubaLI``                     :class:`CubaLI` (``tau_syn``, ``tau_mem``, ``r``, ``v_leak``, ``w_in``)
``LI``                         :class:`LI` (``tau`` -> ``tau_mem_s``)
=============================  ==========================================================

Resets follow NIR 1.0.8: ``IF``, ``LIF`` and ``CubaLIF`` fire when ``v > v_threshold`` and reset to
``v_reset`` (NIR 1.0.6; optional with default 0 since 1.0.7), so every spiking population is read with
``reset_mode="to_value"`` and the file's ``v_reset``. A file written before ``v_reset`` existed (no
``v_reset`` dataset on the node, e.g. the nir 1.0.4-era shared models) is ambiguous: it is read as
current NIR reads it (``v_reset = 0``) and the graph metadata ``reset_reading`` says so
(:mod:`snn_deploy.ir.io.reset_reading`; ``inspect`` and the compile reports state it, and
``--reset-mode subtract`` reads it as the many exporters that subtracted meant it). Writing produces
NIR 1.0.8 files with ``v_reset`` (gzip-compressed, as ``nir.write`` does); a population NIR cannot
express (reset by subtraction: current NIR has none; a :class:`CoupledLIF`; a :class:`Dense` with
per-synapse ``delay_s``) raises :class:`UnsupportedError` naming the node. NIR's ``I``,
``Threshold`` and ``Conv1d`` are not read (:class:`UnsupportedError`); nested graphs are inlined
(:mod:`snn_deploy.ir.io.nir_nested`; written back flat). Files are read without ``nir``'s type
check (it rejects or rewrites graphs that older releases wrote), every release 1.0.0 - 1.0.8.

Exporter quirks handled on reading
----------------------------------
* Scalar or size-1 neuron parameters are broadcast to the population, whose shape then comes from
  the node feeding it; missing or empty ``Output`` types are taken from the source, a missing or
  empty ``Input`` type from the node it feeds (a Linear's ``in`` size, a population's shape, a
  Conv2d's channels and ``input_shape``).
* Shapes are inferred by the IR (``input_type``/``output_type`` may be ``None``, as sinabs writes
  for pooling); a ``Conv2d.input_shape`` that disagrees with the inferred input is an error.
* ``Flatten`` dims that do not fit the inferred input rank are read in PyTorch's batch-inclusive
  convention (sinabs: ``start_dim=1`` means the first unbatched dim), i.e. shifted down by one.
* snnTorch writes a recurrent CubaLIF layer (``RSynaptic``) as ``lif -> w_rec -> lif`` next to the
  feed-forward ``fc -> lif`` (newer versions as a nested graph, inlined here). Both edges end at the
  same synapse (``RSynaptic`` adds the recurrent current to the same synaptic state), which is NIR's
  and the IR's rule "inputs are summed, then scaled by ``w_in``"; the cycle becomes an IR recurrent
  edge. snnTorch 1.0 writes ``v_reset = 0`` whatever its neurons' ``reset_mechanism`` (default
  ``"subtract"``), so its files say "reset to 0" even for a network trained with subtraction.
  snnTorch's exporter maps its discrete decays with a fixed ``dt = 1e-4`` s: ``tau = dt / (1 - decay)``,
  ``r = tau_mem / dt``, ``w_in = tau_syn / dt`` (so ``braille_*.nir`` has ``r = 10``, ``w_in = 2.22``).
  These are ordinary NIR parameters with NIR's meaning, read as they are: no special handling of ``r``
  or ``w_in`` is done (read with Dirac-pulse inputs, a spike moves the synaptic current by ``W / dt``,
  10^4 times snnTorch's own ``W``; tests/ir/io/test_nir_fixtures.py shows it).

Lossless round trips
--------------------
IR arrays are float64; NIR files often carry float32 or size-1 arrays. The reader widens them
exactly and, when an array's dtype or shape was not the IR's, records it in the node's
``metadata["nir"]["arrays"][<nir field>] = {"dtype", "shape"}`` (with ``"kind"``, ``"padding"``,
``"flatten_dims"`` and foreign ``"metadata"`` likewise), so writing the graph back reproduces the
file's arrays bit for bit. A recorded form is used only when it represents the current values
exactly; otherwise the writer falls back to full float64 arrays. IR metadata, the IR node order and
the absence of a Conv2d bias (which NIR requires) are kept in the NIR graph's metadata as one JSON
text (key ``"snn_deploy"``), because several NIR node types have no metadata field.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import h5py
import nir
import numpy as np

from snn_deploy.errors import GraphValidationError, ModelFormatError, UnsupportedError
from snn_deploy.ir.graph import Graph
from snn_deploy.ir.io import metadata as meta
from snn_deploy.ir.io.files import open_hdf5, reading, write_atomic
from snn_deploy.ir.io.nir_nested import flatten_subgraphs, inner_name
from snn_deploy.ir.io.reset_reading import with_default_reading
from snn_deploy.ir.nodes import (
    IF, LI, LIF, AvgPool2d, Conv2d, CoupledLIF, CubaLI, CubaLIF, Delay, Dense, Flatten, Input, Node, Output,
    Population, SumPool2d,
)
from snn_deploy.ir.shapes import node_output_shape

#: NIR parameter name -> IR field name, per population kind
NEURON_FIELDS: dict[type[Population], dict[str, str]] = {
    CubaLIF: {"tau_syn": "tau_syn_s", "tau_mem": "tau_mem_s", "r": "r", "v_leak": "v_leak",
              "v_threshold": "v_threshold", "v_reset": "v_reset", "w_in": "w_in"},
    LIF: {"tau": "tau_mem_s", "r": "r", "v_leak": "v_leak", "v_threshold": "v_threshold", "v_reset": "v_reset"},
    IF: {"r": "r", "v_threshold": "v_threshold", "v_reset": "v_reset"},
    CubaLI: {"tau_syn": "tau_syn_s", "tau_mem": "tau_mem_s", "r": "r", "v_leak": "v_leak", "w_in": "w_in"},
    LI: {"tau": "tau_mem_s", "r": "r", "v_leak": "v_leak"},
}
_NIR_NEURONS = {"CubaLIF": CubaLIF, "LIF": LIF, "IF": IF, "CubaLI": CubaLI, "LI": LI}
#: NIR neuron types that reset (and have had ``v_reset`` since NIR 1.0.6)
_RESETTING = ("CubaLIF", "LIF", "IF")
_HINTS = "nir"  # metadata key of the NIR-specific record
_STORE = "snn_deploy"  # NIR graph metadata key of our JSON text

Shape = tuple[int, ...]


# ------------------------------------------------------------------------------------------------
# reading
# ------------------------------------------------------------------------------------------------
def _array(value: Any, what: str) -> np.ndarray:
    """A parameter array: integers or floats (not bools, strings or objects)."""
    array = np.asarray(value)
    if array.dtype.kind not in "iuf":
        raise ModelFormatError(f"{what} has dtype {array.dtype}, expected numbers")
    return array


def _ints(value: Any, what: str) -> np.ndarray:
    """A shape, stride, padding... : integers only."""
    array = np.asarray(value)
    if array.dtype.kind not in "iu":
        raise ModelFormatError(f"{what} has dtype {array.dtype}, expected integers")
    return array


def _int(value: Any, what: str) -> int:
    array = _ints(value, what)
    if array.size != 1:
        raise ModelFormatError(f"{what} must be one integer, got shape {array.shape}")
    return int(array.reshape(()))


def _given_shape(types: Any, key: str) -> Any:
    """The shape of an ``input_type`` / ``output_type`` entry; None when missing or empty."""
    shape = types.get(key) if isinstance(types, dict) else None
    return None if shape is None or np.size(shape) == 0 else shape


def _record_array(hints: dict[str, Any], nir_field: str, array: np.ndarray, ir_shape: Shape) -> None:
    if array.dtype != np.float64 or array.shape != ir_shape:
        hints.setdefault("arrays", {})[nir_field] = {"dtype": array.dtype.str, "shape": list(array.shape)}


def _foreign_metadata(value: Any) -> Any:
    """NIR metadata from another tool, with bytes decoded (kept under ``metadata["nir"]["metadata"]``)."""
    if isinstance(value, dict):
        return {str(k): _foreign_metadata(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


class _Reader:
    """Turns one flat ``nir.NIRGraph`` into IR nodes, inferring shapes where the file lacks them."""

    def __init__(self, ng: nir.NIRGraph) -> None:
        self.ng = ng
        self.sources: dict[str, list[str]] = {name: [] for name in ng.nodes}
        for source, target in ng.edges:
            for end in (source, target):
                if end not in ng.nodes:
                    raise ModelFormatError(f"edge '{source}' -> '{target}': no node named '{end}'")
            self.sources[target].append(source)
        self.nodes: dict[str, Node] = {}
        self.shapes: dict[str, Shape] = {}

    def run(self) -> dict[str, Node]:
        pending = list(self.ng.nodes)
        while pending:
            progress = False
            for name in list(pending):
                in_shape = next((self.shapes[s] for s in self.sources[name] if s in self.shapes), None)
                is_input = isinstance(self.ng.nodes[name], nir.Input)
                if in_shape is None and not is_input:
                    continue
                node = self.convert(name, self.ng.nodes[name], in_shape)
                self.nodes[name] = node
                self.shapes[name] = node.shape if is_input else node_output_shape(name, node, in_shape)
                pending.remove(name)
                progress = True
            if not progress:
                raise GraphValidationError(f"node '{pending[0]}': cannot infer its input shape (no source with "
                                           "a known shape)")
        return {name: self.nodes[name] for name in self.ng.nodes}

    def convert(self, name: str, n: nir.NIRNode, in_shape: Shape | None) -> Node:
        """The IR node for NIR node ``n`` (``in_shape``: the shape it receives; None for an Input)."""
        kind = type(n).__name__
        hints: dict[str, Any] = {}
        if getattr(n, "metadata", None):
            hints["metadata"] = _foreign_metadata(n.metadata)
        if isinstance(n, nir.Input):
            node = Input(self._input_shape(name, n))
        elif isinstance(n, nir.Output):
            shape = _given_shape(n.output_type, "output")
            node = Output(tuple(int(s) for s in _ints(in_shape if shape is None else shape, f"node '{name}': shape")))
        elif isinstance(n, (nir.Affine, nir.Linear)):
            weight = _array(n.weight, f"node '{name}': parameter 'weight'")
            if weight.ndim != 2:
                raise UnsupportedError(f"node '{name}': {kind} weight of rank {weight.ndim} (only [out, in])")
            _record_array(hints, "weight", weight, weight.shape)
            bias = None
            if isinstance(n, nir.Affine):
                bias = _array(n.bias, f"node '{name}': parameter 'bias'")
                _record_array(hints, "bias", bias, (weight.shape[0],))
            node = Dense(weight, bias=None if bias is None else np.broadcast_to(bias, (weight.shape[0],)))
        elif isinstance(n, nir.Scale):
            scale = _array(n.scale, f"node '{name}': parameter 'scale'")
            if scale.ndim != 1:
                raise UnsupportedError(f"node '{name}': Scale of rank {scale.ndim} (only 1-D)")
            hints["kind"] = "Scale"
            _record_array(hints, "scale", scale, scale.shape)
            node = Dense(np.diag(scale.astype(np.float64)))
        elif isinstance(n, nir.Conv2d):
            node = self._conv(name, n, in_shape, hints)
        elif isinstance(n, (nir.SumPool2d, nir.AvgPool2d)):
            cls = SumPool2d if isinstance(n, nir.SumPool2d) else AvgPool2d
            node = cls(kernel_size=_ints(n.kernel_size, f"node '{name}': kernel_size"),
                       stride=_ints(n.stride, f"node '{name}': stride"),
                       padding=_ints(n.padding, f"node '{name}': padding"))
        elif isinstance(n, nir.Flatten):
            start, end = _int(n.start_dim, f"node '{name}': start_dim"), _int(n.end_dim, f"node '{name}': end_dim")
            if not _flatten_fits(start, end, len(in_shape)) and _flatten_fits(start - 1, end - (end > 0), len(in_shape)):
                hints["flatten_dims"] = [start, end]
                start, end = start - 1, end - (end > 0)
            node = Flatten(start_dim=start, end_dim=end)
        elif isinstance(n, nir.Delay):
            delay = _array(n.delay, f"node '{name}': parameter 'delay'")
            _record_array(hints, "delay", delay, delay.shape)
            node = Delay(delay_s=delay)
        elif kind in _NIR_NEURONS:
            node = self._population(name, n, _NIR_NEURONS[kind], in_shape, hints)
        else:
            raise UnsupportedError(f"node '{name}': NIR {kind} is not supported (no IR equivalent)")
        return node.replace(metadata={_HINTS: hints}) if hints else node

    @staticmethod
    def _conv(name: str, n: nir.Conv2d, in_shape: Shape, hints: dict[str, Any]) -> Conv2d:
        weight = _array(n.weight, f"node '{name}': parameter 'weight'")
        if weight.ndim != 4:
            raise ModelFormatError(f"node '{name}': Conv2d weight must be [out, in/groups, kh, kw], got {weight.shape}")
        _record_array(hints, "weight", weight, weight.shape)
        bias = _array(n.bias, f"node '{name}': parameter 'bias'")
        _record_array(hints, "bias", bias, (weight.shape[0],))
        dilation = np.broadcast_to(_ints(n.dilation, f"node '{name}': dilation"), (2,))
        padding = n.padding
        if isinstance(padding, str):
            hints["padding"] = padding
            if padding == "valid":
                padding = (0, 0)
            else:
                total = dilation * (np.asarray(weight.shape[2:]) - 1)
                if np.any(total % 2) or np.any(np.broadcast_to(_ints(n.stride, f"node '{name}': stride"), (2,)) != 1):
                    raise UnsupportedError(f"node '{name}': 'same' padding needs stride 1 and an odd kernel")
                padding = tuple(int(p) for p in total // 2)
        conv = Conv2d(weight, stride=_ints(n.stride, f"node '{name}': stride"),
                      padding=_ints(padding, f"node '{name}': padding"), dilation=dilation,
                      groups=_int(n.groups, f"node '{name}': groups"), bias=np.broadcast_to(bias, (weight.shape[0],)))
        if n.input_shape is not None and len(in_shape) == 3:
            given = tuple(int(s) for s in np.broadcast_to(_ints(n.input_shape, f"node '{name}': input_shape"), (2,)))
            if given != tuple(in_shape[1:]):
                raise GraphValidationError(f"node '{name}': Conv2d input_shape {given} but it receives {in_shape}")
        return conv

    @staticmethod
    def _population(name: str, n: nir.NIRNode, cls: type[Population], in_shape: Shape,
                    hints: dict[str, Any]) -> Population:
        arrays = {field: _array(getattr(n, field), f"node '{name}': parameter '{field}'")
                  for field in NEURON_FIELDS[cls]}
        shape = np.broadcast_shapes(*(a.shape for a in arrays.values()))
        if int(np.prod(shape)) <= 1:  # scalar parameters: the population takes its source's shape
            shape = in_shape
        for field, array in arrays.items():
            _record_array(hints, field, array, tuple(shape))
        params: dict[str, Any] = {NEURON_FIELDS[cls][f]: np.broadcast_to(a, shape) for f, a in arrays.items()}
        if cls.spiking:
            params["reset_mode"] = "to_value"  # NIR 1.0.6+: v <- v_reset
        return cls.create(tuple(shape), **params)

    def _input_shape(self, name: str, n: nir.Input) -> Shape:
        """The Input's shape, or (missing or empty in the file) the one the node it feeds expects."""
        shape = _given_shape(n.input_type, "input")
        if shape is not None:
            return tuple(int(s) for s in _ints(shape, f"node '{name}': shape"))
        targets = [t for t, sources in self.sources.items() if name in sources]
        target = self.ng.nodes[targets[0]] if targets else None
        if isinstance(target, (nir.Affine, nir.Linear)) and np.ndim(target.weight) == 2:
            return (int(np.shape(target.weight)[1]),)
        if isinstance(target, nir.Conv2d) and target.input_shape is not None and np.ndim(target.weight) == 4:
            hw = np.broadcast_to(_ints(target.input_shape, f"node '{targets[0]}': input_shape"), (2,))
            groups = _int(target.groups, f"node '{targets[0]}': groups")
            return (int(np.shape(target.weight)[1]) * groups, *(int(x) for x in hw))
        if type(target).__name__ in _NIR_NEURONS:
            size = max((np.shape(getattr(target, f)) for f in NEURON_FIELDS[_NIR_NEURONS[type(target).__name__]]),
                       key=lambda s: int(np.prod(s)))
            if int(np.prod(size)) > 1:
                return tuple(int(s) for s in size)
        raise GraphValidationError(f"node '{name}': Input has no shape, and the node it feeds does not give one")


def _flatten_fits(start: int, end: int, rank: int) -> bool:
    start = start + rank if start < 0 else start
    end = end + rank if end < 0 else end
    return 0 <= start <= end < max(rank, 1)


def from_nir(ng: nir.NIRGraph) -> Graph:
    """The IR graph of a NIR graph (nested graphs inlined; validated)."""
    if not isinstance(ng, nir.NIRGraph):
        raise ModelFormatError(f"top-level node is a {type(ng).__name__}, expected a NIRGraph")
    ng = flatten_subgraphs(ng)
    nodes = _Reader(ng).run()
    graph_meta = dict(ng.metadata or {})
    store = json.loads(_text(graph_meta.pop(_STORE))) if _STORE in graph_meta else {}
    if not isinstance(store, dict):
        raise ModelFormatError(f"graph metadata '{_STORE}' is not a JSON object")
    for name, extra in store.get("nodes", {}).items():
        if name not in nodes or not isinstance(extra, dict):
            raise ModelFormatError(f"graph metadata '{_STORE}' describes an unknown node '{name}'")
        node = nodes[name]
        if extra.get("no_bias") and isinstance(node, Conv2d):
            node = node.replace(bias=None)
            node = node.replace(metadata=_without_bias_hint(node.metadata))
        if "metadata" in extra:
            node = node.replace(metadata={**meta.from_jsonable(extra["metadata"]), **node.metadata})
        nodes[name] = node
    order = store.get("node_order", list(nodes))
    if sorted(order) != sorted(nodes) or len(set(order)) != len(order):
        raise ModelFormatError(f"graph metadata '{_STORE}' has a node order that does not list the graph's nodes")
    metadata = dict(meta.from_jsonable(store.get("graph", {})))
    if graph_meta:
        metadata[_HINTS] = {"metadata": _foreign_metadata(graph_meta)}
    graph = Graph({name: nodes[name] for name in order}, [tuple(e) for e in ng.edges], metadata)
    return graph.validate()


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _without_bias_hint(metadata: dict[str, Any]) -> dict[str, Any]:
    hints = dict(metadata.get(_HINTS, {}))
    arrays = {k: v for k, v in hints.get("arrays", {}).items() if k != "bias"}
    hints.pop("arrays", None)
    if arrays:
        hints["arrays"] = arrays
    rest = {k: v for k, v in metadata.items() if k != _HINTS}
    return {**rest, _HINTS: hints} if hints else rest


def _without_v_reset(data: dict[str, Any], prefix: str = "") -> list[str]:
    """Flattened names of the resetting neurons in a file's node dictionary that have no ``v_reset``."""
    missing = []
    for name, node in _nodes_of(data).items():
        if not isinstance(node, dict):
            continue
        full = inner_name(prefix, name) if prefix else name
        if node.get("type") == "NIRGraph":
            missing += _without_v_reset(node, full)
        elif node.get("type") in _RESETTING and "v_reset" not in node:
            missing.append(full)
    return missing


def _nodes_of(graph: dict[str, Any]) -> dict[str, Any]:
    nodes = graph.get("nodes", {})
    if not isinstance(nodes, dict):
        raise ModelFormatError("a NIRGraph's 'nodes' is not a group of nodes")
    return nodes


def _prepared(data: dict[str, Any]) -> dict[str, Any]:
    """The node dictionary ready for ``nir``'s ``from_dict``: type check off in every (nested) graph, and the
    fields that older writers left out (a Conv's ``input_shape``) present as ``None``."""
    if data.get("type") in ("Conv1d", "Conv2d") and "input_shape" not in data:
        return {**data, "input_shape": None}
    if data.get("type") != "NIRGraph":
        return data
    nodes = {k: _prepared(v) if isinstance(v, dict) else v for k, v in _nodes_of(data).items()}
    return {**data, "nodes": nodes, "type_check": False}


def _read_file(path: Path) -> tuple[nir.NIRGraph, list[str], str | None]:
    """The file's NIR graph (no type check), its resetting neurons without ``v_reset``, and its NIR version."""
    with open_hdf5(path) as handle:
        version = _text(handle["version"][()]) if "version" in handle else None
        data = nir.serialization.hdf2dict(handle["node"])
    if data.get("type") != "NIRGraph":
        raise ModelFormatError(f"top-level node is a {data.get('type')}, expected a NIRGraph")
    missing = _without_v_reset(data)  # before nir's from_dict fills v_reset in (it edits the dicts)
    return nir.dict2NIRNode(_prepared(data)), missing, version


def read_nir_graph(path: str | Path) -> nir.NIRGraph:
    """The ``nir.NIRGraph`` of a ``.nir`` file of any release, as this reader sees it (``nir.read`` type-checks,
    which fails on nested graphs without Input nodes and on Conv2d nodes older writers wrote without
    ``input_shape``); a missing ``v_reset`` is filled with zeros, as ``nir`` does."""
    path = Path(path)
    with reading(path, "NIR"):
        return _read_file(path)[0]


def read(path: str | Path) -> Graph:
    """Read a ``.nir`` file of any NIR release (1.0.0 - 1.0.8); any problem is an snn-deploy error naming ``path``.

    Resetting neurons without ``v_reset`` (files older than NIR 1.0.6) are recorded as an ambiguous reading
    (:func:`snn_deploy.ir.io.reset_reading.with_default_reading`).
    """
    path = Path(path)
    with reading(path, "NIR"):
        ng, missing, version = _read_file(path)
        return with_default_reading(from_nir(ng), missing, version)


# ------------------------------------------------------------------------------------------------
# writing
# ------------------------------------------------------------------------------------------------
def _as_recorded(value: np.ndarray, record: dict[str, Any] | None) -> np.ndarray:
    """``value`` in the dtype and shape the file had, when that form holds it exactly; else ``value``."""
    if not record:
        return value
    try:
        dtype = np.dtype(record["dtype"])
        shape = tuple(int(s) for s in record["shape"])
        padded = (1,) * (value.ndim - len(shape)) + shape
        index = tuple(slice(0, 1) if p == 1 else slice(None) for p in padded)
        candidate = value[index].reshape(shape).astype(dtype)
    except (IndexError, KeyError, TypeError, ValueError):
        return value
    widened = np.broadcast_to(candidate.astype(np.float64), value.shape)
    return candidate if widened.tobytes() == value.tobytes() else value


class _Writer:
    def __init__(self, graph: Graph) -> None:
        self.graph = graph.validate()
        self.shapes = graph.shapes()

    def node(self, name: str, node: Node) -> nir.NIRNode:
        hints = dict(node.metadata.get(_HINTS, {}))
        recorded = hints.get("arrays", {})

        def arr(nir_field: str, value: np.ndarray) -> np.ndarray:
            return _as_recorded(value, recorded.get(nir_field))

        def ints(value: tuple[int, ...]) -> np.ndarray:
            return np.asarray(value, dtype=np.int64)

        source_shape = self.shapes[self.graph.sources(name)[0]] if self.graph.sources(name) else None
        if isinstance(node, Input):
            return nir.Input(input_type={"input": ints(node.shape)})
        if isinstance(node, Output):
            return nir.Output(output_type={"output": ints(node.shape)})
        if isinstance(node, CoupledLIF):
            raise UnsupportedError(f"node '{name}': NIR has no CoupledLIF (membrane coupling)")
        if isinstance(node, Population):
            return self._population(name, node, arr)
        if isinstance(node, Dense):
            if node.delay_s is not None:
                raise UnsupportedError(f"node '{name}': NIR cannot express per-synapse Dense delays (delay_s)")
            weight = node.weight
            if hints.get("kind") == "Scale" and node.bias is None and np.array_equal(weight, np.diag(np.diag(weight))):
                return nir.Scale(scale=arr("scale", np.diag(weight).copy()))
            if node.bias is None:
                return nir.Linear(weight=arr("weight", weight))
            return nir.Affine(weight=arr("weight", weight), bias=arr("bias", node.bias))
        if isinstance(node, Conv2d):
            bias = node.bias if node.bias is not None else np.zeros(node.weight.shape[0])
            padding: Any = ints(node.padding)
            if hints.get("padding") == "valid" and node.padding == (0, 0) or (
                    hints.get("padding") == "same" and node.stride == (1, 1)
                    and np.array_equal(ints(node.padding) * 2, ints(node.dilation) * (ints(node.weight.shape[2:]) - 1))):
                padding = hints["padding"]
            return nir.Conv2d(input_shape=ints(source_shape[1:]), weight=arr("weight", node.weight),
                              stride=ints(node.stride), padding=padding, dilation=ints(node.dilation),
                              groups=int(node.groups), bias=arr("bias", bias))
        if isinstance(node, AvgPool2d):
            return nir.AvgPool2d(kernel_size=ints(node.kernel_size), stride=ints(node.stride), padding=ints(node.padding))
        if isinstance(node, SumPool2d):
            return nir.SumPool2d(kernel_size=ints(node.kernel_size), stride=ints(node.stride), padding=ints(node.padding))
        if isinstance(node, Flatten):
            start, end = node.start_dim, node.end_dim
            if "flatten_dims" in hints:  # batch-inclusive dims the file had, if they still mean these
                original = tuple(hints["flatten_dims"])
                if (original[0] - 1, original[1] - (original[1] > 0)) == (start, end):
                    start, end = original
            return nir.Flatten(input_type={"input": ints(source_shape)}, start_dim=int(start), end_dim=int(end))
        if isinstance(node, Delay):
            return nir.Delay(delay=arr("delay", node.delay_s))
        raise UnsupportedError(f"node '{name}': {node.kind} has no NIR equivalent")

    @staticmethod
    def _population(name: str, node: Population, arr: Callable[[str, np.ndarray], np.ndarray]) -> nir.NIRNode:
        if getattr(node, "reset_mode", "to_value") == "subtract":
            raise UnsupportedError(f"node '{name}': NIR has no reset by subtraction (reset_mode='subtract'); NIR "
                                   "neurons reset to v_reset (since NIR 1.0.6)")
        cls = getattr(nir, node.kind)
        params = {nir_field: arr(nir_field, getattr(node, field)) for nir_field, field in NEURON_FIELDS[type(node)].items()}
        return cls(**params)

    def to_nir(self) -> nir.NIRGraph:
        nodes = {}
        store: dict[str, Any] = {"node_order": list(self.graph.nodes), "nodes": {}}
        for name, node in self.graph.nodes.items():
            nodes[name] = self.node(name, node)
            extra: dict[str, Any] = {}
            own = {k: v for k, v in node.metadata.items() if k != _HINTS}
            if own:
                extra["metadata"] = meta.to_jsonable(own, where=f"node '{name}'")
            if isinstance(node, Conv2d) and node.bias is None:
                extra["no_bias"] = True
            foreign = node.metadata.get(_HINTS, {}).get("metadata")
            if foreign and "metadata" in type(nodes[name]).__dataclass_fields__:
                nodes[name].metadata = dict(foreign)
            if extra:
                store["nodes"][name] = extra
        graph_meta = {k: v for k, v in self.graph.metadata.items() if k != _HINTS}
        store["graph"] = meta.to_jsonable(graph_meta, where="graph metadata")
        metadata = dict(self.graph.metadata.get(_HINTS, {}).get("metadata", {}))
        metadata[_STORE] = json.dumps(store, separators=(",", ":"), allow_nan=True)
        return nir.NIRGraph(nodes=nodes, edges=[tuple(e) for e in self.graph.edges], metadata=metadata,
                            type_check=False)


def to_nir(graph: Graph) -> nir.NIRGraph:
    """The NIR graph of ``graph`` (:class:`UnsupportedError` naming the node for what NIR cannot express)."""
    return _Writer(graph).to_nir()


def _write_group(group: h5py.Group, node: dict[str, Any]) -> None:
    """``nir.write``'s layout (strings, arrays, sub-dictionaries as groups; empty metadata left out), with
    gzip on every array that is not a scalar (``nir.write`` 1.0.8 asks h5py to compress scalars too, which fails)."""
    for key, value in node.items():
        if key == "metadata" and not value:
            continue
        if isinstance(value, str):
            group.create_dataset(key, data=value, dtype=h5py.string_dtype())
        elif isinstance(value, np.ndarray):
            group.create_dataset(key, data=value, dtype=value.dtype, compression="gzip" if value.ndim else None)
        elif isinstance(value, dict):
            _write_group(group.create_group(str(key)), value)
        else:
            group.create_dataset(key, data=value)


def _write_file(path: Path, ng: nir.NIRGraph) -> None:
    with h5py.File(path, "w") as handle:
        handle.create_dataset("version", data=nir.version, dtype=h5py.string_dtype())
        _write_group(handle.create_group("node"), ng.to_dict())


def write(graph: Graph, path: str | Path) -> None:
    """Write ``graph`` as a ``.nir`` file of the installed NIR release (1.0.8; atomically, arrays gzip-compressed)."""
    ng = to_nir(graph)
    write_atomic(path, lambda tmp: _write_file(tmp, ng))
