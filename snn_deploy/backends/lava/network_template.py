#!/usr/bin/env python3
"""Lava process graph of a Loihi 2 deployment written by snn-deploy (needs only lava-nc 0.10 and numpy).

    python network.py --input IN.npz --output OUT.npz [--record POP,POP] [--record-state] [--hw]
    python network.py --jobs JOBS.json    # several artifacts, one after the other, in one Python process

``IN.npz`` holds ``spikes`` ``[batch, steps, units]`` (a unit spikes in a step if its count is > 0);
``OUT.npz`` gets ``<population>/spikes`` ``[batch, steps, units]`` and, with ``--record-state``,
``<population>/u`` and ``<population>/v``. ``JOBS.json`` is a list of objects with keys ``weights``,
``input``, ``output``, ``record`` (list of populations) and ``record_state``.

The graph (from ``weights.npz`` next to this file): one ``LIF`` (``LIFReset`` with a periodic reset) per
neuron group (a coupled group: the ``CoupledLIF`` process defined here, with its fixed_pt model; a group that
resets by subtraction: the ``SubtractLIF`` process defined here, Lava's fixed-point LIF with
``v <- v - (vth << 6)`` on a spike, since Lava's LIF, and Loihi 2's built-in neuron, can only reset to 0: on
a chip it needs a custom microcode neuron, so ``--hw`` refuses it), one
``Dense`` (``DelayDense`` with delays) per synapse block, the input from a ``RingBuffer`` source. Samples
run one after the other on the same graph; before each sample ``u`` and the synapses' buffered input are
set to 0 and ``v`` to the group's ``v_init`` (0 unless ``weights.npz`` has one), so every sample starts
alike. Spikes (and ``u``, ``v``) are collected inside small recorder processes and written to files once,
at the last step: no per-element ``Var.get``. ``--hw`` selects ``Loihi2HwCfg`` (needs Intel's lava-loihi); default is
``Loihi2SimCfg(select_tag="fixed_pt")``, Lava's bit-accurate CPU models.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

try:
    from lava.magma.core.decorator import implements, requires, tag
    from lava.magma.core.model.py.model import PyLoihiProcessModel
    from lava.magma.core.model.py.ports import PyInPort, PyOutPort, PyRefPort
    from lava.magma.core.model.py.type import LavaPyType
    from lava.magma.core.process.ports.ports import InPort, OutPort, RefPort
    from lava.magma.core.process.process import AbstractProcess
    from lava.magma.core.process.variable import Var
    from lava.magma.core.resources import CPU
    from lava.magma.core.run_conditions import RunSteps
    from lava.magma.core.run_configs import Loihi2HwCfg, Loihi2SimCfg
    from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol
    from lava.proc.dense.process import Dense, DelayDense
    from lava.proc.io.source import RingBuffer
    from lava.proc.lif.models import AbstractPyLifModelFixed
    from lava.proc.lif.process import LIF, LIFReset
except ImportError as exc:  # pragma: no cover - depends on the interpreter
    if __name__ != "__main__":
        raise
    sys.exit(f"error: network.py needs lava-nc 0.10 in Python 3.10 ({exc}); run `make env` in snn-deploy")

HERE = Path(__file__).resolve().parent


class SpikeRecorder(AbstractProcess):
    """Keeps the spikes it receives and saves them to ``path`` (``.npy``, ``[steps, units]``) at the last step."""

    def __init__(self, *, shape: tuple[int, ...], num_steps: int, path: str) -> None:
        super().__init__(shape=shape, num_steps=num_steps, path=path)
        self.a_in = InPort(shape=shape)


class StateRecorder(AbstractProcess):
    """Reads ``u`` and ``v`` of a LIF after every step and saves them to ``path`` (``[2, steps, units]``)."""

    def __init__(self, *, shape: tuple[int, ...], num_steps: int, path: str) -> None:
        super().__init__(shape=shape, num_steps=num_steps, path=path)
        self.u_ref = RefPort(shape=shape)
        self.v_ref = RefPort(shape=shape)


@implements(proc=SpikeRecorder, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PySpikeRecorderModel(PyLoihiProcessModel):
    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=24)

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        self.buffer = np.zeros((proc_params["num_steps"], *proc_params["shape"]), np.uint8)

    def run_spk(self) -> None:
        self.buffer[self.time_step - 1] = self.a_in.recv() != 0
        if self.time_step == self.proc_params["num_steps"]:
            np.save(self.proc_params["path"], self.buffer)


@implements(proc=StateRecorder, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PyStateRecorderModel(PyLoihiProcessModel):
    u_ref: PyRefPort = LavaPyType(PyRefPort.VEC_DENSE, np.int32)
    v_ref: PyRefPort = LavaPyType(PyRefPort.VEC_DENSE, np.int32)

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        self.buffer = np.zeros((2, proc_params["num_steps"], *proc_params["shape"]), np.int64)

    def post_guard(self) -> bool:
        return True

    def run_post_mgmt(self) -> None:
        self.buffer[0, self.time_step - 1] = self.u_ref.read()
        self.buffer[1, self.time_step - 1] = self.v_ref.read()
        if self.time_step == self.proc_params["num_steps"]:
            np.save(self.proc_params["path"], self.buffer)


class CoupledLIF(AbstractProcess):
    """LIF neurons with membrane coupling (snn-deploy's process; the rules: snn_deploy/quantize/loihi2/spec.py).

    Per step: ``a_in``; zero ``u``, ``v`` on a periodic reset step; ``c = sat_24(floor(M v / 2^s))`` from the
    previous ``v``; ``u`` and ``v`` as Lava's fixed-point LIF with ``c`` added to ``v``; spike ``v > vth << 6``
    and reset ``v`` to 0 (``reset = "subtract"``: ``v <- v - (vth << 6)``). ``arithmetic`` holds the widths
    (``decay_bits``, ``du_offset``, ``dv_offset``, ``act_shift``, ``vth_shift``, ``uv_bits``,
    ``channel_bits``) written by snn-deploy from its spec.
    """

    def __init__(self, *, shape: tuple[int], du: int, dv: int, vth: int, bias_mant: np.ndarray,
                 bias_exp: np.ndarray, coupling: np.ndarray, coupling_shift: int, arithmetic: dict,
                 reset_interval: int = 0, reset_offset: int = 0, reset: str = "zero", v: np.ndarray | int = 0) -> None:
        super().__init__(shape=shape, du=du, dv=dv, vth=vth, bias_mant=bias_mant, bias_exp=bias_exp,
                         coupling=coupling, coupling_shift=coupling_shift, arithmetic=arithmetic,
                         reset_interval=reset_interval, reset_offset=reset_offset, reset=reset)
        self.a_in = InPort(shape=shape)
        self.s_out = OutPort(shape=shape)
        self.u = Var(shape=shape, init=0)
        self.v = Var(shape=shape, init=v)


class SubtractLIF(LIF):
    """Lava's LIF that resets by subtraction (snn-deploy's process; the rule: snn_deploy/quantize/loihi2/spec.py).

    On a spike ``v <- v - (vth << 6)``: at most one spike per step, the remainder is kept (a ``v`` above twice
    the threshold fires again in the next step). ``reset_interval`` / ``reset_offset`` zero ``u`` and ``v`` as
    ``LIFReset`` does. Lava's built-in LIF cannot do this; on a Loihi 2 chip it needs a custom microcode neuron.
    """

    def __init__(self, *, reset_interval: int = 0, reset_offset: int = 0, **lif) -> None:
        super().__init__(reset_interval=reset_interval, reset_offset=reset_offset, **lif)


@implements(proc=SubtractLIF, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PySubtractLIFModel(AbstractPyLifModelFixed):
    """Lava's ``PyLifModelBitAcc`` (same types, same ``subthr_dynamics``) with the subtractive ``reset_voltage``."""

    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=24)
    vth: int = LavaPyType(int, np.int32, precision=17)

    def scale_threshold(self) -> None:
        self.effective_vth = np.left_shift(self.vth, self.vth_shift)
        self.isthrscaled = True

    def spiking_activation(self) -> np.ndarray:
        return self.v > self.effective_vth

    def reset_voltage(self, spike_vector: np.ndarray) -> None:
        self.v[spike_vector] -= self.effective_vth

    def run_spk(self) -> None:
        a_in = self.a_in.recv()
        interval = self.proc_params["reset_interval"]
        if interval and self.time_step % interval == self.proc_params["reset_offset"] % interval:
            self.u[:] = 0
            self.v[:] = 0
        self.scale_bias()
        if not self.isthrscaled:
            self.scale_threshold()
        self.subthr_dynamics(activation_in=a_in)
        spikes = self.spiking_activation()
        self.reset_voltage(spike_vector=spikes)
        self.s_out.send(spikes)


