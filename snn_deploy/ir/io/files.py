"""How format modules touch files: every read failure becomes one error naming the file; writes are atomic."""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Callable, Iterator

from snn_deploy.errors import ModelFormatError, SnnDeployError

#: longest part of a third-party exception message kept in our one-line error
_MAX_DETAIL = 200


@contextlib.contextmanager
def reading(path: str | Path, format_name: str) -> Iterator[None]:
    """Turn any exception raised while reading ``path`` into :class:`ModelFormatError` naming the file.

    The project's own errors pass through, prefixed with the file name when they lack it.
    """
    try:
        yield
    except SnnDeployError as exc:
        if str(path) in str(exc):
            raise
        raise type(exc)(f"{path}: {exc}") from exc
    except Exception as exc:  # every failure on a bad file, whatever library raised it
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
