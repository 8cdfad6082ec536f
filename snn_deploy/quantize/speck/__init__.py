"""Speck / DYNAP-CNN (as sinabs models it): spec, compatibility and core mapping, quantizer, deployment."""
from snn_deploy.quantize.speck.compat import CompatibilityReport, check_compatibility
from snn_deploy.quantize.speck.deployment import SpeckDeployment, SpeckLayer
from snn_deploy.quantize.speck.quantizer import SpeckQuantization, quantize
from snn_deploy.quantize.speck.spec import SPECK, SpeckSpec

__all__ = ["SPECK", "CompatibilityReport", "SpeckDeployment", "SpeckLayer", "SpeckQuantization", "SpeckSpec",
           "check_compatibility", "quantize"]
