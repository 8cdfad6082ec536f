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
``CubaLIF``                    :class:`CubaLIF` (``tau_syn``, ``tau_mem``, ``r``, ``v_leak``, ``v_threshold``, ``w_in``)
``LIF``                        :class:`LIF` (``tau`` -> ``tau_mem_s``)
``IF``                         :class:`IF`
``LI``                         :class:`LI` (``tau`` -> ``tau_mem_s``)
=============================  ==========================================================

NIR's neurons reset by subtraction (``v <- v - v_threshold``) and NIR has no reset field, so every
population is read with ``reset_mode="subtract"`` and ``v_reset = 0``. This holds for
``braille_noDelay_bias_zero.nir`` too: its name says "zero", but nothing in the file does, so it is
read as subtract (a user who knows better changes ``reset_mode`` after loading). Writing a
population with ``reset_mode="to_value"`` or a non-zero ``v_reset``, a :class:`CoupledLIF`, or a
:class:`Dense` with per-synapse ``delay_s`` raises :class:`UnsupportedError` naming the node.
NIR's ``I``, ``Threshold`` and ``Conv1d`` are not read (:class:`UnsupportedError`); nested graphs
are inlined (:func:`flatten_subgraphs`; written back flat).

Exporter quirks handled on reading
----------------------------------
* Scalar or size-1 neuron parameters are broadcast to the population, whose shape then comes from
  the node feeding it; missing ``Output`` types are taken from the source.
* Shapes are inferred by the IR (``input_type``/``output_type`` may be ``None``, as sinabs writes
  for pooling); a ``Conv2d.input_shape`` that disagrees with the inferred input is an error.
* ``Flatten`` dims that do not fit the inferred input rank are read in PyTorch's batch-inclusive
  convention (sinabs: ``start_dim=1`` means the first unbatched dim), i.e. shifted down by one.
* snnTorch writes a recurrent CubaLIF layer (``RSynaptic``) as ``lif -> w_rec -> lif`` next to the
  feed-forward ``fc -> lif`` (newer versions as a nested graph, inlined here). Both edges end at the
  same synapse (``RSynaptic`` adds the recurrent current to the same synaptic state), which is NIR's
  and the IR's rule "inputs are summed, then scaled by ``w_in``"; the cycle becomes an IR recurrent
  edge. snnTorch's exporter maps its discrete decays with a fixed ``dt = 1e-4`` s:
  ``tau = dt / (1 - decay)``, ``r = tau_mem / dt``, ``w_in = tau_syn / dt`` (so
  ``braille_*.nir`` has ``r = 10``, ``w_in = 2.22``). These are ordinary NIR parameters with NIR's
  meaning, read as they are: no special handling of ``r`` or ``w_in`` is needed or done.

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

import nir
import numpy as np

from snn_deploy.errors import GraphValidationError, ModelFormatError, UnsupportedError
from snn_deploy.ir.graph import Graph
from snn_deploy.ir.io import metadata as meta
from snn_deploy.ir.io.files import open_hdf5, reading, write_atomic
from snn_deploy.ir.nodes import (
    IF, LI, LIF, AvgPool2d, Conv2d, CoupledLIF, CubaLIF, Delay, Dense, Flatten, Input, Node, Output,
    Population, SumPool2d,
)
from snn_deploy.ir.shapes import node_output_shape

#: NIR parameter name -> IR field name, per population kind
NEURON_FIELDS: dict[type[Population], dict[str, str]] = {
    CubaLIF: {"tau_syn": "tau_syn_s", "tau_mem": "tau_mem_s", "r": "r", "v_leak": "v_leak",
              "v_threshold": "v_threshold", "w_in": "w_in"},
    LIF: {"tau": "tau_mem_s", "r": "r", "v_leak": "v_leak", "v_threshold": "v_threshold"},
    IF: {"r": "r", "v_threshold": "v_threshold"},
    LI: {"tau": "tau_mem_s", "r": "r", "v_leak": "v_leak"},
}
_NIR_NEURONS = {"CubaLIF": CubaLIF, "LIF": LIF, "IF": IF, "LI": LI}
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
            node = Input(tuple(int(s) for s in _ints(n.input_type["input"], f"node '{name}': shape")))
        elif isinstance(n, nir.Output):
            shape = n.output_type.get("output") if n.output_type else None
            shape = in_shape if shape is None else shape
            node = Output(tuple(int(s) for s in _ints(shape, f"node '{name}': shape")))
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
        params = {NEURON_FIELDS[cls][f]: np.broadcast_to(a, shape) for f, a in arrays.items()}
        return cls.create(tuple(shape), **params)


