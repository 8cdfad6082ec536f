"""PNG plots of a check report: rasters, spike-time error histogram, quantization errors, membrane traces,
spikes per population.

Each function takes plain arrays, writes one PNG and returns its path (matplotlib's Agg backend, no display).
"""
from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from snn_deploy.spikes import SpikeEvents  # noqa: E402

_DPI = 110


def _save(fig: plt.Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=_DPI, metadata={"Software": None})
    plt.close(fig)
    return path


def raster(path: str | Path, population: str, reference: SpikeEvents, deployed: SpikeEvents, sample: int = 0
           ) -> Path:
    """Reference (dots) and deployed (crosses) spike times of one sample, one row per neuron."""
    fig, ax = plt.subplots(figsize=(7, max(2.5, 0.6 + 0.18 * min(reference.units, 60))))
    for events, marker, label, color in ((reference, "o", "exact reference", "tab:blue"),
                                         (deployed, "x", "deployed (emulated)", "tab:red")):
        unit, time_s = events.for_sample(sample)
        ax.scatter(time_s * 1e3, unit, marker=marker, s=18, label=label, color=color, linewidths=1)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("neuron")
    ax.set_title(f"{population}: spikes of sample {sample}")
    ax.legend(loc="upper right", fontsize=8)
    return _save(fig, Path(path))


def error_histogram(path: str | Path, dt_abs_steps: np.ndarray, tolerance_steps: float) -> Path:
    """Histogram of |t_reference - t_deployed| of matched spikes, in time steps, with the tolerance marked."""
    fig, ax = plt.subplots(figsize=(6, 3.5))
    values = np.asarray(dt_abs_steps, dtype=float)
    top = max(float(tolerance_steps), float(values.max()) if values.size else 1.0)
    ax.hist(values, bins=np.linspace(0, top, 41), color="tab:blue")
    ax.axvline(tolerance_steps, color="tab:red", linestyle="--", label=f"tolerance {tolerance_steps:g} steps")
    ax.set_xlabel("|Δt| of matched spikes (steps)")
    ax.set_ylabel("spikes")
    ax.legend(fontsize=8)
    return _save(fig, Path(path))


def quantization_errors(path: str | Path, arrays: Sequence[Mapping[str, float]]) -> Path:
    """Max and mean relative rounding error per parameter array (``ArrayReport`` dicts), clipped counts noted."""
    names = [a["name"] for a in arrays]
    fig, ax = plt.subplots(figsize=(7, 0.8 + 0.3 * max(len(names), 1)))
    y = np.arange(len(names))
    ax.barh(y - 0.2, [a["max_rel_error"] for a in arrays], height=0.4, label="max", color="tab:red")
    ax.barh(y + 0.2, [a["mean_rel_error"] for a in arrays], height=0.4, label="mean", color="tab:blue")
    for i, a in enumerate(arrays):
        if a.get("clipped"):
            ax.annotate(f"{a['clipped']} clipped", (a["max_rel_error"], i - 0.2), fontsize=7)
    ax.set_yticks(y, names, fontsize=7)
    ax.set_xlabel("relative rounding error (of the array's max |value|)")
    ax.legend(fontsize=8)
    return _save(fig, Path(path))


def membrane_traces(path: str | Path, reference: tuple[np.ndarray, np.ndarray], reference_threshold: float,
                    deployed: tuple[np.ndarray, np.ndarray] | None = None, title: str = "") -> Path:
    """Exact reference membrane (left axis, with its threshold) and the deployed integer membrane (right axis).

    ``reference`` and ``deployed`` are (time_s, v) pairs; the deployed trace is drawn as steps.
    """
    fig, ax = plt.subplots(figsize=(7, 3.5))
    time_s, v = reference
    ax.plot(np.asarray(time_s) * 1e3, v, color="tab:blue", label="exact reference")
    ax.axhline(reference_threshold, color="tab:blue", linestyle=":", label="reference threshold")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("reference v", color="tab:blue")
    if deployed is not None:
        twin = ax.twinx()
        twin.step(np.asarray(deployed[0]) * 1e3, deployed[1], where="post", color="tab:red", label="deployed v")
        twin.set_ylabel("deployed v (integer)", color="tab:red")
        twin.legend(loc="lower right", fontsize=8)
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8)
    return _save(fig, Path(path))


def population_spikes(path: str | Path, reference: Mapping[str, int], deployed: Mapping[str, int]) -> Path:
    """Spikes per population in the reference and the deployment (log scale); a population silent on one side
    is labelled SILENT there, so a dead population cannot hide behind a small bar."""
    names = list(reference)
    fig, ax = plt.subplots(figsize=(7, 0.9 + 0.35 * max(len(names), 1)))
    y = np.arange(len(names))
    for offset, counts, label, color in ((-0.2, reference, "exact reference", "tab:blue"),
                                         (0.2, deployed, "deployed (emulated)", "tab:red")):
        values = [counts[name] for name in names]
        ax.barh(y + offset, np.where(np.asarray(values) > 0, values, np.nan), height=0.4, label=label, color=color)
        for i, value in enumerate(values):
            if value == 0:
                ax.annotate(f"SILENT ({label.split()[0]})", (0.6, i + offset), fontsize=7, va="center", color=color)
    ax.set_xscale("log")
    ax.set_xlim(left=0.5)
    ax.set_ylim(-0.6, len(names) - 0.4)
    ax.set_yticks(y, names, fontsize=8)
    ax.set_xlabel("spikes (all samples)")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return _save(fig, Path(path))
