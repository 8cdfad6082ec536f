"""Spike files the CLI reads and writes (layouts in ARCHITECTURE.md, "Files the CLI reads and writes").

* Input events, dense form: ``spikes`` uint8 ``[batch, steps, units]`` and scalar ``dt_s``.
* Input events, event form: ``sample`` int64, ``unit`` int64, ``time_s`` float64, scalars ``batch``, ``units``.
* Engine output (``emulate``, ``run``): ``<node>/spikes`` uint8 ``[batch, steps, units]`` and ``dt_s``;
  with recorded state also ``<node>/u`` and ``<node>/v`` (integers); ``activity``: JSON text, per population
  its spike count, steps, samples and whether it was silent (:mod:`snn_deploy.check.activity`).
* Reference output (``simulate``): ``<node>/sample``, ``<node>/unit``, ``<node>/time_s``.
"""
from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import numpy as np

from snn_deploy.errors import ModelFormatError

#: the integer type of spike rasters and records (a file format, not a chip's limit)
RASTER_DTYPE = np.uint8
#: the most spikes of one unit one raster bin holds
MAX_COUNT_PER_BIN = int(np.iinfo(RASTER_DTYPE).max)


@dataclass(frozen=True)
class SpikeEvents:
    """Spike events of a batch: event ``i`` is unit ``unit[i]`` of sample ``sample[i]`` at ``time_s[i]``.

    Events are kept sorted by (sample, time, unit).
    """

    sample: np.ndarray
    unit: np.ndarray
    time_s: np.ndarray
    batch: int
    units: int

    def __post_init__(self) -> None:
        sample = np.asarray(self.sample, dtype=np.int64).reshape(-1)
        unit = np.asarray(self.unit, dtype=np.int64).reshape(-1)
        time_s = np.asarray(self.time_s, dtype=np.float64).reshape(-1)
        if not (sample.size == unit.size == time_s.size):
            raise ModelFormatError("spike events: 'sample', 'unit' and 'time_s' differ in length")
        if sample.size and (sample.min() < 0 or sample.max() >= self.batch):
            raise ModelFormatError(f"spike events: 'sample' must lie in [0, {self.batch})")
        if unit.size and (unit.min() < 0 or unit.max() >= self.units):
            raise ModelFormatError(f"spike events: 'unit' must lie in [0, {self.units})")
        if not np.all(np.isfinite(time_s)) or (time_s.size and time_s.min() < 0):
            raise ModelFormatError("spike events: 'time_s' must be finite and >= 0")
        order = np.lexsort((unit, time_s, sample))
        object.__setattr__(self, "sample", sample[order])
        object.__setattr__(self, "unit", unit[order])
        object.__setattr__(self, "time_s", time_s[order])
        object.__setattr__(self, "batch", int(self.batch))
        object.__setattr__(self, "units", int(self.units))

    @classmethod
    def from_raster(cls, spikes: np.ndarray, dt_s: float) -> "SpikeEvents":
        """Events from a ``[batch, steps, units]`` raster; a spike at step ``k`` is at time ``k * dt_s``.

        A count ``c > 1`` in one bin gives ``c`` events at the same time.
        """
        spikes = np.asarray(spikes)
        batch, _, units = spikes.shape
        b, k, u = np.nonzero(spikes)
        counts = spikes[b, k, u].astype(np.int64)
        return cls(np.repeat(b, counts), np.repeat(u, counts), np.repeat(k * float(dt_s), counts), batch, units)

    def to_raster(self, dt_s: float, steps: int | None = None) -> np.ndarray:
        """Bin to a uint8 ``[batch, steps, units]`` count raster: time ``t`` goes to step ``round(t / dt_s)``.

        Raises :class:`ModelFormatError` when a bin would hold more than :data:`MAX_COUNT_PER_BIN` spikes.
        """
        step = np.rint(self.time_s / dt_s).astype(np.int64)
        if steps is None:
            steps = int(step.max()) + 1 if step.size else 1
        keep = step < steps
        counts = np.zeros((self.batch, steps, self.units), dtype=np.int64)
        np.add.at(counts, (self.sample[keep], step[keep], self.unit[keep]), 1)
        if counts.size and counts.max() > MAX_COUNT_PER_BIN:
            raise ModelFormatError(f"spike events: more than {MAX_COUNT_PER_BIN} spikes of one unit fall in one "
                                   "time step")
        return counts.astype(RASTER_DTYPE)

    def for_sample(self, b: int) -> tuple[np.ndarray, np.ndarray]:
        """(unit, time_s) of sample ``b``, time ordered."""
        lo, hi = np.searchsorted(self.sample, [b, b + 1])
        return self.unit[lo:hi], self.time_s[lo:hi]


