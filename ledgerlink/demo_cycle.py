"""The sync part of ``ledgerlink demo``: one cycle of the engine on the demo data.

:func:`run_cycle` writes a settings file into a fresh folder ``OUT/sync/`` (the store
``ledgerlink.db``, SQLite; the connection ``demo``: the fixtures as a ``model-json``
source, ``profile = "auto"``, channels ``peppol`` then ``archive``, and the bank account
of the demo statement, :data:`ledgerlink.demo_statement.ACCOUNT`, in ``accounts``), starts the access
point emulator (:mod:`delivery.ap_emulator`, :func:`~delivery.ap_emulator.demo_script`,
answers released one per poll) on a free port of 127.0.0.1, and runs the engine as
``ledgerlink sync`` does: :func:`sync.pipeline.sync_connection` (pull, build, validate,
record, enqueue, deliver), then :func:`sync.outbox.deliver` a few times more to poll the
answers until none comes. A document whose buyer has an electronic address (BT-49) goes to
the emulator, the others to the folder ``OUT/sync/delivered/``. A second cycle then runs
against the same store and emulator, and must pull everything as ``unchanged`` and send
nothing again.

The result (:class:`CycleResult`) holds what a credit manager looks at (per document:
number BT-1, buyer BT-44, amount due BT-115, due date BT-9, channel, delivery state and the
last response) and each thing that did not go as the demo script says
(:attr:`CycleResult.unexpected`): a document held, quarantined or failed, a state other
than the one the script leads to, a document sent twice.

Every run replaces ``OUT/sync/`` (a folder this module wrote, recognised by its settings
file): the emulator of a run lives only in that run, so a store of an earlier run would
point at an access point that is gone.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from sync.pipeline import CycleSummary
    from sync.store import Store

__all__ = [
    "CONNECTION",
    "MARKER",
    "CycleResult",
    "DemoRow",
    "DemoUnusable",
    "expected_state",
    "run_cycle",
]

CONNECTION: Final = "demo"
"""The connection name the demo's documents are stored under."""
MARKER: Final = "# written by `ledgerlink demo`; the peppol url was its emulator (gone now)"
"""The first line of ``OUT/sync/ledgerlink.toml``: a folder with it may be replaced."""
MAX_POLLS: Final = 8
"""Polls after the first delivery at most (the longest demo script has four answers)."""

_SETTINGS: Final = """{marker}
[store]
url = "sqlite:///ledgerlink.db"

[channels.peppol]
type = "peppol-ap"
url = {url}
attempts = 2
backoff = 0.1

[channels.archive]
type = "directory"
path = "delivered"

[connections.demo]
connector = "model-json"
path = {fixtures}
profile = "auto"
channels = ["peppol", "archive"]
accounts = [{account}]
"""


class DemoUnusable(Exception):
    """The demo cannot run its cycle (its folder is taken by something else)."""


@dataclass(frozen=True, slots=True)
class DemoRow:
    """One document as the credit manager sees it."""

    number: str
    """BT-1."""
    buyer: str
    """BT-44."""
    amount: Decimal
    """The amount due for payment, BT-115."""
    currency: str
    """BT-5."""
    due_date: date | None
    """BT-9."""
    channel: str
    """The channel the outbox chose, or ``-``."""
    state: str
    """The document's state in the store."""
    response: str
    """The last answer (an Invoice Response or MLR summary, or the channel's event)."""
    expected: str
    """The state the demo script leads to."""


@dataclass(slots=True)
class CycleResult:
    """What :func:`run_cycle` did."""

    folder: Path
    """``OUT/sync``: the settings file, the store, the delivered folder."""
    first: CycleSummary
    """The first cycle's counts."""
    again: CycleSummary
    """The second cycle's counts (everything unchanged, nothing sent)."""
    rows: list[DemoRow] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    """Each document that did not go as the demo script says, with the reason."""
    polls: int = 0
    """Status polls run after the first delivery."""


