"""``ledgerlink sync``, ``status``, ``show`` and ``retry``: the sync engine from the command line.

``sync [CONNECTION...]`` runs one cycle (:func:`sync.pipeline.sync_connection`) for the named
connections, all of the settings file when none is named, and prints a summary;
``--workers N`` validates in N worker processes beside the engine (:mod:`sync.validation`);
``--format json`` prints exactly one object::

    {"connections": {NAME: {"pulled": int, "unchanged": int, "delivered": int,
                            "quarantined": int, "held": int, "failed": int,
                            "changed_after_delivery": int, "queued": int, "error": str | null}}}

A connection that cannot be opened or whose source is unreachable reports its ``error``;
the others go on. ``status`` lists the documents (number, connection, state, channel, last
change), ``show NUMBER`` one document's events, validation report and where its UBL is
(``--ubl FILE`` writes it there), ``retry`` rebuilds held and quarantined records from their
stored record data after a fix (:func:`sync.pipeline.retry_connection`).

The store is chosen as for ``ledgerlink store`` (``--store``, ``$LEDGERLINK_STORE``, the
settings file's ``[store] url``, ``ledgerlink.db`` next to the settings file).

Exit codes: 0 done; 1 a record was quarantined, held or failed in this run, or a connection
reported an error (a held record waits for a mapping fix, so it is not silent either);
2 a settings error or a store that cannot be used (not writable, corrupt, unreachable, lost
mid-cycle: the cursors stay where the last committed page left them, and the next
``sync`` resumes there).
"""

from __future__ import annotations

import enum
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ledgerlink._output import fail
from ledgerlink.cache_option import CacheOption, using_cache
from ledgerlink.config_option import load_from
from ledgerlink.store_command import StoreOption, store_problem, store_url

if TYPE_CHECKING:
    from delivery.base import Channel
    from ledgerlink.settings import Settings
    from sync.pipeline import CycleSummary
    from sync.store import Store
    from sync.validation import Validator

__all__ = ["OutputFormat", "checked", "known_state", "retry", "show", "status", "sync"]


class OutputFormat(enum.StrEnum):
    TEXT = "text"
    JSON = "json"


FormatOption = Annotated[OutputFormat, typer.Option("--format", help="Output.")]


def _store(ctx: typer.Context, given: str | None, *, create: bool) -> Store:
    from sync.store import StoreError, open_store

    url = store_url(ctx, given)
    try:
        store = open_store(url, create=create)
        if create:
            store.ensure()
        else:
            store.check()
    except StoreError as failure:
        fail(store_problem(ctx, failure), 2)
    return store


def known_state(state: str | None, known: tuple[str, ...]) -> None:
    """Exit 2 for a ``--state`` that is none of ``known``, listing them."""
    if state is not None and state not in known:
        fail(f"--state {state!r} is no state; the states are: {', '.join(known)}", 2)


def _channels(settings: Settings, name: str) -> list[Channel]:
    from delivery.base import open_channel

    connection = settings.connection(name)
    return [
        open_channel(channel, settings.channels[channel], base_dir=settings.folder)
        for channel in connection.channels
    ]


def _names(settings: Settings, given: list[str] | None) -> list[str]:
    names = list(given or settings.connections)
    if not names:
        fail("no [connections.NAME] in the settings file: nothing to sync", 2)
    if unknown := [name for name in names if name not in settings.connections]:
        known = ", ".join(sorted(settings.connections)) or "none"
        fail(f"no connection {unknown[0]!r} in the settings file (known: {known})", 2)
    return names


def checked(
    settings: Settings,
    names: list[str],
    source: Path,
    cache: Path | None,
    *,
    channels: bool = True,
) -> None:
    """Before a command that builds documents runs anything: exit 2 for a settings error of
    any named connection (:func:`ledgerlink.connections.check_connection`) or, when
    ``channels``, of a channel it names; then for the validation bundles their profiles need
    (:func:`ledgerlink.bundles.require_bundles`)."""
    from connectors.errors import ConfigurationError
    from ledgerlink.bundles import require_bundles
    from ledgerlink.connections import check_connection

    for name in names:
        try:
            check_connection(settings, name, source=source, channels=channels)
        except ConfigurationError as failure:
            fail(f"{failure}; nothing was run", 2)
    require_bundles(sorted({settings.connection(name).profile for name in names}), cache)