def _wrap(x: np.ndarray, bits: int) -> np.ndarray:
    """``x`` modulo ``2**bits`` into the signed range (numpy's int32 arithmetic in Lava for ``bits = 32``)."""
    return ((x + (1 << (bits - 1))) & ((1 << bits) - 1)) - (1 << (bits - 1))


def _decay_toward_zero(x: np.ndarray, keep: int, bits: int) -> np.ndarray:
    """``trunc0(x keep / 2^bits)``: the product's magnitude shifted right, the sign restored."""
    product = x * keep
    return np.sign(product) * (np.abs(product) >> bits)


@implements(proc=CoupledLIF, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PyCoupledLIFModel(PyLoihiProcessModel):
    """Integer model of :class:`CoupledLIF` (numpy int64 arithmetic, the widths of ``arithmetic``)."""

    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=24)
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=24)
    u: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=24)
    v: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=24)

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        arithmetic = proc_params["arithmetic"]
        unity = 1 << arithmetic["decay_bits"]
        self.bits = arithmetic["decay_bits"]
        self.u_keep = unity - proc_params["du"] - arithmetic["du_offset"]
        self.v_keep = unity - proc_params["dv"] - arithmetic["dv_offset"]
        self.act_shift = arithmetic["act_shift"]
        self.vth_scaled = proc_params["vth"] << arithmetic["vth_shift"]
        self.half = 1 << (arithmetic["uv_bits"] - 1)
        self.channel_bits = arithmetic["channel_bits"]
        mant = np.asarray(proc_params["bias_mant"], np.int64)
        exp = np.asarray(proc_params["bias_exp"], np.int64)
        self.bias = np.where(exp >= 0, mant << np.maximum(exp, 0), mant >> np.maximum(-exp, 0))
        self.coupling = np.asarray(proc_params["coupling"], np.int64)
        self.shift = int(proc_params["coupling_shift"])

    def run_spk(self) -> None:
        a_in = self.a_in.recv().astype(np.int64)
        interval = self.proc_params["reset_interval"]
        if interval and self.time_step % interval == self.proc_params["reset_offset"]:
            self.u[:] = 0
            self.v[:] = 0
        limit = self.half - 1
        v_old = self.v.astype(np.int64)
        coupled = np.clip((self.coupling @ v_old) >> self.shift, -limit, limit)
        u = _wrap(_decay_toward_zero(self.u.astype(np.int64), self.u_keep, self.bits) + (a_in << self.act_shift),
                  self.channel_bits)
        u = np.where(u > self.half, u - 2 * self.half, np.where(u <= -self.half, u + 2 * self.half, u))
        v = _wrap(_decay_toward_zero(v_old, self.v_keep, self.bits) + u + self.bias + coupled, self.channel_bits)
        v = np.clip(v, -limit, limit)
        spikes = v > self.vth_scaled
        v[spikes] = v[spikes] - self.vth_scaled if self.proc_params["reset"] == "subtract" else 0
        self.u[:] = u
        self.v[:] = v
        self.s_out.send(spikes.astype(np.int32))


