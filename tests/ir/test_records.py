"""The one reading of ``record`` (reference, emulators, engines)."""
from __future__ import annotations

import pytest

from snn_deploy.errors import UnsupportedError
from snn_deploy.ir.records import select_records

POPULATIONS = ("a", "b", "c")
OUTPUTS = {"y2": "c", "y1": "b"}


def test_outputs_are_the_output_nodes_in_name_order_recording_their_sources():
    assert list(select_records(POPULATIONS, OUTPUTS, "outputs").items()) == [("y1", "b"), ("y2", "c")]


def test_all_is_every_population_in_order():
    assert select_records(POPULATIONS, OUTPUTS, "all") == {"a": "a", "b": "b", "c": "c"}


@pytest.mark.parametrize("record", [" c, y1 ,", ["c", "y1"]])
def test_names_as_a_list_or_comma_separated_in_the_order_given(record):
    assert list(select_records(POPULATIONS, OUTPUTS, record).items()) == [("c", "c"), ("y1", "b")]


def test_unknown_name_is_refused_with_the_known_ones():
    with pytest.raises(UnsupportedError, match="no population or output named 'z' \\(known: a, b, c, y2, y1\\)"):
        select_records(POPULATIONS, OUTPUTS, "a,z")
