"""``ledgerlink store upgrade`` and ``ledgerlink store copy``: the state store's schema and moves.

Which store a command uses: ``--store URL``, else ``$LEDGERLINK_STORE``, else the
settings file's ``[store] url``, else ``sqlite:///ledgerlink.db`` next to the settings file
(``./ledgerlink.db`` when the default ``./ledgerlink.toml`` is used). A relative SQLite
path in the settings file is relative to that file; on the command line and in the
environment it is relative to the working folder. The settings file never holds a
password: a PostgreSQL URL there names the user only (libpq reads the password from
``PGPASSWORD`` or ``~/.pgpass``).

Exit codes: 0 done, 1 a copy whose row counts differ, 2 a store that cannot be used (a URL
that cannot be opened or reached, a corrupt file, a revision this ledgerlink does not
know, an older revision where the newest is needed, a non-empty copy target). Messages
name the URL without its password. SQLAlchemy and Alembic load only when a command runs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ledgerlink._output import fail
from ledgerlink.config_option import SettingsFile

if TYPE_CHECKING:  # SQLAlchemy and Alembic load only when a command runs
    from sync.store import Store

__all__ = [
    "DEFAULT_STORE",
    "STORE_ENV",
    "app",
    "copy",
    "settings_store_url",
    "store_problem",
    "store_url",
    "upgrade",
]

STORE_ENV = "LEDGERLINK_STORE"
DEFAULT_STORE = "sqlite:///ledgerlink.db"

app = typer.Typer(
    help="The state store: upgrade its schema, copy it to another database.", no_args_is_help=True
)

StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        help=f"Store URL (default: ${STORE_ENV}, else the settings file's \\[store] url, "
        "else sqlite:///ledgerlink.db next to the settings file).",
        show_default=False,
    ),
]


def settings_store_url(path: Path) -> str | None:
    """The ``[store] url`` of the settings file at ``path`` (relative SQLite paths made
    relative to the file), or None when the file or the key is absent: read by
    :func:`ledgerlink.settings.store_url_in`, the one place that reads it.

    Raises ``ValueError`` naming the file for TOML that cannot be read, a ``[store]`` that
    is no table, an unknown key, a url that is no string or holds a password.
    """
    from connectors.errors import ConfigurationError
    from ledgerlink.settings import store_url_in

    try:
        return store_url_in(path)
    except ConfigurationError as failure:
        raise ValueError(str(failure)) from None


def store_url(ctx: typer.Context, given: str | None) -> str:
    """The store a command uses: ``--store``, ``$LEDGERLINK_STORE``, settings, default."""
    from ledgerlink.settings import config_path
    from sync.store.urls import with_sqlite_base

    if given:
        return given
    if environ := os.environ.get(STORE_ENV, "").strip():
        return environ
    stored = ctx.find_root().obj
    explicit = stored.explicit if isinstance(stored, SettingsFile) else None
    path, required = config_path(explicit)
    if required and not path.is_file():
        fail(f"settings file {path} not found", 2)
    try:
        from_settings = settings_store_url(path)
    except ValueError as failure:
        fail(str(failure), 2)
    if from_settings is not None:
        return from_settings
    return with_sqlite_base(DEFAULT_STORE, path.resolve().parent)


def store_problem(ctx: typer.Context, failure: Exception) -> str:
    """The message of a store error, its ``ledgerlink store upgrade`` hint naming the store as
    the running command chose it: the same ``--store`` (or ``$LEDGERLINK_STORE``, or
    ``--config``), so that the upgrade runs on that store and not on the default one."""
    from sync.store.urls import redact

    given = ctx.params.get("store")
    message = str(failure)
    hint = "`ledgerlink store upgrade`"
    if hint not in message:
        return message
    stored = ctx.find_root().obj
    explicit = stored.explicit if isinstance(stored, SettingsFile) else None
    if given:
        shown = redact(given)
        command = (
            f"`ledgerlink store upgrade --store {given}`"
            if shown == given
            else f"{hint} with the same --store ({shown})"
        )
    elif os.environ.get(STORE_ENV, "").strip():
        command = f"{hint} with the same {STORE_ENV}"
    elif explicit is not None:
        command = f"`ledgerlink --config {explicit} store upgrade`"
    else:
        return message
    return message.replace(hint, command)


def checked_store(ctx: typer.Context, given: str | None) -> Store:
    """The store a reading command uses (:func:`store_url`), opened and checked to be at the
    newest revision; a store that cannot be used ends the command with exit 2 and the
    message of :func:`store_problem`."""
    from sync.store import StoreError, open_store

    try:
        store = open_store(store_url(ctx, given))
        store.check()
    except StoreError as failure:
        fail(store_problem(ctx, failure), 2)
    return store


def _opened(url: str, *, create: bool) -> Store:
    from sync.store import StoreError, open_store

    try:
        return open_store(url, create=create)
    except StoreError as failure:
        fail(str(failure), 2)


@app.command()
def upgrade(ctx: typer.Context, store: StoreOption = None) -> None:
    """Apply the store's migrations (a new store is created at the newest revision)."""
    from sync.store import StoreError

    url = store_url(ctx, store)
    with _opened(url, create=True) as opened:
        try:
            before, after = opened.upgrade()
        except StoreError as failure:
            fail(str(failure), 2)
        if before == after:
            typer.echo(f"{opened.shown}: already at revision {after}, the newest")
        else:
            typer.echo(f"{opened.shown}: upgraded from revision {before or '(none)'} to {after}")


@app.command()
def copy(
    from_url: Annotated[str, typer.Argument(metavar="FROM_URL", help="The store to copy.")],
    to_url: Annotated[
        str, typer.Argument(metavar="TO_URL", help="An empty store (created when missing).")
    ],
) -> None:
    """Copy a whole store to another database (e.g. SQLite to PostgreSQL), counts checked."""
    from sync.store import StoreError, StoreTooOld, copy_store

    with _opened(from_url, create=False) as source:
        try:
            revision = source.check()
        except StoreTooOld as failure:
            fail(f"{failure}; run `ledgerlink store upgrade --store {source.shown}` first", 2)
        except StoreError as failure:
            fail(str(failure), 2)
        with _opened(to_url, create=True) as target:
            typer.echo(f"copying {source.shown} (revision {revision}) to {target.shown}")
            try:
                tables = copy_store(source, target)
            except StoreError as failure:
                fail(str(failure), 2)
    width = max(len(table.table) for table in tables)
    typer.echo(f"{'table':<{width}}  {'source':>9}  {'target':>9}")
    for table in tables:
        mark = "" if table.matches else "  differs"
        typer.echo(f"{table.table:<{width}}  {table.source:>9}  {table.target:>9}{mark}")
    if differing := [table.table for table in tables if not table.matches]:
        fail(f"the row counts differ for {', '.join(differing)}", 1)
    typer.echo(f"copied {sum(table.source for table in tables)} rows in {len(tables)} tables")
