"""The root ``--config FILE`` option and how commands read the settings it names."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ledgerlink._output import fail

if TYPE_CHECKING:  # pydantic-settings loads only when a command reads the settings
    from ledgerlink.settings import Settings

__all__ = ["SettingsFile", "load_from", "root"]


@dataclass(frozen=True, slots=True)
class SettingsFile:
    """What the root callback stores in the click context: the ``--config`` path or None."""

    explicit: Path | None


def _print_version(value: bool) -> None:
    """``--version``: print the installed version and exit before anything else is parsed."""
    if value:
        from ledgerlink import version

        typer.echo(f"ledgerlink {version()}")
        raise typer.Exit(0)


def root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="Settings file (default: $LEDGERLINK_CONFIG, else ./ledgerlink.toml).",
            dir_okay=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            is_eager=True,
            callback=_print_version,
            expose_value=False,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """E-invoicing and accounting integration: EN 16931 model, UBL 2.1 (Peppol BIS 3, NLCIUS)."""
    ctx.obj = SettingsFile(config)


def load_from(ctx: typer.Context) -> tuple[Settings, Path]:
    """The settings the root ``--config`` option names and the file read; exits 2 on error.

    Every command that calls this reads connections, so a settings file that is not there is
    an error even when it is the default ``./ledgerlink.toml`` (saying where it was looked
    for and how to name another), never an empty list of connections.
    """
    from connectors.errors import ConfigurationError
    from ledgerlink.settings import CONFIG_ENV, config_path, load_settings

    stored = ctx.find_root().obj
    explicit = stored.explicit if isinstance(stored, SettingsFile) else None
    path, required = config_path(explicit)
    if not required and not path.is_file():
        fail(
            f"settings file ./{path} not found (in {Path.cwd()}): name one with "
            f"--config FILE or {CONFIG_ENV}, or create ./{path} with a [connections.NAME] table",
            2,
        )
    try:
        return load_settings(explicit), path
    except ConfigurationError as failure:
        fail(str(failure), 2)
