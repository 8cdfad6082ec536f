"""Small random layered CubaLIF graphs with skip-layer edges, shared by the layered-engine tests."""
from __future__ import annotations

import numpy as np

from snn_deploy.ir.graph import Graph
from snn_deploy.ir.nodes import CubaLIF, Dense, Input, Output
from snn_deploy.reference.layered import LayeredNetwork, forward

TAU_SYN_S = 5e-3
TAU_MEM_S = 10e-3
#: weight whose single PSP peaks at v = 1 for the time constants above (r = w_in = 1)
UNIT_WEIGHT = 0.02


def skip_graph(seed: int, reset_mode: str = "subtract", sizes: tuple[int, ...] = (4, 3, 3, 2)) -> Graph:
    """``input -> lif1 -> lif2 -> lif3`` plus skip edges ``input -> lif2`` and ``lif1 -> lif3``.

    Weights are drawn so that most neurons fire one to a few times on latency-coded input.
    """
    rng = np.random.default_rng(seed)
    n_in, *pops = sizes
    nodes = {"input": Input((n_in,))}
    edges = []
    for k, size in enumerate(pops, start=1):
        nodes[f"lif{k}"] = CubaLIF.create(
            size, tau_syn_s=TAU_SYN_S * rng.uniform(0.8, 1.2, size), tau_mem_s=TAU_MEM_S * rng.uniform(0.8, 1.2, size),
            v_threshold=rng.uniform(0.8, 1.2, size), reset_mode=reset_mode, v_reset=rng.uniform(-0.5, 0.3, size),
            r=1.0, w_in=1.0)

    def connect(name: str, source: str, target: str, n_src: int, n_dst: int, mean: float) -> None:
        nodes[name] = Dense(weight=UNIT_WEIGHT * rng.normal(mean, 0.35, (n_dst, n_src)))
        edges.extend([(source, name), (name, target)])

    sources = ["input", *[f"lif{k}" for k in range(1, len(pops) + 1)]]
    src_sizes = [n_in, *pops]
    for k in range(1, len(pops) + 1):
        connect(f"fc{k}", sources[k - 1], f"lif{k}", src_sizes[k - 1], pops[k - 1], 1.2 / src_sizes[k - 1])
    connect("skip_in", "input", "lif2", n_in, pops[1], 0.2)
    connect("skip_1", "lif1", f"lif{len(pops)}", pops[0], pops[-1], 0.2)
    nodes["output"] = Output((pops[-1],))
    edges.append((f"lif{len(pops)}", "output"))
    return Graph(nodes, tuple(edges)).validate()


def latency_inputs(seed: int, batch: int, units: int, t_max_s: float = 10e-3) -> np.ndarray:
    """``[batch, units, 1]`` random input spike times in ``[0, t_max_s]``."""
    return np.random.default_rng(seed + 1000).uniform(0.0, t_max_s, (batch, units, 1))


def perturbed(network: LayeredNetwork, layer: int, projection: int, index: tuple, delta: float) -> LayeredNetwork:
    """``network`` with one weight ``[layer][projection][index]`` moved by ``delta``."""
    weights = [list(l.weights) for l in network.layers]
    weights[layer][projection] = weights[layer][projection].copy()
    weights[layer][projection][index] += delta
    return network.with_weights([tuple(w) for w in weights])


def finite_difference_pairs(network: LayeredNetwork, inputs: np.ndarray, coefficients: list[np.ndarray],
                            grads: list[tuple[np.ndarray, ...]], max_spikes: int, step: float
                            ) -> tuple[np.ndarray, np.ndarray]:
    """``(exact, numeric)`` dL/dw for ``L = sum_k c_k t_k`` over every layer's spikes: ``grads`` against central
    differences with ``h = step * max|W|`` per projection, for every weight whose ``+-h`` keeps every spike count
    (a spike that appears or vanishes has no derivative)."""
    def run(net: LayeredNetwork) -> tuple[float, list[np.ndarray]]:
        times = forward(net, inputs, max_spikes).times
        value = sum(np.sum(np.where(np.isfinite(t), c * t, 0.0)) for t, c in zip(times, coefficients))
        return float(value), [np.isfinite(t).sum(axis=2) for t in times]

    _, counts = run(network)
    exact, numeric = [], []
    for l, layer in enumerate(network.layers):
        for p, weight in enumerate(layer.weights):
            h = step * np.abs(weight).max()
            for index in np.ndindex(weight.shape):
                (plus, c_plus), (minus, c_minus) = (run(perturbed(network, l, p, index, s * h)) for s in (1, -1))
                if any(not np.array_equal(a, b) for c in (c_plus, c_minus) for a, b in zip(c, counts)):
                    continue
                numeric.append((plus - minus) / (2 * h))
                exact.append(grads[l][p][index])
    return np.array(exact), np.array(numeric)
