r"""Map an IR graph to a Loihi 2 :class:`Deployment`: integer decays, thresholds, biases, weights, delays.

Time step
    ``dt_s`` is ``CompileOptions.dt_s`` if given, else ``graph.metadata["dt_s"]``, else
    ``min(tau) / 50`` over all non-zero ``tau_syn_s`` and ``tau_mem_s`` (50 steps per shortest time
    constant: the decay ``1 - e^{-1/50} ~ 0.0198`` is still resolved to ~0.6% by 12 bits), else 1 ms.
    Finer is not always better: below ``~min(tau)/200`` the 12-bit decays and the truncation of a 24-bit
    ``u`` each step distort the time constants by percents. Measured on the Yin-Yang example (test set,
    emulated vs exact): the noise-free model lost 5.1 pp at ``min(tau)/50``, 2.7 pp at ``/100`` and 4.0 pp at
    ``/250`` (Lava's LIF resets ``v`` to 0 at the step after a crossing inside the step: the within-step
    overshoot is lost, and bursting neurons drift late; a float model of the same update with exact decays
    lost 4.6 pp at ``/50``, 0.5 at ``/250``); the model trained with a robust phase (reference.trainer) loses
    0.9 pp at ``/50`` and 0.1 pp at ``/100``, which its ``metadata["dt_s"]`` asks for.

Decays (``spec.py``)
    ``du = round(4096 (1 - e^{-dt/tau_syn})) - 1`` (the model adds 1 back), ``du = 4095`` for a delta synapse
    (``tau_syn = 0``, LIF, IF); ``dv = round(4096 (1 - e^{-dt/tau_mem}))``, ``dv = 0`` for IF. Both are
    clipped to 0..4095 (reported).

Scaling (one scale per neuron, ``sigma_i`` integer units of ``v`` per unit of the IR's ``v``)
    The integer neuron is the exact discretisation of a continuous one with the REALISED decays
    ``k_u = 1 - (du + 1) / 4096``, ``k_v = 1 - dv / 4096`` (time constants ``tau' = -dt / ln k``): one
    input pulse of weight ``w`` arriving at step 1 makes ``u_n = 64 W 2^e k_u^{n-1}`` and
    ``v_n = 64 W 2^e (k_v^n - k_u^n) / (k_v - k_u)``. In the IR (nodes.py) the pulse makes ``I`` jump by
    ``w_in w / tau_syn`` and ``tau_mem dv/dt = -v + r I``; with the realised leaks
    ``v(t) = r w_in w / (tau_mem tau_syn) (e^{-t/tau_v'} - e^{-t/tau_u'}) / (1/tau_u' - 1/tau_v')``.
    Equal impulse responses at the grid points, ``v_n = sigma v(n dt)``, give

    .. math:: 64 \, W_{ij} \, 2^{e} = \sigma_i \, g_i \, w_{ij}, \qquad
              g = r \, w_{in} \, \frac{dt \, L(k_v, k_u)}{\tau_{mem} \tau_{syn}}, \quad
              L(a, b) = \frac{a - b}{\ln a - \ln b}

    (the logarithmic mean; ``L(a, a) = a``). A delta synapse (``tau_syn = 0``, LIF, or ``k_u = 0``)
    makes ``v`` jump by ``r w_in w / tau_mem``: ``g = r w_in k_v / tau_mem``; IF: ``g = r``. (``g`` is
    ``r w_in delta_u / tau_mem (1 - dt / (2 tau_mem) + O(dt^2))``: matching only the total charge, as before,
    made every synaptic pulse ``dt / (2 tau_mem)`` too strong, 0.5 % at ``dt = tau_mem / 100``, and a delta
    pulse ``1/k_v`` too strong.) The step that holds ``v_n`` is reported ``latency_steps`` later than the
    pulse, i.e. the integer state runs one step ahead of the continuous one: a spike is reported up to one
    step early.

    A constant input ``c`` (a ``Dense`` bias) and ``v_leak`` become the per-neuron bias
    ``b_i = sigma_i (v_leak + r w_in c)(1 - k_v)`` (leaky: its steady state ``b / (1 - k_v)`` is
    ``sigma (v_leak + r w_in c)``, exact in steady state; ``dt / tau_mem`` instead when ``dv = 0``) or
    ``b_i = sigma_i r c dt`` (IF).

Thresholds (folded, exact)
    Lava's LIF has one ``vth`` per process and resets ``v`` to 0 (the SubtractLIF process subtracts
    ``vth << 6``), so a neuron's state can be rescaled freely:
    ``sigma_i = 64 vth / v_threshold_i`` makes every neuron's threshold the group's ``vth``. The per-neuron
    thresholds are folded into the incoming weights and biases (exact in real arithmetic, then rounded).
    The scale sets the input resolution: Lava floors each step's summed input ``a`` to an integer (the
    ``weight_exp`` shift), so a spike's ``a`` should be large. ``vth`` is chosen PER GROUP (each group is its
    own Lava process with its own ``vth``) so the group's largest weight target is ``254`` at
    ``weight_exp = 0`` (``vth = 254 / max_ij(gain_i w_ij / v_threshold_i)`` over the group's rows), at most
    ``2**15`` (threshold ``2**21``: a quarter of the 24-bit range left as headroom for ``u`` and negative
    ``v``), at least 1, and low enough for the group's largest bias to fit ``4095 * 2**7``. Per group, not per
    population: ``gain`` falls as ``1/tau_mem``, so one ``vth`` for a population with ``tau_mem`` from 10 to
    40 ms gave its slow neurons a few units of ``a`` per spike, and the floor of each sign part's sum then
    delayed them systematically (examples/mmnd_skip: +6 steps median first-spike lag at ``tau_mem = 40`` ms).

Resets (spec.py, :class:`ResetRule`)
    ``reset_mode = "to_value"`` with ``v_reset = 0`` is Lava's LIF. ``"subtract"`` (``v <- v - v_threshold``,
    ``v_reset`` unused) runs in snn-deploy's ``SubtractLIF`` process (Lava's LIF arithmetic, ``v <- v - (vth
    << 6)`` on a spike): with the folded scale ``sigma_i = 64 vth / v_threshold_i`` the integer threshold IS
    ``sigma_i v_threshold_i``, so the subtraction is the IR's, exactly, per neuron. Lava's built-in LIF cannot
    do it, so on a chip such a population needs a custom microcode neuron (report note). A non-zero
    ``v_reset`` (``to_value``) is folded by shifting coordinates, ``v' = v - v_reset``: the IR's equations in
    ``v'`` are the same neuron with ``v_leak' = v_leak - v_reset``, ``v_threshold' = v_threshold - v_reset``,
    reset to ``v' = 0`` and the start ``v'(0) = -v_reset`` (the IR starts at ``v = 0``). This is exact, not an
    approximation: a translation commutes with the linear decay of ``v`` towards ``v_leak`` (``tau dv/dt =
    v_leak - v + r I`` is invariant under ``v, v_leak -> v + c, v_leak + c``; IF has no ``v`` term at all) and
    with the strict comparison against the threshold; the current ``u`` does not depend on ``v``. The integer
    neuron then resets to 0 and fires above ``vth << 6`` exactly as for ``v_reset = 0`` (both exact integers);
    what is rounded is what is rounded for any neuron, the bias (now with ``v_leak'``) and the start
    ``v_init = round(sigma_i (-v_reset_i))``, each to half an integer unit (reported as ``<pop>.v_init``),
    and the decay's truncation (toward ``v' = 0``, i.e. toward ``v_reset``: at most one unit per step). The
    24-bit range holds it: ``vth`` is also bounded so that ``|v_init| <= 2^23 - 1``, and ``v'`` in the state
    stays between ``v_init`` and the threshold plus one step's input, as any neuron's ``v``. Refused, naming
    the node and ``v_reset``: ``v_reset >= v_threshold`` (no positive threshold in ``v'``: it fires every
    step), a bias that the shift pushes past 13 bits + exponent 7 (it would be clipped), a ``CoupledLIF``
    (the coupling acts on ``v`` itself, not on ``v'``: not folded). Periodic resets (``LIFReset``) set ``v``
    to 0, i.e. ``v' = 0``.

Groups
    Neurons of one population with different ``(du, dv)`` go to different Lava LIF processes ("groups");
    a CoupledLIF population stays one process (below).

Weights
    Per block (one source group, one target group): ``X = 64``-scaled targets above. A block with weights of
    both signs is deployed as TWO Lava Dense processes into the same LIF ``a_in`` (Lava sums the ports'
    inputs): an excitatory one holding ``max(X, 0)`` and an inhibitory one holding ``min(X, 0)``, each with
    its own ``weight_exp`` (report: ``synapses[name]["sign_split"]`` and ``["projection"]``). Why: Lava
    zeroes the LSB of mixed-sign weights, so one mixed Dense keeps 127 levels per sign, single-sign ones keep
    255; on the trained Yin-Yang network, weights rounded to 127 levels cost ~1.7 pp of test accuracy in a
    continuous-time float experiment (93.8 % vs 95.5 %), 255 levels ~0.2 pp (deployed at ``dt = 1e-4`` the
    network's discrete-time errors dominate and the split does not measurably change its accuracy). Each
    part floors its own sum (``weight_exp < 0``), so the split adds at most one unit of ``a`` of flooring
    per step. ``quantize(..., split_signs=False)`` keeps
    one mixed Dense. Per Dense: exponent ``e`` the smallest in ``-8..7`` whose mantissas fit the sign
    mode's range (mixed signs: even values in ``-256..254``, since Lava zeroes the LSB; one sign:
    ``0..255``), mantissa ``round(X / 2^e)``, ``num_weight_bits = 8``. Using the full range gives the
    smallest rounding error (unlike a fixed ``127/128``-scaled choice, lava-nc issue #859). Values still
    out of range are clipped and COUNTED.
    The weight entries of ``quantization.json`` compare these targets ``X`` (in units of ``2^e``-scaled
    mantissas, with the folded thresholds) with the mantissas; biases likewise in integer units.

Delays and latency
    Lava's Dense delivers one step late. Feed-forward paths are padded with ``DelayDense`` delays so that
    every path into a population has the same latency (the population's ``latency_steps``): skip-layer
    networks keep their relative timing exactly. Recurrent edges cannot be padded negatively; their extra
    step is reported in ``latency_errors``.

netx models (``graph.metadata["source_format"] == "netx"``)
    The file's integers (:mod:`snn_deploy.ir.io.netx_integers`: the reader's contract) are kept exactly:
    ``du = iDecay - 1``, ``dv = vDecay``, ``vth = vThMant``, bias mantissas with the file's ``bias_exp`` (6),
    integer weights and delays, and lava-dl's timing (no latency padding;
    a ``dense_rec`` layer's recurrent Dense has its one step, as in lava-dl). Weights with mixed signs are stored as
    ``2 w`` with ``weight_exp - 1`` (Lava drops the LSB of mixed weights; the sum is then exact); weights that
    cannot be stored so are passed as they are and the weights Lava changes are counted.

CoupledLIF (membrane coupling, :mod:`snn_deploy.quantize.loihi2.coupling`)
    One ``CoupledLIF`` process per population (snn-deploy's own process model, emitted in ``network.py``):
    one ``du`` (one ``tau_syn_s`` after rounding, else :class:`UnsupportedError`), one ``dv`` (the rounded mean
    decay), folded thresholds as above, and the coupling ``M / 2^s ~ S (e^{(D + Lambda) dt} - K_v) S^{-1}``
    whose diagonal restores each neuron's exact ``e^{-dt/tau_mem}`` (so the scaling uses ``k_v = e^{-dt/tau_mem}``).
    Its bias is the one whose integer steady state is the coupled continuous steady state.

Dynamics report
    ``quantization.json["dynamics"][process]``: the exact one-step update of the IR's linear system and the
    linear part of the integer update, with their state order (coupling.py); for a CoupledLIF population the
    full ``2n x 2n`` matrices, for other processes the ``2 x 2`` ``[u, v]`` (``1 x 1`` ``[v]`` without a
    synaptic state) update at the process's mean time constants.

Unsupported: ``LI`` (no spikes to read on Loihi 2 through Lava's LIF), thresholds ``<= 0`` (after the
``v_reset`` shift), the ``v_reset`` cases above, several inputs, Outputs fed by anything but a population:
:class:`UnsupportedError` naming the node.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from snn_deploy.errors import QuantizationError, UnsupportedError
from snn_deploy.ir.graph import Graph
from snn_deploy.ir.io.netx_integers import netx_neuron
from snn_deploy.ir.nodes import IF, LI, LIF, CoupledLIF, CubaLIF, Population
from snn_deploy.quantize.loihi2.coupling import (
    coupled_steady_bias, coupling_mantissas, coupling_target, update_matrices,
)
from snn_deploy.quantize.loihi2.deployment import Deployment, LifGroup, Synapse
from snn_deploy.quantize.loihi2.paths import Incoming, incoming_signals, merge_delays
from snn_deploy.quantize.loihi2.spec import LOIHI2, Loihi2Spec, ResetRule, SignMode
from snn_deploy.quantize.report import ArrayReport, report_array

#: steps per shortest time constant when neither the options nor the graph give ``dt_s``
STEPS_PER_TAU = 50
DEFAULT_DT_S = 1e-3
#: below this median input per spike (integer units of ``a``), the report notes the flooring error
MIN_INPUT_PER_SPIKE = 16
#: the largest threshold the quantizer chooses is the 24-bit range's half ``2**23`` shifted right by this many
#: bits (``vth << 6 = 2**21``, ``vth = 2**15``: a quarter of the range left as headroom for ``u`` and negative ``v``)
VTH_HEADROOM_BITS = 2


def vth_ceiling(spec: Loihi2Spec) -> int:
    """The largest ``vth`` the quantizer chooses (:data:`VTH_HEADROOM_BITS`)."""
    return spec.uv_half >> (spec.vth_shift + VTH_HEADROOM_BITS)


@dataclass(frozen=True)
class _Neurons:
    """Per-neuron continuous parameters of one population, in the form the scaling equations use."""

    du: np.ndarray
    du_ideal: np.ndarray
    dv: np.ndarray
    dv_ideal: np.ndarray
    gain: np.ndarray  # weight -> 64 W 2^e per unit sigma (module docstring: scaling)
    bias_gain: np.ndarray  # constant input c -> bias per unit sigma
    leak_drive: np.ndarray  # v_leak term (v_leak - v_reset when shifted) of the bias per unit sigma
    threshold: np.ndarray  # v_threshold - v_reset (reset to value) or v_threshold (subtract)
    v_start: np.ndarray  # v' at the start of a sample (-v_reset when shifted, else 0), IR units
    reset: ResetRule


@dataclass
class _Findings:
    """What quantizing found, for the report (``quantization.json``): the steps return theirs, the build joins them.

    ``arrays``: per-array rounding records; ``notes``; ``populations`` / ``synapses``: per-name summaries;
    ``latency_errors``: recurrent edges one step late; ``dynamics``: update matrices (None: not reported).
    """

    arrays: list[ArrayReport] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    populations: dict[str, dict] = field(default_factory=dict)
    synapses: dict[str, dict] = field(default_factory=dict)
    latency_errors: list[dict] = field(default_factory=list)
    dynamics: dict[str, dict] | None = None

    def add(self, other: "_Findings") -> "_Findings":
        """Append ``other``'s findings after these (list order is report order)."""
        self.arrays += other.arrays
        self.notes += other.notes
        self.populations.update(other.populations)
        self.synapses.update(other.synapses)
        self.latency_errors += other.latency_errors
        if other.dynamics:
            self.dynamics = {**(self.dynamics or {}), **other.dynamics}
        return self

    def to_dict(self) -> dict[str, Any]:
        report = {"arrays": self.arrays, "populations": self.populations, "synapses": self.synapses,
                  "latency_errors": self.latency_errors, "notes": self.notes}
        return report if self.dynamics is None else {**report, "dynamics": self.dynamics}


