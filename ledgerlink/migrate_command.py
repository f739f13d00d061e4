"""``ledgerlink migrate CONNECTION --to DIR``: a connection's history as validated UBL, resumably.

``migrate CONNECTION --to DIR [--since YYYY-MM-DD] [--dry-run] [--deliver] [--store URL]``
(:func:`sync.migrate.migrate`): one UBL file per valid document in ``DIR``, named as
``pull --ubl-dir`` names them (a taken name gets ``~`` and the record id, and the index
says so), and ``DIR/index.csv`` with every record taken (number, kind, issue date, buyer
name and id, net, VAT and payable totals as Decimal text, currency, state ``written`` /
``held`` / ``quarantined``, file, reason, and the delivery state with ``--deliver``).

``--since`` starts at the records changed at or after that day (UTC). ``--dry-run`` builds
and validates everything and prints the same summary, writing nothing: no file, no store
(it is not opened), nothing sent. ``--deliver`` also replays each valid document through
the connection's channels, through the outbox: exactly once, however often it runs.

The migration's own cursor and the records it took are kept in the store (chosen as for
``ledgerlink sync``), keyed by connection + ``DIR``: after Ctrl-C or a crash, the same
command continues where it stopped; nothing is written or sent twice.

On a terminal (stderr) a progress bar shows the count, the rate and the time left (the
records are counted first); otherwise a plain line every 100 records and one at the end.

Exit codes: 0 done; 1 a record was held or quarantined, a delivery failed or the source
stopped (what was taken stays; run it again to continue); 2 bad input (an unknown
connection, a ``--since`` that is not a date, a ``DIR`` that cannot be written, a store
that cannot be used); 130 interrupted (run it again to continue).
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ledgerlink._output import fail
from ledgerlink.cache_option import CacheOption, using_cache
from ledgerlink.config_option import load_from
from ledgerlink.store_command import StoreOption, store_problem, store_url
from ledgerlink.sync_command import checked

if TYPE_CHECKING:
    from rich.console import Console

    from delivery.base import Channel
    from ledgerlink.settings import Settings
    from sync.migrate import Item, MigrationSummary
    from sync.store import Store

__all__ = ["PLAIN_EVERY", "migrate"]

PLAIN_EVERY = 100
"""Without a terminal, a progress line every this many records."""
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _console() -> Console:
    """The console of the progress display (a seam: the tests force a terminal)."""
    from rich.console import Console

    return Console(stderr=True)


class _Lines:
    """Progress as plain lines on stderr: one per :data:`PLAIN_EVERY` records, one at the end."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.done = 0
        self.began = time.monotonic()

    def _line(self) -> None:
        elapsed = max(time.monotonic() - self.began, 1e-9)
        typer.echo(
            f"migrate {self.name}: {self.done} record(s), {self.done / elapsed:.1f}/s", err=True
        )

    def start(self, total: int | None) -> None:
        self.began = time.monotonic()

    def advance(self, item: Item | None) -> None:
        self.done += 1
        if self.done % PLAIN_EVERY == 0:
            self._line()

    def finish(self) -> None:
        if self.done % PLAIN_EVERY or not self.done:
            self._line()


class _Bar:
    """A rich progress bar: the count, the rate and the time left."""

    def __init__(self, name: str, console: Console) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            ProgressColumn,
            Task,
            TextColumn,
            TimeRemainingColumn,
        )
        from rich.text import Text

        class Rate(ProgressColumn):
            def render(self, task: Task) -> Text:
                speed = task.finished_speed or task.speed
                return Text("-/s" if speed is None else f"{speed:.1f}/s")

        self.progress = Progress(
            TextColumn(f"migrate {name}"),
            BarColumn(),
            MofNCompleteColumn(),
            Rate(),
            TextColumn("left"),
            TimeRemainingColumn(),
            console=console,
        )
        self.task: Any = None

    def start(self, total: int | None) -> None:
        self.progress.start()
        self.task = self.progress.add_task("migrate", total=total)

    def advance(self, item: Item | None) -> None:
        self.progress.advance(self.task)

    def finish(self) -> None:
        self.progress.stop()


def _since(given: str | None) -> date | None:
    if given is None:
        return None
    try:
        if not _DATE.fullmatch(given):
            raise ValueError(given)
        return date.fromisoformat(given)
    except ValueError:
        fail(f"--since {given!r} is not a date: give it as YYYY-MM-DD", 2)


def _writable(target: Path, *, create: bool) -> None:
    """Exit 2 unless ``target`` is (or can become) a folder we can write into; a dry run
    creates nothing and only looks."""
    if target.exists() and not target.is_dir():
        fail(f"--to {target}: not a folder", 2)
    if not create:
        existing = target
        while not existing.exists():
            existing = existing.parent
        if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
            fail(f"--to {target}: cannot be written ({existing} is not a writable folder)", 2)
        return
    try:
        target.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=target):
            pass
    except OSError as failure:
        fail(f"--to {target}: cannot be written ({failure.strerror or failure})", 2)


