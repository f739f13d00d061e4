"""The Tryton connector against a real trytond 8.2 with the demo database (tests/tryton).

The demo amounts follow tests/tryton/builder.py: every invoice has consulting hours at
95.00 (21%), two training manuals at 42.50 (9%) and travel costs of 25.50 (21%); INV-2's
customer is Belgian, so its taxes are reverse charge (AE, 0%). INV-1 (10 hours) is paid,
INV-2 (4 hours) has 100.00 paid, CN-1 credits INV-3 (2 hours).

The module shares one server among the tests that only read; a test that writes gets a server
of its own, so the tests pass in any order.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from tryton.server import TrytonServer, free_port, run_server

from connectors.base import Cursor, Page, Record, Stream
from connectors.errors import ConfigurationError, RecordError, TransientError
from connectors.http import HttpClient, RetryPolicy
from connectors.tryton import TrytonConnector

WRONG_PASSWORD = "not-the-admin-password-4711"


def connect(server: TrytonServer, **overrides: Any) -> TrytonConnector:
    settings: dict[str, Any] = {
        "url": server.url,
        "database": server.database,
        "username": server.username,
        "password": SecretStr(server.password),
    }
    settings.update(overrides)
    http = HttpClient(settings.pop("url"), retry=RetryPolicy(attempts=1))
    return TrytonConnector(server.url, **settings, http=http)


@pytest.fixture(scope="module")
def tryton(tryton_server: TrytonServer) -> Iterator[TrytonConnector]:
    with connect(tryton_server) as connector:
        yield connector


def records(pages: Iterator[Page]) -> list[Record]:
    return [record for page in pages for record in page.records]


def by_number(connector: TrytonConnector) -> dict[str, dict[str, Any]]:
    return {
        record.data["number"]: dict(record.data)
        for record in records(connector.pull(Stream.INVOICES, None))
    }


def test_login_opens_a_session_with_the_company_context(tryton: TrytonConnector) -> None:
    assert tryton.rpc.login() == 1
    assert tryton.rpc.context["company"] == 1


def test_a_wrong_password_is_a_configuration_error_without_the_password(
    tryton_server: TrytonServer,
) -> None:
    connector = connect(tryton_server, password=SecretStr(WRONG_PASSWORD))
    with connector, pytest.raises(ConfigurationError) as refused:
        connector.rpc.login()
    message = str(refused.value)
    assert WRONG_PASSWORD not in message and WRONG_PASSWORD not in repr(connector)
    assert "password_env" in message and "username" in message


def test_an_unknown_database_is_a_configuration_error_naming_the_setting(
    tryton_server: TrytonServer,
) -> None:
    connector = connect(tryton_server, database="no_such_db")
    with connector, pytest.raises(ConfigurationError, match=r"no_such_db.*`database`"):
        connector.rpc.login()


def test_an_unreachable_server_is_a_transient_error() -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    connector = TrytonConnector(
        url,
        "demo",
        "admin",
        SecretStr("admin"),
        http=HttpClient(url, retry=RetryPolicy(attempts=1)),
    )
    with connector, pytest.raises(TransientError, match="ConnectError"):
        next(connector.pull(Stream.INVOICES, None))


def test_invoices_are_the_posted_customer_documents(tryton: TrytonConnector) -> None:
    invoices = by_number(tryton)
    assert sorted(invoices) == ["CN-1", "INV-1", "INV-2", "INV-3"]
    assert {row["state"] for row in invoices.values()} <= {"posted", "paid"}
    assert invoices["INV-1"]["state"] == "paid"
    assert invoices["INV-1"]["party."]["name"] == "Klant B.V."
    assert invoices["INV-2"]["party."]["name"] == "Client SA"
    assert invoices["INV-1"]["currency."]["code"] == "EUR"
    assert invoices["INV-1"]["payment_term."]["name"] == "30 dagen"


@pytest.mark.parametrize(
    ("number", "untaxed", "tax", "total", "to_pay"),
    [
        ("INV-1", "1060.50", "212.51", "1273.01", "0"),  # 950 + 85 + 25.50; 21% and 9%
        ("INV-2", "490.50", "0.00", "490.50", "390.50"),  # reverse charge, 100.00 paid
        ("INV-3", "300.50", "52.91", "353.41", "353.41"),  # open: CN-1 is not reconciled
        ("CN-1", "-300.50", "-52.91", "-353.41", "-353.41"),
    ],
)
def test_invoice_amounts_match_the_demo(
    tryton: TrytonConnector, number: str, untaxed: str, tax: str, total: str, to_pay: str
) -> None:
    invoice = by_number(tryton)[number]
    assert invoice["untaxed_amount"] == Decimal(untaxed)
    assert invoice["tax_amount"] == Decimal(tax)
    assert invoice["total_amount"] == Decimal(total)
    assert sum(line["amount"] for line in invoice["lines"]) == Decimal(untaxed)
    assert sum(line["amount"] for line in invoice["taxes"]) == Decimal(tax)
    assert invoice["amount_to_pay"] == Decimal(to_pay)


def test_invoice_lines_carry_products_units_and_taxes(tryton: TrytonConnector) -> None:
    consulting, manuals, travel = by_number(tryton)["INV-1"]["lines"]
    assert consulting["product."]["name"] == "Consulting hour"
    assert (consulting["quantity"], consulting["unit_price"]) == (10, Decimal("95.00"))
    assert consulting["unit."]["unece_code"] == "C62"
    assert [(tax["rate"], tax["unece_category_code"]) for tax in consulting["taxes."]] == [
        (Decimal("0.21"), "S")
    ]
    assert manuals["taxes."][0]["rate"] == Decimal("0.09")
    assert travel["product."] is None and travel["description"] == "Travel costs"
    assert travel["amount"] == Decimal("25.50")


def test_tax_summary_has_unece_codes_and_bases(tryton: TrytonConnector) -> None:
    invoices = by_number(tryton)
    summary = {
        (tax["tax."]["unece_category_code"], tax["tax."]["rate"]): (tax["base"], tax["amount"])
        for tax in invoices["INV-1"]["taxes"]
    }
    assert summary == {
        ("S", Decimal("0.21")): (Decimal("975.50"), Decimal("204.86")),
        ("S", Decimal("0.09")): (Decimal("85.00"), Decimal("7.65")),
    }
    assert {tax["tax."]["unece_category_code"] for tax in invoices["INV-2"]["taxes"]} == {"AE"}


def test_the_credit_note_is_recognisable(tryton: TrytonConnector) -> None:
    credit_note = by_number(tryton)["CN-1"]
    assert credit_note["type"] == "out" and credit_note["total_amount"] < 0
    assert all(line["quantity"] < 0 for line in credit_note["lines"])


def test_a_pull_stopped_and_resumed_from_its_cursor_yields_each_invoice_once(
    tryton_server: TrytonServer,
) -> None:
    with connect(tryton_server, page_size=1) as connector:
        first = list(itertools.islice(connector.pull(Stream.INVOICES, None), 2))
        rest = list(connector.pull(Stream.INVOICES, first[-1].next_cursor))
    ids = [record.id for page in first + rest for record in page.records]
    assert len(first) == 2 and all(len(page.records) == 1 for page in first + rest)
    assert sorted(ids) == ["1", "2", "3", "4"]


def test_parties_sharing_one_write_date_are_neither_lost_nor_repeated(
    tryton_server: TrytonServer,
) -> None:
    with connect(tryton_server, page_size=1) as connector:
        seen: list[str] = []
        cursor: Cursor | None = None
        while page := next(connector.pull(Stream.PARTIES, cursor), None):  # one page per run
            seen += [record.id for record in page.records]
            cursor = page.next_cursor
    assert sorted(seen) == ["1", "2", "3"]


def test_parties_come_with_addresses_identifiers_and_contacts(tryton: TrytonConnector) -> None:
    parties = {
        record.data["name"]: record.data for record in records(tryton.pull(Stream.PARTIES, None))
    }
    assert {"Demo B.V.", "Klant B.V.", "Client SA"} <= set(parties)
    client = parties["Client SA"]
    assert [(i["type"], i["code"]) for i in client["identifiers"]] == [("eu_vat", "BE0897290877")]
    (address,) = client["addresses"]
    assert (address["city"], address["country."]["code"]) == ("Bruxelles", "BE")
    assert [c["value"] for c in client["contact_mechanisms"]] == ["ap@client.example"]


def test_payments_are_the_invoice_payment_lines(tryton: TrytonConnector) -> None:
    payments = {
        record.data["invoice_payment."]["number"]: record.data
        for record in records(tryton.pull(Stream.PAYMENTS, None))
    }
    assert sorted(payments) == ["INV-1", "INV-2"]
    assert payments["INV-1"]["credit"] == Decimal("1273.01")
    assert payments["INV-2"]["credit"] == Decimal("100.00")


def test_a_user_error_on_one_record_is_a_record_error(tryton: TrytonConnector) -> None:
    with pytest.raises(RecordError) as refused:
        tryton.rpc.model("account.invoice", "write", [1], {"party": 3}, record_id="1")
    assert refused.value.record_id == "1"


def test_a_changed_invoice_is_pulled_again_and_nothing_else(
    tryton_template: Path, tmp_path: Path
) -> None:
    """On a server of its own, as it changes INV-2."""
    with run_server(tryton_template, tmp_path / "tryton") as server, connect(server) as tryton:
        pages = list(tryton.pull(Stream.INVOICES, None))
        cursor = pages[-1].next_cursor
        assert records(tryton.pull(Stream.INVOICES, cursor)) == []
        tryton.rpc.model("account.invoice", "write", [2], {"comment": "sent via ledgerlink"})
        (changed,) = records(tryton.pull(Stream.INVOICES, cursor))
    assert (changed.data["number"], changed.data["comment"]) == ("INV-2", "sent via ledgerlink")
    assert changed.key > cursor.key
