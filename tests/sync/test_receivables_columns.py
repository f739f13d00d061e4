"""The documents' buyer columns (revision 0008): filled from the stored models when a store of
revision 0006 is upgraded, and read by ``stored_items`` to the very open items its models give."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from alembic import command
from sqlalchemy import select, update
from support.profile_documents import clean_invoice, credit_note

from model.document import Identifier, Invoice, Party
from model.jsonio import to_data
from sync.receivables import buyer_columns, stored_items
from sync.store import connections, documents, open_store, tenants

NOW = datetime(2026, 12, 8, tzinfo=UTC)


def _documents() -> list[Invoice]:
    invoice = clean_invoice()
    other = Party(
        name="Bakkerij Één",
        vat_id=None,
        endpoint=Identifier(value="12345678", scheme="0106"),
        address=invoice.buyer.address,
    )
    reference = replace(invoice.payment_means[0], remittance_info="RF18 5390 0754 7034")
    return [
        replace(invoice, number="A-1"),
        replace(invoice, number="A-2", buyer=other, payment_means=(reference,)),
        replace(credit_note(invoice), number="A-3"),
    ]


def _row(n: int, document: Invoice) -> dict[str, object]:
    return {
        "connection_id": 1,
        "source_id": f"record-{n}",
        "number": document.number,
        "kind": "credit-note" if document.kind.value == "credit_note" else "invoice",
        "type_code": document.type_code,
        "issue_date": document.issue_date,
        "due_date": document.due_date,
        "currency": document.currency,
        "payable_amount": document.totals.payable,
        "buyer_name": document.buyer.name,
        "profile": "peppol-bis3",
        "content_hash": f"{n:064d}",
        "model": to_data(document),
        "ubl": b"<Invoice/>",
        "validation_report": [],
        "state": "delivered",
        "created_at": NOW,
        "updated_at": NOW,
    }


def test_upgrading_fills_the_buyer_columns_and_the_items_read_as_from_the_models(
    store_url: str,
) -> None:
    docs = _documents()
    with open_store(store_url, create=True) as store:
        with store.begin() as conn:
            command.upgrade(store.alembic_config(conn), "0006")
        with store.begin() as conn:
            conn.execute(tenants.insert().values(id=1, key="default", name="default"))
            conn.execute(
                connections.insert().values(id=1, tenant_id=1, name="shop", connector="ubl-dir")
            )
            for n, document in enumerate(docs):
                conn.execute(documents.insert().values(_row(n, document)))
        with store.begin() as conn:
            command.upgrade(store.alembic_config(conn), "head")
        with store.begin() as conn:
            filled = conn.execute(
                select(
                    documents.c.number, documents.c.buyer_key, documents.c.payment_reference
                ).order_by(documents.c.id)
            ).all()
            assert [tuple(row) for row in filled] == [
                ("A-1", "0106:87654321", buyer_columns(docs[0])["payment_reference"]),
                ("A-2", "0106:12345678", "RF18539007547034"),
                ("A-3", "0106:87654321", buyer_columns(docs[2])["payment_reference"]),
            ]
            from_columns = stored_items(conn)
            # the same rows without the columns are read from their models
            conn.execute(
                update(documents).values(
                    buyer_key=None, buyer_identifiers=None, buyer_accounts=None
                )
            )
            from_models = stored_items(conn, parties=True)
    assert [s.item for s in from_columns] == [s.item for s in from_models]
    assert [s.identifiers for s in from_columns] == [s.identifiers for s in from_models]
    assert from_columns[1].identifiers == frozenset({("kvk", "12345678")})
    assert [str(s.item.open) for s in from_columns] == ["121.00", "121.00", "121.00"]
    assert from_models[1].buyer is not None and from_models[1].buyer.name == "Bakkerij Één"
