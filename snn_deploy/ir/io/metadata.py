"""Lossless JSON encoding of node and graph metadata (nested dicts, lists, scalars, numpy arrays).

JSON carries the structure; a numpy array or numpy scalar becomes a marker object whose payload is
chosen by the caller (``put_array``): by default the array's little-endian bytes in base64 with its
dtype and shape, so every array comes back with the same dtype and the same bits. Plain ``float``
values go through ``repr`` (exact), NaN and infinities included. Tuples come back as lists.

Marker objects are ``{"$array": ...}`` and ``{"$scalar": ...}``; a user key that starts with ``$``
is escaped by doubling the ``$``.
"""
from __future__ import annotations

import base64
import json
from typing import Any, Callable, Mapping

import numpy as np

from snn_deploy.errors import UnsupportedError

ArrayWriter = Callable[[np.ndarray], Any]
ArrayReader = Callable[[Any], np.ndarray]


def array_to_json(array: np.ndarray) -> dict[str, Any]:
    """``{"dtype", "shape", "data"}`` with the array's little-endian bytes in base64."""
    little = array.astype(array.dtype.newbyteorder("<"), copy=False)
    return {
        "dtype": little.dtype.str,
        "shape": list(array.shape),
        "data": base64.b64encode(little.tobytes(order="C")).decode("ascii"),
    }


def array_from_json(value: Any) -> np.ndarray:
    """Inverse of :func:`array_to_json` (raises ``ValueError`` on a bad payload)."""
    if not (isinstance(value, dict) and isinstance(value.get("dtype"), str) and isinstance(value.get("data"), str)
            and isinstance(value.get("shape"), list) and all(isinstance(s, int) for s in value["shape"])):
        raise ValueError("array payload is not {dtype: str, shape: [int, ...], data: str}")
    try:
        dtype = np.dtype(value["dtype"])
    except TypeError as exc:
        raise ValueError(f"array dtype {value['dtype']!r} is not understood") from exc
    if dtype.kind not in "biufc":
        raise ValueError(f"array dtype {dtype} is not numeric")
    shape = tuple(int(s) for s in value["shape"])
    data = base64.b64decode(value["data"].encode("ascii"), validate=True)
    return np.frombuffer(data, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def _escape(key: str) -> str:
    return "$" + key if key.startswith("$") else key


def _unescape(key: str) -> str:
    return key[1:] if key.startswith("$") else key


def to_jsonable(value: Any, put_array: ArrayWriter = array_to_json, where: str = "metadata") -> Any:
    """Replace arrays and numpy scalars in ``value`` by markers; raise :class:`UnsupportedError` on other types."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biufc":
            raise UnsupportedError(f"{where}: array of dtype {value.dtype} cannot be stored (numeric arrays only)")
        return {"$array": put_array(value)}
    if isinstance(value, np.generic):
        if value.dtype.kind not in "biufc":
            raise UnsupportedError(f"{where}: numpy scalar of dtype {value.dtype} cannot be stored")
        return {"$scalar": put_array(np.asarray(value))}
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise UnsupportedError(f"{where}: key {key!r} is not a string")
            out[_escape(key)] = to_jsonable(item, put_array, f"{where}.{key}")
        return out
    if isinstance(value, (list, tuple)):
        return [to_jsonable(item, put_array, f"{where}[{i}]") for i, item in enumerate(value)]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise UnsupportedError(f"{where}: value of type {type(value).__name__} cannot be stored")


def from_jsonable(value: Any, get_array: ArrayReader = array_from_json) -> Any:
    """Inverse of :func:`to_jsonable`."""
    if isinstance(value, dict):
        if len(value) == 1 and "$array" in value:
            return get_array(value["$array"])
        if len(value) == 1 and "$scalar" in value:
            scalar = get_array(value["$scalar"])
            if scalar.ndim != 0:
                raise ValueError("a metadata scalar must be 0-dimensional")
            return scalar[()]
        return {_unescape(k): from_jsonable(v, get_array) for k, v in value.items()}
    if isinstance(value, list):
        return [from_jsonable(item, get_array) for item in value]
    return value


def dumps(value: Any, put_array: ArrayWriter = array_to_json, where: str = "metadata") -> str:
    """Compact JSON text of ``value`` (dict order kept, so the bytes are deterministic)."""
    return json.dumps(to_jsonable(value, put_array, where), separators=(",", ":"), allow_nan=True)


def loads(text: str, get_array: ArrayReader = array_from_json) -> Any:
    """Inverse of :func:`dumps`."""
    return from_jsonable(json.loads(text), get_array)