def _run(
    ctx: typer.Context,
    given: list[str] | None,
    store_option: str | None,
    cache: Path | None,
    *,
    retrying: bool,
    workers: int = 0,
) -> dict[str, CycleSummary]:
    with using_cache(cache):
        if not workers:
            return _cycle(ctx, given, store_option, cache, retrying=retrying)
        from sync.validation import ValidationPool

        with ValidationPool(workers) as pool:
            return _cycle(ctx, given, store_option, cache, retrying=retrying, validator=pool)


def _cycle(
    ctx: typer.Context,
    given: list[str] | None,
    store_option: str | None,
    cache: Path | None,
    *,
    retrying: bool,
    validator: Validator | None = None,
) -> dict[str, CycleSummary]:
    from connectors.errors import ConfigurationError, ConnectorError
    from delivery.base import ChannelError
    from ledgerlink.credit_settings import credit_policy
    from ledgerlink.pull_command import opened
    from sync.pipeline import CycleSummary, retry_connection, sync_connection
    from sync.store import StoreError
    from sync.validation import INLINE, ValidatorUnavailable

    settings, source = load_from(ctx)
    names = _names(settings, given)
    checked(settings, names, source, cache)
    results: dict[str, CycleSummary] = {}
    with _store(ctx, store_option, create=True) as store:
        for name in names:
            connection = settings.connection(name)
            channels: list[Channel] = []
            try:
                channels = _channels(settings, name)
                with opened(settings, name, source) as connector:
                    if retrying:
                        results[name] = retry_connection(
                            store,
                            name=name,
                            connector=connector,
                            kind=connection.connector,
                            profile=connection.profile,
                            channels=channels,
                            credit=credit_policy(settings, name),
                        )
                    else:
                        results[name] = sync_connection(
                            store,
                            name=name,
                            connector=connector,
                            kind=connection.connector,
                            profile=connection.profile,
                            lookback=connection.lookback,
                            channels=channels,
                            validator=validator or INLINE,
                            credit=credit_policy(settings, name),
                        )
            except StoreError as failure:
                fail(
                    f"{failure}; the cycle stopped at connection {name}: its cursor stays "
                    "where the last committed page left it, run the command again to resume",
                    2,
                )
            except (
                ConfigurationError,
                ConnectorError,
                ChannelError,
                ValidatorUnavailable,
            ) as failure:
                results[name] = CycleSummary(error=str(failure))
            finally:
                for channel in channels:
                    channel.close()
    return results


def _report(results: dict[str, CycleSummary], output: OutputFormat, verb: str) -> None:
    if output is OutputFormat.JSON:
        payload = {"connections": {name: result.to_dict() for name, result in results.items()}}
        typer.echo(json.dumps(payload, ensure_ascii=False))
    else:
        for name, result in results.items():
            counts = result.to_dict()
            text = ", ".join(
                f"{counts[key]} {key.replace('_', ' ')}"
                for key in ("pulled", "unchanged", "queued", "delivered", "quarantined", "held")
            )
            text += f", {counts['failed']} failed, {counts['changed_after_delivery']} changed"
            text += " after delivery"
            typer.echo(f"{name}: {text}")
            if result.error:
                typer.echo(f"{name}: error: {result.error}")
            for finding in result.findings:
                typer.echo(f"{name}: {finding}")
    if troubled := [name for name, result in results.items() if result.troubled]:
        fail(
            f"{verb}: {', '.join(troubled)} had quarantined, held or failed documents or an "
            "error: see `ledgerlink status` and `ledgerlink show NUMBER`",
            1,
        )


def sync(
    ctx: typer.Context,
    connections: Annotated[
        list[str] | None,
        typer.Argument(metavar="[CONNECTION]...", help="Connections to run (default: all)."),
    ] = None,
    output: FormatOption = OutputFormat.TEXT,
    store: StoreOption = None,
    cache: CacheOption = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=0,
            help="Validate in this many worker processes, beside the engine's own work "
            "(0: in this process). Worth it for large cycles: a worker takes about a "
            "second to start and compile the official rules.",
        ),
    ] = 0,
) -> None:
    """Run one sync cycle: pull, build, validate, record, deliver, push status."""
    _report(_run(ctx, connections, store, cache, retrying=False, workers=workers), output, "sync")


