"""JUnit XML parses back with a real XML parser and carries every verdict."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from snn_deploy.check.junit import Criterion, write_junit


def test_junit_round_trip(tmp_path):
    criteria = [Criterion("bit_exact", True, "identical spikes", 0.5),
                Criterion("matched_fraction", False, "0.91 < 0.95 (min-match)", 0.25)]
    write_junit(tmp_path / "r.xml", "snn-deploy check yinyang loihi2", criteria)
    root = ET.parse(tmp_path / "r.xml").getroot()
    suite = root.find("testsuite")
    assert suite.get("tests") == "2" and suite.get("failures") == "1"
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert cases["bit_exact"].find("failure") is None
    assert cases["matched_fraction"].find("failure").get("message") == "0.91 < 0.95 (min-match)"
