"""Compare a deployment with the exact reference (spike times) and with its vendor engine (bit for bit).

A deployed spike of population ``p`` at step ``k`` stands for the continuous time ``(k - L_p) dt_s``, where
``L_p`` (the manifest's ``latency_steps_by_node``) is the number of whole steps the target's pipeline adds
before ``p`` sees its input (Lava's Dense delivers one step late; sinabs adds none). Reference and deployed
spikes of each neuron are then matched one to one within ``tolerance_steps * dt_s``
(:mod:`snn_deploy.check.spike_match`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from snn_deploy.check.activity import population_activity
from snn_deploy.check.bitexact import BitExactResult, compare_records
from snn_deploy.check.dynamics import SpectrumComparison, compare_spectra
from snn_deploy.check.junit import Criterion
from snn_deploy.check.silence import SilenceComparison, compare_silence
from snn_deploy.check.spike_match import MatchResult, match_population
from snn_deploy.reference.decoding import first_spike_class
from snn_deploy.spikes import SpikeEvents


@dataclass(frozen=True)
class Tolerances:
    """Pass criteria: every matched pair lies within ``steps`` steps; at least ``min_match`` of spikes match;
    with class labels, the deployed accuracy is at most ``max_accuracy_drop`` (a fraction) below the reference's."""

    steps: float = 1.0
    min_match: float = 0.95
    max_accuracy_drop: float = 0.005


def raster_to_events(spikes: np.ndarray, dt_s: float, latency_steps: int, t_end_s: float = np.inf
                     ) -> SpikeEvents:
    """Deployed raster ``[batch, steps, units]`` -> events at ``(k - latency_steps) dt_s`` (never before 0),
    keeping those before ``t_end_s``."""
    b, k, u = np.nonzero(spikes)
    keep = (k - latency_steps) * float(dt_s) < t_end_s
    b, k, u = b[keep], k[keep], u[keep]
    counts = np.asarray(spikes)[b, k, u].astype(np.int64)
    times = np.maximum(k - latency_steps, 0) * float(dt_s)
    return SpikeEvents(np.repeat(b, counts), np.repeat(u, counts), np.repeat(times, counts),
                       spikes.shape[0], int(np.prod(spikes.shape[2:])))


def latency_of(manifest: Mapping[str, Any], node: str) -> int:
    by_node = manifest.get("latency_steps_by_node") or {}
    return int(by_node.get(node, manifest.get("latency_steps", 0)))


@dataclass(frozen=True)
class Classification:
    """Class decisions (first output spike wins) of both sides and their agreement."""

    labels: np.ndarray
    reference: np.ndarray
    deployed: np.ndarray

    @property
    def accuracy_reference(self) -> float:
        return float(np.mean(self.reference == self.labels))

    @property
    def accuracy_deployed(self) -> float:
        return float(np.mean(self.deployed == self.labels))

    @property
    def agreement(self) -> float:
        return float(np.mean(self.reference == self.deployed))


def classify(first_spike_s: np.ndarray) -> np.ndarray:
    """First-spike class per sample from ``[batch, classes]`` first spike times (NaN = silent)."""
    return first_spike_class(np.where(np.isnan(first_spike_s), np.inf, first_spike_s))


