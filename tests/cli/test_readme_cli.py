"""The README lists every option of every CLI verb, documents exit code 3, and points to the file layouts
inside the repository."""
from __future__ import annotations

import re

import click

from snn_deploy.cli import main
from tests.conftest import REPO

README = (REPO / "README.md").read_text()


def _section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", README, flags=re.S | re.M)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def _commands(group: click.Group, prefix: str = "") -> dict[str, click.Command]:
    found: dict[str, click.Command] = {}
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found.update(_commands(command, f"{prefix}{name} "))
        else:
            found[f"{prefix}{name}"] = command
    return found


def _listed(param: click.Parameter, text: str) -> bool:
    """An option is listed when one of its spellings (``-o`` / ``--output``) stands in ``text``."""
    return not isinstance(param, click.Option) or any(
        re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", text) for flag in param.opts)


def test_every_option_of_every_verb_is_listed():
    cli = _section("CLI")
    commands = _commands(main)
    assert len(commands) >= 11  # guard: inspect convert train evaluate simulate encode-poisson decode compile ...
    missing = []
    for name, command in commands.items():
        if f"snn-deploy {name} " not in cli:
            missing.append(f"verb '{name}'")
        missing += [f"{name} {max(param.opts, key=len)}" for param in command.params if not _listed(param, cli)]
    missing += [f"snn-deploy {max(param.opts, key=len)}" for param in main.params if not _listed(param, cli)]
    assert not missing, "README's CLI section lacks: " + ", ".join(missing)


def test_exit_codes_and_file_layouts_are_documented_in_the_repository():
    assert re.search(r"exit code[s]? .*3.*internal error", README, flags=re.S | re.I)
    assert "docs/formats.md" in README and (REPO / "docs" / "formats.md").is_file()
    assert "../shared/ARCHITECTURE.md" not in README  # layouts are documented inside the repository
