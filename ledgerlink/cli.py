"""The ``ledgerlink`` command line: the root app and its sub-apps.

Exit codes: 0 success, 1 a document failed, 2 a usage error. ``ledgerlink --version``
prints the version and exits 0.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from ledgerlink import (
    artifacts_commands,
    config_option,
    demo_command,
    mappings_command,
    pull_command,
    ubl_commands,
    validate_command,
)


def _print_version(value: bool) -> None:
    if value:
        from ledgerlink import version

        typer.echo(f"ledgerlink {version()}")
        raise typer.Exit(0)


def _version_option() -> Any:
    """``--version`` as typer builds it, to add to the root group: eager (it runs and exits
    before anything else is parsed) and not passed on to the root callback."""
    probe = typer.Typer(add_completion=False)

    @probe.command()
    def _probe(
        version: Annotated[
            bool,
            typer.Option(
                "--version",
                is_eager=True,
                callback=_print_version,
                help="Print the version and exit.",
            ),
        ] = False,
    ) -> None:
        """Not a command: only its option is used."""

    (option,) = typer.main.get_command(probe).params
    option.expose_value = False
    return option


class _Root(TyperGroup):
    """The root group: the root callback's options (``--config``), then ``--version``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.append(_version_option())


app = typer.Typer(
    name="ledgerlink",
    cls=_Root,
    help="E-invoicing and accounting integration: EN 16931 model, UBL 2.1 (Peppol BIS 3, NLCIUS).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.callback()(config_option.root)
app.add_typer(ubl_commands.app, name="ubl")
app.add_typer(artifacts_commands.app, name="artifacts")
app.command("validate")(validate_command.validate)
app.command("demo")(demo_command.demo)
app.command("pull")(pull_command.pull)
app.add_typer(mappings_command.app, name="mappings")


def main() -> None:
    """Console-script entry point."""
    app()