class _Timing(NamedTuple):
    """Where a synapse sits in time: every population's latency, the topological order, the input's name."""

    latency: dict[str, int]
    order: dict[str, int]
    input_name: str


def choose_dt(graph: Graph, dt_s: float | None) -> tuple[float, str]:
    """The time step and the rule that chose it (see the module docstring)."""
    if dt_s is not None:
        return float(dt_s), "CompileOptions.dt_s"
    if "dt_s" in graph.metadata:
        return float(graph.metadata["dt_s"]), "graph.metadata['dt_s']"
    taus = [
        values[values > 0]
        for pop in graph.populations().values()
        for name in ("tau_syn_s", "tau_mem_s") if (values := getattr(pop, name, None)) is not None
    ]
    taus = np.concatenate(taus) if taus else np.zeros(0)
    if taus.size:
        return float(taus.min() / STEPS_PER_TAU), f"min(tau) / {STEPS_PER_TAU}"
    return DEFAULT_DT_S, "default 1 ms (no time constants)"


def _decay(ideal: np.ndarray, offset: int, spec: Loihi2Spec) -> np.ndarray:
    return np.clip(np.rint(ideal) - offset, 0, spec.decay_max).astype(np.int64)


def _neurons(name: str, pop: Population, dt_s: float, spec: Loihi2Spec) -> _Neurons:
    if isinstance(pop, LI):
        raise UnsupportedError(f"node '{name}': LI (a non-spiking read-out) has no Loihi 2 (Lava LIF) equivalent")
    if not isinstance(pop, (CubaLIF, CoupledLIF, LIF, IF)):
        raise UnsupportedError(f"node '{name}': {pop.kind} has no Loihi 2 mapping")
    reset, v_shift = _reset_shift(name, pop)
    shape = pop.v_threshold.shape
    unity = spec.decay_unity
    synaptic_state = isinstance(pop, (CubaLIF, CoupledLIF))
    if synaptic_state:
        delta = pop.tau_syn_s > 0
        du_ideal = np.where(delta, unity * -np.expm1(-dt_s / np.where(delta, pop.tau_syn_s, 1.0)), unity)
    else:
        du_ideal = np.full(shape, float(unity))
    du = _decay(du_ideal, spec.du_offset, spec)
    k_u = 1 - (du + spec.du_offset) / unity  # realised per-step current retention (0: the current lasts a step)
    if isinstance(pop, IF):
        dv_ideal = np.zeros(shape)
        gain = pop.r * np.ones(shape)
        bias_gain = pop.r * dt_s
        leak_drive = np.zeros(shape)
        dv = _decay(dv_ideal, spec.dv_offset, spec)
    else:
        dv_ideal = unity * -np.expm1(-dt_s / pop.tau_mem_s)
        dv = _decay(dv_ideal, spec.dv_offset, spec)
        k_v = 1 - (dv + spec.dv_offset) / unity
        if isinstance(pop, CoupledLIF):
            if np.unique(du).size > 1:
                raise UnsupportedError(f"node '{name}': CoupledLIF needs one tau_syn_s on Loihi 2 (one du per "
                                       f"coupled process); it has {np.unique(du).size} after rounding")
            # one dv per process (coupling.py): the coupling's diagonal corrects each neuron to e^{-dt/tau_mem}
            dv = np.full(shape, _decay(np.mean(dv_ideal), spec.dv_offset, spec))
            k_v = np.exp(-dt_s / pop.tau_mem_s)
        w_in = pop.w_in if synaptic_state else 1.0
        tau_syn = pop.tau_syn_s if synaptic_state else np.zeros(shape)
        synaptic = (tau_syn > 0) & (k_u > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            filtered = dt_s * _log_mean(k_v, k_u) / (pop.tau_mem_s * tau_syn)
        gain = pop.r * w_in * np.where(synaptic, filtered, k_v / pop.tau_mem_s)
        # the steady state b / (1 - k_v) of the realised decay; without a decay (dv = 0) the initial slope
        leak = np.where(dv + spec.dv_offset > 0, 1 - k_v, dt_s / pop.tau_mem_s)
        bias_gain = pop.r * w_in * leak
        leak_drive = (pop.v_leak - v_shift) * leak
    return _Neurons(du.reshape(-1), du_ideal.reshape(-1) - spec.du_offset, dv.reshape(-1), dv_ideal.reshape(-1),
                    np.broadcast_to(gain, shape).reshape(-1), np.broadcast_to(bias_gain, shape).reshape(-1),
                    np.broadcast_to(leak_drive, shape).reshape(-1), (pop.v_threshold - v_shift).reshape(-1),
                    -v_shift.reshape(-1), reset)


def _reset_shift(name: str, pop: Population) -> tuple[ResetRule, np.ndarray]:
    """The group's reset rule and the per-neuron shift ``v' = v - shift`` (module docstring, "Resets")."""
    if pop.reset_mode == "subtract":
        if np.any(pop.v_threshold <= 0):
            raise UnsupportedError(f"node '{name}': parameter 'v_threshold' must be > 0 on Loihi 2 (reset by "
                                   "subtraction)")
        return ResetRule.SUBTRACT, np.zeros(pop.v_threshold.shape)
    shift = np.asarray(pop.v_reset, np.float64)
    if np.any(shift != 0) and isinstance(pop, CoupledLIF):
        raise UnsupportedError(f"node '{name}': parameter 'v_reset' must be 0 for a CoupledLIF on Loihi 2 (the "
                               "coupling acts on v, so the reset cannot be folded into shifted coordinates)")
    if np.any(pop.v_threshold - shift <= 0):
        what = "'v_reset' must be below 'v_threshold'" if np.any(shift != 0) else "'v_threshold' must be > 0"
        raise UnsupportedError(f"node '{name}': parameter {what} on Loihi 2 (v resets to v_reset)")
    return ResetRule.ZERO, shift


def _log_mean(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``(a - b) / (ln a - ln b)`` (the logarithmic mean; ``a`` where ``a == b``), for ``a, b > 0``."""
    a, b = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(b, np.float64))
    equal = np.isclose(a, b, rtol=1e-12, atol=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = (a - b) / (np.log(a) - np.log(b))
    return np.where(equal, a, mean)


def _mantissas(x: np.ndarray, exp: int, mode: SignMode, spec: Loihi2Spec) -> tuple[np.ndarray, bool]:
    """Rounded mantissas of ``x / 2^exp`` that Lava keeps unchanged in ``mode``, and whether they fit."""
    low, high = spec.kept_weight_range(mode)
    if mode is SignMode.MIXED:  # Lava zeroes the LSB of mixed-sign weights: even values up to 254
        mant = 2 * np.rint(x / 2.0 ** (exp + 1))
    else:  # values of the other sign are below one unit here (they rounded to 0 in mixed mode)
        mant = np.rint(x / 2.0**exp)
        mant = np.maximum(mant, 0) if mode is SignMode.EXCITATORY else np.minimum(mant, 0)
    return mant, bool(mant.max(initial=0) <= high and mant.min(initial=0) >= low)


def weight_mantissas(x: np.ndarray, spec: Loihi2Spec = LOIHI2) -> tuple[np.ndarray, int, int]:
    """Mantissas ``W``, exponent ``e`` and clipped count for integer-domain targets ``x`` (``W 2^e ~ x``).

    ``e`` is the smallest exponent in the spec's range whose rounded mantissas fit the sign mode's range.
    Mixed-sign targets whose small values of one sign round to 0 are re-rounded in the remaining single-sign
    mode, which is the one Lava then applies (``determine_sign_mode`` looks at the mantissas). Only the
    non-zero targets are rounded (a zero stays 0 in every mode), and exponents with ``max|x| / 2^e`` above
    twice the widest mantissa range are skipped, since they cannot fit: unrolled convolutions hold millions
    of mostly zero targets.
    """
    nonzero = x != 0
    mant, exp, clipped = _value_mantissas(x[nonzero], spec)
    full = np.zeros(x.shape, np.int64)
    full[nonzero] = mant
    return full, exp, clipped


def _value_mantissas(x: np.ndarray, spec: Loihi2Spec) -> tuple[np.ndarray, int, int]:
    """:func:`weight_mantissas` of a flat array of targets."""
    mode = spec.sign_mode(x)
    largest = float(np.max(np.abs(x), initial=0.0))
    widest = 2.0 * (max(-spec.weight_range(SignMode.MIXED)[0], spec.weight_range(mode)[1]) + 1)
    first = spec.weight_exp_min
    while first < spec.weight_exp_max and largest / 2.0**first > widest:
        first += 1
    for exp in range(first, spec.weight_exp_max + 1):
        mant, fits = _mantissas(x, exp, mode, spec)
        if fits and mode is SignMode.MIXED and spec.sign_mode(mant) is not SignMode.MIXED:
            mant, fits = _mantissas(x, exp, spec.sign_mode(mant), spec)
        if fits:
            return mant.astype(np.int64), exp, 0
    low, high = spec.weight_range(mode)
    mant, _ = _mantissas(x, spec.weight_exp_max, mode, spec)
    clipped = int(np.count_nonzero((mant > high) | (mant < low)))
    return np.clip(mant, *spec.kept_weight_range(mode)).astype(np.int64), spec.weight_exp_max, clipped


def bias_mantissas(b: np.ndarray, spec: Loihi2Spec = LOIHI2) -> tuple[np.ndarray, np.ndarray, int]:
    """Per neuron the smallest ``bias_exp`` in 0..7 whose rounded mantissa fits 13 bits (else 7, clipped).

    Returns mantissas, exponents and the number of clipped mantissas.
    """
    exps = np.full(b.shape, spec.bias_exp_max, np.int64)
    for exp in range(spec.bias_exp_max, -1, -1):
        mant = np.rint(b / 2.0**exp)
        exps = np.where((mant <= spec.bias_mant_max) & (mant >= spec.bias_mant_min), exp, exps)
    mant = np.rint(b / 2.0**exps)
    clipped = int(np.count_nonzero((mant > spec.bias_mant_max) | (mant < spec.bias_mant_min)))
    return np.clip(mant, spec.bias_mant_min, spec.bias_mant_max).astype(np.int64), exps, clipped


def _latencies(graph: Graph, signals: dict[str, Incoming], input_name: str) -> dict[str, int]:
    """Steps from the input to each population when every feed-forward path is padded to the longest."""
    order = {name: i for i, name in enumerate(graph.topological_order())}
    latency: dict[str, int] = {input_name: 0}
    for pop in sorted(signals, key=order.__getitem__):
        earlier = [latency[s] + 1 for s in signals[pop].terms if s in latency and order[s] < order[pop]]
        latency[pop] = max(earlier, default=1)
    latency.pop(input_name)
    return latency


def quantize(graph: Graph, dt_s: float | None = None, spec: Loihi2Spec = LOIHI2, *,
             split_signs: bool = True) -> Deployment:
    """The Loihi 2 deployment of ``graph`` with its quantization report (module docstring: the rules).

    ``split_signs``: deploy mixed-sign projections as an excitatory plus an inhibitory Dense (the default;
    module docstring, "Weights"); False keeps one mixed-sign Dense (127 levels per sign).
    """
    graph.validate()
    if len(graph.inputs) != 1:
        raise UnsupportedError(f"graph has {len(graph.inputs)} inputs; the Loihi 2 backend takes exactly one")
    input_name = graph.inputs[0]
    shapes = graph.shapes()
    populations = graph.populations()
    outputs: dict[str, str] = {}
    for name in graph.outputs:
        source = graph.sources(name)[0]
        if source not in populations:
            raise UnsupportedError(f"node '{name}': records '{source}', which is not a population; Loihi 2 "
                                   "outputs spikes of neuron populations")
        outputs[name] = source
    netx = graph.metadata.get("source_format") == "netx"
    dt_s, dt_rule = choose_dt(graph, dt_s)
    signals = incoming_signals(graph, dt_s, use_netx=netx)
    latency = _latencies(graph, signals, input_name)
    order = {name: i for i, name in enumerate(graph.topological_order())}
    build = _build_netx if netx else _build_float
    groups, synapses, found = build(graph, signals, latency, order, input_name, dt_s, spec, split_signs)
    report = found.to_dict()
    report.update({
        "target": "loihi2", "dt_s": dt_s, "dt_rule": dt_rule, "source_format": "netx" if netx else "ir",
        "latency_steps": latency,
        "delay_max_error_s": max((e for s in signals.values() for e in s.delay_errors_s), default=0.0),
        "arrays": [a.to_dict() for a in report["arrays"]],
        "clipped_total": sum(a.clipped for a in report["arrays"]),
    })
    return Deployment(
        dt_s=dt_s, input_name=input_name, input_units=int(np.prod(shapes[input_name])), groups=groups,
        synapses=synapses, populations={p: populations[p].size for p in populations}, outputs=outputs,
        latency_steps=latency, report=report, spec=spec,
    )


def _group_vth(row_max: np.ndarray, bias_per_vth: np.ndarray, start_per_vth: np.ndarray, spec: Loihi2Spec) -> int:
    """A group's ``vth`` (module docstring, thresholds) from its rows' largest weight target, bias and start
    ``|v_init|`` per unit vth (the last keeps ``v_init`` inside the 24-bit ``v``)."""
    w_max = float(np.max(row_max, initial=0.0))
    b_max = float(np.max(np.abs(bias_per_vth), initial=0.0))
    s_max = float(np.max(start_per_vth, initial=0.0))
    ceiling = vth_ceiling(spec)
    vth = ceiling if w_max == 0 else min(ceiling, int(spec.kept_weight_range(SignMode.MIXED)[1] / w_max))
    if b_max > 0:
        vth = min(vth, int(spec.bias_mant_max * 2**spec.bias_exp_max / b_max))
    if s_max > 0:
        vth = min(vth, int(spec.v_limit / s_max))
    return int(np.clip(vth, 1, spec.vth_max))


def _split_groups(name: str, du: np.ndarray, dv: np.ndarray) -> list[tuple[str, np.ndarray]]:
    pairs = np.stack([du, dv], axis=1)
    unique = np.unique(pairs, axis=0)
    if len(unique) == 1:
        return [(name, np.arange(du.size))]
    return [(f"{name}:{k}", np.flatnonzero((pairs == pair).all(axis=1))) for k, pair in enumerate(unique)]


def _delays(source: str, target: str, delay: np.ndarray, timing: _Timing, spec: Loihi2Spec
            ) -> tuple[np.ndarray, list[dict]]:
    """The IR's delay plus the padding that balances latencies, and the recurrent shortfalls (latency errors)."""
    source_latency = 0 if source == timing.input_name else timing.latency[source]
    pad = timing.latency[target] - source_latency - 1
    lava = delay + pad
    errors = []
    if np.any(lava < 0):
        errors.append({"source": source, "target": target, "extra_steps": int(-lava.min()), "why": "recurrent edge"})
        lava = np.maximum(lava, 0)
    return _checked_delay(source, target, lava, spec), errors


def _checked_delay(source: str, target: str, delay: np.ndarray, spec: Loihi2Spec) -> np.ndarray:
    if delay.max(initial=0) > spec.max_delay_steps:
        raise UnsupportedError(f"'{source}' -> '{target}': delay of {int(delay.max())} steps exceeds Loihi 2's "
                               f"{spec.max_delay_steps}")
    return delay


def _synapse_blocks(source: str, target: str, weight: np.ndarray, delay: np.ndarray,
                    source_groups: list[tuple[str, np.ndarray]], target_groups: list[tuple[str, np.ndarray]]):
    """Blocks of a (source, target) matrix between groups, leaving out all-zero blocks."""
    if len(target_groups) == len(source_groups) == 1:  # the whole matrix: no copy
        (t_name, _), (s_name, _) = target_groups[0], source_groups[0]
        if np.any(weight != 0):
            yield f"{source}->{target}" + (f"[{s_name}->{t_name}]" if (s_name, t_name) != (source, target)
                                           else ""), s_name, t_name, weight, delay
        return
    for t_name, t_idx in target_groups:
        for s_name, s_idx in source_groups:
            block = weight[np.ix_(t_idx, s_idx)]
            if np.any(block != 0):
                yield f"{source}->{target}" + (f"[{s_name}->{t_name}]" if (s_name, t_name) != (source, target)
                                               else ""), s_name, t_name, block, delay[np.ix_(t_idx, s_idx)]


def _build_float(graph, signals, latency, order, input_name, dt_s, spec, split_signs):
    """Groups and synapses from the IR's float parameters (module docstring), and what quantizing them found."""
    neurons = {name: _neurons(name, pop, dt_s, spec) for name, pop in graph.populations().items()}
    split = {name: _split_groups(name, n.du, n.dv) for name, n in neurons.items()}  # coupled: du, dv uniform
    split[input_name] = [(input_name, np.arange(int(np.prod(graph.shapes()[input_name]))))]
    found = _Findings(dynamics={})
    groups: list[LifGroup] = []
    targets: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
    for pop, n in neurons.items():
        merged = {src: merge_delays(src, pop, terms) for src, terms in signals[pop].terms.items()}
        pop_groups, targets[pop], pop_found = _scaled_population(pop, graph.nodes[pop], n, merged, signals[pop].bias,
                                                                 split[pop], dt_s, spec)
        groups += pop_groups
        found.add(pop_found)
    synapses: list[Synapse] = []
    timing = _Timing(latency, order, input_name)
    for pop in neurons:
        for src, (x, delay) in targets[pop].items():
            lava_delay, errors = _delays(src, pop, delay, timing, spec)
            found.latency_errors += errors
            for block in _synapse_blocks(src, pop, x, lava_delay, split[src], split[pop]):
                block_synapses, block_found = _block_synapses(block, split_signs, spec)
                synapses += block_synapses
                found.add(block_found)
    return tuple(groups), tuple(synapses), found


def _scaled_population(pop: str, node: Population, n: _Neurons, merged: dict, bias: np.ndarray | None,
                       split: list[tuple[str, np.ndarray]], dt_s: float, spec: Loihi2Spec
                       ) -> tuple[list[LifGroup], dict, _Findings]:
    """One population's groups, its incoming weight targets ``X`` in integer units (``64 W 2^e``) per source,
    and its findings; ``merged`` maps a source to its IR ``(weight, delay)``, ``bias`` is the constant input."""
    c = bias if bias is not None else np.zeros(n.threshold.size)
    found = _Findings(dynamics={})
    if np.any(c):
        found.notes.append(f"{pop}: the constant input of Dense biases became the neuron bias through the "
                           "synapse's steady state (exact in steady state, not in the synapse's transient)")
    groups, sigma, group_found = _population_groups(pop, node, n, merged, c, split, dt_s, spec)
    targets = {src: (w * (sigma * n.gain)[:, None] / spec.act_scale, d) for src, (w, d) in merged.items()}
    return groups, targets, found.add(group_found)


def _block_synapses(block: tuple, split_signs: bool, spec: Loihi2Spec) -> tuple[list[Synapse], _Findings]:
    """The Lava Dense processes of one block ``(projection, source group, target group, targets X, delay)``
    (:func:`_synapse_blocks`), one per sign part (module docstring, "Weights"), with their findings."""
    projection, s_group, t_group, full_block, block_delay = block
    synapses, found = [], _Findings()
    for name, part, x in _sign_parts(projection, full_block, split_signs):
        mant, exp, clipped = weight_mantissas(x, spec)
        synapses.append(Synapse(name=name, source=s_group, target=t_group, weight=mant, weight_exp=exp,
                                num_weight_bits=spec.weight_bits, delay=block_delay if block_delay.any() else None))
        found.arrays.append(report_array(f"{name}.weight", x, mant, 2.0**exp, clipped))
        per_spike = float(np.median(np.abs(x[x != 0])))
        found.synapses[name] = {"source": s_group, "target": t_group, "projection": projection, "sign_split": part,
                                "weight_exp": exp, "sign_mode": spec.sign_mode(mant).name.lower(),
                                "num_weight_bits": spec.weight_bits,
                                "delay_max_steps": int(block_delay.max(initial=0)),
                                "median_input_per_spike": per_spike}
        if per_spike < MIN_INPUT_PER_SPIKE:
            found.notes.append(
                f"{name}: one spike gives a median input of {per_spike:.3g} units and Lava floors each step's sum, "
                f"so inputs are off by up to 1/{per_spike:.3g} of a spike (weights are small next to the "
                "thresholds: a neuron needs many spikes to fire)")
    return synapses, found


def _group_thresholds(pop: str, n: _Neurons, merged: dict, c: np.ndarray, split: list[tuple[str, np.ndarray]],
                      spec: Loihi2Spec) -> tuple[dict[str, int], np.ndarray, list[str]]:
    """Each group's ``vth``, the per-neuron scale ``sigma = 64 vth / theta`` and a note when ``vth`` is at its
    floor (module docstring: thresholds)."""
    # gain per unit of vth: X_ij = vth * gain_i / theta_i * w_ij (the folded threshold)
    per_vth = n.gain / n.threshold
    row_max = np.zeros(n.threshold.size)
    for w, _ in merged.values():
        row_max = np.maximum(row_max, np.max(np.abs(w) * per_vth[:, None], axis=1, initial=0.0))
    notes = []
    if row_max.max(initial=0.0) > spec.kept_weight_range(SignMode.MIXED)[1]:  # X = vth row_max too large at vth = 1
        notes.append(
            f"{pop}: one input spike carries up to {row_max.max():.3g} thresholds (weights, r or w_in large next to "
            "v_threshold, as when a discrete-time exporter's per-step values are read as pulses): vth is at its "
            "floor 1 and v may clip at 24 bits")
    bias_per_vth = spec.vth_scale * (n.leak_drive + n.bias_gain * c) / n.threshold
    start_per_vth = spec.vth_scale * np.abs(n.v_start) / n.threshold
    vth_of = {g: _group_vth(row_max[idx], bias_per_vth[idx], start_per_vth[idx], spec) for g, idx in split}
    neuron_vth = np.zeros(n.threshold.size)
    for g, idx in split:
        neuron_vth[idx] = vth_of[g]
    return vth_of, spec.vth_scale * neuron_vth / n.threshold, notes


def _start_voltage(pop: str, n: _Neurons, sigma: np.ndarray, spec: Loihi2Spec) -> tuple[np.ndarray | None, _Findings]:
    """``v_init = round(sigma v')`` of a population whose ``v_reset`` was folded (module docstring: resets)."""
    found = _Findings()
    if not np.any(n.v_start != 0):
        return None, found
    v_init = np.rint(sigma * n.v_start).astype(np.int64)
    if np.any(np.abs(v_init) > spec.v_limit):
        raise UnsupportedError(f"node '{pop}': parameter 'v_reset' puts the start v' = -v_reset beyond Loihi 2's "
                               "24-bit v at the smallest vth (|v_reset| too large next to v_threshold - v_reset)")
    found.arrays.append(report_array(f"{pop}.v_init", sigma * n.v_start, v_init, 1.0, 0))
    found.notes.append(f"{pop}: v_reset folded into shifted coordinates v' = v - v_reset (resets to 0, "
                       "starts at v_init = -v_reset, v_leak' = v_leak - v_reset)")
    return v_init, found


def _population_groups(pop: str, node: Population, n: _Neurons, merged: dict, c: np.ndarray,
                       split: list[tuple[str, np.ndarray]], dt_s: float, spec: Loihi2Spec
                       ) -> tuple[list[LifGroup], np.ndarray, _Findings]:
    """The Lava processes of one population, its scale ``sigma`` and its findings (module docstring:
    thresholds, resets)."""
    vth_of, sigma, notes = _group_thresholds(pop, n, merged, c, split, spec)
    found = _Findings(notes=notes, dynamics={})
    bias_float = sigma * (n.leak_drive + n.bias_gain * c)
    coupling, shift = None, 0
    if isinstance(node, CoupledLIF):
        coupling, shift, bias_float, coupled_found = _coupled(pop, node, n, c, sigma, dt_s, spec)
        found.add(coupled_found)
    bias_mant, bias_exp, bias_clipped = bias_mantissas(bias_float, spec)
    shifted = bool(np.any(n.v_start != 0))
    if shifted and bias_clipped:
        raise UnsupportedError(f"node '{pop}': parameter 'v_reset' shifts the bias (v_leak - v_reset) beyond "
                               f"Loihi 2's 13-bit mantissa << 7 for {bias_clipped} neuron(s); not folded exactly")
    found.arrays += [
        report_array(f"{pop}.du", n.du_ideal, n.du, 1.0, int(np.count_nonzero(n.du_ideal > spec.decay_max))),
        report_array(f"{pop}.dv", n.dv_ideal, n.dv, 1.0, int(np.count_nonzero(n.dv_ideal > spec.decay_max + 0.5))),
        report_array(f"{pop}.bias", bias_float, bias_mant << bias_exp, 1.0, bias_clipped),
    ]
    v_init, start_found = _start_voltage(pop, n, sigma, spec)
    found.add(start_found)
    if n.reset is ResetRule.SUBTRACT:
        found.notes.append(f"{pop}: reset by subtraction runs in snn-deploy's {_process_name(node, n)} Lava "
                           "process (fixed_pt simulation): Lava's built-in LIF cannot reset by subtraction, "
                           "so on a Loihi 2 chip this population needs a custom microcode neuron")
    found.populations[pop] = _population_summary(node, n, vth_of, split, shift if coupling is not None else None)
    groups = []
    for g, idx in split:
        groups.append(LifGroup(name=g, population=pop, indices=idx, du=n.du[idx[0]], dv=n.dv[idx[0]], vth=vth_of[g],
                               bias_mant=bias_mant[idx], bias_exp=bias_exp[idx], coupling=coupling,
                               coupling_shift=shift, reset=n.reset, v_init=None if v_init is None else v_init[idx]))
        if coupling is None:
            found.dynamics[g] = _group_dynamics(pop, node, idx, n, dt_s, spec)
    return groups, sigma, found


def _population_summary(node: Population, n: _Neurons, vth_of: dict[str, int], split: list[tuple[str, np.ndarray]],
                        coupling_shift: int | None) -> dict[str, Any]:
    """``quantization.json["populations"][pop]``."""
    return {
        "kind": node.kind,
        "vth": vth_of[split[0][0]] if len(set(vth_of.values())) == 1 else "per group",
        "threshold": (f"folded per-neuron thresholds into incoming weights and bias (exact: v resets "
                      f"{'by subtracting the threshold' if n.reset is ResetRule.SUBTRACT else 'to 0'})"
                      if np.unique(n.threshold).size > 1 else "uniform"),
        "reset": n.reset.value, "process": _process_name(node, n), "v_reset_shifted": bool(np.any(n.v_start != 0)),
        "groups": [{"name": g, "neurons": int(idx.size), "du": int(n.du[idx[0]]), "dv": int(n.dv[idx[0]]),
                    "vth": vth_of[g]} for g, idx in split],
        "split": len(split) > 1,
        "coupling_shift": coupling_shift,
    }


def _process_name(node: Population, n: _Neurons) -> str:
    """The Lava process a population's groups run in (report)."""
    if isinstance(node, CoupledLIF):
        return "CoupledLIF"
    return "SubtractLIF" if n.reset is ResetRule.SUBTRACT else "LIF"


def _coupled(pop: str, node: CoupledLIF, n: _Neurons, c: np.ndarray, sigma: np.ndarray, dt_s: float,
             spec: Loihi2Spec) -> tuple[np.ndarray, int, np.ndarray, _Findings]:
    """Coupling mantissas, shift, the steady-state bias of a CoupledLIF population (coupling.py), its findings."""
    k_v = 1 - (int(n.dv[0]) + spec.dv_offset) / spec.decay_unity
    k_u = 1 - (int(n.du[0]) + spec.du_offset) / spec.decay_unity
    tau_mem = node.tau_mem_s.reshape(-1)
    target = coupling_target(node.coupling, tau_mem, dt_s, k_v, sigma)
    mant, shift, clipped = coupling_mantissas(target, spec)
    found = _Findings(arrays=[report_array(f"{pop}.coupling", target, mant, 2.0**-shift, clipped)])
    phi_v = k_v * np.eye(len(sigma)) + target * sigma[None, :] / sigma[:, None]  # back in IR units
    drive = node.v_leak.reshape(-1) + node.r.reshape(-1) * node.w_in.reshape(-1) * c
    bias = sigma * coupled_steady_bias(node.coupling, tau_mem, drive, dt_s, phi_v)
    dynamics = update_matrices(
        tau_syn_s=node.tau_syn_s.reshape(-1), tau_mem_s=tau_mem, gain_in=(node.r * node.w_in).reshape(-1),
        coupling=node.coupling, dt_s=dt_s, k_u=k_u, k_v=k_v, coupling_q=mant / 2.0**shift)
    found.dynamics = {pop: {**dynamics, "coupling_shift": shift}}
    found.notes.append(f"{pop}: one dv for the CoupledLIF process (the {pop}.dv errors); the diagonal of "
                       f"{pop}.coupling restores each neuron's decay e^(-dt/tau_mem)")
    return mant, shift, bias, found


def _group_dynamics(pop: str, node: Population, idx: np.ndarray, n: _Neurons, dt_s: float,
                    spec: Loihi2Spec) -> dict:
    """The 2x2 ``[u, v]`` (or 1x1 ``[v]``) update of one LIF process, at its neurons' mean time constants."""
    def mean(field: str) -> np.ndarray | None:
        values = getattr(node, field, None)
        return None if values is None else np.array([np.mean(values.reshape(-1)[idx])])

    tau_syn = mean("tau_syn_s")
    gain_in = np.array([np.mean((node.r * getattr(node, "w_in", 1.0)).reshape(-1)[idx])])
    entry = update_matrices(
        tau_syn_s=np.zeros(1) if tau_syn is None else tau_syn, tau_mem_s=mean("tau_mem_s"), gain_in=gain_in,
        coupling=None, dt_s=dt_s, k_u=1 - (int(n.du[idx[0]]) + spec.du_offset) / spec.decay_unity,
        k_v=1 - (int(n.dv[idx[0]]) + spec.dv_offset) / spec.decay_unity, coupling_q=None)
    return {"population": pop, **entry}


def _sign_parts(name: str, block: np.ndarray, split_signs: bool):
    """``(name, part, weights)`` of the Lava Dense processes for one block (module docstring, "Weights").

    A mixed-sign block becomes an excitatory part (its positive weights) and an inhibitory part (its negative
    weights) when ``split_signs``; ``part`` is ``"excitatory"`` / ``"inhibitory"``, else None.
    """
    if not split_signs or Loihi2Spec.sign_mode(block) is not SignMode.MIXED:
        yield name, None, block
        return
    yield f"{name}(exc)", "excitatory", np.maximum(block, 0.0)
    yield f"{name}(inh)", "inhibitory", np.minimum(block, 0.0)


def _netx_exact(weight: np.ndarray, weight_exp: int, spec: Loihi2Spec) -> tuple[np.ndarray, int]:
    """Mantissas and exponent that make Lava's Dense sum the integer ``weight`` exactly, where possible."""
    low, high = spec.exact_weight_range(SignMode.MIXED)
    if spec.sign_mode(weight) is SignMode.MIXED and weight.min() >= low and weight.max() <= high:
        return 2 * weight, weight_exp - 1
    return weight, weight_exp


def _build_netx(graph, signals, latency, order, input_name, dt_s, spec, split_signs):
    """Groups and synapses holding a netx file's integers exactly (module docstring), and the findings."""
    report = _Findings()
    groups: list[LifGroup] = []
    synapses: list[Synapse] = []
    for pop, node in graph.populations().items():
        netx = netx_neuron(node, pop)
        if netx is None:
            raise QuantizationError(f"node '{pop}': netx model population without its netx integers "
                                    "(metadata 'netx')")
        size = node.size
        bias = np.broadcast_to((np.zeros(1, np.int64) if netx.bias is None else netx.bias).reshape(-1), (size,))
        mant = np.clip(bias, spec.bias_mant_min, spec.bias_mant_max)
        bias_clipped = int(np.count_nonzero(mant != bias))
        du, dv, vth = netx.i_decay - 1, netx.v_decay, netx.v_th_mant
        # netx's default neuron has iDecay = 0 (du = -1: no decay), vDecay = 4096 (no memory) and vThMant = 2**17
        # (never fires): one past the fields, which Lava's simulator computes as intended (du + 1 = 0, 4096 - dv = 0)
        for param, value, low, high in (("iDecay - 1", du, -1, spec.decay_max), ("vDecay", dv, 0, spec.decay_unity),
                                        ("vThMant", vth, 0, spec.vth_max + 1)):
            if not low <= value <= high:
                raise QuantizationError(f"node '{pop}': netx {param} = {value} is outside {low}..{high}")
        if du < 0 or dv > spec.decay_max or vth > spec.vth_max:
            report.notes.append(f"{pop}: du = {du}, dv = {dv}, vth = {vth} lie outside Loihi's 12/17-bit fields "
                                   "(netx's default neuron); exact in Lava's fixed_pt simulation")
        groups.append(LifGroup(name=pop, population=pop, indices=np.arange(size), du=du, dv=dv, vth=vth,
                               bias_mant=mant, bias_exp=np.full(size, netx.bias_exp)))
        report.arrays.append(report_array(f"{pop}.bias", bias, mant, 1.0, bias_clipped))
        report.populations[pop] = {"kind": node.kind, "vth": vth, "threshold": "netx vThMant",
                                      "groups": [{"name": pop, "neurons": size, "du": du, "dv": dv}], "split": False}
        for src, terms in signals[pop].terms.items():
            weight, delay = merge_delays(src, pop, terms)
            weight = np.rint(weight).astype(np.int64)
            # netx's own timing: Dense's one step plus the file's delays, as lava-dl runs it
            lava_delay = _checked_delay(src, pop, delay, spec)
            mant, exp = _netx_exact(weight, signals[pop].netx_exp.get(src, 0), spec)
            lava_weight = spec.effective_weights(mant, spec.sign_mode(mant), spec.weight_bits)
            changed = int(np.count_nonzero(lava_weight != mant))
            name = f"{src}->{pop}"
            synapses.append(Synapse(name=name, source=src, target=pop, weight=mant, weight_exp=exp,
                                    num_weight_bits=spec.weight_bits, delay=lava_delay if lava_delay.any() else None))
            report.arrays.append(report_array(f"{name}.weight", mant, lava_weight, 1.0, changed))
            report.synapses[name] = {"source": src, "target": pop, "weight_exp": exp,
                                        "sign_mode": spec.sign_mode(mant).name.lower(),
                                        "num_weight_bits": spec.weight_bits,
                                        "delay_max_steps": int(lava_delay.max(initial=0))}
    return tuple(groups), tuple(synapses), report
