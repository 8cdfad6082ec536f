"""The README's Python quick start runs as printed, and uses only calls examples/python_api.py makes."""
from __future__ import annotations

import re

import pytest

from tests.conftest import REPO

README = (REPO / "README.md").read_text()
EXAMPLE = (REPO / "examples" / "python_api.py").read_text()


def _quick_start() -> str:
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    assert blocks, "README has no ```python block"
    return blocks[0]


def test_the_quick_start_is_taken_from_the_example():
    code = _quick_start()
    calls = set(re.findall(r"\b(?:sd\.\w+|\.\w+)\(", code))
    assert {"sd.read(", "sd.compile(", ".emulate(", ".run(", "sd.check(", ".save("} <= calls
    assert not [call for call in calls if call not in EXAMPLE], "calls the example does not make"


@pytest.mark.slow
@pytest.mark.lava
@pytest.mark.sinabs
@pytest.mark.xdist_group("lava")
def test_the_quick_start_runs(tmp_path, monkeypatch, capsys, shared_models):
    monkeypatch.chdir(tmp_path)
    exec(compile(_quick_start(), "README.md", "exec"), {"__name__": "readme"})  # noqa: S102
    printed = capsys.readouterr().out
    assert "loihi2" in printed and "speck" in printed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cnn_sinabs-loihi2", "cnn_sinabs-speck"]
