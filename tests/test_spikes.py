"""Spike file layouts: raster <-> events round trip, both input forms, deterministic bytes, bad files."""
from __future__ import annotations

import numpy as np
import pytest

from snn_deploy.errors import ModelFormatError
from snn_deploy.spikes import SpikeEvents, load_input, save_engine_output, save_input


def test_raster_events_round_trip_and_both_input_forms(tmp_path):
    rng = np.random.default_rng(0)
    raster = (rng.random((3, 20, 5)) < 0.2).astype(np.uint8) * rng.integers(1, 3, (3, 20, 5)).astype(np.uint8)
    events = SpikeEvents.from_raster(raster, 1e-3)
    assert np.array_equal(events.to_raster(1e-3, 20), raster)
    np.savez(tmp_path / "dense.npz", spikes=raster, dt_s=1e-3)
    dense, dt_s = load_input(tmp_path / "dense.npz", units=5)
    assert dt_s == 1e-3 and np.array_equal(dense.to_raster(1e-3, 20), raster)
    save_input(tmp_path / "ev.npz", events)
    loaded, dt_s = load_input(tmp_path / "ev.npz")
    assert dt_s is None and np.array_equal(loaded.time_s, events.time_s) and loaded.batch == 3


def test_writers_are_deterministic(tmp_path):
    records = {"out/spikes": np.ones((1, 4, 2), np.uint8), "out/v": np.arange(8).reshape(1, 4, 2)}
    save_engine_output(tmp_path / "a.npz", records, 1e-3)
    save_engine_output(tmp_path / "b.npz", dict(reversed(records.items())), 1e-3)
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04garbage", b"not a zip at all"])
def test_bad_input_files_raise_our_error(tmp_path, content):
    path = tmp_path / "bad.npz"
    path.write_bytes(content)
    with pytest.raises(ModelFormatError, match="bad.npz"):
        load_input(path)


def test_unit_out_of_range_is_named(tmp_path):
    np.savez(tmp_path / "e.npz", sample=np.array([0]), unit=np.array([7]), time_s=np.array([0.1]),
             batch=1, units=3)
    with pytest.raises(ModelFormatError, match="'unit' must lie in"):
        load_input(tmp_path / "e.npz")
