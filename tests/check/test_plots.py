"""Every report plot is written as a non-empty PNG."""
from __future__ import annotations

import numpy as np

from snn_deploy.check import plots
from snn_deploy.spikes import SpikeEvents

PNG = b"\x89PNG\r\n\x1a\n"


def test_plots_write_png_files(tmp_path):
    ref = SpikeEvents([0, 0, 0], [0, 1, 2], [0.001, 0.002, 0.004], batch=1, units=3)
    emu = SpikeEvents([0, 0], [0, 2], [0.001, 0.005], batch=1, units=3)
    written = [
        plots.raster(tmp_path / "raster.png", "hidden", ref, emu),
        plots.error_histogram(tmp_path / "hist.png", np.array([0.0, 0.5, 1.0]), 2),
        plots.quantization_errors(tmp_path / "q.png", [
            {"name": "fc/weight", "max_rel_error": 0.004, "mean_rel_error": 0.001, "clipped": 0},
            {"name": "lif/v_threshold", "max_rel_error": 0.0, "mean_rel_error": 0.0, "clipped": 2}]),
        plots.membrane_traces(tmp_path / "v.png", (np.linspace(0, 0.01, 50), np.sin(np.arange(50))), 1.0,
                              (np.linspace(0, 0.01, 10), np.arange(10) * 64)),
        plots.population_spikes(tmp_path / "pop.png", {"h": 120, "o": 30}, {"h": 0, "o": 28}),
    ]
    for path in written:
        data = path.read_bytes()
        assert data.startswith(PNG) and len(data) > 2000
