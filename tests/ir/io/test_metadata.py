"""Metadata JSON codec: exact round trips (dtype, bits, numpy scalars, '$' keys) and clear refusals."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings

from snn_deploy.errors import UnsupportedError
from snn_deploy.ir.io import metadata as meta
from snn_deploy.ir.nodes import values_equal
from tests.ir.io.graph_strategies import metadata_dicts


@settings(max_examples=100, deadline=None)
@given(value=metadata_dicts)
def test_random_metadata_round_trips_exactly(value):
    assert values_equal(meta.loads(meta.dumps(value)), value)


def test_arrays_keep_dtype_shape_and_bits_including_nan_and_big_endian():
    arrays = [np.array([np.nan, -0.0, np.inf, 1e-310]), np.arange(6, dtype=">i4").reshape(2, 3),
              np.zeros((0, 3), np.uint8), np.array(True), np.array([1 + 2j], np.complex64)]
    back = meta.loads(meta.dumps({"a": arrays}))["a"]
    for original, copy in zip(arrays, back):
        assert copy.shape == original.shape and copy.tobytes() == original.astype(copy.dtype).tobytes()
        assert copy.dtype == original.dtype.newbyteorder("=")


def test_scalars_keep_their_python_or_numpy_type():
    value = {"i": 3, "f": 3.0, "b": True, "n": None, "s": "x", "ni": np.int64(3), "nf": np.float32(0.1),
             "inf": math.inf, "$array": 1, "$$x": [1, (2, 3)]}
    back = meta.loads(meta.dumps(value))
    assert values_equal(back, value)
    assert type(back["ni"]) is np.int64 and type(back["nf"]) is np.float32 and type(back["f"]) is float
    assert back["$array"] == 1 and back["$$x"] == [1, [2, 3]]


@pytest.mark.parametrize("value, where", [
    ({"k": {1: "int key"}}, "node 'n'.k"),
    ({"k": [object()]}, r"node 'n'.k\[0\]: value of type object"),
    ({"k": np.array(["text"])}, "node 'n'.k: array of dtype <U4"),
])
def test_unstorable_values_are_unsupported_and_say_where(value, where):
    with pytest.raises(UnsupportedError, match=where):
        meta.dumps(value, where="node 'n'")
