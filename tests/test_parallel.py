"""The batch runner: its thread setting (argument, SNN_DEPLOY_THREADS, CPU affinity) and split-independent results."""
from __future__ import annotations

import os
import threading

import numpy as np
import pytest

from snn_deploy.errors import SnnDeployError
from snn_deploy.ir import CubaLIF, Dense, Graph, Input, Output
from snn_deploy.parallel import THREADS_ENV, batch_slices, default_threads, map_batches, resolve_threads
from snn_deploy.reference.simulator import simulate
from snn_deploy.spikes import SpikeEvents


def test_default_is_the_cpus_this_process_may_use(monkeypatch):
    monkeypatch.delenv(THREADS_ENV, raising=False)
    assert default_threads() == len(os.sched_getaffinity(0))


def test_environment_variable_sets_the_default(monkeypatch):
    monkeypatch.setenv(THREADS_ENV, " 3 ")
    assert default_threads() == 3 == resolve_threads(None)
    assert resolve_threads(2) == 2  # the argument wins


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5"])
def test_bad_environment_value_names_the_variable(monkeypatch, value):
    monkeypatch.setenv(THREADS_ENV, value)
    with pytest.raises(SnnDeployError, match=f"{THREADS_ENV}='{value}'.*positive integer"):
        default_threads()


@pytest.mark.parametrize("value", [0, -1, 1.0, True, "2"])
def test_bad_argument_is_refused(value):
    with pytest.raises(SnnDeployError, match="threads=.*positive integer"):
        map_batches(lambda s: s, 4, threads=value)


@pytest.mark.parametrize("batch,parts", [(0, 2), (1, 4), (5, 2), (7, 3), (8, 8), (3, 1)])
def test_slices_cover_the_batch_contiguously_and_evenly(batch, parts):
    slices = batch_slices(batch, parts)
    covered = [i for s in slices for i in range(s.start, s.stop)]
    assert covered == list(range(batch))
    sizes = [s.stop - s.start for s in slices]
    assert len(slices) == min(batch, parts) and (not sizes or max(sizes) - min(sizes) <= 1)


def test_map_batches_runs_on_the_threads_asked_for():
    barrier = threading.Barrier(2, timeout=10)  # both slices must run at the same time to pass it

    def meet(s: slice) -> tuple[int, int]:
        barrier.wait()
        return s.start, threading.get_ident()

    results = map_batches(meet, 2, threads=2)
    assert [start for start, _ in results] == [0, 1] and results[0][1] != results[1][1]
    one = map_batches(lambda s: (s.start, s.stop), 5, threads=1)
    assert one == [(0, 5)]
    assert map_batches(lambda s: s.start, 5, threads=2, samples_per_call=1) == [0, 1, 2, 3, 4]


def test_slices_write_every_row_once():
    out = np.zeros(7, dtype=np.int64)

    def run(s: slice) -> None:
        out[s] += np.arange(s.start, s.stop)

    map_batches(run, 7, threads=3)
    assert np.array_equal(out, np.arange(7))


def _network() -> Graph:
    rng = np.random.default_rng(3)
    lif = CubaLIF.create(15, tau_syn_s=5e-3, tau_mem_s=1e-2, v_threshold=1.0, reset_mode="subtract")
    return Graph(nodes={"input": Input((20,)), "fc": Dense(rng.uniform(0.0, 0.6, (15, 20))), "lif": lif,
                        "out": Output((15,))},
                 edges=(("input", "fc"), ("fc", "lif"), ("lif", "out")))


def test_simulate_is_bit_identical_on_one_and_two_threads(monkeypatch):
    rng = np.random.default_rng(4)
    batch, n = 6, 600
    events = SpikeEvents(rng.integers(0, batch, n), rng.integers(0, 20, n), rng.uniform(0, 0.1, n), batch, 20)
    one = simulate(_network(), events, t_end_s=0.1, threads=1)["lif"]
    two = simulate(_network(), events, t_end_s=0.1, threads=2)["lif"]
    monkeypatch.setenv(THREADS_ENV, "2")
    env = simulate(_network(), events, t_end_s=0.1)["lif"]
    assert one.time_s.size > 50  # the network spikes: the comparison means something
    for other in (two, env):
        for field in ("sample", "unit", "time_s"):
            assert getattr(one, field).tobytes() == getattr(other, field).tobytes()
