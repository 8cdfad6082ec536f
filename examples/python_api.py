"""snn-deploy from Python: read a model, compile it for every chip it fits, emulate, run the vendor engine,
check, save. Uses only names exported by ``snn_deploy``.

Two models: the shared sinabs CNN (a NIR file from the shared models directory, ``$SNN_DEPLOY_SHARED``) and
the trained Yin-Yang example (``examples/models/yinyang.onnx``). Everything it writes goes under ``--out``:
per model the input events, the exact reference's spikes, and per target the artifact directory, the
emulator's and the engine's records and the check's verdict, the same files ``snn-deploy`` writes
(``tests/api/test_python_api_example.py`` runs the CLI on the same inputs and compares them byte for byte).

    python examples/python_api.py --out api-out
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

import snn_deploy as sd

EXAMPLES = Path(__file__).resolve().parent


def cnn_sinabs() -> tuple[sd.Graph, sd.SpikeEvents, float]:
    """The shared sinabs CNN (its IAF resets by subtraction, which the file cannot say), one Poisson sample of
    20 steps at 1 ms."""
    graph = sd.read(sd.shared_models_dir() / "cnn_sinabs.nir", reset_mode="subtract")
    dt_s = 1e-3
    rates_hz = np.full((1, sd.input_units(graph)), 0.05 / dt_s)  # one event every twenty steps per input unit
    return graph, sd.poisson_events(rates_hz, 20 * dt_s, seed=0), dt_s


def yinyang() -> tuple[sd.Graph, sd.SpikeEvents, None]:
    """The trained Yin-Yang network and its first two validation samples, latency-coded as its metadata says
    (the step: the model's own, 25 us)."""
    graph = sd.read(EXAMPLES / "models" / "yinyang.onnx")
    return graph, sd.dataset_inputs(graph, "yinyang", split="validation", limit=2).events, None


def deploy(name: str, graph: sd.Graph, events: sd.SpikeEvents, dt_s: float | None, out: Path) -> dict:
    """Reference, then per target: compile, emulate, run the engine, check, save. Returns what happened."""
    sd.write_events(out / f"{name}-input.npz", events)
    reference = sd.simulate(graph, events, record="all")
    sd.write_spikes(out / f"{name}-reference.npz", reference)
    summary: dict = {"reference_spikes": {node: int(s.time_s.size) for node, s in reference.items()}}
    for target in sd.target_names():
        try:
            deployment = sd.compile(graph, target, dt_s)
        except sd.UnsupportedError as exc:
            summary[target] = f"does not fit: {exc}"
            continue
        emulated = deployment.emulate(events, record="all")
        engine = deployment.run(events, record="all")  # Lava for Loihi 2, sinabs for Speck
        same = all(np.array_equal(emulated.spikes[n], engine.spikes[n]) for n in emulated.spikes)
        result = sd.check(graph, deployment, events, engine=deployment.target.engine)
        deployment.save(out / f"{name}-{target}")
        emulated.save(out / f"{name}-{target}-emulated.npz")
        engine.save(out / f"{name}-{target}-{engine.engine}.npz")
        (out / f"{name}-{target}-check.json").write_text(json.dumps(result.to_json(), sort_keys=True))
        summary[target] = {"dt_s": deployment.dt_s, "clipped": deployment.report.clipped_total,
                           "spikes": {n: int(s.sum()) for n, s in emulated.spikes.items()},
                           "engine_equals_emulator": same, "check_passed": result.passed}
    return summary


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("api-out"), help="Directory to write into.")
    out = parser.parse_args(argv).out
    out.mkdir(parents=True, exist_ok=True)
    summary = {name: deploy(name, *make(), out) for name, make in (("cnn_sinabs", cnn_sinabs),
                                                                   ("yinyang", yinyang))}
    print(json.dumps(summary, indent=2, sort_keys=True))
    return summary


if __name__ == "__main__":
    main()
