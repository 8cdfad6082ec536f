"""``compile`` a graph for a target, and the :class:`Deployment` it returns: report, emulate, run, save.

A deployment is backed by its artifact directory (the bytes ``snn-deploy compile`` writes, docs/formats.md):
``compile`` writes it into a private temporary directory that lives as long as the object, :meth:`~Deployment.save`
copies it atomically, :func:`load_artifact` opens a saved one (hash-verified). The emulator and the vendor
engines run that directory, so the API and the CLI run the same bytes.
"""
from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from snn_deploy.api.records import Records
from snn_deploy.errors import ModelFormatError, UnsupportedError
from snn_deploy.ir.graph import Graph
from snn_deploy.quantize.reachability import SilentPopulation
from snn_deploy.spikes import SpikeEvents
from snn_deploy.targets import Target, get_target


@dataclass(frozen=True)
class CompileReport:
    """What compiling did, the same fields for every target; :meth:`to_json` adds the target's own details
    (arrays and their errors, populations, layers, compatibility: ``quantization.json``)."""

    target: str
    dt_s: float
    clipped_total: int
    notes: tuple[str, ...]
    silent_populations: tuple[SilentPopulation, ...]
    #: the human-readable report ``snn-deploy compile`` prints (without its last line, ``wrote DIR``)
    text: str
    details: Mapping[str, Any] = field(repr=False, default_factory=dict)

    @classmethod
    def from_summary(cls, target: str, summary: Mapping[str, Any]) -> "CompileReport":
        text = str(summary.get("text", ""))
        head, _, last = text.rpartition("\n")
        details = {**summary, "text": head if last.startswith("wrote ") else text}
        return cls(target, float(summary["dt_s"]), int(summary.get("clipped_total", 0)),
                   tuple(summary.get("notes", [])),
                   tuple(SilentPopulation(**entry) for entry in summary.get("silent_populations", [])),
                   details["text"], details)

    def to_json(self) -> dict[str, Any]:
        """The whole report as one JSON-ready object (``snn-deploy compile --json``)."""
        return dict(self.details)


def _target(target: str | Target) -> Target:
    return get_target(target) if not isinstance(target, Target) else target


def _check_events(events: object, units: int | None, what: str) -> SpikeEvents:
    if not isinstance(events, SpikeEvents):
        raise ModelFormatError(f"{what}: events must be snn_deploy.SpikeEvents, got {type(events).__name__} "
                               f"(a [batch, steps, units] raster: SpikeEvents.from_raster(raster, dt_s))")
    if units is not None and events.units != units:
        raise ModelFormatError(f"{what}: events have {events.units} units, the network's input has {units}")
    return events


def _record_choice(record: str | Sequence[str]) -> str:
    if isinstance(record, str):
        return record
    if not isinstance(record, (list, tuple)) or not all(isinstance(name, str) for name in record):
        raise UnsupportedError(f"record: 'outputs', 'all' or a list of node names, got {record!r}")
    return ",".join(record)