def expected_state(number: str, buyer_endpoint: bool) -> str:
    """The state :func:`~delivery.ap_emulator.demo_script` leads invoice ``number`` to on
    Peppol (folded through the state machine from ``sent``), or ``delivered`` for the
    folder (a buyer without an electronic address, BT-49)."""
    from delivery.ap_emulator import demo_script
    from delivery.base import DeliveryState, response_state

    if not buyer_endpoint:
        return str(DeliveryState.DELIVERED)
    state = DeliveryState.SENT
    for scripted in demo_script(number):
        state = response_state(state, scripted.kind, scripted.code, scripted.reasons)
    return str(state)


def _fresh_folder(folder: Path) -> None:
    settings = folder / "ledgerlink.toml"
    if folder.exists():
        try:
            first = settings.read_text(encoding="utf-8").splitlines()[:1]
        except OSError:
            first = []
        if first != [MARKER]:
            raise DemoUnusable(
                f"{folder} exists and was not written by `ledgerlink demo`; "
                "choose another --out or remove it"
            )
        shutil.rmtree(folder)
    folder.mkdir(parents=True)


def _last_event_id(store: Store) -> int:
    from sqlalchemy import func, select

    from sync.store.schema import events

    with store.begin() as conn:
        return int(conn.execute(select(func.coalesce(func.max(events.c.id), 0))).scalar_one())


def _state_counts(store: Store) -> dict[str, int]:
    from sqlalchemy import func, select

    from sync.store.schema import documents

    with store.begin() as conn:
        rows = conn.execute(
            select(documents.c.state, func.count())
            .where(documents.c.state != "superseded")
            .group_by(documents.c.state)
            .order_by(documents.c.state)
        ).all()
    return {str(row[0]): int(row[1]) for row in rows}


def _counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{count} {state}" for state, count in counts.items()) or "nothing"


def _last_response(details: Any, cause: str) -> str:
    if isinstance(details, dict):
        if message := details.get("message"):
            return str(message)
        if hints := details.get("hints"):
            return "; ".join(map(str, hints))
    return cause


def _rows(store: Store) -> tuple[list[DemoRow], list[str]]:
    """The documents of the demo connection, and each one that went unexpectedly."""
    from sqlalchemy import select

    from sync.store.schema import connections, documents, events, outbox, quarantine

    rows: list[DemoRow] = []
    unexpected: list[str] = []
    with store.begin() as conn:
        connection = conn.execute(
            select(connections.c.id).where(connections.c.name == CONNECTION)
        ).scalar_one()
        found = conn.execute(
            select(documents, outbox.c.channel, outbox.c.last_error)
            .outerjoin(outbox, outbox.c.document_id == documents.c.id)
            .where(documents.c.connection_id == connection, documents.c.state != "superseded")
            .order_by(documents.c.number)
        ).all()
        for doc in found:
            last = conn.execute(
                select(events.c.cause, events.c.details)
                .where(events.c.document_id == doc.id)
                .order_by(events.c.id.desc())
                .limit(1)
            ).first()
            response = _last_response(last.details, last.cause) if last else "-"
            endpoint = bool((doc.model or {}).get("buyer", {}).get("endpoint"))
            expected = expected_state(doc.number, endpoint)
            rows.append(
                DemoRow(
                    number=doc.number,
                    buyer=doc.buyer_name or "-",
                    amount=Decimal(doc.payable_amount),
                    currency=doc.currency,
                    due_date=doc.due_date,
                    channel=doc.channel or "-",
                    state=doc.state,
                    response=response,
                    expected=expected,
                )
            )
            if doc.state != expected:
                why = doc.last_error or response
                unexpected.append(
                    f"{doc.number} ({doc.source_id}): {doc.state}, expected {expected}: {why}"
                )
        held = conn.execute(
            select(quarantine.c.source_id, quarantine.c.state, quarantine.c.findings).where(
                quarantine.c.connection_id == connection,
                quarantine.c.document_id.is_(None),
                quarantine.c.resolved_at.is_(None),
            )
        ).all()
        for item in held:
            reasons = "; ".join(str(f.get("message", f)) for f in item.findings or [])
            unexpected.append(f"{item.source_id}: {item.state}: {reasons}")
    return rows, unexpected


