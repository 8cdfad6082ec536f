"""snn-deploy: deploy trained spiking neural networks to neuromorphic chips, with proof.

Flow: model file -> IR graph (:mod:`snn_deploy.ir`) -> exact reference (:mod:`snn_deploy.reference`)
and quantized deployment (:mod:`snn_deploy.quantize`) -> integer emulation (:mod:`snn_deploy.emulate`)
and vendor artifacts (:mod:`snn_deploy.backends`) -> equivalence checks (:mod:`snn_deploy.check`).
"""
from snn_deploy.errors import SnnDeployError

__version__ = "0.1.0"
__all__ = ["SnnDeployError", "__version__"]
