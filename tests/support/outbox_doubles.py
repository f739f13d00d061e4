"""Doubles for the outbox tests: a channel and a source that keep their counts in files,
so that a worker killed with SIGKILL leaves an exact record of what it did."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from connectors.base import Capability, DocumentRef, StatusUpdate
from delivery.base import (
    CannotAsk,
    ChannelRefused,
    ChannelUnavailable,
    DeliveryState,
    Envelope,
    Receipt,
    StatusEvent,
)
from model.document import DocumentKind, Identifier
from sync.store import connections, content_hash, documents, idempotency_key, tenants

__all__ = [
    "ANSWERS",
    "FileChannel",
    "NoteSource",
    "add_document",
    "envelope_for",
    "ubl_of",
]

ANSWERS: tuple[tuple[DeliveryState, str, str], ...] = (
    (DeliveryState.DELIVERED, "mlr", "AP"),
    (DeliveryState.ACCEPTED, "invoice-response", "AP"),
)
"""What the receiver answers to every document the FileChannel took, by default."""


def _append(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


@dataclass
class FileChannel:
    """An access point in a folder: each send appends its idempotency key to
    ``sends.log`` (what the receiver got, counted by key), lookup reads that log, poll
    answers :data:`ANSWERS` (ids stable per document)."""

    root: Path
    name: str = "ap"
    kind: str = "peppol-ap"
    answers: tuple[tuple[DeliveryState, str, str], ...] = ANSWERS
    can_ask: bool = True
    down: int = 0
    """Sends that answer ChannelUnavailable before the channel is back."""
    refuse: frozenset[str] = frozenset()
    """Invoice numbers the channel refuses."""
    accept: Callable[[Envelope], bool] = lambda envelope: True
    tries: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)

    @property
    def log(self) -> Path:
        return self.root / "sends.log"

    def sends(self) -> Counter[str]:
        """How often each idempotency key reached the receiver."""
        return Counter(_lines(self.log))

    @property
    def askable(self) -> bool:
        """What delivery.base.can_ask reads: a channel that cannot be asked gets one
        document at a time."""
        return self.can_ask

    def accepts(self, envelope: Envelope) -> bool:
        return self.accept(envelope)

    def send(self, envelope: Envelope) -> Receipt:
        self.tries.append(envelope.number)
        if self.down > 0:
            self.down -= 1
            raise ChannelUnavailable("HTTP 503 Service Unavailable", channel=self.name)
        if envelope.number in self.refuse:
            raise ChannelRefused("HTTP 422 unknown receiver", channel=self.name)
        _append(self.log, envelope.idempotency_key)
        return Receipt(remote_id=envelope.idempotency_key[:16], state=DeliveryState.SENT)

    def lookup(self, envelope: Envelope) -> Receipt | None:
        if not self.can_ask:
            raise CannotAsk("SMTP cannot tell what it sent", channel=self.name)
        if envelope.idempotency_key in self.sends():
            return Receipt(remote_id=envelope.idempotency_key[:16], state=DeliveryState.SENT)
        return None

    def poll(self, envelope: Envelope, remote_id: str) -> list[StatusEvent]:
        return [
            StatusEvent(
                state=state,
                kind=kind,  # type: ignore[arg-type]
                code=code,
                message=f"{kind} {code}",
                response_id=f"{remote_id}-{index}",
            )
            for index, (state, kind, code) in enumerate(self.answers)
        ]

    def close(self) -> None:
        pass


@dataclass
class NoteSource:
    """A source that keeps notes the way Tryton does: an identical note on the same
    document is not written again. ``notes.log`` holds the notes written, ``calls.log``
    every push_status call."""

    root: Path
    name: str = "shop"
    fail: int = 0
    """Pushes that raise before the source is back."""

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)

    capabilities = frozenset({Capability.PUSH_STATUS})

    def notes(self) -> list[dict[str, str]]:
        return [json.loads(line) for line in _lines(self.root / "notes.log")]

    def calls(self) -> int:
        return len(_lines(self.root / "calls.log"))

    def push_status(self, document_ref: DocumentRef, status: StatusUpdate) -> None:
        if self.fail > 0:
            self.fail -= 1
            raise ConnectionError("the source is unreachable")
        _append(self.root / "calls.log", document_ref.record_id)
        note = {
            "record": document_ref.record_id,
            "status": str(status.status),
            "message": status.message,
        }
        if note not in self.notes():
            _append(self.root / "notes.log", json.dumps(note, sort_keys=True))

    def pull(self, stream: Any, cursor: Any) -> Any:
        return iter(())

    def push_payment(self, document_ref: DocumentRef, payment: Any) -> None:
        raise NotImplementedError


def ubl_of(number: str) -> bytes:
    """A small UBL document with invoice number ``number`` (BT-1): what a channel sends."""
    return (
        '<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"'
        ' xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">'
        f"<cbc:ID>{number}</cbc:ID></Invoice>"
    ).encode()


def _connection_id(conn: Connection, name: str) -> int:
    found = conn.execute(select(connections.c.id).where(connections.c.name == name)).scalar()
    if found is not None:
        return int(found)
    tenant = conn.execute(select(tenants.c.id).where(tenants.c.key == "default")).scalar()
    if tenant is None:
        tenant = conn.execute(
            tenants.insert().values(key="default", name="Lindeboom B.V.").returning(tenants.c.id)
        ).scalar_one()
    return int(
        conn.execute(
            connections.insert()
            .values(tenant_id=tenant, name=name, connector="ubl-dir")
            .returning(connections.c.id)
        ).scalar_one()
    )


def add_document(
    conn: Connection,
    number: str,
    *,
    connection: str = "shop",
    state: str = "built",
    source_id: str | None = None,
) -> tuple[int, str, str]:
    """A built document row for invoice ``number`` (source record ``rec-<number>`` unless
    ``source_id`` is given): (document id, source id, hash)."""
    ubl = ubl_of(number)
    source_id = source_id or f"rec-{number}"
    digest = content_hash(ubl)
    document_id = conn.execute(
        documents.insert()
        .values(
            connection_id=_connection_id(conn, connection),
            source_id=source_id,
            number=number,
            kind="invoice",
            type_code="380",
            issue_date=date(2026, 3, 1),
            due_date=None,
            currency="EUR",
            payable_amount=Decimal("121.00"),
            buyer_name="Bakkerij Jansen B.V.",
            profile="peppol-bis3",
            content_hash=digest,
            model={"number": number},
            ubl=ubl,
            validation_report=[],
            state=state,
            created_at=datetime.now(UTC),
        )
        .returning(documents.c.id)
    ).scalar_one()
    return int(document_id), source_id, digest


def envelope_for(number: str, source_id: str, digest: str, connection: str = "shop") -> Envelope:
    return Envelope(
        idempotency_key=idempotency_key(connection, source_id, digest),
        connection=connection,
        number=number,
        kind=DocumentKind.INVOICE,
        ubl=ubl_of(number),
        file_name=f"{number}.xml",
        buyer_endpoint=Identifier(value="12345678", scheme="0106"),
        buyer_email="ap@jansen.example",
    )
