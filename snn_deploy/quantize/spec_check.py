"""The rule every target keeps: a deployment is emulated and analysed under the spec its integers were made for."""
from __future__ import annotations

from dataclasses import fields
from typing import TypeVar

from snn_deploy.errors import UnsupportedError

Spec = TypeVar("Spec")


def same_spec(deployment_spec: Spec, given: Spec | None, target: str) -> Spec:
    """``deployment_spec`` when ``given`` is None or equal to it; otherwise :class:`UnsupportedError` naming the
    fields that differ (a deployment's integers mean nothing under another target spec)."""
    if given is None or given == deployment_spec:
        return deployment_spec
    differ = [f"{f.name} {getattr(deployment_spec, f.name)} vs {getattr(given, f.name)}"
              for f in fields(deployment_spec) if getattr(deployment_spec, f.name) != getattr(given, f.name)]
    raise UnsupportedError(f"the deployment was quantized for another {target} spec than the one given "
                           f"({', '.join(differ) or type(given).__name__}): quantize with the spec you use it with")
