"""How format modules touch files: a malformed file becomes one error naming it, a bug stays one; writes are atomic."""
from __future__ import annotations

import contextlib
import os
import struct
import tempfile
from pathlib import Path
from typing import Callable, Iterator

import h5py

from snn_deploy.errors import ModelFormatError, SnnDeployError

#: longest part of a third-party exception message kept in our one-line error
_MAX_DETAIL = 200
#: largest HDF5 dataset read when it is compressed (an uncompressed one cannot exceed the file)
MAX_DATASET_BYTES = 1 << 31


#: exception types that mean the file is not valid, whoever raised them: the file system's (OSError), and the
#: decoders' on missing entries and bad values (KeyError, ValueError, which covers UnicodeDecodeError,
#: json.JSONDecodeError and binascii.Error), and a short read (EOFError, struct.error)
MALFORMED_TYPES: tuple[type[Exception], ...] = (OSError, EOFError, KeyError, ValueError, struct.error)
#: the libraries that parse a model file's bytes and structure: any exception raised inside them is bad input
#: (h5py raises RuntimeError on corrupt objects, nir AssertionError / AttributeError / TypeError on a bad
#: node dictionary, onnx and protobuf their own DecodeError / ValidationError)
PARSER_PACKAGES: tuple[str, ...] = ("h5py", "nir", "onnx", "google.protobuf")


def _raised_by_parser(exc: BaseException) -> bool:
    """True if the innermost frame of ``exc``'s traceback belongs to one of :data:`PARSER_PACKAGES`."""
    tb = exc.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    module = str(tb.tb_frame.f_globals.get("__name__", ""))
    return any(module == package or module.startswith(package + ".") for package in PARSER_PACKAGES)


def is_malformed_input(exc: BaseException) -> bool:
    """Whether an exception raised while reading a file says the file is bad (else it is a bug here)."""
    return isinstance(exc, MALFORMED_TYPES) or _raised_by_parser(exc)


@contextlib.contextmanager
def reading(path: str | Path, format_name: str) -> Iterator[None]:
    """Turn an exception that says ``path`` is malformed (:func:`is_malformed_input`) into
    :class:`ModelFormatError` naming the file; let every other one through unchanged.

    The project's own errors pass through, prefixed with the file name when they lack it. Any other
    exception (an AttributeError, TypeError, ZeroDivisionError ... raised by snn-deploy's own converters) is
    a bug, not bad input: it propagates, and the CLI reports it as an internal error (exit code 3). Residual:
    a bug that raises KeyError or ValueError, or passes bad arguments into a parser, reads as a bad file.
    """
    try:
        yield
    except SnnDeployError as exc:
        if str(path) in str(exc):
            raise
        raise type(exc)(f"{path}: {exc}") from exc
    except Exception as exc:
        if not is_malformed_input(exc):
            raise
        detail = " ".join(str(exc).split())
        if len(detail) > _MAX_DETAIL:
            detail = detail[:_MAX_DETAIL] + "..."
        raise ModelFormatError(
            f"{path}: not a valid {format_name} file ({type(exc).__name__}: {detail or 'no detail'})"
        ) from exc


def write_atomic(path: str | Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary file next to ``path``, then rename it to ``path``.

    A failed write leaves ``path`` as it was (absent or the previous file), never half written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def read_bytes(path: str | Path) -> bytes:
    """The file's bytes, or :class:`ModelFormatError` when it cannot be read."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ModelFormatError(f"{path}: cannot read ({exc.strerror or exc})") from exc


@contextlib.contextmanager
def open_hdf5(path: str | Path) -> Iterator[h5py.File]:
    """Open an HDF5 model file for reading after the checks that keep the HDF5 library from hanging."""
    path = Path(path)
    check_hdf5_global_heaps(read_bytes(path))
    with h5py.File(path, "r") as handle:
        check_hdf5_sizes(handle, path.stat().st_size)
        yield handle


def check_hdf5_global_heaps(data: bytes) -> None:
    """Walk every HDF5 global heap collection (where variable-length strings live) and refuse a corrupt one.

    Layout (HDF5 file format spec, "Global Heap"): ``GCOL``, version 1, 3 reserved bytes, the
    collection size (8 bytes, >= 4096), then objects: index (2), reference count (2), reserved (4),
    size (8), data padded to 8 bytes; index 0 is the free space, whose size is what remains. The
    HDF5 library loops forever on some collections whose object sizes do not add up, so the walk
    must end exactly at the end of the collection.
    """
    start = data.find(b"GCOL\x01\x00\x00\x00")
    while start >= 0:
        (size,) = struct.unpack_from("<Q", data, start + 8) if start + 16 <= len(data) else (0,)
        end = start + size
        if size < 4096 or end > len(data):
            raise ModelFormatError(f"corrupt HDF5 global heap at byte {start} (size {size})")
        position = start + 16
        while end - position >= 16:  # less than an object header left: no free-space object
            index, _, _, length = struct.unpack_from("<HHIQ", data, position)
            if index == 0:
                if length != end - position:
                    raise ModelFormatError(f"corrupt HDF5 global heap at byte {start} (free space size {length})")
                break
            position += 16 + (length + 7) // 8 * 8
            if position > end:
                raise ModelFormatError(f"corrupt HDF5 global heap at byte {start} (object {index} of {length} bytes)")
        start = data.find(b"GCOL\x01\x00\x00\x00", start + 1)


def check_hdf5_sizes(handle: h5py.File, file_size: int) -> None:
    """Refuse datasets whose declared size the file cannot hold (a corrupted header), before reading any.

    Without this a flipped bit in a dataset's dimensions makes HDF5 read gigabytes of fill values.
    (Low-level h5py calls: this runs on every HDF5 model read.)
    """
    def visit(name: bytes, info: h5py.h5o.ObjInfo) -> None:
        if info.type != h5py.h5o.TYPE_DATASET:
            return
        dataset = h5py.h5d.open(handle.id, name)
        nbytes = dataset.get_space().get_simple_extent_npoints() * dataset.get_type().get_size()
        compressed = dataset.get_create_plist().get_nfilters() > 0
        if nbytes > (MAX_DATASET_BYTES if compressed else file_size):
            raise ModelFormatError(f"dataset '{name.decode(errors='replace')}' declares {nbytes} bytes, "
                                   "more than the file holds")

    h5py.h5o.visit(handle.id, visit, info=True)
