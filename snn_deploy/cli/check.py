"""CLI commands: check (see snn_deploy.cli)."""
from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
