"""JUnit XML for CI systems: one ``<testcase>`` per check criterion, failures carry the reason."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence


@dataclass(frozen=True)
class Criterion:
    """One pass/fail criterion of a check (e.g. ``bit_exact``, ``matched_fraction >= 0.95``)."""

    name: str
    passed: bool
    message: str
    seconds: float = 0.0


def junit_xml(suite: str, criteria: Sequence[Criterion]) -> str:
    """JUnit XML text (a ``<testsuites>`` root with one ``<testsuite>``) for ``criteria``."""
    root = ET.Element("testsuites")
    failures = sum(not c.passed for c in criteria)
    total_s = sum(c.seconds for c in criteria)
    node = ET.SubElement(root, "testsuite", name=suite, tests=str(len(criteria)), failures=str(failures),
                         errors="0", skipped="0", time=f"{total_s:.3f}")
    for criterion in criteria:
        case = ET.SubElement(node, "testcase", classname=suite, name=criterion.name, time=f"{criterion.seconds:.3f}")
        if criterion.passed:
            ET.SubElement(case, "system-out").text = criterion.message
        else:
            ET.SubElement(case, "failure", message=criterion.message, type="CheckFailed").text = criterion.message
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_junit(path: str | Path, suite: str, criteria: Sequence[Criterion]) -> None:
    Path(path).write_text(junit_xml(suite, criteria))