def _v_init(group: dict, i: int, arrays: dict) -> np.ndarray | int:
    """The group's ``v`` at the start of every sample (``group/<i>/v_init``, else 0)."""
    return arrays[f"group/{i}/v_init"] if group.get("v_init") else 0


def _neuron_process(structure: dict, g: dict, i: int, arrays: dict, hw: bool) -> AbstractProcess:
    """Group ``i``'s process: CoupledLIF, SubtractLIF, LIFReset (periodic reset) or Lava's LIF."""
    params = dict(shape=(arrays[f"group/{i}/indices"].size,), du=g["du"], dv=g["dv"], vth=g["vth"],
                  bias_mant=arrays[f"group/{i}/bias_mant"], bias_exp=arrays[f"group/{i}/bias_exp"],
                  v=_v_init(g, i, arrays))
    reset = g.get("reset", "zero")
    if hw and reset == "subtract":
        sys.exit(f"error: group {g['name']} resets by subtraction: Lava's built-in LIF (and Loihi 2's built-in "
                 "neuron) cannot; on a chip it needs a custom microcode neuron, which this artifact does not have")
    periodic = dict(reset_interval=g["reset_interval"], reset_offset=g["reset_offset"])
    if g.get("coupled"):
        return CoupledLIF(coupling=arrays[f"group/{i}/coupling"], coupling_shift=g["coupling_shift"],
                          arithmetic=structure["coupled_arithmetic"], reset=reset, **periodic, **params)
    if reset == "subtract":
        return SubtractLIF(**periodic, **params)
    return LIFReset(**periodic, **params) if g["reset_interval"] else LIF(**params)


