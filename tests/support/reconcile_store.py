"""The store of the ``ledgerlink reconcile`` tests: model invoices stored as documents of a
connection, and the SQLite / PostgreSQL store URL fixtures (import them into a test module).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection

from model.document import Invoice
from model.jsonio import to_data
from sync.store import documents
from tests.support.profile_documents import clean_invoice

__all__ = ["invoice", "postgres_database", "store_document", "store_url", "write_config"]


def invoice(number: str, reference: str | None) -> Invoice:
    """The clean invoice as ``number``, with ``reference`` as its BT-83."""
    doc = clean_invoice()
    means = replace(doc.payment_means[0], remittance_info=reference)
    return replace(doc, number=number, payment_means=(means,))


def store_document(conn: Connection, connection: int, source_id: str, doc: Invoice) -> int:
    """Store ``doc`` as the delivered invoice ``source_id`` of ``connection``; its row id."""
    assert doc.totals is not None
    now = datetime.now(UTC)
    row_id: int = conn.execute(
        documents.insert()
        .values(
            connection_id=connection,
            source_id=source_id,
            number=doc.number,
            kind="invoice",
            type_code="380",
            issue_date=doc.issue_date,
            due_date=None,
            currency="EUR",
            payable_amount=doc.totals.payable,
            buyer_name=doc.buyer.name,
            profile="peppol-bis3",
            content_hash=source_id.ljust(64, "0"),
            model=to_data(doc),
            ubl=b"<Invoice/>",
            validation_report=[],
            state="delivered",
            created_at=now,
            updated_at=now,
        )
        .returning(documents.c.id)
    ).scalar_one()
    return row_id


def write_config(directory: Path, store_url: str, account: str) -> Path:
    """A settings file in ``directory``: the store, and connection ``shop`` (ubl-dir, its
    folder ``inbox`` made) owning bank account ``account``."""
    path = directory / "ledgerlink.toml"
    path.write_text(
        f'[store]\nurl = "{store_url}"\n\n[connections.shop]\nconnector = "ubl-dir"\n'
        f'path = "inbox"\naccounts = ["{account}"]\n',
        encoding="utf-8",
    )
    (directory / "inbox").mkdir()
    return path


@pytest.fixture(scope="module")
def postgres_database() -> Iterator[str]:
    from support.postgres import missing_postgres, reachable, session_database

    if why := reachable():
        missing_postgres(why)
    with session_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    from support.postgres import reset_schema

    url: str = request.getfixturevalue("postgres_database")
    reset_schema(url)
    return url
