"""Small helpers for printing warnings and errors from commands (rich on stderr)."""

from __future__ import annotations

from typing import NoReturn

import typer


def warn(message: str) -> None:
    """Print a warning line to stderr."""
    typer.secho(f"warning: {message}", fg=typer.colors.YELLOW, err=True)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print an error to stderr and exit with ``code``."""
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)
