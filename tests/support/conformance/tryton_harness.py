"""The conformance harness of the Tryton connector, over a real trytond 8.2.

The server runs over a fresh copy of the demo database (tests/tryton/builder.py: INV-1..3 and
CN-1, posted at distinct times). The harness changes it the way its users would, through
Tryton's own JSON-RPC with an admin connection of its own, and reads the SQLite file for what
no RPC says:

* shared timestamp: copies of INV-3 posted in one call. Tryton stamps every record a
  transaction writes with that transaction's time, so they share one ``write_date``;
* a change: a comment written on the invoice;
* a bad record: a posted invoice whose first line is in a unit of measure ("Shift") that
  ``mappings/tryton.toml`` does not map;
* expired credentials: the ``ir_session`` rows aged past trytond's ``[session] max_age``
  (30 days by default) in the SQLite file. The server then finds the session expired, deletes
  it and answers 401, exactly as it does a month after the login; nothing caches sessions.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
from pydantic import SecretStr
from tryton.server import DATABASE, TrytonServer, run_server

from connectors.base import Stream
from connectors.http import HttpClient, RetryPolicy
from connectors.tryton import TrytonConnector
from support.fault_proxy import Exchange

from .harness import BadRecord, Behaviour, HttpSide, Source

__all__ = ["TrytonHarness", "start_tryton"]

TEMPLATE_INVOICE = "INV-3"  # open, 21% and 9% lines; its copies map to valid documents
COPY = {"reference": "PO-1002"}  # Tryton's copy drops the buyer reference BT-10
UNMAPPED_UNIT = "Shift"
LONG_AGO = "2000-01-01 00:00:00"  # older than any [session] max_age


class _TrytonSide:
    def __init__(self, url: str, database: Path) -> None:
        self._url = url
        self._database = database

    @property
    def upstream_url(self) -> str:
        return self._url

    def is_auth_request(self, exchange: Exchange) -> bool:
        body = exchange.json()
        return isinstance(body, dict) and body.get("method") == "common.db.login"

    def expire_credentials(self) -> None:
        with closing(sqlite3.connect(self._database, timeout=30)) as connection, connection:
            connection.execute("UPDATE ir_session SET create_date = ?", (LONG_AGO,))


class TrytonHarness:
    """A trytond at ``server`` over the SQLite file ``database``; see the module docstring."""

    name = "tryton"
    stream = Stream.INVOICES
    not_applicable: Mapping[Behaviour, str] = {}

    def __init__(self, server: TrytonServer, database: Path) -> None:
        self.server = server
        self.database = database
        self.http: HttpSide = _TrytonSide(server.url, database)
        self.admin = self._connector(server.url, RetryPolicy(attempts=1), page_size=100)
        self._template = self._invoice_id(TEMPLATE_INVOICE)

    def close(self) -> None:
        self.admin.close()

    @contextmanager
    def connect(
        self, *, page_size: int, retry: RetryPolicy, url: str | None = None
    ) -> Iterator[Source]:
        with self._connector(url or self.server.url, retry, page_size=page_size) as connector:
            yield connector

    def record_ids(self) -> set[str]:
        """The posted and paid customer documents, as the invoices stream defines them."""
        with closing(sqlite3.connect(f"file:{self.database}?mode=ro", uri=True)) as connection:
            rows = connection.execute(
                "SELECT id FROM account_invoice WHERE type = 'out' AND state IN ('posted', 'paid')"
            ).fetchall()
        return {str(row[0]) for row in rows}

    def seed_shared_timestamp(self, count: int) -> list[str]:
        copies: list[int] = self.admin.rpc.model(
            "account.invoice", "copy", [self._template] * count, COPY
        )
        self.admin.rpc.model("account.invoice", "post", copies)
        return [str(invoice) for invoice in copies]

    def touch(self, record_id: str) -> None:
        self.admin.rpc.model(
            "account.invoice", "write", [int(record_id)], {"comment": "changed by its user"}
        )

    def add_bad_record(self) -> BadRecord:
        rpc = self.admin.rpc
        (line,) = rpc.search_read(
            "account.invoice.line",
            [("invoice", "=", self._template), ("unit", "!=", None)],
            limit=1,
            fields=("unit.category",),
        )
        (unit,) = rpc.model(
            "product.uom",
            "create",
            [
                {
                    "name": UNMAPPED_UNIT,
                    "symbol": "shift",
                    "category": line["unit."]["category"],
                    "rate": 0.125,
                    "factor": 8,
                    "rounding": 1,
                    "digits": 0,
                }
            ],
        )
        (invoice,) = rpc.model("account.invoice", "copy", [self._template], COPY)
        (first,) = rpc.search(
            "account.invoice.line",
            [("invoice", "=", invoice), ("unit", "!=", None)],
            limit=1,
            order=(("sequence", "ASC"), ("id", "ASC")),
        )
        rpc.model("account.invoice.line", "write", [first], {"unit": unit})
        rpc.model("account.invoice", "post", [invoice])
        # the fix goes in an override file, never in the packaged mappings/tryton.toml
        return BadRecord(
            str(invoice), (f"unit '{UNMAPPED_UNIT}'", "under [units]", "mappings_override")
        )

    def _connector(self, url: str, retry: RetryPolicy, *, page_size: int) -> TrytonConnector:
        return TrytonConnector(
            url,
            self.server.database,
            self.server.username,
            SecretStr(self.server.password),
            page_size=page_size,
            http=HttpClient(url, retry=retry),
        )

    def _invoice_id(self, number: str) -> int:
        (invoice,) = self.admin.rpc.search("account.invoice", [("number", "=", number)])
        return int(invoice)


@contextmanager
def start_tryton(request: pytest.FixtureRequest, workdir: Path) -> Iterator[TrytonHarness]:
    """A trytond of its own (one per suite run, not per test module), over the demo template."""
    template: Path = request.getfixturevalue("tryton_template")
    with run_server(template, workdir) as server:
        harness = TrytonHarness(server, workdir / f"{DATABASE}.sqlite")
        try:
            yield harness
        finally:
            harness.close()
