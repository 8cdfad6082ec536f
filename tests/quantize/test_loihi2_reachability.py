"""The Loihi 2 silence proof against the emulator: exact (fires iff the bound exceeds the threshold) for neurons
fed by the input, sound (never claims a neuron that fires) in random recurrent networks, and the reasons."""
from __future__ import annotations

import numpy as np
import pytest

from snn_deploy.emulate.loihi2 import emulate
from snn_deploy.quantize.loihi2.deployment import Deployment, LifGroup, Synapse
from snn_deploy.quantize.loihi2.reachability import least_fixed_point_of_decay, silent_populations, v_bound
from snn_deploy.quantize.loihi2.spec import LOIHI2

IN = "in"


def _group(name: str, size: int, du: int, dv: int, vth: int, bias=0, bias_exp=0) -> LifGroup:
    return LifGroup(name=name, population=name, indices=np.arange(size), du=du, dv=dv, vth=vth,
                    bias_mant=np.broadcast_to(bias, (size,)), bias_exp=np.broadcast_to(bias_exp, (size,)))


def _deployment(units: int, groups: list[LifGroup], synapses: list[Synapse]) -> Deployment:
    return Deployment(dt_s=1e-3, input_name=IN, input_units=units, groups=tuple(groups), synapses=tuple(synapses),
                      populations={g.population: g.size for g in groups}, outputs={},
                      latency_steps={g.population: 1 for g in groups})


def _silent(deployment: Deployment) -> dict[str, str]:
    return {s.population: s.reason for s in silent_populations(deployment)}


@pytest.mark.parametrize("decay", [1, 7, 600, 4095])
def test_least_fixed_point_of_decay_is_the_iterated_supremum(decay):
    for drive in (0, 1, 2, 63, 4096, 99991):
        previous, x = -1, 0
        while x != previous:  # increasing and bounded: it stops at the supremum
            previous, x = x, (x * (LOIHI2.decay_unity - decay)) // LOIHI2.decay_unity + drive
        assert least_fixed_point_of_decay(np.array([drive]), decay)[0] == x


