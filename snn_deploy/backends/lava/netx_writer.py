"""Write a Loihi 2 deployment as a lava-dl netx ``network.net`` (HDF5), where netx can hold it exactly.

Layout (as lava-dl's ``netx/hdf5.py`` reads it and ``snn_deploy.ir.io.netx_format`` documents it):
``layer/0`` is netx's ``input`` layer, a relay here: ``input_units`` CUBA neurons with ``iDecay = 4096``,
``vDecay = 4095``, ``vThMant = 0`` and no bias fire exactly when their input unit spikes (``u = 64 a``,
``v = u > 0``), one step later. ``layer/<k>`` (``k >= 1``) is a ``dense`` layer per population in chain order:
``weight`` ``[out, in]`` (float32 holding the integer weights Lava sums), ``delay`` (axonal, one per output
unit) and ``neuron`` (``type = CUBA``, ``iDecay = du + 1``, ``vDecay = dv``, ``vThMant = vth``,
``refDelay = 1``). (lava-dl would also accept a ``dense`` layer 0, but snn-deploy's netx reader requires
the ``input`` layer, so the relay keeps the file readable by both.)

Exactness: every population then spikes exactly one step later than in the deployment. That holds when
the network is at rest without input, so the file is written only for: a feed-forward chain
input -> p1 -> p2 -> ... with one Lava process per population, no periodic reset, no bias, reset to 0 from
``v = 0`` (netx's CUBA neuron has no reset by subtraction and no initial ``v``); weights that
are integers after the weight exponent (``W 2^e``) and that netx keeps exactly (mixed signs in
``-128..127``, one sign in ``-255..255``; the excitatory and inhibitory Dense of a sign-split projection
are summed into one layer); one delay per output unit. Otherwise :class:`UnsupportedError`
says what is missing (the artifact is complete without ``network.net``; the compile report notes it).

The file's bytes are deterministic (datasets without modification times, fixed creation order).
"""
from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from snn_deploy.errors import UnsupportedError
from snn_deploy.quantize.loihi2.deployment import Deployment, Synapse
from snn_deploy.quantize.loihi2.spec import Loihi2Spec, ResetRule


def relay_neuron(spec: Loihi2Spec) -> tuple[int, int, int]:
    """The input relay's ``(iDecay, vDecay, vThMant)``: full current decay, the largest voltage decay, threshold 0."""
    return spec.decay_unity, spec.decay_max, 0


def _chain(deployment: Deployment) -> list[list[Synapse]]:
    """Per layer of the chain input -> p1 -> p2 -> ... its synapses (two for a sign-split projection)."""
    if len(deployment.groups) != len(deployment.populations):
        raise UnsupportedError("netx needs one Lava LIF process per population (a population was split)")
    if any(g.reset_interval for g in deployment.groups):
        raise UnsupportedError("netx files hold no periodic reset")
    if any(g.coupling is not None for g in deployment.groups):
        raise UnsupportedError("netx has no membrane coupling (CoupledLIF process)")
    subtract = [g.name for g in deployment.groups if g.reset is ResetRule.SUBTRACT]
    if subtract:
        raise UnsupportedError(f"netx has no reset by subtraction (group '{subtract[0]}': SubtractLIF process)")
    if any(g.v_init is not None for g in deployment.groups):
        raise UnsupportedError("netx has no initial membrane potential (a v_reset folded into v_init)")
    chain, source = [], deployment.input_name
    remaining = list(deployment.synapses)
    while remaining:
        nxt = [s for s in remaining if s.source == source]
        if not nxt or len({s.target for s in nxt}) != 1 or nxt[0].target == source:
            raise UnsupportedError("netx holds a feed-forward chain of dense layers; this network branches, skips "
                                   "layers or is recurrent")
        chain.append(nxt)
        remaining = [s for s in remaining if s not in nxt]
        source = nxt[0].target
    if len(chain) != len(deployment.groups):
        raise UnsupportedError("netx needs every population in one feed-forward chain from the input")
    return chain


