"""Native ``.onnx`` format: the IR graph as an ONNX model with a custom operator domain (lossless).

Layout (``onnx.checker.check_model(model, full_check=True)`` passes; Netron shows the network)
------------------------------------------------------------------------------------------------
* Opsets: the default domain (for ``Identity``) and :data:`DOMAIN` version :data:`DOMAIN_VERSION`.
* Every tensor is ``DOUBLE``; the output tensor of an IR node is named after the node.
* An IR population or projection is one ``NodeProto`` of domain :data:`DOMAIN`, ``op_type`` = its
  kind (``CubaLIF``, ``Dense``, ...) and ``name`` = the node name. Input 0 is the data it receives;
  inputs 1.. are its parameter arrays in the order of ``kind.array_fields``, as float64 initializers
  named ``<node>.<field>`` (an absent optional array is the empty name ``""``, trailing ones dropped).
  Scalar fields are attributes (``reset_mode``: STRING, ``stride``...: INTS, ``groups``: INT);
  node metadata is the STRING attribute ``metadata`` (JSON, see :mod:`snn_deploy.ir.io.metadata`)
  whose arrays are the TENSORS attribute ``metadata_arrays`` (dtype and bits kept).
* Several sources into one node are summed: an explicit ``Sum`` node of domain :data:`DOMAIN`
  (output ``<node>.sum``) adds its inputs elementwise in flattened C order (so sources of equal
  size but different shape are fine); its output is the node's input 0.
* An IR ``Input`` node is a graph input named after it (its shape as the ValueInfo shape);
  an IR ``Output`` node is a graph output named after it, produced by ``Identity`` from its source.
  Their metadata are ValueInfo ``metadata_props`` (``snn_deploy.metadata``; Output also
  ``snn_deploy.shape``, the IR Output shape, which may differ from its source's shape in layout).
* Recurrent edges (:meth:`Graph.recurrent_edges`) are encoded the way ONNX encodes RNN state: the
  target reads the graph input ``<source>.prev``, the source's output one time step earlier, with a
  zeros initializer (the initial state) and ValueInfo ``metadata_props``
  ``snn_deploy.recurrent_source = <source>``.
* Model ``metadata_props``: ``snn_deploy.format`` (version), ``snn_deploy.node_order`` and
  ``snn_deploy.edges`` (JSON lists: ONNX needs nodes in topological order, the IR keeps insertion
  and edge order, which decide the recurrent edges), ``snn_deploy.metadata`` (graph metadata).

Reading checks that the stored edge list is exactly the one the node structure encodes and that
the rebuilt graph has the same recurrent edges as the ``.prev`` inputs say.
"""
from __future__ import annotations

import dataclasses
import json
from collections import Counter
from pathlib import Path
from typing import Any, Callable

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from snn_deploy import __version__
from snn_deploy.errors import ModelFormatError, UnsupportedError
from snn_deploy.ir.graph import Graph
from snn_deploy.ir.io import metadata as meta
from snn_deploy.ir.io.files import read_bytes, reading, write_atomic
from snn_deploy.ir.nodes import NODE_KINDS, Input, Node, Output

DOMAIN = "ai.snn_deploy"
DOMAIN_VERSION = 1
#: default-domain opset (only ``Identity`` is used)
ONNX_OPSET = 17
#: ONNX IR version written (graph inputs with initializers need >= 4; onnx 1.15 reads up to 9)
IR_VERSION = 9
FORMAT_VERSION = "1"
SUM_OP = "Sum"

_PREFIX = "snn_deploy."
_METADATA = _PREFIX + "metadata"
_SHAPE = _PREFIX + "shape"
_RECURRENT = _PREFIX + "recurrent_source"
_FORMAT = _PREFIX + "format"
_ORDER = _PREFIX + "node_order"
_EDGES = _PREFIX + "edges"


# ------------------------------------------------------------------------------------------------
# fields of a node kind
# ------------------------------------------------------------------------------------------------
def _scalar_fields(cls: type[Node]) -> list[str]:
    """Dataclass fields that are neither arrays nor metadata (stored as attributes)."""
    return [f.name for f in dataclasses.fields(cls) if f.name not in cls.array_fields and f.name != "metadata"]


def _attribute(name: str, value: Any) -> onnx.AttributeProto:
    if isinstance(value, tuple):
        return helper.make_attribute(name, [int(v) for v in value], attr_type=onnx.AttributeProto.INTS)
    if isinstance(value, str):
        return helper.make_attribute(name, value, attr_type=onnx.AttributeProto.STRING)
    return helper.make_attribute(name, int(value), attr_type=onnx.AttributeProto.INT)


