"""`snn-deploy encode poisson` and `snn-deploy decode`: determinism, Poisson statistics, a round trip through
`simulate` and an engine file, and one-line errors with exit code 2."""
from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from snn_deploy.cli import main
from snn_deploy.ir import IF, Dense, Graph, Input, Output
from snn_deploy.ir.io import save
from snn_deploy.spikes import SpikeEvents, load_input, save_engine_output


def _cli(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_same_seed_same_bytes_other_seed_other_events(tmp_path):
    args = ["encode", "poisson", "--rate-hz", "40", "--units", "5", "--duration", "0.5", "--batch", "3"]
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        assert _cli(*args, "--seed", seed, "-o", tmp_path / f"{name}.npz").exit_code == 0
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    assert (tmp_path / "a.npz").read_bytes() != (tmp_path / "c.npz").read_bytes()


def test_poisson_counts_and_their_split_over_time_follow_the_rates(tmp_path):
    rates = np.array([5.0, 40.0, 0.0, 120.0])
    np.save(tmp_path / "rates.npy", rates)
    duration, batch = 2.0, 50
    result = _cli("encode", "poisson", "--rates-hz", tmp_path / "rates.npy", "--duration", duration,
                  "--batch", batch, "--seed", 3, "-o", tmp_path / "in.npz")
    assert result.exit_code == 0, result.output
    events, _ = load_input(tmp_path / "in.npz", units=4)
    assert events.batch == batch and events.time_s.max() < duration
    for unit, rate in enumerate(rates):
        times = events.time_s[events.unit == unit]
        expected = rate * duration * batch  # total count ~ Poisson(expected): within 5 sigma (p < 1e-6)
        assert abs(times.size - expected) <= 5 * np.sqrt(expected)
        # given the total n, the count in the first half is Binomial(n, 1/2): within 5 sigma
        first_half = np.count_nonzero(times < duration / 2)
        assert abs(first_half - times.size / 2) <= 5 * np.sqrt(times.size / 4)


def test_round_trip_encode_simulate_decode_and_engine_file(tmp_path):
    # an identity network: every input spike makes its IF neuron fire at the same time
    graph = Graph(nodes={"in": Input((3,)), "fc": Dense(2.0 * np.eye(3)), "pop": IF.create(3, v_threshold=1.0, reset_mode="to_value"),
                         "out": Output((3,))}, edges=[("in", "fc"), ("fc", "pop"), ("pop", "out")])
    save(graph, tmp_path / "id.onnx")
    assert _cli("encode", "poisson", "--rate-hz", "30", "--units", 3, "--duration", 1.0, "--batch", 2,
                "-o", tmp_path / "in.npz").exit_code == 0
    assert _cli("simulate", tmp_path / "id.onnx", "--input", tmp_path / "in.npz", "-o",
                tmp_path / "ref.npz").exit_code == 0
    events, _ = load_input(tmp_path / "in.npz")
    counts = np.zeros((2, 3))
    np.add.at(counts, (events.sample[events.time_s < 0.6], events.unit[events.time_s < 0.6]), 1)
    result = _cli("decode", tmp_path / "ref.npz", "--node", "pop", "--readout", "window", "--window", 0, 0.6,
                  "--batch", 2, "--units", 3, "-o", tmp_path / "rates.npz")
    assert result.exit_code == 0, result.output
    with np.load(tmp_path / "rates.npz") as data:
        np.testing.assert_allclose(data["rate_hz"], counts / 0.6, rtol=1e-12)

    # engine file: step k (after L = 2 latency steps) is time (k - L) dt
    raster = np.zeros((1, 12, 2), np.uint8)
    raster[0, [2, 5, 7], 1] = 1
    save_engine_output(tmp_path / "eng.npz", {"pop/spikes": raster}, 0.01)
    result = _cli("decode", tmp_path / "eng.npz", "--node", "pop", "--readout", "ifr", "--tau", 0.02,
                  "--at", 0.05, "--at", 0.0, "--latency-steps", 2, "-o", tmp_path / "ifr.npz")
    assert result.exit_code == 0, result.output
    with np.load(tmp_path / "ifr.npz") as data:
        expected = (np.exp(-0.05 / 0.02) + np.exp(-0.02 / 0.02) + 1.0) / 0.02  # spikes at 0, 0.03, 0.05 s
        np.testing.assert_allclose(data["rate_hz"][0, :, 1], [expected, 1 / 0.02], rtol=1e-12)
        np.testing.assert_array_equal(data["times_s"], [0.05, 0.0])
        assert not data["rate_hz"][0, :, 0].any()


@pytest.mark.parametrize("make, args, message", [
    (lambda p: p.write_bytes(b"not numpy"), ["--rates-hz", "{f}", "--duration", "1"], "not a readable .npy"),
    (lambda p: np.save(p, np.array([1.0, -2.0])), ["--rates-hz", "{f}", "--duration", "1"], "finite and >= 0"),
    (lambda p: np.save(p, np.ones((3, 2))), ["--rates-hz", "{f}", "--batch", "2", "--duration", "1"], "3 samples"),
])
def test_bad_rates_files_fail_with_one_line_and_exit_2(tmp_path, make, args, message):
    path = tmp_path / "rates.npy"
    make(path)
    result = _cli("encode", "poisson", *[a.format(f=path) for a in args], "-o", tmp_path / "x.npz")
    assert result.exit_code == 2 and message in result.output and result.output.count("\n") == 1
    assert not (tmp_path / "x.npz").exists()


def test_usage_errors_exit_2(tmp_path):
    assert _cli("encode", "poisson", "--rate-hz", 5, "--duration", 1, "-o", tmp_path / "x.npz").exit_code == 2
    save_engine_output(tmp_path / "eng.npz", {"pop/spikes": np.zeros((1, 3, 2), np.uint8)}, 0.01)
    for extra in (["--readout", "ifr", "--tau", "0.1"], ["--readout", "window", "--window", "0", "1", "--node", "nope"]):
        args = ["decode", tmp_path / "eng.npz", *extra]
        if "--node" not in extra:
            args += ["--node", "pop"]
        result = _cli(*args, "-o", tmp_path / "r.npz")
        assert result.exit_code == 2, result.output
    assert "no [batch, steps, units] 'nope/spikes' (nodes: pop)" in result.output
    result = _cli("decode", tmp_path / "missing.npz", "--node", "pop", "--readout", "window", "--window", 0, 1,
                  "-o", tmp_path / "r.npz")
    assert result.exit_code == 2 and "no such file" in result.output