def _channels(settings: Settings, name: str) -> list[Channel]:
    from delivery.base import open_channel

    return [
        open_channel(channel, settings.channels[channel], base_dir=settings.folder)
        for channel in settings.connection(name).channels
    ]


def _store(ctx: typer.Context, given: str | None) -> Store:
    from sync.store import StoreError, open_store

    try:
        store = open_store(store_url(ctx, given), create=True)
        store.ensure()
    except StoreError as failure:
        fail(store_problem(ctx, failure), 2)
    return store


def migrate(
    ctx: typer.Context,
    connection: Annotated[
        str,
        typer.Argument(metavar="CONNECTION", help="A \\[connections.NAME] of the settings file."),
    ],
    to: Annotated[
        Path,
        typer.Option(
            "--to",
            metavar="DIR",
            help="The folder of the UBL files and index.csv.",
            show_default=False,
        ),
    ],
    since: Annotated[
        str | None,
        typer.Option(
            metavar="DATE", help="Start at the records changed at or after this day (YYYY-MM-DD)."
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Build and validate only: write and send nothing.")
    ] = False,
    deliver: Annotated[
        bool,
        typer.Option("--deliver", help="Also deliver through the connection's channels, once."),
    ] = False,
    store: StoreOption = None,
    cache: CacheOption = None,
) -> None:
    """Export a connection's history as validated UBL with an index.csv (resumable)."""
    with using_cache(cache):
        _migrate(ctx, connection, to, since, dry_run, deliver, store, cache)


def _migrate(
    ctx: typer.Context,
    connection: str,
    to: Path,
    since: str | None,
    dry_run: bool,
    deliver: bool,
    store: str | None,
    cache: Path | None,
) -> None:
    from connectors.errors import ConfigurationError, ConnectorError
    from delivery.base import ChannelError
    from ledgerlink.pull_command import opened
    from sync.migrate import MigrationError
    from sync.migrate import migrate as run
    from sync.store import StoreError

    started = _since(since)
    settings, source = load_from(ctx)
    if connection not in settings.connections:
        known = ", ".join(sorted(settings.connections)) or "none"
        fail(f"no connection {connection!r} in the settings file (known: {known})", 2)
    checked(settings, [connection], source, cache, channels=deliver and not dry_run)
    _writable(to, create=not dry_run)
    settings_of = settings.connection(connection)
    channels: list[Channel] = []
    opened_store: Store | None = None
    console = _console()
    progress = _Bar(connection, console) if console.is_terminal else _Lines(connection)
    try:
        if deliver and not dry_run:
            channels = _channels(settings, connection)
            if not channels:
                fail(f"--deliver: connection {connection!r} names no channels", 2)
        if not dry_run:
            opened_store = _store(ctx, store)
        with opened(settings, connection, source) as connector:
            summary = run(
                opened_store,
                name=connection,
                connector=connector,
                kind=settings_of.connector,
                target=to,
                profile=settings_of.profile,
                since=started,
                channels=channels,
                deliver=deliver,
                progress=progress,
                count=console.is_terminal,
            )
    except KeyboardInterrupt:
        fail("interrupted: what was done is kept; run the same command again to continue", 130)
    except (MigrationError, ConfigurationError, ChannelError) as failure:
        fail(str(failure), 2)
    except StoreError as failure:
        fail(f"{failure}; run the same command again to continue", 2)
    except ConnectorError as failure:
        fail(str(failure), 1)
    finally:
        for channel in channels:
            channel.close()
        if opened_store is not None:
            opened_store.close()
    _report(connection, summary, deliver=deliver)


def _report(name: str, summary: MigrationSummary, *, deliver: bool) -> None:
    counts = summary.counts
    text = ", ".join(f"{counts[state]} {state}" for state in counts)
    before = len(summary.items) - summary.taken
    where = "nothing written (dry run)" if summary.dry_run else f"index: {summary.target}/index.csv"
    typer.echo(f"migrate {name} into {summary.target}: {text}")
    typer.echo(
        f"  {len(summary.items)} record(s): {summary.taken} taken in this run, "
        f"{before} by an earlier run; {where}"
    )
    for item in summary.items:
        if item.state != "written" or item.reason:
            label = item.number or "(no number)"
            typer.echo(f"  {item.state} {label} (record {item.source_id}): {item.reason}")
    if deliver:
        if summary.dry_run:
            typer.echo("  deliver: nothing sent (dry run)")
        else:
            typer.echo(f"  deliver: {summary.delivered} delivered, {summary.failed} failed")
            for finding in summary.findings:
                typer.echo(f"  deliver: {finding}")
    if summary.error:
        fail(f"the source stopped the migration: {summary.error}; run it again to continue", 1)
    if summary.troubled or summary.failed:
        fail(
            f"migrate: {len(summary.troubled)} record(s) held or quarantined"
            + (f", {summary.failed} delivery(ies) failed" if summary.failed else "")
            + ": see the reasons above and index.csv",
            1,
        )
