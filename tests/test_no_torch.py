"""The main environment needs neither torch nor sinabs: they live in the Sinabs engine environment only.

Proved three ways: ``.venv`` has no torch / sinabs installed; every snn_deploy module imports, and every
Loihi 2 command (and Speck's compile / emulate) runs from the installed ``snn-deploy`` script, in processes
where ``import torch`` / ``import sinabs`` raise (a ``sitecustomize`` on ``PYTHONPATH`` blocks them, so this
holds even where they happen to be installed); and ``pip check`` is clean in all three environments.
"""
from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from snn_deploy.backends.lava.engine import lava_python
from snn_deploy.backends.sinabs.engine import sinabs_python

REPO = Path(__file__).resolve().parents[1]
XOR = REPO / "examples" / "models" / "xor.onnx"
BLOCKED = ("torch", "sinabs", "nirtorch")
_SITECUSTOMIZE = f"""
import sys


class _BlockTorch:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {BLOCKED!r}:
            raise ImportError(f"blocked by tests/test_no_torch.py: import {{name}}")
        return None


sys.meta_path.insert(0, _BlockTorch())
"""
_IMPORT_ALL = """
import importlib, json, pkgutil
import snn_deploy
imported, failed = [], {}
for info in pkgutil.walk_packages(snn_deploy.__path__, "snn_deploy."):
    try:
        importlib.import_module(info.name)
        imported.append(info.name)
    except ImportError as exc:  # Lava's own scripts (run in .venv-lava) may need lava; nothing may need torch
        if (exc.name or "").split(".")[0] != "lava":
            failed[info.name] = repr(exc)
print(json.dumps({"imported": imported, "failed": failed}))
"""


@pytest.fixture()
def blocked_env(tmp_path) -> dict[str, str]:
    """Environment variables under which ``import torch`` / ``import sinabs`` raise."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(_SITECUSTOMIZE)
    env = {**os.environ, "PYTHONPATH": str(site)}
    probe = subprocess.run([sys.executable, "-c", "import sinabs.layers"], env=env, capture_output=True, text=True)
    assert probe.returncode == 1 and "blocked by tests/test_no_torch.py: import sinabs" in probe.stderr
    return env


def _cli(env: dict[str, str], cwd: Path, *args: str) -> str:
    command = [str(Path(sys.executable).with_name("snn-deploy")), *args]
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, f"{' '.join(args)}: exit {done.returncode}\n{done.stderr[-2000:]}"
    assert "blocked by tests/test_no_torch.py" not in done.stderr + done.stdout
    return done.stdout


def test_main_environment_has_no_torch_and_current_nir():
    for name in BLOCKED:
        assert importlib.util.find_spec(name) is None, f"{name} is installed in {sys.prefix}"
    version = tuple(int(part) for part in importlib.metadata.version("nir").split(".")[:3])
    assert version >= (1, 0, 8)


def test_every_module_imports_without_torch(blocked_env):
    done = subprocess.run([sys.executable, "-c", _IMPORT_ALL], env=blocked_env, capture_output=True, text=True,
                          cwd=REPO)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["failed"] == {}
    assert len(result["imported"]) >= 50
    assert {"snn_deploy.backends.sinabs", "snn_deploy.backends.sinabs.engine", "snn_deploy.backends.sinabs.runner",
            "snn_deploy.cli", "snn_deploy.check.runner"} <= set(result["imported"])


@pytest.mark.slow
def test_loihi2_and_speck_commands_run_without_torch(blocked_env, tmp_path, shared_models):
    run = lambda *args: _cli(blocked_env, tmp_path, *args)  # noqa: E731
    assert "lif2" in run("inspect", str(XOR))
    assert "conv" in run("inspect", str(shared_models / "cnn_sinabs.nir")).lower()
    run("convert", str(XOR), "xor.nir")
    run("convert", "xor.nir", "xor.onnx")
    run("encode", "poisson", "--rate-hz", "200", "--units", "3", "--duration", "0.05", "--batch", "2",
        "-o", "in.npz")
    run("simulate", str(XOR), "--input", "in.npz", "-o", "sim.npz")
    run("decode", "sim.npz", "--node", "lif2", "--batch", "2", "--units", "2", "--readout", "window", "--window", "0",
        "0.05", "-o", "rates.npz")
    assert json.loads(run("evaluate", str(XOR), "--dataset", "xor"))["test_samples"] > 0
    run("compile", "xor.onnx", "--target", "loihi2", "-o", "loihi2")
    run("emulate", "loihi2", "--input", "in.npz", "-o", "emulated.npz", "--record", "all", "--record-state")
    report = json.loads(run("check", str(XOR), "--target", "loihi2", "--dataset", "xor", "--limit", "4",
                            "--tolerance-steps", "10", "--min-match", "0.5", "--json"))
    assert report["passed"] is True
    run("compile", str(shared_models / "cnn_sinabs.nir"), "--target", "speck", "-o", "speck")
    run("encode", "poisson", "--rate-hz", "100", "--units", "2312", "--duration", "0.01", "-o", "frames.npz")
    run("emulate", "speck", "--input", "frames.npz", "-o", "speck.npz", "--record", "all")
    assert {p.name for p in tmp_path.iterdir()} >= {"xor.nir", "xor.onnx", "sim.npz", "rates.npz", "emulated.npz",
                                                     "speck.npz"}


@pytest.mark.lava
@pytest.mark.slow
def test_lava_engine_commands_run_without_torch(blocked_env, tmp_path):
    run = lambda *args: _cli(blocked_env, tmp_path, *args)  # noqa: E731
    run("compile", str(XOR), "--target", "loihi2", "-o", "loihi2")
    run("encode", "poisson", "--rate-hz", "200", "--units", "3", "--duration", "0.05", "-o", "in.npz")
    run("run", "loihi2", "--engine", "lava", "--input", "in.npz", "-o", "lava.npz")
    report = json.loads(run("check", str(XOR), "--target", "loihi2", "--engine", "lava", "--dataset", "xor",
                            "--limit", "2", "--tolerance-steps", "10", "--min-match", "0.5", "--json"))
    assert report["passed"] is True


@pytest.mark.parametrize("environment", ["main", "lava", "sinabs"])
def test_pip_check_is_clean(environment):
    python = {"main": lambda: Path(sys.executable), "lava": lava_python, "sinabs": sinabs_python}[environment]()
    done = subprocess.run([str(python), "-m", "pip", "check"], capture_output=True, text=True)
    assert done.returncode == 0 and "No broken requirements found" in done.stdout, done.stdout + done.stderr