def _flatten_fits(start: int, end: int, rank: int) -> bool:
    start = start + rank if start < 0 else start
    end = end + rank if end < 0 else end
    return 0 <= start <= end < max(rank, 1)


def flatten_subgraphs(ng: nir.NIRGraph) -> nir.NIRGraph:
    """Inline nested NIR graphs (snnTorch writes ``RSynaptic`` as one): node ``g``'s ``x`` becomes ``g.x``.

    An edge into ``g`` (or ``g.<input>``) goes to what the subgraph's Input feeds; an edge out of
    ``g`` (or ``g.<output>``) leaves from what feeds its Output. Graph metadata of subgraphs is dropped.
    """
    if not any(isinstance(n, nir.NIRGraph) for n in ng.nodes.values()):
        return ng
    nodes: dict[str, nir.NIRNode] = {}
    entries: dict[str, list[str]] = {}  # name an outer edge may use -> inner nodes it reaches
    exits: dict[str, list[str]] = {}
    inner_edges: list[tuple[str, str]] = []
    for name, node in ng.nodes.items():
        if not isinstance(node, nir.NIRGraph):
            nodes[name] = node
            continue
        sub = flatten_subgraphs(node)
        inputs = [n for n, x in sub.nodes.items() if isinstance(x, nir.Input)]
        outputs = [n for n, x in sub.nodes.items() if isinstance(x, nir.Output)]
        if len(inputs) != 1 or len(outputs) != 1:
            raise UnsupportedError(f"node '{name}': a nested NIR graph needs one Input and one Output")
        for inner, x in sub.nodes.items():
            if inner not in inputs + outputs:
                nodes[f"{name}.{inner}"] = x
        feeds = [f"{name}.{t}" for s, t in sub.edges if s == inputs[0]]
        fed_by = [f"{name}.{s}" for s, t in sub.edges if t == outputs[0]]
        entries[name] = entries[f"{name}.{inputs[0]}"] = feeds
        exits[name] = exits[f"{name}.{outputs[0]}"] = fed_by
        inner_edges += [(f"{name}.{s}", f"{name}.{t}") for s, t in sub.edges
                        if s not in inputs and t not in outputs]
    edges = [(a, b) for s, t in ng.edges for a in exits.get(s, [s]) for b in entries.get(t, [t])]
    return nir.NIRGraph(nodes=nodes, edges=edges + inner_edges, metadata=dict(ng.metadata or {}))


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


def read(path: str | Path) -> Graph:
    """Read a ``.nir`` file; any problem is an snn-deploy error naming ``path``."""
    path = Path(path)
    with reading(path, "NIR"):
        with open_hdf5(path):
            pass
        return from_nir(nir.read(path))


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
        reset_mode = getattr(node, "reset_mode", "subtract")  # LI never spikes, so never resets
        if reset_mode != "subtract":
            raise UnsupportedError(f"node '{name}': NIR has no reset-to-value (reset_mode='{reset_mode}'); "
                                   "NIR neurons reset by subtraction")
        if getattr(node, "v_reset", None) is not None and np.any(node.v_reset != 0):
            raise UnsupportedError(f"node '{name}': NIR has no v_reset field (non-zero v_reset)")
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
        return nir.NIRGraph(nodes=nodes, edges=[tuple(e) for e in self.graph.edges], metadata=metadata)


def to_nir(graph: Graph) -> nir.NIRGraph:
    """The NIR graph of ``graph`` (:class:`UnsupportedError` naming the node for what NIR cannot express)."""
    return _Writer(graph).to_nir()


def write(graph: Graph, path: str | Path) -> None:
    """Write ``graph`` as a ``.nir`` file (atomically)."""
    ng = to_nir(graph)
    write_atomic(path, lambda tmp: nir.write(tmp, ng))
