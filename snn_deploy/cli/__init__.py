"""The ``snn-deploy`` command line: thin click commands that parse, call the public API (:mod:`snn_deploy.api`),
and print.

Exit codes: 0 success, 1 a failed check, 2 bad input or usage (one line on stderr, no traceback),
3 an internal error (one line; ``--debug`` shows the traceback).
"""
from __future__ import annotations

import sys

import click

from snn_deploy import __version__
from snn_deploy.errors import SnnDeployError


class _Cli(click.Group):
    """Turns the project's errors into one line on stderr and exit code 2."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except SnnDeployError as exc:
            if ctx.params.get("debug"):
                raise
            click.echo(f"error: {exc}", err=True)
            ctx.exit(2)
        except Exception as exc:  # a bug: still one line unless --debug
            if ctx.params.get("debug"):
                raise
            message = " ".join(str(exc).split())
            click.echo(f"error: internal error: {type(exc).__name__}: {message} (rerun with --debug)", err=True)
            ctx.exit(3)


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="snn-deploy")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
def main(debug: bool) -> None:
    """Deploy trained spiking neural networks to neuromorphic chips, with proof."""


def _register() -> None:
    from snn_deploy.cli import check, deploy, encode, model, reference, simulate

    for module in (model, reference, simulate, encode, deploy, check):
        for command in module.COMMANDS:
            main.add_command(command)


_register()


def run() -> None:
    """Console-script entry point; click's usage errors already exit with code 2."""
    main(prog_name="snn-deploy")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run())
