"""Which populations a run records: one reading of ``record`` for the reference, the emulators and the engines.

``record`` is ``"outputs"`` (the graph's Output nodes, each recording the population that feeds it, in the
order of the output names), ``"all"`` (every population, in graph order), or population / Output node names
(comma-separated, or a sequence), in the order given.
"""
from __future__ import annotations

from typing import Iterable, Mapping, Sequence

from snn_deploy.errors import UnsupportedError

Record = str | Sequence[str]


def select_records(populations: Iterable[str], outputs: Mapping[str, str], record: Record) -> dict[str, str]:
    """Record key prefix -> population for ``record`` (see the module docstring); ``outputs`` maps each Output
    node to its source population."""
    if isinstance(record, str) and record == "outputs":
        return dict(sorted(outputs.items()))
    chosen_all = {p: p for p in populations}
    if isinstance(record, str) and record == "all":
        return chosen_all
    names = record.split(",") if isinstance(record, str) else list(record)
    known = {**chosen_all, **outputs}
    chosen = {}
    for name in (n.strip() for n in names if n.strip()):
        if name not in known:
            raise UnsupportedError(f"record: no population or output named '{name}' (known: {', '.join(known)})")
        chosen[name] = known[name]
    return chosen
