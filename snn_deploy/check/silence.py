"""The ``no_silent_populations`` criterion: a population that spikes in the reference must spike when deployed.

The spike-time criterion alone can pass with a dead population (a small one weighs little in the matched
fraction), and a run where nothing spikes matches trivially. So the check compares, per population, the
reference's spike count with the deployment's (every emulated step): a population that spikes in the
reference and never in the deployment FAILS the check, naming it (with the compile-time proof of why, when
``quantization.json`` has one); a population silent on both sides is stated, not failed; a run in which no
population spiked on either side fails, since it compared nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from snn_deploy.check.activity import PopulationActivity
from snn_deploy.check.junit import Criterion


@dataclass(frozen=True)
class SilenceComparison:
    """Reference spike counts and deployed activity per population; ``structural``: population -> reason it
    can never spike (from the compiled artifact)."""

    reference_spikes: dict[str, int]
    deployed: dict[str, PopulationActivity]
    structural: dict[str, str] = field(default_factory=dict)

    def _names(self, reference_spikes: bool, deployed_spikes: bool) -> list[str]:
        return [name for name, count in self.reference_spikes.items()
                if (count > 0) is reference_spikes and (not self.deployed[name].silent) is deployed_spikes]

    @property
    def silent_in_deployment_only(self) -> list[str]:
        """Spike in the reference, never in the deployment: the failure."""
        return self._names(True, False)

    @property
    def silent_in_both(self) -> list[str]:
        return self._names(False, False)

    @property
    def silent_in_reference_only(self) -> list[str]:
        return self._names(False, True)

    @property
    def nothing_spiked(self) -> bool:
        return len(self.silent_in_both) == len(self.reference_spikes)

    def _lost(self, name: str) -> str:
        a = self.deployed[name]
        text = (f"{name} (reference {self.reference_spikes[name]} spikes, deployed 0 in {a.samples} sample(s) x "
                f"{a.steps} steps")
        reason = self.structural.get(name)
        return text + (f"; compile: it can never spike: {reason})" if reason else ")")

    def criterion(self) -> Criterion:
        lost, both = self.silent_in_deployment_only, self.silent_in_both
        if self.nothing_spiked:
            return Criterion("no_silent_populations", False,
                             f"no population spiked in the reference or the deployment ({', '.join(both)}): the "
                             "input exercised nothing, so nothing was compared")
        if lost:
            message = "silent in the deployment, spiking in the reference: " + "; ".join(map(self._lost, lost))
        else:
            message = (f"every population that spikes in the reference spikes in the deployment "
                       f"({len(self.reference_spikes) - len(both)} of {len(self.reference_spikes)})")
        if both:
            message += f"; silent in both the reference and the deployment (not a failure): {', '.join(both)}"
        return Criterion("no_silent_populations", not lost, message)

    def to_json(self) -> dict[str, Any]:
        return {"deployment_only": self.silent_in_deployment_only, "both": self.silent_in_both,
                "reference_only": self.silent_in_reference_only, "structurally_silent": dict(self.structural)}

    def population_json(self, name: str) -> dict[str, Any]:
        """The per-population entries of ``report.json``'s ``populations``."""
        a = self.deployed[name]
        return {"deployed_spikes_all_steps": a.spikes, "steps": a.steps, "samples": a.samples,
                "silent_reference": self.reference_spikes[name] == 0, "silent_deployed": a.silent}


def compare_silence(reference_spikes: Mapping[str, int], deployed: Mapping[str, PopulationActivity],
                    structural: Mapping[str, str] | None = None) -> SilenceComparison:
    return SilenceComparison(dict(reference_spikes), dict(deployed), dict(structural or {}))
