"""ledgerlink: the application shell (typer CLI, settings, wiring).

Everything heavy is imported inside the commands so that ``--help`` stays fast.
"""

from __future__ import annotations

__all__ = ["__version__", "version"]

__version__ = "0.1.0"
"""The version of this source tree; :func:`version` prefers the installed distribution's."""


def version() -> str:
    """The version of the installed ``ledgerlink`` distribution (``importlib.metadata``),
    else this package's ``__version__`` (a source tree that is not installed)."""
    from importlib import metadata

    try:
        return metadata.version("ledgerlink")
    except metadata.PackageNotFoundError:
        return __version__