def _attribute_value(attr: onnx.AttributeProto) -> Any:
    if attr.type == onnx.AttributeProto.INTS:
        return tuple(int(v) for v in attr.ints)
    if attr.type == onnx.AttributeProto.INT:
        return int(attr.i)
    if attr.type == onnx.AttributeProto.STRING:
        return attr.s.decode("utf-8")
    raise ModelFormatError(f"attribute '{attr.name}' has unexpected type {attr.type}")


def _summary_line(cls: type[Node]) -> str:
    """The first line of the kind's docstring (its equation), shown by Netron next to the node."""
    return (cls.__doc__ or cls.__name__).strip().splitlines()[0]


def _value_info(name: str, shape: tuple[int, ...], props: dict[str, str]) -> onnx.ValueInfoProto:
    info = helper.make_tensor_value_info(name, TensorProto.DOUBLE, list(shape))
    for key, value in props.items():
        info.metadata_props.add(key=key, value=value)
    return info


# ------------------------------------------------------------------------------------------------
# writing
# ------------------------------------------------------------------------------------------------
def _node_proto(name: str, node: Node, data: list[str], claim: Callable[[str], str],
                initializers: list[onnx.TensorProto]) -> onnx.NodeProto:
    """The ONNX node of one IR node fed by the tensors ``data``: its array fields become initializers
    (appended to ``initializers``), its scalar fields attributes, its metadata a JSON attribute with arrays."""
    params: list[str] = []
    for field in node.array_fields:
        value = getattr(node, field)
        if value is None:
            params.append("")
            continue
        params.append(claim(f"{name}.{field}"))
        initializers.append(numpy_helper.from_array(value, params[-1]))
    while params and not params[-1]:
        params.pop()
    arrays: list[onnx.TensorProto] = []

    def put_array(array: np.ndarray) -> int:
        arrays.append(numpy_helper.from_array(array.copy(order="C")))
        return len(arrays) - 1

    proto = helper.make_node(node.kind, data + params, [name], name=name, domain=DOMAIN,
                             doc_string=_summary_line(type(node)))
    proto.attribute.extend(_attribute(f, getattr(node, f)) for f in _scalar_fields(type(node)))
    if node.metadata:
        text = meta.dumps(node.metadata, put_array, where=f"node '{name}'")
        proto.attribute.append(helper.make_attribute("metadata", text, attr_type=onnx.AttributeProto.STRING))
        if arrays:
            proto.attribute.append(
                helper.make_attribute("metadata_arrays", arrays, attr_type=onnx.AttributeProto.TENSORS))
    return proto


def _model(graph: Graph, onnx_graph: onnx.GraphProto) -> onnx.ModelProto:
    """``onnx_graph`` as a model of our opset domain, with the graph's order, edges and metadata as props."""
    model = helper.make_model(
        onnx_graph,
        opset_imports=[helper.make_opsetid("", ONNX_OPSET), helper.make_opsetid(DOMAIN, DOMAIN_VERSION)],
        producer_name="snn-deploy", producer_version=__version__, ir_version=IR_VERSION,
    )
    helper.set_model_props(model, {
        _FORMAT: FORMAT_VERSION,
        _ORDER: json.dumps(list(graph.nodes)),
        _EDGES: json.dumps([list(e) for e in graph.edges]),
        _METADATA: meta.dumps(graph.metadata, where="graph metadata"),
    })
    return model