class Deployment:
    """A graph compiled for one target: :attr:`report`, :meth:`emulate`, :meth:`run`, :meth:`save`."""

    def __init__(self, target: Target, artifact_dir: Path, report: CompileReport,
                 scratch: tempfile.TemporaryDirectory | None = None) -> None:
        self.target = target
        self.report = report
        self._dir = artifact_dir
        self._scratch = scratch  # kept alive with the object; removed when it is collected

    def __repr__(self) -> str:
        return f"<Deployment {self.target.name} dt_s={self.dt_s:g}>"

    @property
    def manifest(self) -> dict[str, Any]:
        """The artifact's ``manifest.json`` (:mod:`snn_deploy.backends.manifest`)."""
        from snn_deploy.backends.manifest import read_manifest

        return read_manifest(self._dir)

    @property
    def dt_s(self) -> float:
        return float(self.manifest["dt_s"])

    @property
    def input_units(self) -> int | None:
        return self.manifest.get("input_units")

    @property
    def artifact_dir(self) -> Path:
        """The directory the deployment runs from (private and temporary until :meth:`save`)."""
        return self._dir

    def emulate(self, events: SpikeEvents, *, record: str | Sequence[str] = "outputs", record_state: bool = False,
                steps: int | None = None) -> Records:
        """snn-deploy's bit-accurate integer emulator on ``events``.

        ``record``: ``"outputs"``, ``"all"`` (every population) or node names; ``steps``: default, the last
        input event plus the network's depth. Every population's activity is reported either way.
        """
        return self._execute(events, None, record, record_state, steps)

    def run(self, events: SpikeEvents, *, engine: str | None = None, record: str | Sequence[str] = "outputs",
            record_state: bool = False, steps: int | None = None) -> Records:
        """The vendor engine (``engine``: default the target's, Lava for Loihi 2, sinabs for Speck) on ``events``,
        in its own interpreter (``SNN_DEPLOY_LAVA_PYTHON`` / ``SNN_DEPLOY_SINABS_PYTHON``); as :meth:`emulate`."""
        engine = self.target.engine if engine is None else engine
        if engine != self.target.engine:
            raise UnsupportedError(f"{self.target.name} runs on engine '{self.target.engine}', not '{engine}'")
        return self._execute(events, engine, record, record_state, steps)

    def _execute(self, events: SpikeEvents, engine: str | None, record: str | Sequence[str], record_state: bool,
                 steps: int | None) -> Records:
        from snn_deploy.check.activity import activity_json, population_activity, structurally_silent

        _check_events(events, self.input_units, f"{self.target.name} deployment")
        every, populations, asked = self._with_every_population(_record_choice(record))
        execute = self.target.emulate if engine is None else self.target.run
        arrays, dt_s = execute(self._dir, events, steps=steps, record=every, record_state=record_state)
        activity = activity_json(population_activity(arrays, populations), structurally_silent(self._dir))
        activity["engine"] = engine or "emulator"
        if asked is not None:
            arrays = {key: value for key, value in arrays.items() if key.rpartition("/")[0] in asked}
        return Records(arrays, dt_s, activity)

    def _with_every_population(self, record: str) -> tuple[str, list[str], list[str] | None]:
        """The record value that also records every population (for the activity report), the populations,
        and the record keys asked for (None: all)."""
        from snn_deploy.check.activity import artifact_populations

        manifest = self.manifest
        populations = artifact_populations(manifest)
        if record == "all":
            return record, populations, None
        asked = list(manifest.get("outputs") or []) if record == "outputs" else \
            [name.strip() for name in record.split(",") if name.strip()]
        return ",".join(dict.fromkeys(asked + populations)), populations, asked

    def save(self, out_dir: str | Path) -> Path:
        """Write the artifact directory to ``out_dir`` (replaced atomically: complete or left as it was); the
        same bytes ``snn-deploy compile`` writes. Returns ``out_dir``."""
        from snn_deploy.artifacts import atomic_directory

        out_dir = Path(out_dir)
        if out_dir.resolve() == self._dir.resolve():
            return out_dir
        with atomic_directory(out_dir) as tmp:
            for path in sorted(self._dir.iterdir()):
                shutil.copyfile(path, tmp / path.name)
        return out_dir


def compile(graph: Graph, target: str | Target, dt_s: float | None = None, *,  # noqa: A001 (the API's verb)
            allow_leak_removal: bool = False) -> Deployment:
    """Quantize ``graph`` for ``target`` (``"loihi2"``, ``"speck"`` or a :class:`~snn_deploy.targets.Target`).

    ``dt_s``: the time step (default: the model's metadata, else the target's rule); ``allow_leak_removal``:
    Speck may turn LIF into IAF (stated in the report). A graph the target cannot hold raises
    :class:`~snn_deploy.errors.UnsupportedError` naming the node and the rule.
    """
    if not isinstance(graph, Graph):
        raise UnsupportedError(f"compile: expected a snn_deploy graph (snn_deploy.read(path)), got "
                               f"{type(graph).__name__}")
    chosen = _target(target)
    scratch = tempfile.TemporaryDirectory(prefix=f"snn-deploy-{chosen.name}-")
    artifact_dir = Path(scratch.name) / "artifact"
    summary = chosen.emit(graph, artifact_dir, dt_s, allow_leak_removal)
    return Deployment(chosen, artifact_dir, CompileReport.from_summary(chosen.name, summary), scratch)


def load_artifact(artifact_dir: str | Path) -> Deployment:
    """Open a compiled artifact directory (``snn-deploy compile -o DIR`` or :meth:`Deployment.save`) through
    the one artifact loader (:func:`snn_deploy.backends.manifest.load_manifest`): a manifest of another schema,
    an unknown target, or a file changed since compile (sha256 differs from the manifest) is refused with
    :class:`~snn_deploy.errors.ModelFormatError`."""
    import json

    from snn_deploy.backends.manifest import MANIFEST_FILE, load_manifest, read_manifest
    from snn_deploy.targets import target_names

    artifact_dir = Path(artifact_dir)
    name = read_manifest(artifact_dir)["target"]
    if name not in target_names():
        raise ModelFormatError(f"{artifact_dir / MANIFEST_FILE}: names no known target ({name!r}; known: "
                               f"{', '.join(target_names())})")
    manifest = load_manifest(artifact_dir, name)
    try:
        summary = json.loads((artifact_dir / "quantization.json").read_text())
    except (OSError, ValueError) as exc:
        raise ModelFormatError(f"{artifact_dir / 'quantization.json'}: unreadable ({type(exc).__name__})") from None
    target = get_target(manifest["target"])
    return Deployment(target, artifact_dir, CompileReport.from_summary(target.name, summary))
