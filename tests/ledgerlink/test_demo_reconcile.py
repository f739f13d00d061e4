"""``ledgerlink demo``'s reconciliation step, as a user runs it: the statement it writes is
read back with the product's reader, and what the demo prints (matches, open amounts) and
stores is checked against what that statement pays of the fixtures, worked out here from
the fixtures' own amounts (BT-115) and payment references (BT-83)."""

from __future__ import annotations

import json
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import create_engine, select
from typer.testing import CliRunner

from ledgerlink.cli import app
from model.jsonio import loads
from reconcile.open_items import compact_reference
from reconcile.statements import read_statements
from reconcile.transaction import Transaction
from sync.store.schema import matches, payment_pushes
from tests.support.shared import require_shared

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
runner = CliRunner()


@pytest.fixture
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")


def _documents(folder: Path) -> dict[str, tuple[Decimal, str | None, bool, str]]:
    """Per number (BT-1): amount due (BT-115), compact BT-83, credit note?, currency."""
    found = {}
    for path in folder.glob("*.json"):
        doc = loads(path.read_text(encoding="utf-8"))
        reference = next((m.remittance_info for m in doc.payment_means if m.remittance_info), None)
        credit = doc.type_code == "381" or doc.is_credit_note
        found[doc.number] = (
            abs(doc.totals.payable),
            compact_reference(reference) if reference else None,
            credit,
            doc.currency,
        )
    return found


def _intended(
    tx: Transaction, docs: dict[str, tuple[Decimal, str | None, bool, str]]
) -> dict[str, Decimal]:
    """What a booking pays, read as a credit manager reads it: the document whose reference
    it quotes (the booking's amount), or the documents its text names (each in full, a
    credit note negative); nothing for a debit or a booking that names no document."""
    if tx.amount <= 0:
        return {}
    quoted = compact_reference(f"{tx.structured_reference or ''} {tx.text}")
    by_reference = [
        n for n, (_, ref, _, cur) in docs.items() if ref and cur == "EUR" and ref in quoted
    ]
    named = [n for n in docs if re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", tx.text)]
    if named:
        return {n: -docs[n][0] if docs[n][2] else docs[n][0] for n in named}
    if len(by_reference) == 1:
        return {by_reference[0]: tx.amount}
    return {}


def _printed_rows(output: str) -> dict[str, tuple[Decimal, Decimal, Decimal]]:
    """The open-amount table: number -> (amount due, paid, open)."""
    rows = {}
    pattern = re.compile(r"^(\S+)\s+([\d,]+\.\d\d) EUR\s+([\d,]+\.\d\d)\s+([\d,]+\.\d\d) EUR$")
    for line in output.splitlines():
        if found := pattern.match(line):
            rows[found[1]] = tuple(Decimal(found[i].replace(",", "")) for i in (2, 3, 4))
    return rows  # type: ignore[return-value]


def _printed_applied(output: str) -> dict[str, dict[str, Decimal]]:
    """Per bank reference printed: the documents it was applied to, or {} (unmatched)."""
    applied: dict[str, dict[str, Decimal]] = {}
    current = None
    for line in output.splitlines():
        if head := re.match(r"^(DEMO-\d{4}-\d{3})  ", line):
            current = head[1]
            applied[current] = {}
        elif current and (body := re.match(r"^    applied to (.+?)  \(", line)):
            for part in body[1].split(", "):
                number, amount = part.rsplit(" ", 1)
                applied[current][number] = Decimal(amount.replace(",", ""))
    return applied


def test_demo_matches_its_statement_and_shows_what_stays_open(
    tmp_path: Path, artifacts_cache: Path, wide: None
) -> None:
    result = runner.invoke(app, ["demo", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    output = result.stdout
    assert "unexpected" not in output
    statement = tmp_path / "sync" / "demo-statement.xml"
    xsd = require_shared("reference/bank/schema/camt.053.001.02.xsd")
    schema = etree.XMLSchema(etree.parse(str(xsd)))
    assert schema.validate(etree.parse(str(statement))), schema.error_log
    (read,) = read_statements(statement)
    assert read.balance_problem is None
    docs = _documents(FIXTURES)

    intended = {tx.bank_reference: _intended(tx, docs) for tx in read.transactions}
    assert _printed_applied(output) == intended
    paid: dict[str, Decimal] = {}
    for pairs in intended.values():
        for number, amount in pairs.items():
            paid[number] = paid.get(number, Decimal(0)) + abs(amount)
    # the statement shows each case: a partial payment, one payment for two invoices, an
    # invoice net of a credit note, bookings that are nobody's invoice
    assert any(paid[n] < docs[n][0] for n in paid)
    assert any(len(p) == 2 and all(v > 0 for v in p.values()) for p in intended.values())
    assert any(any(v < 0 for v in p.values()) for p in intended.values())
    unmatched = sorted(k for k, p in intended.items() if not p)
    assert len(unmatched) >= 3 and any(
        tx.amount > 0 for tx in read.transactions if tx.bank_reference in unmatched
    )

    rows = _printed_rows(output)
    assert rows == {n: (docs[n][0], paid[n], docs[n][0] - paid[n]) for n in paid}

    engine = create_engine(f"sqlite:///{tmp_path / 'sync' / 'ledgerlink.db'}")
    try:
        with engine.connect() as conn:
            recorded = conn.execute(select(matches.c.id, matches.c.amount)).all()
            pushes = conn.execute(select(payment_pushes.c.match_id, payment_pushes.c.state)).all()
    finally:
        engine.dispose()
    assert len(recorded) == sum(len(p) for p in intended.values())
    assert sorted(p.match_id for p in pushes) == sorted(m.id for m in recorded)
    assert {p.state for p in pushes} == {"unsupported"}  # model-json is read-only
    assert "connection demo cannot take payments: book it in the source" in output

    again = runner.invoke(
        app,
        ["--config", str(tmp_path / "sync" / "ledgerlink.toml"), "reconcile", "--format", "json"],
    )
    assert again.exit_code == 0, again.output
    data = json.loads(again.stdout)
    assert data["entries"] == {} and data["recorded"] == 0
    assert sorted(data["unmatched"]) == unmatched
    for number in paid:
        assert Decimal(data["open"].get(number, "0")) == docs[number][0] - paid[number]


def test_with_few_documents_the_statement_has_only_the_cases_they_allow(
    tmp_path: Path, artifacts_cache: Path, wide: None
) -> None:
    fixtures = tmp_path / "fixtures"
    fixtures.mkdir()
    for name in ("nl-standard-21-9.json", "nl-standard-21-9.xml"):
        shutil.copy(FIXTURES / name, fixtures / name)
    result = runner.invoke(
        app, ["demo", "--fixtures", str(fixtures), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 0, result.output
    (read,) = read_statements(tmp_path / "out" / "sync" / "demo-statement.xml")
    docs = _documents(fixtures)
    intended = {tx.bank_reference: _intended(tx, docs) for tx in read.transactions}
    assert [p for p in intended.values() if p] == [{"2026-10417": docs["2026-10417"][0]}]
    assert _printed_applied(result.stdout) == intended
    assert "partial payment" not in result.stdout
    assert _printed_rows(result.stdout) == {
        "2026-10417": (docs["2026-10417"][0], docs["2026-10417"][0], Decimal("0.00"))
    }