def test_verdict_is_exact_for_a_neuron_fed_by_the_input():
    """One neuron, one Dense from 3 input units; the input with the most drive (the units with positive weights
    in every step) makes it fire exactly when the proof says it can; vth is placed around the bound."""
    rng = np.random.default_rng(0)
    outcomes = {True: 0, False: 0}
    near = 0
    for _ in range(150):
        weight = rng.integers(-60, 121, (1, 3))
        exp = int(rng.integers(-2, 3))
        du, dv = int(rng.choice([4095, 3000, 1200, 700])), int(rng.choice([4095, 2500, 1500, 700]))
        bias = int(rng.integers(-30, 60))
        probe = _group("h", 1, du, dv, vth=1, bias=bias)
        synapse = Synapse(name="in->h", source=IN, target="h", weight=weight, weight_exp=exp)
        bound = v_bound(probe, [synapse], {IN: np.ones(3, bool)})["v_max"][0]
        vth = max(0, int(bound) // 64 + int(rng.integers(-1, 2)))
        near += abs((vth << 6) - bound) < 64
        deployment = _deployment(3, [_group("h", 1, du, dv, vth, bias=bias)], [synapse])
        drive = np.broadcast_to(LOIHI2.effective_weights(weight, LOIHI2.sign_mode(weight), 8)[0] > 0, (1, 400, 3))
        fired = bool(emulate(deployment, drive.astype(np.uint8)).spikes["h"].any())
        assert fired is ("h" not in _silent(deployment)), (weight, exp, du, dv, bias, vth, bound)
        outcomes[fired] += 1
    assert outcomes[True] > 30 and outcomes[False] > 30 and near > 30


@pytest.mark.parametrize("vth, fires", [(37, False), (36, True)])
def test_a_neuron_reaching_exactly_its_threshold_never_fires(vth, fires):
    """du = dv = 4095 keep nothing of the last step below 4096: v = 64 a = 64 * 37 every step; Lava's threshold
    is strict (v > vth << 6)."""
    deployment = _deployment(1, [_group("h", 1, 4095, 4095, vth)],
                             [Synapse(name="in->h", source=IN, target="h", weight=np.array([[37]]), weight_exp=0)])
    assert ("h" in _silent(deployment)) is not fires
    assert bool(emulate(deployment, np.ones((1, 50, 1), np.uint8)).spikes["h"].any()) is fires


def _random_network(rng) -> Deployment:
    """in (4) -> a (3) -> b (2, recurrent), mixed weights, delays, biases; vth near a's bound."""
    def weights(shape):
        return rng.integers(-80, 100, shape) * (rng.random(shape) < 0.7)

    a = dict(du=int(rng.choice([4095, 2000, 300])), dv=int(rng.choice([4095, 1000, 100])),
             bias=rng.integers(-40, 30, 3))
    b = dict(du=int(rng.choice([4095, 1500, 200])), dv=int(rng.choice([2000, 500, 50])), bias=rng.integers(-40, 10, 2))
    synapses = [
        Synapse(name="in->a", source=IN, target="a", weight=weights((3, 4)), weight_exp=int(rng.integers(-2, 2))),
        Synapse(name="a->b", source="a", target="b", weight=weights((2, 3)), weight_exp=int(rng.integers(-1, 2)),
                delay=rng.integers(0, 3, (2, 3))),
        Synapse(name="b->b", source="b", target="b", weight=weights((2, 2)), weight_exp=0),
    ]
    probe = {name: v_bound(_group(name, n, p["du"], p["dv"], 1, p["bias"]), [s for s in synapses if s.target == name],
                           {IN: np.ones(4, bool), "a": np.ones(3, bool), "b": np.ones(2, bool)})["v_max"].max()
             for name, n, p in (("a", 3, a), ("b", 2, b))}
    groups = [_group(name, n, p["du"], p["dv"], max(0, int(probe[name]) // 64 + int(rng.integers(-2, 2))), p["bias"])
              for name, n, p in (("a", 3, a), ("b", 2, b))]
    return _deployment(4, groups, synapses)


def test_a_population_proved_silent_never_fires_in_random_networks():
    rng = np.random.default_rng(1)
    claimed = fired = 0
    for _ in range(80):
        deployment = _random_network(rng)
        silent = _silent(deployment)
        inputs = np.concatenate([np.ones((1, 300, 4)), rng.random((3, 300, 4)) < 0.5]).astype(np.uint8)
        spikes = emulate(deployment, inputs).spikes
        for population in silent:
            assert not spikes[population].any(), (population, silent[population])
        claimed += len(silent)
        fired += sum(bool(s.any()) for s in spikes.values())
    assert claimed > 20 and fired > 20


def test_netx_default_neuron_can_never_fire():
    """netx's neuron without a `neuron` group: du = -1 (no current decay), dv = 4096, vThMant = 2**17: v is
    clipped to 2**23 - 1 and the threshold is 2**23 (the imported input layer of issue 12)."""
    deployment = _deployment(2, [_group("input", 2, du=-1, dv=4096, vth=1 << 17)],
                             [Synapse(name="in->input", source=IN, target="input", weight=np.full((2, 2), 100),
                                      weight_exp=6)])
    reason = _silent(deployment)["input"]
    assert "threshold unreachable" in reason and "not above vth << 6 = 8388608" in reason
    assert not emulate(deployment, np.ones((1, 200, 2), np.uint8)).spikes["input"].any()


def test_reasons_name_the_cause_and_the_dead_sources():
    deployment = _deployment(2, [_group("a", 2, 4095, 1000, 10), _group("b", 1, 4095, 1000, 1),
                                 _group("c", 1, 4095, 1000, 10), _group("d", 1, 4095, 4095, 10, bias=700)], [
        Synapse(name="in->a", source=IN, target="a", weight=np.full((2, 2), -50), weight_exp=0),
        Synapse(name="a->b", source="a", target="b", weight=np.full((1, 2), 200), weight_exp=0),
    ])
    silent = _silent(deployment)
    assert silent == {
        "a": "every incoming weight is <= 0 after quantization and no bias is positive",
        "b": "its excitatory inputs come only from populations that can never spike (a)",
        "c": "no incoming synapse and no positive bias",
    }
    assert emulate(deployment, np.ones((1, 20, 2), np.uint8)).spikes["d"].any()  # bias 700 > vth << 6 = 640
