"""Code shape rules of the project (STYLE.md): no function in snn_deploy/ longer than 80 lines or taking more
than 8 positional parameters, except the entries below, each with its reason."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "snn_deploy"
MAX_LINES = 80
MAX_POSITIONAL = 8

#: "path::qualified name" -> why it may break a rule
ALLOWED: dict[str, str] = {
    # numba forces it: the steps of one instant index ~20 arrays; as helpers (inline="always" or not, arrays or
    # named tuples of them) each call binds every array it reads with an atomic reference-count update, measured
    # 1.45x the CPU time on benchmarks/bench_reference.py's network (see run_sample's docstring)
    "reference/event_loop.py::run_sample": "numba forces it: per-instant steps inline in the compiled loop",
}


def _functions(tree: ast.AST, prefix: str = ""):
    """``(qualified name, node)`` of every function and method, nested ones included."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield prefix + node.name, node
            yield from _functions(node, prefix + node.name + ".")
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node, prefix + node.name + ".")
        else:
            yield from _functions(node, prefix)


def _offenders() -> dict[str, str]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for name, node in _functions(tree):
            lines = node.end_lineno - node.lineno + 1
            positional = len(node.args.posonlyargs) + len(node.args.args)
            if lines > MAX_LINES or positional > MAX_POSITIONAL:
                key = f"{path.relative_to(PACKAGE).as_posix()}::{name}"
                found[key] = f"{lines} lines, {positional} positional parameters (line {node.lineno})"
    return found


def test_the_walk_finds_functions_methods_and_nested_ones():
    tree = ast.parse("def f(a, b, /, c, *d, e):\n    def g(): pass\nclass C:\n    def m(self): pass\n")
    names = {name: node for name, node in _functions(tree)}
    assert set(names) == {"f", "f.g", "C.m"}
    assert len(names["f"].args.posonlyargs) + len(names["f"].args.args) == 3  # keyword-only e is not positional


def test_no_function_is_too_long_or_takes_too_many_positional_parameters():
    offenders = _offenders()
    unexpected = {key: why for key, why in offenders.items() if key not in ALLOWED}
    assert not unexpected, "split these or group their parameters:\n" + "\n".join(
        f"  snn_deploy/{key}: {why}" for key, why in sorted(unexpected.items()))


def test_every_allowed_entry_is_still_needed():
    stale = sorted(set(ALLOWED) - set(_offenders()))
    assert not stale, f"now within the rules, remove from ALLOWED: {stale}"
