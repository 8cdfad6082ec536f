"""placeholder until written"""
from snn_deploy.errors import UnsupportedError


def write_netx(deployment, path):
    raise UnsupportedError("netx writer not written yet")
