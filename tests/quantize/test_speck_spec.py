"""The Speck spec against sinabs: memory formulas, rounding, ranges.

sinabs's memory calculator and ``torch.round`` run in the Sinabs engine interpreter (:mod:`tests.engines`), each
test's cases in one process."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from snn_deploy.quantize.speck.spec import SPECK
from tests.engines import run_in_sinabs

#: sinabs's ``ValidateMapping`` for each row ``c_in, c_out, k, stride, in_hw`` of ``inputs["cases"]``
_SINABS_MEMORY = """
from sinabs.validate_memory_speck import ValidateMapping
rows = []
for c_in, c_out, k, stride, in_hw in inputs["cases"].tolist():
    mapping = ValidateMapping(c_in, c_out, (k, k), (stride, stride), (0, 0), input_dimension=[in_hw, in_hw])
    rows.append((mapping.calculate_kernel_memory(), mapping.calculate_neuron_memory()))
outputs["memory"] = np.array(rows, dtype=np.int64)
"""


def _layer_cases(count: int) -> list[tuple[int, int, int, int, int]]:
    """``count`` layers drawn by hypothesis: ``(c_in, c_out, k, stride, out_hw)``."""
    cases: list = []

    @settings(max_examples=count, deadline=None, phases=[Phase.generate], database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.integers(1, 64), st.integers(1, 128), st.integers(1, 16), st.sampled_from([1, 2, 4]),
           st.integers(1, 64))
    def draw(c_in, c_out, k, stride, out_hw):
        cases.append((c_in, c_out, k, stride, out_hw))

    draw()
    return cases


@pytest.mark.sinabs
def test_layer_memory_matches_sinabs_validate_memory_speck():
    """sinabs's own calculator (``sinabs/validate_memory_speck.py``) implements the same formula a second time."""
    cases = _layer_cases(100)
    assert len(cases) >= 90
    # in_hw: exact division, as that calculator assumes
    rows = [(c_in, c_out, k, stride, (out_hw - 1) * stride + k) for c_in, c_out, k, stride, out_hw in cases]
    reference = run_in_sinabs(_SINABS_MEMORY, {"cases": np.array(rows, dtype=np.int64)})["memory"]
    assert reference.shape == (len(cases), 2)
    for (c_in, c_out, k, stride, out_hw), (kernel, neuron) in zip(cases, reference.tolist()):
        memory = SPECK.layer_memory((c_out, c_in, k, k), (c_out, out_hw, out_hw), has_bias=True)
        assert (memory.kernel, memory.neuron) == (kernel, neuron), (c_in, c_out, k, stride, out_hw)
        assert memory.bias == c_out


def test_core_budgets_match_sinabs_comment_table():
    """``validate_memory_speck.verify_combined_memories``'s table: cores 0-2 16Ki kernel / 64Ki neuron memory,
    3-4 32/32, 5-6 64/16, 7-8 16/16."""
    expected = [(16, 64)] * 3 + [(32, 32)] * 2 + [(64, 16)] * 2 + [(16, 16)] * 2
    assert [(c.kernel // 1024, c.neuron // 1024) for c in SPECK.cores] == expected
    assert all(c.bias == 1024 for c in SPECK.cores)


@pytest.mark.sinabs
def test_round_is_torch_round_half_to_even():
    values = np.arange(-8, 8) + 0.5
    values = np.concatenate([values, np.random.default_rng(0).normal(0, 50, 1000)])
    code = "import torch\noutputs['rounded'] = torch.round(torch.from_numpy(inputs['values'])).numpy()\n"
    rounded = run_in_sinabs(code, {"values": values})["rounded"]
    assert rounded.shape == values.shape
    assert np.array_equal(SPECK.round(values), rounded)


def test_ranges_are_twos_complement():
    assert SPECK.signed_range(SPECK.weight_bits) == SPECK.signed_range(SPECK.bias_bits) == (-128, 127)
    assert SPECK.state_range == (-(2**15), 2**15 - 1)


@pytest.mark.parametrize("kernel, fits", [((128, 64, 4, 4), False), ((64, 16, 4, 4), True)])
def test_memory_fit_and_excess_name_the_memory(kernel, fits):
    memory = SPECK.layer_memory(kernel, (kernel[0], 8, 8), has_bias=False)
    assert any(memory.fits(core) for core in SPECK.cores) == fits
    if not fits:
        assert all(any(p.startswith("kernel") for p in memory.excess(core)) for core in SPECK.cores)