@dataclass(frozen=True)
class CheckResult:
    """Everything a check found; :meth:`criteria` turns it into pass/fail verdicts."""

    target: str
    engine: str | None
    dt_s: float
    tolerances: Tolerances
    populations: dict[str, MatchResult]
    output_population: str
    bit_exact: BitExactResult | None = None
    classification: Classification | None = None
    quantization: list[dict] = field(default_factory=list)
    dynamics: dict[str, SpectrumComparison] = field(default_factory=dict)
    dynamics_suggestion: str | None = None
    silence: SilenceComparison | None = None

    # ------------------------------------------------------------------ aggregates
    @property
    def matched(self) -> int:
        return sum(r.matched for r in self.populations.values())

    @property
    def matched_fraction(self) -> float:
        total = sum(max(r.reference_spikes, r.deployed_spikes) for r in self.populations.values())
        return 1.0 if total == 0 else self.matched / total

    def _gaps_steps(self) -> np.ndarray:
        gaps = [r.dt_abs_s for r in self.populations.values()]
        return np.concatenate(gaps) / self.dt_s if gaps else np.zeros(0)

    @property
    def max_abs_dt_steps(self) -> float:
        gaps = self._gaps_steps()
        return float(gaps.max()) if gaps.size else 0.0

    @property
    def mean_abs_dt_steps(self) -> float:
        gaps = self._gaps_steps()
        return float(gaps.mean()) if gaps.size else 0.0

    def first_spike_agreement(self) -> dict[str, Any]:
        """Per output neuron: how often both sides fire (or both stay silent), and mean |Δ first spike| in steps."""
        result = self.populations[self.output_population]
        ref, dep = result.first_spike_reference_s, result.first_spike_deployed_s
        both = ~np.isnan(ref) & ~np.isnan(dep)
        same_activity = np.isnan(ref) == np.isnan(dep)
        gap = np.where(both, np.abs(ref - dep), np.nan) / self.dt_s
        with np.errstate(invalid="ignore"):
            mean_gap = [float(np.nanmean(g)) if np.any(~np.isnan(g)) else None for g in gap.T]
        return {"same_activity": same_activity.mean(axis=0).tolist(), "mean_abs_dt_steps": mean_gap}

    # ------------------------------------------------------------------ verdicts
    def criteria(self) -> list[Criterion]:
        verdicts: list[Criterion] = []
        if self.bit_exact is not None:
            if self.bit_exact.equal:
                verdicts.append(Criterion("bit_exact", True,
                                          f"emulator == {self.engine}: {len(self.bit_exact.compared)} arrays identical"))
            else:
                verdicts.append(Criterion("bit_exact", False, self.bit_exact.describe("emulator", self.engine)))
        if self.dynamics:
            broken = {name: c for name, c in self.dynamics.items() if not c.preserved}
            worst = max(c.max_shift for c in self.dynamics.values())
            if broken:
                message = "; ".join(f"{name}: {c.describe()}" for name, c in broken.items())
                if self.dynamics_suggestion:
                    message += f"; {self.dynamics_suggestion}"
            else:
                message = (f"{len(self.dynamics)} population update(s): no eigenvalue crossed |mu| = 1, no "
                           f"oscillation gained or lost; largest eigenvalue shift {worst:.3g}")
            verdicts.append(Criterion("dynamics_preserved", not broken, message))
        fraction = self.matched_fraction
        verdicts.append(Criterion(
            "spike_time_equivalence", fraction >= self.tolerances.min_match,
            f"matched fraction {fraction:.4f} (min {self.tolerances.min_match}) within "
            f"{self.tolerances.steps:g} step(s); max |dt| {self.max_abs_dt_steps:.3g} steps",
        ))
        if self.classification is not None:
            c = self.classification
            drop = c.accuracy_reference - c.accuracy_deployed
            verdicts.append(Criterion(
                "accuracy_preserved", drop <= self.tolerances.max_accuracy_drop + 1e-12,
                f"accuracy deployed {c.accuracy_deployed:.4f} vs reference {c.accuracy_reference:.4f} "
                f"({100 * drop:+.2f} pp drop, max {100 * self.tolerances.max_accuracy_drop:g} pp) on {c.labels.size} "
                f"samples; agreement {c.agreement:.4f}",
            ))
        if self.silence is not None:
            verdicts.append(self.silence.criterion())
        return verdicts

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.criteria())

    def to_json(self) -> dict[str, Any]:
        populations = {
            name: {"reference_spikes": r.reference_spikes, "deployed_spikes": r.deployed_spikes,
                   "matched": r.matched, "missing": r.missing, "extra": r.extra,
                   "matched_fraction": r.matched_fraction,
                   "max_abs_dt_steps": float(r.dt_abs_s.max() / self.dt_s) if r.dt_abs_s.size else 0.0,
                   "mean_abs_dt_steps": float(r.dt_abs_s.mean() / self.dt_s) if r.dt_abs_s.size else 0.0,
                   **(self.silence.population_json(name) if self.silence is not None else {})}
            for name, r in self.populations.items()
        }
        missing = sum(r.missing for r in self.populations.values())
        extra = sum(r.extra for r in self.populations.values())
        first = self.bit_exact.first if self.bit_exact is not None and not self.bit_exact.equal else None
        return {
            "target": self.target,
            "engine": self.engine,
            "dt_s": self.dt_s,
            "tolerance_steps": self.tolerances.steps,
            "min_match": self.tolerances.min_match,
            "bit_exact": None if self.bit_exact is None else self.bit_exact.equal,
            "first_difference": None if first is None else {
                "population": first.node, "quantity": first.quantity, "neuron": first.neuron,
                "step": first.step, "sample": first.sample, "emulator": first.values_a, "engine": first.values_b},
            "matched_fraction": self.matched_fraction,
            "missing_spikes": missing,
            "extra_spikes": extra,
            "max_abs_dt_steps": self.max_abs_dt_steps,
            "mean_abs_dt_steps": self.mean_abs_dt_steps,
            "max_abs_dt_s": self.max_abs_dt_steps * self.dt_s,
            "mean_abs_dt_s": self.mean_abs_dt_steps * self.dt_s,
            "first_spike_agreement": self.first_spike_agreement(),
            "accuracy_reference": None if self.classification is None else self.classification.accuracy_reference,
            "accuracy_deployed": None if self.classification is None else self.classification.accuracy_deployed,
            "classification_agreement": None if self.classification is None else self.classification.agreement,
            "populations": populations,
            "silent_populations": None if self.silence is None else self.silence.to_json(),
            "dynamics": {name: {"preserved": c.preserved, "max_eigenvalue_shift": c.max_shift,
                                "crossed_stability": c.crossed_stability, "lost_oscillation": c.lost_oscillation,
                                "gained_oscillation": c.gained_oscillation,
                                "eigenvalues_exact": [[z.real, z.imag] for z in c.exact],
                                "eigenvalues_quantized": [[z.real, z.imag] for z in c.quantized]}
                         for name, c in self.dynamics.items()},
            "dynamics_suggestion": self.dynamics_suggestion,
            "criteria": [{"name": c.name, "passed": c.passed, "message": c.message} for c in self.criteria()],
            "passed": self.passed,
        }