def _open_npz(path: Path) -> Mapping[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    except FileNotFoundError:
        raise ModelFormatError(f"{path}: no such file") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise ModelFormatError(f"{path}: not a readable .npz file ({type(exc).__name__})") from None


def read_npz(path: str | Path) -> Mapping[str, np.ndarray]:
    """Every array of the .npz at ``path`` (:class:`ModelFormatError` when missing or unreadable)."""
    return _open_npz(Path(path))


def _scalar(data: Mapping[str, np.ndarray], key: str, path: Path, kind: type) -> float | int:
    if key not in data:
        raise ModelFormatError(f"{path}: missing '{key}'")
    value = np.asarray(data[key])
    if value.size != 1 or not np.issubdtype(value.dtype, np.number):
        raise ModelFormatError(f"{path}: '{key}' must be a numeric scalar")
    return kind(value.reshape(()))


def load_input(path: str | Path, units: int | None = None) -> tuple[SpikeEvents, float | None]:
    """Read input events in either layout; returns the events and the file's ``dt_s`` (dense form) or None.

    ``units`` (the graph's input size) is checked when given.
    """
    path = Path(path)
    data = _open_npz(path)
    if "spikes" in data:
        spikes = data["spikes"]
        if spikes.ndim != 3 or not (np.issubdtype(spikes.dtype, np.integer) or spikes.dtype == bool):
            raise ModelFormatError(f"{path}: 'spikes' must be an integer [batch, steps, units] array")
        if spikes.size and spikes.min() < 0:
            raise ModelFormatError(f"{path}: 'spikes' has negative counts")
        dt_s = float(_scalar(data, "dt_s", path, float))
        if not np.isfinite(dt_s) or dt_s <= 0:
            raise ModelFormatError(f"{path}: 'dt_s' must be > 0")
        events = SpikeEvents.from_raster(spikes, dt_s)
        file_dt: float | None = dt_s
    else:
        for key in ("sample", "unit", "time_s"):
            if key not in data:
                raise ModelFormatError(f"{path}: needs either 'spikes' + 'dt_s' or 'sample', 'unit', 'time_s'")
            if data[key].ndim != 1 or not np.issubdtype(data[key].dtype, np.number):
                raise ModelFormatError(f"{path}: '{key}' must be a 1-D numeric array")
        batch = int(_scalar(data, "batch", path, int))
        n_units = int(_scalar(data, "units", path, int))
        if batch < 1 or n_units < 1:
            raise ModelFormatError(f"{path}: 'batch' and 'units' must be >= 1")
        try:
            events = SpikeEvents(data["sample"], data["unit"], data["time_s"], batch, n_units)
        except ModelFormatError as exc:
            raise ModelFormatError(f"{path}: {exc}") from None
        file_dt = None
    if units is not None and events.units != units:
        raise ModelFormatError(f"{path}: has {events.units} input units, the model's input has {units}")
    return events, file_dt


def _save_npz(path: Path, arrays: Mapping[str, np.ndarray]) -> None:
    """Write an uncompressed .npz whose bytes depend only on the arrays (fixed zip timestamps)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as archive:
        for key in sorted(arrays):
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(arrays[key]), allow_pickle=False)
            info = zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            archive.writestr(info, buffer.getvalue())
    tmp.replace(path)


def save_npz(path: str | Path, arrays: Mapping[str, np.ndarray]) -> None:
    """Deterministic .npz writer (same arrays, same bytes); writes to a temporary name then renames."""
    _save_npz(Path(path), arrays)


def save_input(path: str | Path, events: SpikeEvents) -> None:
    """Write input events in the event form."""
    save_npz(path, {
        "sample": events.sample, "unit": events.unit, "time_s": events.time_s,
        "batch": np.int64(events.batch), "units": np.int64(events.units),
    })


def save_engine_output(path: str | Path, records: Mapping[str, np.ndarray], dt_s: float,
                       activity: Mapping | None = None) -> None:
    """Write emulator/engine output: ``records`` maps ``<node>/spikes`` (and ``/u``, ``/v``) to arrays;
    ``activity`` (per population spike counts and the silent ones, JSON-ready) goes to key ``activity``."""
    arrays = dict(records)
    for key, value in arrays.items():
        if key.endswith("/spikes"):
            arrays[key] = np.asarray(value).astype(np.uint8)
    arrays["dt_s"] = np.float64(dt_s)
    if activity is not None:
        arrays["activity"] = np.array(json.dumps(activity, sort_keys=True))
    save_npz(path, arrays)


def load_engine_output(path: str | Path) -> tuple[dict[str, np.ndarray], float]:
    """Read what :func:`save_engine_output` wrote: the records and ``dt_s`` (:func:`load_engine_activity`:
    the activity)."""
    path = Path(path)
    data = dict(_open_npz(path))
    dt_s = float(_scalar(data, "dt_s", path, float))
    data.pop("dt_s")
    data.pop("activity", None)
    return data, dt_s


def load_engine_activity(path: str | Path) -> dict | None:
    """The ``activity`` JSON object :func:`save_engine_output` stored, or None when the file has none."""
    path = Path(path)
    data = _open_npz(path)
    if "activity" not in data:
        return None
    try:
        return json.loads(str(data["activity"].reshape(-1)[0]))
    except ValueError:
        raise ModelFormatError(f"{path}: 'activity' is not JSON text") from None


def load_reference_output(path: str | Path, batch: int, units: Mapping[str, int]) -> dict[str, SpikeEvents]:
    """Read what :func:`save_reference_output` wrote; the file does not store sizes, so ``batch`` and the
    ``units`` of each node to read are given (a node missing from the file is a :class:`ModelFormatError`)."""
    path = Path(path)
    data = _open_npz(path)
    spikes: dict[str, SpikeEvents] = {}
    for node, n_units in units.items():
        keys = [f"{node}/{field}" for field in ("sample", "unit", "time_s")]
        missing = [key for key in keys if key not in data]
        if missing:
            raise ModelFormatError(f"{path}: no reference spikes of node '{node}' (missing '{missing[0]}')")
        try:
            spikes[node] = SpikeEvents(*(data[key] for key in keys), batch, n_units)
        except ModelFormatError as exc:
            raise ModelFormatError(f"{path}: node '{node}': {exc}") from None
    return spikes


def save_reference_output(path: str | Path, spikes: Mapping[str, SpikeEvents]) -> None:
    """Write exact-reference spikes: per node ``<node>/sample``, ``<node>/unit``, ``<node>/time_s``."""
    arrays: dict[str, np.ndarray] = {}
    for node, events in spikes.items():
        arrays[f"{node}/sample"] = events.sample
        arrays[f"{node}/unit"] = events.unit
        arrays[f"{node}/time_s"] = events.time_s
    save_npz(path, arrays)