def to_model(graph: Graph) -> onnx.ModelProto:
    """The ONNX model of a (validated) ``graph``; see the module docstring for the layout."""
    graph.validate()
    shapes = graph.shapes()
    recurrent = graph.recurrent_edges()
    names: Counter[str] = Counter(list(graph.nodes))

    def claim(tensor: str) -> str:
        names[tensor] += 1
        return tensor

    nodes: list[onnx.NodeProto] = []
    initializers: list[onnx.TensorProto] = []
    inputs: list[onnx.ValueInfoProto] = []
    outputs: list[onnx.ValueInfoProto] = []
    value_info: list[onnx.ValueInfoProto] = []
    states: dict[str, str] = {}

    for name in graph.inputs:
        node = graph.nodes[name]
        inputs.append(_value_info(name, node.shape, {_METADATA: meta.dumps(node.metadata, where=f"node '{name}'")}))
    for source, _ in sorted(recurrent):
        if source not in states:
            states[source] = claim(f"{source}.prev")
            inputs.append(_value_info(states[source], shapes[source], {_RECURRENT: source}))
            inputs[-1].doc_string = f"output of '{source}' one time step earlier (recurrent edge), initially 0"
            initializers.append(numpy_helper.from_array(np.zeros(shapes[source]), states[source]))

    for name in graph.topological_order():
        node = graph.nodes[name]
        if isinstance(node, Input):
            continue
        data = [states[s] if (s, name) in recurrent else s for s in graph.sources(name)]
        if isinstance(node, Output):
            nodes.append(helper.make_node("Identity", data, [name], name=name))
            props = {_METADATA: meta.dumps(node.metadata, where=f"node '{name}'"), _SHAPE: json.dumps(node.shape)}
            outputs.append(_value_info(name, shapes[name], props))
            continue
        if len(data) > 1:
            total = claim(f"{name}.sum")
            nodes.append(helper.make_node(SUM_OP, data, [total], name=total, domain=DOMAIN,
                                          doc_string="elementwise sum of the sources, in flattened C order"))
            data = [total]
        nodes.append(_node_proto(name, node, data, claim, initializers))
        value_info.append(_value_info(name, shapes[name], {}))

    clashes = sorted(t for t, n in names.items() if n > 1)
    if clashes:
        raise UnsupportedError(f"ONNX tensor name '{clashes[0]}' is used twice (a node name clashes with a "
                               "'<node>.<field>', '<node>.sum' or '<node>.prev' tensor); rename the node")
    return _model(graph, helper.make_graph(nodes, "snn_deploy", inputs, outputs, initializer=initializers,
                                           value_info=value_info))


def write(graph: Graph, path: str | Path) -> None:
    """Write ``graph`` to ``path`` (atomically; same graph, same bytes)."""
    data = to_model(graph).SerializeToString(deterministic=True)
    write_atomic(path, lambda tmp: tmp.write_bytes(data))


# ------------------------------------------------------------------------------------------------
# reading
# ------------------------------------------------------------------------------------------------
def _metadata_from_attrs(attrs: dict[str, onnx.AttributeProto]) -> dict[str, Any]:
    if "metadata" not in attrs:
        return {}
    arrays = [numpy_helper.to_array(t) for t in attrs["metadata_arrays"].tensors] if "metadata_arrays" in attrs else []

    def get_array(index: Any) -> np.ndarray:
        if not isinstance(index, int) or not 0 <= index < len(arrays):
            raise ModelFormatError(f"metadata refers to array {index!r}, which is missing")
        return arrays[index]

    value = meta.loads(attrs["metadata"].s.decode("utf-8"), get_array)
    if not isinstance(value, dict):
        raise ModelFormatError("node metadata is not a JSON object")
    return value


def _graph_node(proto: onnx.NodeProto, initializers: dict[str, np.ndarray]) -> Node:
    cls = NODE_KINDS.get(proto.op_type)
    if cls is None or cls in (Input, Output):
        raise ModelFormatError(f"node '{proto.name}': unknown op_type '{proto.op_type}' in domain {DOMAIN}")
    if len(proto.output) != 1 or proto.output[0] != proto.name or not proto.input:
        raise ModelFormatError(f"node '{proto.name}': needs one data input and one output named after the node")
    params = list(proto.input[1:])
    if len(params) > len(cls.array_fields):
        raise ModelFormatError(f"node '{proto.name}': {len(params)} parameter inputs, {proto.op_type} has "
                               f"{len(cls.array_fields)}")
    kwargs: dict[str, Any] = {}
    for field, tensor in zip(cls.array_fields, params):
        if not tensor:
            continue
        if tensor not in initializers:
            raise ModelFormatError(f"node '{proto.name}': parameter '{field}' has no initializer '{tensor}'")
        array = initializers[tensor]
        if array.dtype != np.float64:
            raise ModelFormatError(f"node '{proto.name}': parameter '{field}' is {array.dtype}, expected float64")
        kwargs[field] = array
    attrs = {a.name: a for a in proto.attribute}
    scalars = _scalar_fields(cls)
    unknown = sorted(set(attrs) - set(scalars) - {"metadata", "metadata_arrays"})
    if unknown:
        raise ModelFormatError(f"node '{proto.name}': unknown attribute '{unknown[0]}'")
    for field in scalars:
        if field in attrs:
            kwargs[field] = _attribute_value(attrs[field])
    required = [f.name for f in dataclasses.fields(cls) if f.init and f.default is dataclasses.MISSING
                and f.default_factory is dataclasses.MISSING and f.name not in kwargs and f.name != "metadata"]
    if required:
        raise ModelFormatError(f"node '{proto.name}': {proto.op_type} has no parameter '{required[0]}'")
    return cls(**kwargs, metadata=_metadata_from_attrs(attrs))