def compare_dynamics(report: Mapping[str, Any]) -> dict[str, SpectrumComparison]:
    """Eigenvalue comparison of every population's exact and quantized one-step update (``quantization.json``
    ``"dynamics"``: per process ``exact_update`` and ``quantized_update``)."""
    return {name: compare_spectra(np.asarray(entry["exact_update"]), np.asarray(entry["quantized_update"]))
            for name, entry in sorted((report.get("dynamics") or {}).items())}


def compare(
    *, target: str, engine: str | None, manifest: Mapping[str, Any], reference: Mapping[str, SpikeEvents],
    emulated: Mapping[str, np.ndarray], dt_s: float, tolerances: Tolerances, output_population: str,
    t_end_s: float = np.inf, engine_records: Mapping[str, np.ndarray] | None = None, node_order: tuple[str, ...] = (),
    labels: np.ndarray | None = None, quantization: list[dict] | None = None,
    dynamics: dict[str, SpectrumComparison] | None = None, dynamics_suggestion: str | None = None,
    structurally_silent: Mapping[str, str] | None = None,
) -> CheckResult:
    """Build a :class:`CheckResult` from the three runs (reference events, emulator and engine records).

    Deployed spikes standing for times at or after ``t_end_s`` (where the reference stopped) are left out of
    the spike matching; the silence criterion counts every emulated step (``structurally_silent``: population
    -> why the compiled artifact can never make it spike, :mod:`snn_deploy.check.silence`).
    """
    populations: dict[str, MatchResult] = {}
    for node, ref_events in reference.items():
        key = f"{node}/spikes"
        if key not in emulated:
            continue
        deployed = raster_to_events(emulated[key], dt_s, latency_of(manifest, node), t_end_s)
        populations[node] = match_population(ref_events, deployed, tolerances.steps * dt_s)
    bit_exact = None if engine_records is None else compare_records(emulated, engine_records, node_order)
    silence = compare_silence({node: r.reference_spikes for node, r in populations.items()},
                              population_activity(emulated, list(populations)), structurally_silent)
    classification = None
    if labels is not None:
        out = populations[output_population]
        classification = Classification(np.asarray(labels), classify(out.first_spike_reference_s),
                                        classify(out.first_spike_deployed_s))
    return CheckResult(target=target, engine=engine, dt_s=dt_s, tolerances=tolerances, populations=populations,
                       output_population=output_population, bit_exact=bit_exact, classification=classification,
                       quantization=list(quantization or []), dynamics=dict(dynamics or {}),
                       dynamics_suggestion=dynamics_suggestion, silence=silence)
