"""Hypothesis strategies: random valid IR graphs with every node kind, skip and recurrent edges, metadata.

Structure comes from hypothesis draws (so it shrinks); array values come from a numpy generator
seeded by a drawn integer (fast). ``nir_expressible=True`` keeps to what NIR 1.0.8 can hold: no
CoupledLIF, reset to ``v_reset`` (no reset by subtraction), no Dense ``delay_s``.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from snn_deploy.ir import (
    IF, LI, LIF, AvgPool2d, Conv2d, CoupledLIF, CubaLI, CubaLIF, Delay, Dense, Flatten, Graph, Input, Output,
    SumPool2d,
)
from snn_deploy.ir.shapes import node_output_shape

POPULATIONS = (CubaLIF, LIF, IF, LI, CubaLI, CoupledLIF)

_DTYPES = (np.int64, np.int8, np.uint16, np.float32, np.float64, np.bool_, np.complex64)


def random_array(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any = np.float64) -> np.ndarray:
    values = rng.normal(size=shape) * 10.0 ** rng.integers(-3, 4)
    if np.dtype(dtype).kind == "b":
        return values > 0
    if np.dtype(dtype).kind in "iu":
        return np.abs(values).astype(dtype) if np.dtype(dtype).kind == "u" else values.astype(dtype)
    return values.astype(dtype)


@st.composite
def metadata_values(draw: st.DrawFn, depth: int = 2) -> Any:
    """Nested dicts/lists of ints, floats (inf; NaN != NaN for scalars), strings, bools, None, numpy arrays and scalars."""
    leaves = st.one_of(
        st.integers(-2 ** 62, 2 ** 62), st.floats(allow_nan=False, allow_infinity=True), st.text(max_size=8),
        st.booleans(), st.none(),
        st.builds(lambda seed, i, shape: random_array(np.random.default_rng(seed), shape, _DTYPES[i]),
                  st.integers(0, 2 ** 32), st.integers(0, len(_DTYPES) - 1),
                  st.lists(st.integers(0, 3), max_size=3).map(tuple)),
        st.builds(lambda v: np.int64(v), st.integers(-100, 100)),
        st.builds(lambda v: np.float32(v), st.floats(width=32, allow_nan=False)),
    )
    if depth == 0:
        return draw(leaves)
    children = metadata_values(depth=depth - 1)
    return draw(st.one_of(
        leaves,
        st.lists(children, max_size=3),
        st.dictionaries(st.text(max_size=6), children, max_size=3),
    ))


metadata_dicts = st.dictionaries(st.text(max_size=6), metadata_values(), max_size=3)


def _population(cls: type, shape: tuple[int, ...], rng: np.random.Generator, nir_expressible: bool,
                reset_mode: str, per_neuron: bool) -> Any:
    def values(low: float, high: float) -> Any:
        return rng.uniform(low, high, size=shape) if per_neuron else float(rng.uniform(low, high))

    params: dict[str, Any] = {"v_threshold": values(0.1, 2.0), "r": values(0.5, 3.0)}
    if cls in (CubaLIF, LIF, LI, CubaLI, CoupledLIF):
        params |= {"tau_mem_s": values(1e-3, 5e-2), "v_leak": values(-0.5, 0.5)}
    if cls in (CubaLIF, CubaLI, CoupledLIF):
        params |= {"tau_syn_s": values(0.0, 1e-2), "w_in": values(0.5, 2.0)}
    if not cls.spiking:
        del params["v_threshold"]
    if cls is CoupledLIF:
        size = int(np.prod(shape))
        coupling = rng.normal(size=(size, size))
        np.fill_diagonal(coupling, 0.0)
        params["coupling"] = coupling
    if cls.spiking:
        params["reset_mode"] = "to_value" if nir_expressible else reset_mode
        params["v_reset"] = values(-0.5, 0.5)
    return cls.create(shape, **params)


@st.composite
def graphs(draw: st.DrawFn, nir_expressible: bool = False) -> Graph:
    """A random valid graph: optional conv/pool stage, dense layers, skip and recurrent edges, metadata."""
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32)))
    kinds = [k for k in POPULATIONS if not (nir_expressible and k is CoupledLIF)]
    nodes: dict[str, Any] = {}
    edges: list[tuple[str, str]] = []
    shapes: dict[str, tuple[int, ...]] = {}

    def add(name: str, node: Any, *sources: str) -> str:
        nodes[name] = node
        edges.extend((s, name) for s in sources)
        shapes[name] = node.shape if isinstance(node, Input) else node_output_shape(name, node, shapes[sources[0]])
        return name

    def population(name: str, source: str, flat: bool = True) -> str:
        allowed = [k for k in kinds if flat or k is not CoupledLIF]
        cls = allowed[draw(st.integers(0, len(allowed) - 1))]
        shape = shapes[source]
        if cls is CoupledLIF:
            shape = (int(np.prod(shape)),)
        pop = _population(cls, shape, rng, nir_expressible, draw(st.sampled_from(["subtract", "to_value"])),
                          draw(st.booleans()))
        return add(name, pop, source)

    image = draw(st.booleans())
    if image:
        last = add("in", Input((draw(st.integers(1, 2)), draw(st.integers(4, 7)), draw(st.integers(4, 7)))))
        channels = draw(st.integers(1, 3))
        kernel = draw(st.integers(1, 3))
        conv = Conv2d(random_array(rng, (channels, shapes[last][0], kernel, kernel)),
                      stride=draw(st.integers(1, 2)), padding=draw(st.integers(0, 1)),
                      bias=random_array(rng, (channels,)) if draw(st.booleans()) else None)
        last = population("conv_pop", add("conv", conv, last), flat=False)
        if min(shapes[last][1:]) >= 2 and draw(st.booleans()):
            pool = draw(st.sampled_from([SumPool2d, AvgPool2d]))(kernel_size=2, stride=draw(st.integers(1, 2)))
            last = add("pool", pool, last)
        last = add("flat", Flatten(), last)
    else:
        last = add("in", Input((draw(st.integers(1, 5)),)))
    for layer in range(draw(st.integers(1, 3))):
        size = draw(st.integers(1, 6))
        delay = None if nir_expressible or not draw(st.booleans()) else rng.uniform(0, 1e-2, (size, shapes[last][0]))
        fc = Dense(random_array(rng, (size, int(np.prod(shapes[last])))),
                   bias=random_array(rng, (size,)) if draw(st.booleans()) else None, delay_s=delay,
                   metadata=draw(metadata_dicts))
        fc_name = add(f"fc{layer}", fc, last)
        if draw(st.booleans()):
            fc_name = add(f"delay{layer}", Delay(rng.uniform(0, 1e-2, size)), fc_name)
        last = population(f"pop{layer}", fc_name)
        if draw(st.booleans()):  # recurrent Dense back into the population
            rec = add(f"rec{layer}", Dense(random_array(rng, (size, int(np.prod(shapes[last]))))), last)
            edges.append((rec, last))
    if draw(st.booleans()):  # skip edge from the input to the last population
        target = last
        skip = Dense(random_array(rng, (int(np.prod(shapes[target])), int(np.prod(shapes["in"])))))
        add("skip", skip, "in")
        edges.append(("skip", target))
    add("out", Output(shapes[last], metadata=draw(metadata_dicts)), last)
    names = list(nodes)
    order = draw(st.permutations(names))  # insertion order is free; it decides the recurrent edges
    return Graph({n: nodes[n] for n in order}, edges, metadata=draw(metadata_dicts)).validate()