def run_cycle(fixtures: Path, out: Path, *, echo: Callable[[str], None]) -> CycleResult:
    """Run the demo's sync cycle (see the module docstring); ``echo`` prints progress.

    Raises :class:`DemoUnusable` when ``OUT/sync`` is not the demo's own folder.
    """
    from delivery.ap_emulator import ApEmulator, demo_script
    from delivery.base import open_channel
    from ledgerlink.connections import open_connection
    from ledgerlink.demo_statement import ACCOUNT
    from ledgerlink.settings import load_settings
    from sync.outbox import deliver
    from sync.pipeline import sync_connection
    from sync.store import open_store

    folder = (out / "sync").resolve()
    _fresh_folder(folder)
    with ApEmulator(script=demo_script, release="one-per-poll") as emulator:
        settings_file = folder / "ledgerlink.toml"
        settings_file.write_text(
            _SETTINGS.format(
                marker=MARKER,
                url=json.dumps(emulator.url),
                fixtures=json.dumps(str(fixtures.resolve())),
                account=json.dumps(ACCOUNT),
            ),
            encoding="utf-8",
        )
        settings = load_settings(settings_file)
        connection = settings.connection(CONNECTION)
        channels = [
            open_channel(name, settings.channels[name], base_dir=settings.folder)
            for name in connection.channels
        ]
        url = settings.store_url
        assert url is not None  # written above
        store = open_store(url, create=True)
        try:
            store.ensure()
            connector = open_connection(settings, CONNECTION, source=settings_file)

            def cycle() -> CycleSummary:
                return sync_connection(
                    store,
                    name=CONNECTION,
                    connector=connector,
                    kind=connection.connector,
                    profile=connection.profile,
                    lookback=connection.lookback,
                    channels=channels,
                )

            first = cycle()
            echo(
                f"cycle: {first.pulled} pulled, {first.queued} queued, {first.delivered} "
                f"delivered, {first.quarantined} quarantined, {first.held} held, "
                f"{first.failed} failed; now {_counts_text(_state_counts(store))}"
            )
            by_name = {channel.name: channel for channel in channels}
            polls = 0
            seen = _last_event_id(store)
            while polls < MAX_POLLS:
                done = deliver(store, connection=CONNECTION, channels=by_name, source=None)
                polls += 1
                latest = _last_event_id(store)
                answers = latest - seen
                seen = latest
                first.findings.extend(done.findings)
                if not answers:
                    echo(f"poll {polls}: no new answer")
                    break
                echo(f"poll {polls}: {answers} answers; now {_counts_text(_state_counts(store))}")
            again = cycle()
            rows, unexpected = _rows(store)
        finally:
            for channel in channels:
                channel.close()
            store.close()
        echo(
            f"second cycle on the same store: {again.pulled} pulled, {again.unchanged} "
            f"unchanged, {again.queued} queued, {again.delivered} delivered"
        )
        if again.queued or again.delivered:
            unexpected.append(
                f"the second cycle queued {again.queued} and delivered {again.delivered} "
                "documents again"
            )
        for document in emulator.documents:
            if (posts := emulator.post_count(document.idempotency_key)) > 1:
                unexpected.append(f"{document.number}: posted {posts} times to the access point")
        if first.error:
            unexpected.append(f"the source failed: {first.error}")
        unexpected += [str(finding) for finding in first.findings]
    return CycleResult(
        folder=folder, first=first, again=again, rows=rows, unexpected=unexpected, polls=polls
    )