def retry(
    ctx: typer.Context,
    connection: Annotated[
        str | None, typer.Option("--connection", help="Only this connection.")
    ] = None,
    output: FormatOption = OutputFormat.TEXT,
    store: StoreOption = None,
    cache: CacheOption = None,
) -> None:
    """Rebuild held and quarantined documents after a fix; what builds now is delivered."""
    chosen = [connection] if connection else None
    _report(_run(ctx, chosen, store, cache, retrying=True), output, "retry")


def _documents(store: Store, connection: str | None, state: str | None, number: str | None) -> Any:
    from sqlalchemy import select

    from sync.store import connections, documents, outbox

    channel = (
        select(outbox.c.channel)
        .where(outbox.c.document_id == documents.c.id)
        .order_by(outbox.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    query = (
        select(
            documents.c.id,
            documents.c.number,
            documents.c.source_id,
            documents.c.state,
            documents.c.updated_at,
            documents.c.content_hash,
            documents.c.profile,
            documents.c.validation_report,
            documents.c.parse_report,
            connections.c.name.label("connection"),
            channel.label("channel"),
        )
        .join(connections, connections.c.id == documents.c.connection_id)
        .order_by(documents.c.id)
    )
    if connection:
        query = query.where(connections.c.name == connection)
    if state:
        query = query.where(documents.c.state == state)
    if number:
        query = query.where(documents.c.number == number)
    with store.begin() as conn:
        return conn.execute(query).all()


def _unbuilt(store: Store, connection: str | None, state: str | None, number: str | None) -> Any:
    """The open quarantine rows with no document: held, or refused by the writer."""
    from sqlalchemy import select

    from sync.store import connections, quarantine

    query = (
        select(
            quarantine.c.id,
            quarantine.c.source_id,
            quarantine.c.state,
            quarantine.c.stage,
            quarantine.c.findings,
            quarantine.c.record,
            quarantine.c.created_at,
            connections.c.name.label("connection"),
        )
        .join(connections, connections.c.id == quarantine.c.connection_id)
        .where(quarantine.c.document_id.is_(None), quarantine.c.resolved_at.is_(None))
        .order_by(quarantine.c.id)
    )
    if connection:
        query = query.where(connections.c.name == connection)
    if state:
        query = query.where(quarantine.c.state == state)
    with store.begin() as conn:
        rows = conn.execute(query).all()
    if number is None:
        return rows
    return [row for row in rows if number in (_number_of(row), row.source_id)]


def _number_of(row: Any) -> str:
    """The invoice number (BT-1) a held record states, else its source record id."""
    record = row.record if isinstance(row.record, dict) else {}
    data = record.get("data")
    number = data.get("number") if isinstance(data, dict) else None
    return str(number or row.source_id)


def status(
    ctx: typer.Context,
    connection: Annotated[str | None, typer.Option("--connection", help="Only this one.")] = None,
    state: Annotated[str | None, typer.Option("--state", help="Only this state.")] = None,
    output: FormatOption = OutputFormat.TEXT,
    store: StoreOption = None,
) -> None:
    """List the documents (and held records): number, connection, state, channel, last change."""
    from sync.store.schema import DOCUMENT_STATES, QUARANTINE_STATES

    known_state(state, tuple(dict.fromkeys((*DOCUMENT_STATES, *QUARANTINE_STATES))))
    with _store(ctx, store, create=False) as opened:
        rows = _documents(opened, connection, state, None)
        unbuilt = _unbuilt(opened, connection, state, None)
    items = [
        {
            "number": row.number,
            "connection": row.connection,
            "source_id": row.source_id,
            "state": row.state,
            "channel": row.channel,
            "updated_at": row.updated_at.isoformat(),
        }
        for row in rows
    ] + [
        {
            "number": _number_of(row),
            "connection": row.connection,
            "source_id": row.source_id,
            "state": row.state,
            "channel": None,
            "updated_at": row.created_at.isoformat(),
        }
        for row in unbuilt
    ]
    if output is OutputFormat.JSON:
        typer.echo(json.dumps({"documents": items}, ensure_ascii=False))
        return
    columns = ("number", "connection", "state", "channel", "updated_at")
    widths = {
        key: max([len(key), *(len(str(item[key] or "-")) for item in items)]) for key in columns
    }
    typer.echo("  ".join(key.ljust(widths[key]) for key in columns).rstrip())
    for item in items:
        typer.echo("  ".join(str(item[key] or "-").ljust(widths[key]) for key in columns).rstrip())
    typer.echo(f"{len(items)} document(s)", err=True)


def _applied(setting: str, data: bytes | None) -> str:
    """The profile a document was built for: the setting, or for ``auto`` the profile its
    stored UBL's CustomizationID (BT-24) names, with the setting after it (``peppol-bis3
    (auto)``)."""
    if setting != "auto":
        return setting
    import ubl
    from ubl.profiles import detect

    header = ubl.sniff(data) if data else None
    if header is None or not header.customization_id:
        return "auto (the stored UBL states no CustomizationID, BT-24)"
    return f"{detect(header.customization_id)} (auto)"


def _fix(hint: str | None) -> str:
    """A finding's hint after it: `` (fix: ...)`` for one line; a hint of several lines (the
    TOML lines of an unmapped code) on its own lines below, indented, ready to paste."""
    if not hint:
        return ""
    first, *rest = hint.splitlines()
    if not rest:
        return f" (fix: {first})"
    return "\n      fix: " + first + "".join(f"\n        {line}" if line else "\n" for line in rest)


def show(
    ctx: typer.Context,
    number: Annotated[str, typer.Argument(help="The invoice number (BT-1).")],
    connection: Annotated[str | None, typer.Option("--connection", help="Only this one.")] = None,
    ubl: Annotated[
        Path | None,
        typer.Option("--ubl", help="Write the document's UBL to this file.", dir_okay=False),
    ] = None,
    store: StoreOption = None,
) -> None:
    """Show a document: its events, its validation report and where its UBL is."""
    from sqlalchemy import select

    from model.findings import Finding
    from sync.store import documents, events, outbox

    with _store(ctx, store, create=False) as opened:
        rows = _documents(opened, connection, None, number)
        unbuilt = _unbuilt(opened, connection, None, number)
        if not rows and not unbuilt:
            where = f" of connection {connection}" if connection else ""
            fail(f"no document {number!r}{where} in the store {opened.shown}", 1)
        for held in unbuilt:
            typer.echo(
                f"{_number_of(held)} ({held.connection}, source record {held.source_id}): "
                f"{held.state} at stage {held.stage}, since {held.created_at.isoformat()}"
            )
            for item in held.findings or ():
                found = Finding.from_dict(item)
                typer.echo(f"    [{found.severity}] {found}{_fix(found.hint)}")
            typer.echo("  no UBL was built; `ledgerlink retry` rebuilds it after the fix")
        for row in rows:
            with opened.begin() as conn:
                history = conn.execute(
                    select(events).where(events.c.document_id == row.id).order_by(events.c.id)
                ).all()
                sends = conn.execute(
                    select(outbox.c.channel, outbox.c.state, outbox.c.remote_id).where(
                        outbox.c.document_id == row.id
                    )
                ).all()
                data = conn.execute(
                    select(documents.c.ubl).where(documents.c.id == row.id)
                ).scalar_one()
            typer.echo(
                f"{row.number} ({row.connection}, source record {row.source_id}): {row.state}"
            )
            typer.echo(f"  profile {_applied(row.profile, data)}, content hash {row.content_hash}")
            for send in sends:
                where = f" at {send.remote_id}" if send.remote_id else ""
                typer.echo(f"  outbox: channel {send.channel}, {send.state}{where}")
            typer.echo("  events:")
            for event in history:
                typer.echo(
                    f"    {event.at.isoformat()}  {event.from_state or '-'} -> {event.to_state}"
                    f"  {event.cause}"
                )
                if changed := (event.details or {}).get("changed"):
                    typer.echo(f"      changed: {', '.join(changed)}")
            report = [Finding.from_dict(item) for item in row.validation_report or ()]
            typer.echo(f"  validation report: {len(report)} finding(s)")
            for finding in report:
                typer.echo(f"    [{finding.severity}] {finding}{_fix(finding.hint)}")
            if row.parse_report:
                typer.echo(f"  parse report: {len(row.parse_report)} finding(s)")
                for item in row.parse_report:
                    typer.echo(f"    {Finding.from_dict(item)}")
            if ubl is not None and len(rows) == 1:
                ubl.write_bytes(data)
                typer.echo(f"  UBL written to {ubl}")
            else:
                typer.echo(
                    f"  UBL: in the store {opened.shown}, documents row {row.id} "
                    "(--ubl FILE writes it out)"
                )