def _props(props) -> dict[str, str]:
    return {p.key: p.value for p in props}


def from_model(model: onnx.ModelProto) -> Graph:
    """Rebuild the IR graph from a model written by :func:`to_model` (validated)."""
    onnx.checker.check_model(model)
    model_props = _props(model.metadata_props)
    if model_props.get(_FORMAT) != FORMAT_VERSION:
        raise ModelFormatError(f"not an snn-deploy ONNX model (metadata '{_FORMAT}' is "
                               f"{model_props.get(_FORMAT)!r}, expected {FORMAT_VERSION!r})")
    g = model.graph
    initializers = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    nodes: dict[str, Node] = {}
    states: dict[str, str] = {}  # '<source>.prev' tensor -> source node
    for info in g.input:
        props = _props(info.metadata_props)
        if _RECURRENT in props:
            states[info.name] = props[_RECURRENT]
            continue
        dims = info.type.tensor_type.shape.dim
        if any(not d.HasField("dim_value") for d in dims):
            raise ModelFormatError(f"graph input '{info.name}' has no fixed shape")
        nodes[info.name] = Input(tuple(d.dim_value for d in dims), metadata=_graph_metadata(props, info.name))
    sums: dict[str, list[str]] = {}
    edges: list[tuple[str, str]] = []
    recurrent: set[tuple[str, str]] = set()
    out_props = {info.name: _props(info.metadata_props) for info in g.output}
    for proto in g.node:
        if proto.domain == DOMAIN and proto.op_type == SUM_OP:
            sums[proto.output[0]] = list(proto.input)
            continue
        if proto.domain in ("", "ai.onnx") and proto.op_type == "Identity":
            name = proto.output[0]
            if name not in out_props:
                raise ModelFormatError(f"Identity node '{proto.name}' does not produce a graph output")
            shape = json.loads(out_props[name].get(_SHAPE, "null"))
            if not (isinstance(shape, list) and all(isinstance(s, int) for s in shape)):
                raise ModelFormatError(f"graph output '{name}': metadata '{_SHAPE}' is not a list of integers")
            nodes[name] = Output(tuple(shape), metadata=_graph_metadata(out_props[name], name))
        elif proto.domain == DOMAIN:
            nodes[proto.name] = _graph_node(proto, initializers)
            name = proto.name
        else:
            raise ModelFormatError(f"node '{proto.name}': unsupported op '{proto.domain}:{proto.op_type}'")
        data = sums.get(proto.input[0], [proto.input[0]])
        for tensor in data:
            source = states.get(tensor, tensor)
            edges.append((source, name))
            if tensor in states:
                recurrent.add((source, name))
    order, stored = json.loads(model_props[_ORDER]), json.loads(model_props[_EDGES])
    if not (isinstance(order, list) and all(isinstance(n, str) for n in order)):
        raise ModelFormatError(f"metadata '{_ORDER}' is not a list of node names")
    if not (isinstance(stored, list)
            and all(isinstance(e, list) and all(isinstance(n, str) for n in e) for e in stored)):
        raise ModelFormatError(f"metadata '{_EDGES}' is not a list of [source, target] names")
    stored = [tuple(e) for e in stored]
    if sorted(order) != sorted(nodes) or len(order) != len(set(order)):
        raise ModelFormatError(f"metadata '{_ORDER}' does not list the graph's nodes")
    if Counter(stored) != Counter(edges):
        raise ModelFormatError(f"metadata '{_EDGES}' disagrees with the graph's connections")
    graph = Graph({n: nodes[n] for n in order}, stored, _graph_metadata(model_props, "graph"))
    graph.validate()
    if graph.recurrent_edges() != recurrent:
        raise ModelFormatError("the '.prev' state inputs do not match the graph's recurrent edges")
    return graph


def _graph_metadata(props: dict[str, str], owner: str) -> dict[str, Any]:
    value = meta.loads(props.get(_METADATA, "{}"))
    if not isinstance(value, dict):
        raise ModelFormatError(f"metadata of '{owner}' is not a JSON object")
    return value


def read(path: str | Path) -> Graph:
    """Read an snn-deploy ONNX model; any problem is a :class:`ModelFormatError` naming ``path``."""
    data = read_bytes(path)
    with reading(path, "snn-deploy ONNX"):
        return from_model(onnx.load_model_from_string(data))
