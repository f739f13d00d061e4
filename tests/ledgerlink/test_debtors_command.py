"""``ledgerlink debtors`` as a user runs it: two connections synced into one store, a buyer
known to both joined into one debtor with one exposure against its limit, a buyer sharing a
VAT id under another KvK number kept apart and reported."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from pathlib import Path

import pytest
from support import two_shops
from support.profile_documents import BUYER, clean_invoice, credit_note
from support.two_shops import ledgerlink, make_folder, write

from model.document import Identifier

pytestmark = pytest.mark.usefixtures("artifacts_cache")
LIMITS = {"kvk:87654321": "300.00 EUR", "0106:11223344": "100 EUR"}


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("LEDGERLINK_STORE", raising=False)
    monkeypatch.delenv("LEDGERLINK_CONFIG", raising=False)
    make_folder(tmp_path, LIMITS)
    shop, erp = tmp_path / "shop", tmp_path / "erp"
    invoice = clean_invoice()  # 121.00 to BUYER: KvK 87654321, VAT NL987654321B01
    write(shop, replace(invoice, number="S-1"))
    write(shop, replace(invoice, number="S-2"))
    # The ERP knows the same buyer by its Peppol endpoint (a KvK number) and another spelling.
    by_endpoint = replace(
        BUYER, name="KOFFIEHUIS NOORD", vat_id=None, legal_registration=None,
        endpoint=Identifier(value="87654321", scheme="0106"),
    )  # fmt: skip
    write(erp, replace(invoice, number="E-1", buyer=by_endpoint))
    write(erp, replace(credit_note(invoice), number="E-2"))
    # Another company of the same fiscal unity: same VAT id, its own KvK number.
    sibling = replace(
        BUYER, name="Koffiehuis Werk B.V.",
        legal_registration=Identifier(value="11223344", scheme="0106"),
        endpoint=Identifier(value="11223344", scheme="0106"),
    )  # fmt: skip
    write(erp, replace(invoice, number="E-3", buyer=sibling))
    synced = ledgerlink(tmp_path, "sync", "--format", "json")
    assert synced.exit_code == 0, synced.output
    return tmp_path


def test_json_joins_one_buyer_across_connections_and_keeps_the_sibling_apart(
    folder: Path,
) -> None:
    result = ledgerlink(folder, "debtors", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    by_key = {row["key"]: row for row in data["debtors"]}
    assert set(by_key) == {"0106:87654321", "0106:11223344"}
    koffie = by_key["0106:87654321"]
    assert koffie["connections"] == ["erp", "shop"]
    assert koffie["open_items"] == 4
    assert set(koffie["identifiers"]) == {"kvk:87654321", "vat:NL987654321B01"}
    # 3 x 121.00 invoiced, one 121.00 credit note: 242.00 of a 300.00 limit.
    assert koffie["exposure"] == [
        {"currency": "EUR", "amount": "242.00", "limit": "300.00", "utilisation": "80.67",
         "alert": "near", "limit_source": "settings"},
    ]  # fmt: skip
    sibling = by_key["0106:11223344"]
    assert sibling["connections"] == ["erp"]
    assert sibling["exposure"][0]["alert"] == "breach"
    (problem,) = data["problems"]
    assert "NL987654321B01" in problem and "not joined" in problem
    assert "87654321" in problem and "11223344" in problem


def test_csv_has_a_row_per_debtor_and_currency_and_text_flags_the_breach(folder: Path) -> None:
    result = ledgerlink(folder, "debtors", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(row["key"], row["amount"], row["alert"]) for row in rows] == [
        ("0106:11223344", "121.00", "breach"),
        ("0106:87654321", "242.00", "near"),
    ]
    text = ledgerlink(folder, "debtors")
    assert text.exit_code == 0, text.output
    assert "over limit" in text.stdout and "not joined" in text.stdout


def test_bad_limit_and_format_are_usage_errors(folder: Path) -> None:
    assert ledgerlink(folder, "debtors", "--format", "xml").exit_code == 2
    settings = folder / "ledgerlink.toml"
    settings.write_text(two_shops.settings({**LIMITS, "kvk:87654321": "lots"}), encoding="utf-8")
    result = ledgerlink(folder, "debtors")
    assert result.exit_code == 2
    assert "kvk:87654321" in result.output and "AMOUNT CURRENCY" in result.output