def _integer_weight(synapse: Synapse, spec: Loihi2Spec) -> np.ndarray:
    """The integers Lava's Dense adds per spike (``W 2^e``), or UnsupportedError if they are fractions."""
    weight = spec.effective_weights(synapse.weight, spec.sign_mode(synapse.weight), synapse.num_weight_bits)
    if synapse.weight_exp >= 0:
        return weight << synapse.weight_exp
    divisor = 1 << -synapse.weight_exp
    if np.any(weight % divisor):
        raise UnsupportedError(f"synapse '{synapse.name}': weights with weight_exp {synapse.weight_exp} are not "
                               "integers in netx's units (netx has no weight exponent)")
    return weight // divisor


def _netx_weight(synapses: list[Synapse], spec: Loihi2Spec) -> np.ndarray:
    """One netx weight matrix for a layer's synapses (summed: an excitatory + inhibitory pair is one matrix)."""
    weight = sum(_integer_weight(s, spec) for s in synapses)
    low, high = spec.exact_weight_range(spec.sign_mode(weight))
    if weight.min() < low or weight.max() > high:
        names = " + ".join(f"'{s.name}'" for s in synapses)
        raise UnsupportedError(f"synapse {names}: weights {weight.min()}..{weight.max()} exceed what netx "
                               f"keeps exactly ({low}..{high})")
    return weight


def _check_no_bias(deployment: Deployment, target: str, spec: Loihi2Spec) -> None:
    group = deployment.group(target)
    if np.any(spec.effective_bias(group.bias_mant, group.bias_exp)):
        raise UnsupportedError(f"population '{group.population}' has a bias: the netx input relay's extra step "
                               "would shift inputs against it")


def _dataset(group: h5py.Group, name: str, value) -> None:
    group.create_dataset(name, data=value, track_times=False)


def _neuron(layer: h5py.Group, i_decay: int, v_decay: int, v_th_mant: int) -> None:
    neuron = layer.create_group("neuron")
    _dataset(neuron, "type", np.bytes_("CUBA"))
    for key, value in (("iDecay", i_decay), ("vDecay", v_decay), ("vThMant", v_th_mant), ("refDelay", 1)):
        _dataset(neuron, key, np.int64(value))


def write_netx(deployment: Deployment, path: str | Path) -> None:
    """Write ``path`` if netx can hold ``deployment`` exactly (module docstring), else UnsupportedError."""
    spec = deployment.spec
    chain = _chain(deployment)
    layers = []
    for synapses in chain:
        delays = {s.name: s.delay for s in synapses if s.delay is not None}
        row_delay = None
        for name, delay in delays.items():
            if np.any(delay != delay[:, :1]) or (row_delay is not None and np.any(delay[:, 0] != row_delay)):
                raise UnsupportedError(f"synapse '{name}': netx delays are one per output unit")
            row_delay = delay[:, 0]
        if delays and len(delays) != len(synapses):
            raise UnsupportedError(f"synapse '{synapses[0].name}': netx delays are one per output unit")
        _check_no_bias(deployment, synapses[0].target, spec)
        layers.append((synapses[0], _netx_weight(synapses, spec), row_delay))
    with h5py.File(path, "w", libver="earliest", track_order=True) as handle:
        root = handle.create_group("layer", track_order=True)
        relay = root.create_group("0", track_order=True)
        _dataset(relay, "type", np.array([b"input"]))
        _dataset(relay, "shape", np.array([deployment.input_units], np.int64))
        _neuron(relay, *relay_neuron(spec))
        for k, (synapse, weight, delay) in enumerate(layers, start=1):
            group = deployment.group(synapse.target)
            layer = root.create_group(str(k), track_order=True)
            _dataset(layer, "type", np.array([b"dense"]))
            _dataset(layer, "shape", np.array([group.size], np.int64))
            _dataset(layer, "weight", weight.astype(np.float32))
            if delay is not None:
                _dataset(layer, "delay", delay.astype(np.float32))
            _neuron(layer, group.du + spec.du_offset, group.dv + spec.dv_offset, group.vth)
