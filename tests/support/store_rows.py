"""Rows for every table of the store, with values a lossy copy would change."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from sync.store import Store

__all__ = ["ROW_TIME", "fill", "read_all", "sample_rows"]

ROW_TIME = datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=UTC)  # the night clocks go forward


def sample_rows() -> dict[str, list[dict[str, Any]]]:
    """Rows for every table, with values a lossy copy would change: 18-digit decimals,
    a microsecond time, nested JSON with non-ASCII text, bytes that are no UTF-8."""
    findings = [
        {"rule": "BR-CO-15", "layer": "schematron", "severity": "fatal", "message": "€ ≠ 1210.00"}
    ]
    document = {
        "connection_id": 1,
        "number": "INV-2026-001",
        "kind": "invoice",
        "type_code": "380",
        "issue_date": date(2026, 2, 28),
        "due_date": date(2026, 3, 30),
        "currency": "EUR",
        "buyer_name": "Bakkerij Jansen B.V.",
        "profile": "peppol-bis3",
        "model": {"number": "INV-2026-001", "lines": [{"quantity": "1.5", "note": "Crème"}]},
        "ubl": b"<Invoice>\x00\xff\xfe caf\xc3\xa9</Invoice>",
        "validation_report": findings,
        "parse_report": None,
        "state": "delivered",
        "created_at": ROW_TIME,
        "updated_at": ROW_TIME,
        "buyer_key": "0106:87654321",
        "buyer_identifiers": ["kvk:87654321", "vat:NL987654321B01"],
        "buyer_accounts": [],
        "payment_reference": "RF18539007547034",
    }
    return {
        "connection_fences": [
            {
                "connection": "shop",
                "token": "f" * 32,
                "holder": "worker-1.example:4242",
                "taken_at": ROW_TIME,
                "failures": 3,
                "not_before": ROW_TIME,
            }
        ],
        "cycle_holders": [
            {
                "id": 1,
                "connection": "shop",
                "holder": "worker-1.example:4242",
                "token": "f" * 32,
                "job_id": 2147483647,
                "started_at": ROW_TIME,
                "ended_at": None,
                "outcome": None,
            }
        ],
        "tenants": [{"id": 1, "key": "default", "name": "Lindeboom B.V.", "created_at": ROW_TIME}],
        "connections": [
            {
                "id": 1,
                "tenant_id": 1,
                "name": "shop",
                "connector": "ubl-dir",
                "created_at": ROW_TIME,
            }
        ],
        "statements": [
            {
                "id": 1,
                "connection_id": 1,
                "account": "NL91ABNA0417164300",
                "format": "camt.053.001.02",
                "statement_ref": "STMT-2026-03-02/Ünï",
                "identity": "e" * 64,
                "source": "camt053-2026-03-02.xml",
                "currency": "EUR",
                "period_from": date(2026, 3, 2),
                "period_to": date(2026, 3, 2),
                "opening": Decimal("-99999999999999.9999"),
                "opening_date": date(2026, 3, 1),
                "closing": Decimal("12345678901234.5678"),
                "closing_date": date(2026, 3, 2),
                "difference": Decimal("-0.0001"),
                "balance": "accepted-unbalanced",
                "created_at": ROW_TIME,
            }
        ],
        "transactions": [
            {
                "id": 1,
                "tenant_id": 1,
                "account": "NL91ABNA0417164300",
                "booking_date": date(2026, 3, 2),
                "value_date": date(2026, 3, 3),
                "amount": Decimal("12345678901234.5678"),
                "currency": "EUR",
                "counterparty_name": "Bakkerij Jansen",
                "counterparty_account": "NL02RABO0123456789",
                "structured_reference": "RF18539007547034",
                "remittance": "INV-2026-001",
                "bank_reference": "2026030200001",
                "identity": "a" * 64,
                "source": "camt053-2026-03-02.xml",
                "created_at": ROW_TIME,
                "connection_id": 1,
                "statement_id": 1,
                "entry": 3,
                "end_to_end_id": "E2E-Ünï-1",
                "bank_code": "PMNT-RCDT-ESCT",
                "reversal": True,
                "return_reason": "AC06",
                "data": {"amount": "12345678901234.5678", "children": [{"text": "café"}]},
            }
        ],
        "cursors": [
            {
                "connection_id": 1,
                "stream": "invoices",
                "value": "2026-03-01T10:00:00+00:00",
                "tie_breaker": "INV-2026-001",
                "updated_at": ROW_TIME,
            }
        ],
        "documents": [
            {
                **document,
                "id": 1,
                "source_id": "inbox/INV-2026-001.xml",
                "payable_amount": Decimal("-0.0001"),
                "content_hash": "b" * 64,
            },
            {
                **document,
                "id": 7,  # ids with gaps: the copy keeps them
                "source_id": "inbox/INV-2026-002.xml",
                "payable_amount": Decimal("99999999999999.9999"),
                "content_hash": "c" * 64,
                "due_date": None,
                "parse_report": [],
            },
        ],
        "events": [
            {
                "id": 1,
                "document_id": 1,
                "at": ROW_TIME,
                "from_state": None,
                "to_state": "queued",
                "cause": "pull",
                "details": {"changed": ["BT-115"], "depth": {"a": [1, 2.5, None, True]}},
                "pushed_at": None,
            }
        ],
        "matches": [
            {
                "id": 1,
                "transaction_id": 1,
                "document_id": 7,
                "amount": Decimal("1210.0000"),
                "stage": "structured-reference",
                "reason": "RF18539007547034 is the document's payment reference",
                "confidence": Decimal("0.9750"),
                "created_at": ROW_TIME,
                "written_off": Decimal("0.0001"),
            }
        ],
        "payment_pushes": [
            {
                "id": 1,
                "match_id": 1,
                "idempotency_key": "f" * 64,
                "connection_id": 1,
                "document_id": 7,
                "kind": "payment",
                "amount": Decimal("99999999999999.9999"),
                "currency": "EUR",
                "paid_on": date(2026, 3, 2),
                "reference": "2026030200001",
                "state": "in-doubt",
                "attempts": 2,
                "last_error": "killed between push and record; the source cannot be asked",
                "pushed_at": ROW_TIME,
                "created_at": ROW_TIME,
                "updated_at": ROW_TIME,
            }
        ],
        "outbox": [
            {
                "id": 1,
                "document_id": 1,
                "idempotency_key": "d" * 64,
                "channel": "archive",
                "state": "sent",
                "attempts": 2,
                "next_attempt_at": None,
                "last_error": "HTTP 503 from the access point",
                "remote_id": "delivered/INV-2026-001.xml",
                "sent_at": ROW_TIME,
                "recorded_at": ROW_TIME,
                "created_at": ROW_TIME,
                "updated_at": ROW_TIME,
            }
        ],
        "quarantine": [
            {
                "id": 1,
                "connection_id": 1,
                "source_id": "inbox/broken.xml",
                "document_id": None,
                "stage": "parse",
                "state": "quarantined",
                "findings": findings,
                "record": {"path": "inbox/broken.xml"},
                "created_at": ROW_TIME,
                "resolved_at": None,
            }
        ],
        "credit_limits": [
            {
                "connection_id": 1,
                "party_id": "42",
                "name": "Café Ünïcode",
                "identifiers": ["kvk:87654321", "vat:NL987654321B01"],
                "amount": Decimal("12345678901234.5678"),
                "currency": "EUR",
                "updated_at": ROW_TIME,
            }
        ],
        "migrations": [
            {
                "id": 1,
                "connection_id": 1,
                "target": "/srv/export/shop",
                "since": "2026-01-01",
                "cursor_value": "2026-03-01T12:00:00+00:00",
                "cursor_tie_breaker": "inbox/a.xml",
                "created_at": ROW_TIME,
                "updated_at": ROW_TIME,
            }
        ],
        "migration_items": [
            {
                "id": 1,
                "migration_id": 1,
                "source_id": "inbox/a.xml",
                "item_key": "a" * 64,
                "number": "INV-1/2026",
                "kind": "invoice",
                "issue_date": date(2026, 3, 1),
                "buyer_name": "Café Ünïcode",
                "buyer_id": "NL123456789B01",
                "net": Decimal("100.0000"),
                "vat": Decimal("21.0000"),
                "payable": Decimal("121.0000"),
                "currency": "EUR",
                "state": "written",
                "file": "INV-1_2026.xml",
                "reason": None,
                "findings": None,
                "document_id": 1,
                "created_at": ROW_TIME,
            }
        ],
        "reminders": [
            {
                "id": 1,
                "connection_id": 1,
                "source_id": "inbox/a.xml",
                "document_id": 1,
                "number": "INV-2026-001",
                "step": "veertiendagenbrief",
                "step_type": "fourteen_day_letter",
                "policy": "nl-b2c",
                "fired_on": date(2026, 4, 13),
                "days_overdue": 14,
                "currency": "EUR",
                "open": Decimal("12345678901234.5678"),
                "costs": Decimal("6775.0000"),
                "interest": Decimal("0.0001"),
                "details": {"letter": {"last_day_to_pay": "2026-04-29"}, "debtor_name": "Crème"},
                "webhook_state": "sent",
                "email_state": None,
                "attempts": 1,
                "last_error": None,
                "created_at": ROW_TIME,
                "updated_at": ROW_TIME,
            }
        ],
        "reminder_pauses": [
            {
                "id": 1,
                "connection_id": 1,
                "source_id": "inbox/a.xml",
                "number": "INV-2026-001",
                "reason": "promise",
                "until": date(2026, 5, 1),
                "note": "belt op maandag: betaalt vóór 1 mei",
                "created_at": ROW_TIME,
                "resumed_at": None,
            }
        ],
    }


def fill(store: Store) -> dict[str, list[dict[str, Any]]]:
    """Insert :func:`sample_rows` into ``store`` (at the newest revision); returns them."""
    rows = sample_rows()
    with store.begin() as connection:
        for table in store.metadata.sorted_tables:
            connection.execute(table.insert(), rows[table.name])
    return rows


def read_all(store: Store) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, in primary-key order."""
    with store.begin() as connection:
        return {
            table.name: [
                dict(row._mapping)
                for row in connection.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in store.metadata.sorted_tables
        }