def load_deployment(path: Path) -> tuple[dict, dict]:
    with np.load(path, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    return json.loads(str(arrays["structure"].reshape(-1)[0])), arrays


def _components(structure: dict) -> dict[str, str]:
    """Union-find over synapses: each group's connected component (Lava runs only what is connected)."""
    parent = {g["name"]: g["name"] for g in structure["groups"]}
    parent[structure["input"]["name"]] = structure["input"]["name"]

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for s in structure["synapses"]:
        parent[find(s["source"])] = find(s["target"])
    return {name: find(name) for name in parent}


def _neurons(structure: dict, arrays: dict, batch: int, steps: int, hw: bool) -> dict[str, tuple]:
    """Group name -> (process, index, group entry) for every group of the deployment."""
    groups = {}
    for i, g in enumerate(structure["groups"]):
        if g["reset_interval"] and batch > 1 and steps % g["reset_interval"]:
            sys.exit(f"error: group {g['name']}: periodic reset needs steps ({steps}) to be a multiple of "
                     f"{g['reset_interval']} when running {batch} samples")
        groups[g["name"]] = (_neuron_process(structure, g, i, arrays, hw), i, g)
    return groups


def _synapses(structure: dict, arrays: dict, source: RingBuffer, lifs: dict) -> list:
    """One Dense (DelayDense with delays) per synapse, connected from its source to its target's ``a_in``."""
    synapses = []
    for i, s in enumerate(structure["synapses"]):
        params = dict(weights=arrays[f"synapse/{i}/weight"], weight_exp=s["weight_exp"],
                      num_weight_bits=s["num_weight_bits"])
        dense = DelayDense(delays=arrays[f"synapse/{i}/delay"], **params) if s["delayed"] else Dense(**params)
        (source.s_out if s["source"] == structure["input"]["name"] else lifs[s["source"]].s_out).connect(dense.s_in)
        dense.a_out.connect(lifs[s["target"]].a_in)
        synapses.append(dense)
    return synapses


def _bridges(structure: dict, source: RingBuffer, lifs: dict) -> list:
    """A zero synapse from the input to every group detached from it, so Lava runs the whole graph."""
    input_name = structure["input"]["name"]
    component = _components(structure)
    bridges = []
    for name, lif in lifs.items():
        if component[name] != component[input_name]:
            bridge = Dense(weights=np.zeros((lif.a_in.shape[0], source.s_out.shape[0]), np.int32))
            source.s_out.connect(bridge.s_in)
            bridge.a_out.connect(lif.a_in)
            bridges.append(bridge)
            for other, root in list(component.items()):
                if root == component[name] and other != name:
                    component[other] = component[input_name]
            component[name] = component[input_name]
    return bridges


def _recorders(groups: dict, record: list[str], record_state: bool, total: int, scratch: Path) -> list[tuple]:
    """Spike (and state) recorders of the recorded populations' groups: (group entry, index, files)."""
    recorders = []
    for name, (lif, i, g) in groups.items():
        if g["population"] not in record:
            continue
        n = lif.a_in.shape[0]
        spikes_file = scratch / f"spikes_{i}.npy"
        recorder = SpikeRecorder(shape=(n,), num_steps=total, path=str(spikes_file))
        lif.s_out.connect(recorder.a_in)
        state_file = None
        if record_state:
            state_file = scratch / f"state_{i}.npy"
            probe = StateRecorder(shape=(n,), num_steps=total, path=str(state_file))
            probe.u_ref.connect_var(lif.u)
            probe.v_ref.connect_var(lif.v)
        recorders.append((g, i, spikes_file, state_file))
    return recorders


def _run_config(hw: bool):
    """``Loihi2SimCfg(select_tag="fixed_pt")`` (or ``Loihi2HwCfg``) with this file's process models."""
    exceptions = {SpikeRecorder: PySpikeRecorderModel, StateRecorder: PyStateRecorderModel,
                  CoupledLIF: PyCoupledLIFModel, SubtractLIF: PySubtractLIFModel}
    if hw:
        return Loihi2HwCfg(exception_proc_model_map=exceptions)
    return Loihi2SimCfg(select_tag="fixed_pt", exception_proc_model_map=exceptions)


def _run_samples(source: RingBuffer, groups: dict, synapses: list, arrays: dict, batch: int, steps: int,
                 hw: bool) -> None:
    """Every sample one after the other, each from ``u = 0``, the groups' ``v_init`` and empty synapse buffers."""
    run_cfg = _run_config(hw)
    try:
        for sample in range(batch):
            if sample:
                for lif, i, g in groups.values():
                    lif.u.set(np.zeros(lif.u.shape))
                    lif.v.set(np.broadcast_to(_v_init(g, i, arrays), lif.v.shape).copy())
                for dense in synapses:
                    dense.a_buff.set(np.zeros(dense.a_buff.shape))
            source.run(condition=RunSteps(num_steps=steps), run_cfg=run_cfg)
    finally:
        source.stop()


def _collect(structure: dict, arrays: dict, recorders: list[tuple], record: list[str], record_state: bool,
             shape: tuple[int, int]) -> dict[str, np.ndarray]:
    """Per recorded population ``<population>/spikes`` (and ``/u``, ``/v``) ``[batch, steps, units]``."""
    batch, steps = shape
    out: dict[str, np.ndarray] = {}
    for population in record:
        size = structure["populations"][population]
        full = np.zeros((batch, steps, size), np.uint8)
        u = np.zeros((batch, steps, size), np.int64)
        v = np.zeros((batch, steps, size), np.int64)
        for g, i, spikes_file, state_file in (r for r in recorders if r[0]["population"] == population):
            index = arrays[f"group/{i}/indices"]
            full[:, :, index] = np.load(spikes_file).reshape(batch, steps, -1)
            if state_file is not None:
                state = np.load(state_file)
                u[:, :, index] = state[0].reshape(batch, steps, -1)
                v[:, :, index] = state[1].reshape(batch, steps, -1)
        out[f"{population}/spikes"] = full
        if record_state:
            out[f"{population}/u"] = u
            out[f"{population}/v"] = v
    return out


def run(weights: Path, spikes: np.ndarray, record: list[str], record_state: bool, hw: bool,
        scratch: Path) -> dict[str, np.ndarray]:
    """Run every sample of ``spikes`` ``[batch, steps, units]``; spikes (and u, v) of the ``record`` populations."""
    structure, arrays = load_deployment(weights)
    batch, steps, units = spikes.shape
    source = RingBuffer(data=(spikes > 0).astype(np.int32).reshape(batch * steps, units).T.copy())
    groups = _neurons(structure, arrays, batch, steps, hw)
    lifs = {name: lif for name, (lif, _, _) in groups.items()}
    synapses = _synapses(structure, arrays, source, lifs) + _bridges(structure, source, lifs)
    recorders = _recorders(groups, record, record_state, batch * steps, scratch)
    _run_samples(source, groups, synapses, arrays, batch, steps, hw)
    return _collect(structure, arrays, recorders, record, record_state, (batch, steps))


def run_job(weights: Path, input_path: Path, output_path: Path, record: list[str] | None, record_state: bool,
            hw: bool) -> None:
    structure, _ = load_deployment(weights)
    with np.load(input_path, allow_pickle=False) as data:
        spikes = data["spikes"]
    record = list(structure["populations"]) if not record else record
    with tempfile.TemporaryDirectory(prefix="snn-deploy-lava-") as scratch:
        out = run(weights, spikes, record, record_state, hw, Path(scratch))
    np.savez(output_path, **out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", type=Path, default=HERE / "weights.npz")
    parser.add_argument("--input", type=Path)
    parser.add_argument("--output", type=Path)
    parser.add_argument("--record", default="", help="comma-separated populations (default: all)")
    parser.add_argument("--record-state", action="store_true")
    parser.add_argument("--hw", action="store_true", help="run on Loihi 2 (Loihi2HwCfg; needs lava-loihi)")
    parser.add_argument("--jobs", type=Path, help="JSON list of jobs to run in this process")
    args = parser.parse_args(argv)
    if args.hw and importlib.util.find_spec("lava.magma.core.model.nc") is None:
        sys.exit("error: --hw needs Intel's lava-loihi (not public) next to lava-nc; without it, run without --hw "
                 "(Loihi2SimCfg, bit-accurate fixed_pt models)")
    if args.jobs is not None:
        for job in json.loads(args.jobs.read_text()):
            run_job(Path(job["weights"]), Path(job["input"]), Path(job["output"]), job.get("record"),
                    bool(job.get("record_state")), args.hw)
        return 0
    if args.input is None or args.output is None:
        parser.error("--input and --output are required (or --jobs)")
    record = [r for r in args.record.split(",") if r]
    run_job(args.weights, args.input, args.output, record, args.record_state, args.hw)
    return 0


if __name__ == "__main__":
    sys.exit(main())
