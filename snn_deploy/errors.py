"""The project's error types: every failure a user can cause ends in one of these.

Each message is a single line that names the file, node or parameter at fault; the CLI prints it
as ``error: <message>`` and exits with code 2. Any other exception is a bug in snn-deploy, never bad input:
the CLI prints ``error: internal error: ...`` and exits with code 3 (model readers turn only malformed-file
exceptions into :class:`ModelFormatError`, see :func:`snn_deploy.ir.io.files.reading`).
"""
from __future__ import annotations


class SnnDeployError(Exception):
    """Base class: a problem with the user's input, not a bug in snn-deploy."""

    def __str__(self) -> str:
        return " ".join(super().__str__().split())


class ModelFormatError(SnnDeployError):
    """A model or data file is missing, truncated, malformed or of the wrong type."""


class GraphValidationError(SnnDeployError):
    """A graph is inconsistent: bad shape, negative time constant, NaN, dangling edge, algebraic loop."""


class UnsupportedError(SnnDeployError):
    """A graph uses something a format or target cannot express (names the node and the rule)."""


class QuantizationError(SnnDeployError):
    """A value cannot be represented by a target's fixed-point format."""


class EngineError(SnnDeployError):
    """A vendor engine (Lava, Sinabs) is missing or failed."""
