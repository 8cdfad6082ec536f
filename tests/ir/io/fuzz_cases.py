"""Corrupted, truncated and wrong-typed model files of each format, generated from real ones with a seeded RNG.

Byte-level mutations (truncation, byte overwrites, random bytes behind a real header) and structural
ones in a valid container: ONNX with a missing or wrong-typed initializer, a broken attribute or
metadata entry, a deleted node; HDF5 (NIR, netx) with a deleted dataset, a dataset of the wrong
dtype or shape, an unknown type string.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import Callable, Iterator

import h5py
import numpy as np
import onnx
from onnx import helper, numpy_helper

from snn_deploy.ir.io import load, onnx_format
from tests.ir.io.netx_files import write_netx

FORMATS = (".onnx", ".nir", ".net")

_JUNK_TEXT = ["", "{", "[]", "1", "null", '{"$array": 7}', '{"$array": {"dtype": "<f8", "shape": [3], "data": "!!"}}',
              '["a", "b"]', '[["x", "y"]]', "\u00ff" * 3]


def _base_files(shared_models: Path) -> dict[str, list[bytes]]:
    braille = shared_models / "braille_noDelay_bias_zero.nir"
    onnx_bases = [onnx_format.to_model(load(p)).SerializeToString()
                  for p in (braille, shared_models / "lif_norse.nir")]
    return {
        ".onnx": onnx_bases,
        # the small files more often: they keep each of the 1000 cases cheap
        ".nir": [braille.read_bytes()] + [(shared_models / "lif_norse.nir").read_bytes()] * 2,
        ".net": [(shared_models / "lava-dl" / "tiny.net").read_bytes()] + [_small_netx()] * 5,
    }


def _small_netx() -> bytes:
    """A few-kB netx file with input, flatten, dense with delay and bias, dense_rec and average layers."""
    buffer = io.BytesIO()
    neuron = {"type": b"CUBA", "iDecay": 1024, "vDecay": 128, "vThMant": 80, "refDelay": 1}
    layers = [
        {"type": "input", "shape": np.array([1, 2, 2]), "neuron": neuron, "weight": np.float32([3]),
         "bias": np.float32([2])},
        {"type": "flatten", "shape": np.array([4])},
        {"type": "dense", "shape": np.array([3]), "neuron": neuron, "weight": np.ones((3, 4), np.float32),
         "delay": np.float32([0, 1, 2]), "bias": np.float32([1, 2, 3])},
        {"type": "dense_rec", "shape": np.array([2]), "neuron": neuron, "weight": np.ones((2, 3), np.float32),
         "weight_rec": np.eye(2, dtype=np.float32)},
        {"type": "average", "shape": np.array([1])},
    ]
    write_netx(buffer, layers)
    return buffer.getvalue()


# ------------------------------------------------------------------------------------------------ byte level
def _truncate(data: bytes, rng: np.random.Generator) -> bytes:
    return data[: int(rng.integers(0, len(data)))]


def _overwrite(data: bytes, rng: np.random.Generator) -> bytes:
    array = np.frombuffer(data, np.uint8).copy()
    positions = rng.integers(0, len(array), int(rng.integers(1, 9)))
    array[positions] = rng.integers(0, 256, len(positions))
    return array.tobytes()


def _random_bytes(data: bytes, rng: np.random.Generator) -> bytes:
    head = data[: int(rng.integers(0, 64))] if rng.random() < 0.5 else b""
    return head + rng.integers(0, 256, int(rng.integers(0, 4096)), dtype=np.uint8).tobytes()


# ------------------------------------------------------------------------------------------------ ONNX structure
def _onnx_structural(data: bytes, rng: np.random.Generator) -> bytes:
    model = onnx.load_model_from_string(data)
    g = model.graph
    choice = int(rng.integers(0, 9))
    if choice == 0 and len(g.initializer):
        del g.initializer[int(rng.integers(0, len(g.initializer)))]
    elif choice == 1 and len(g.initializer):
        i = int(rng.integers(0, len(g.initializer)))
        array = numpy_helper.to_array(g.initializer[i])
        bad = [array.astype(np.float32), array.astype(np.int64), array.reshape(-1)[:-1] if array.size else array,
               np.full(array.shape, np.nan)][int(rng.integers(0, 4))]
        g.initializer[i].CopyFrom(numpy_helper.from_array(bad, g.initializer[i].name))
    elif choice == 2 and len(model.metadata_props):
        i = int(rng.integers(0, len(model.metadata_props)))
        if rng.random() < 0.5:
            del model.metadata_props[i]
        else:
            model.metadata_props[i].value = _JUNK_TEXT[int(rng.integers(0, len(_JUNK_TEXT)))]
    elif choice == 3 and len(g.node):
        g.node[int(rng.integers(0, len(g.node)))].op_type = ["Conv", "LIF", "Bogus", "Input", "Sum", ""][
            int(rng.integers(0, 6))]
    elif choice == 4 and len(g.node):
        del g.node[int(rng.integers(0, len(g.node)))]
    elif choice == 5 and len(g.node):
        node = g.node[int(rng.integers(0, len(g.node)))]
        if len(node.input):
            node.input[int(rng.integers(0, len(node.input)))] = ["missing", "", "input", node.output[0]][
                int(rng.integers(0, 4))]
    elif choice == 6 and len(g.node):
        node = g.node[int(rng.integers(0, len(g.node)))]
        junk = _JUNK_TEXT[int(rng.integers(0, len(_JUNK_TEXT)))]
        node.attribute.append(helper.make_attribute(["metadata", "reset_mode", "stride", "bogus"][int(rng.integers(0, 4))],
                                                    [junk, 3, 1.5, [1, 2, 3]][int(rng.integers(0, 4))]))
    elif choice == 7:
        target = [g.input, g.output][int(rng.integers(0, 2))]
        if len(target):
            info = target[int(rng.integers(0, len(target)))]
            if rng.random() < 0.5:
                del info.type.tensor_type.shape.dim[:]
                info.type.tensor_type.shape.dim.add().dim_param = "N"
            else:
                info.metadata_props.add(key="snn_deploy.metadata", value=_JUNK_TEXT[int(rng.integers(0, len(_JUNK_TEXT)))])
    else:
        del model.opset_import[int(rng.integers(0, len(model.opset_import)))]
    return model.SerializeToString()


# ------------------------------------------------------------------------------------------------ HDF5 structure
def _hdf5_structural(data: bytes, rng: np.random.Generator) -> bytes:
    buffer = io.BytesIO(data)
    with h5py.File(buffer, "r+") as f:
        datasets: list[str] = []
        f.visititems(lambda name, item: datasets.append(name) if isinstance(item, h5py.Dataset) else None)
        name = datasets[int(rng.integers(0, len(datasets)))]
        original = f[name][()]
        choice = int(rng.integers(0, 5))
        del f[name]
        if choice == 0:
            pass  # missing dataset
        elif choice == 1:
            f.create_dataset(name, data=np.bytes_(b"not a number"))
        elif choice == 2:
            shape = tuple(int(s) for s in rng.integers(0, 4, int(rng.integers(0, 4))))
            f.create_dataset(name, data=rng.normal(size=shape) * 1e3)
        elif choice == 3:
            f.create_dataset(name, data=np.bytes_(["Bogus", "LIF", "conv", "pool", "Conv1d", "I"][int(rng.integers(0, 6))]))
        else:
            values = np.asarray(original)
            if values.dtype.kind in "biuf":
                bad = [values.astype(np.float64) + 0.5, -np.abs(values.astype(np.float64)) - 1,
                       np.full(values.shape, np.inf), values.astype(bool)][int(rng.integers(0, 4))]
            else:
                bad = np.zeros(3)
            f.create_dataset(name, data=bad)
    return buffer.getvalue()


_MUTATORS: list[tuple[str, float, Callable[[bytes, np.random.Generator], bytes]]] = [
    ("truncate", 0.25, _truncate),
    ("overwrite", 0.25, _overwrite),
    ("random", 0.15, _random_bytes),
]


def mutated_files(suffix: str, shared_models: Path, out_dir: Path, count: int, seed: int) -> Iterator[tuple[str, Path]]:
    """``count`` (mutation kind, path) pairs of corrupted ``suffix`` files written under ``out_dir``."""
    rng = np.random.default_rng(seed)
    bases = _base_files(shared_models)[suffix]
    structural = _onnx_structural if suffix == ".onnx" else _hdf5_structural
    mutators = _MUTATORS + [("structure", 1.0 - sum(p for _, p, _ in _MUTATORS), structural)]
    weights = np.array([p for _, p, _ in mutators])
    for i in range(count):
        kind, _, mutate = mutators[int(rng.choice(len(mutators), p=weights / weights.sum()))]
        data = mutate(bases[int(rng.integers(0, len(bases)))], rng)
        path = out_dir / f"case{i:04d}-{kind}{suffix}"
        path.write_bytes(data)
        yield kind, path
