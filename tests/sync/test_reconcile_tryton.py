"""Issue 16, section 5: the Tryton demo database's open invoices, a CAMT.053 statement for
them with noise, reconciled through the CLI as a user runs it, the payments booked in
Tryton, and Tryton's own ``amount_to_pay`` agreeing with the store's open amounts.

The user's steps: a settings file with the Tryton connection owning the bank account
(``accounts = [...]``); ``ledgerlink sync`` takes the posted invoices into the store;
``ledgerlink statements import`` the day's statement; ``ledgerlink reconcile --format json``
matches and pushes back. The statement and settings: tests/tryton/demo_statement.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from tryton.demo_statement import (
    EXPECTED_ENTRIES,
    EXPECTED_MOVES,
    EXPECTED_UNMATCHED,
    STATEMENT,
    moves_by_reference,
    open_in_tryton,
    tryton_invoices,
    write_folder,
)
from tryton.open_invoices import open_invoices_template
from tryton.server import TrytonServer, run_server
from typer.testing import CliRunner, Result

from ledgerlink.cli import app

pytestmark = pytest.mark.usefixtures("artifacts_cache")
runner = CliRunner()


@pytest.fixture
def server(tryton_template: Path, tmp_path: Path) -> Iterator[TrytonServer]:
    with run_server(open_invoices_template(tryton_template), tmp_path / "tryton") as running:
        yield running


@pytest.fixture
def folder(
    server: TrytonServer, store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    monkeypatch.setenv("TRYTON_PASSWORD", server.password)
    monkeypatch.delenv("LEDGERLINK_STORE", raising=False)
    monkeypatch.delenv("LEDGERLINK_CONFIG", raising=False)
    return write_folder(tmp_path, server, store_url)


def ledgerlink(folder: Path, *args: str) -> Result:
    return runner.invoke(app, ["--config", str(folder / "ledgerlink.toml"), *args])


def test_a_statement_for_the_demo_invoices_reconciles_and_tryton_agrees(
    folder: Path, server: TrytonServer
) -> None:
    before = tryton_invoices(server)
    synced = ledgerlink(folder, "sync", "demo", "--format", "json")
    assert synced.exit_code == 0, synced.output
    assert json.loads(synced.stdout)["connections"]["demo"]["pulled"] == len(before)

    imported = ledgerlink(
        folder, "statements", "import", str(folder / "day.xml"), "--format", "json"
    )
    assert imported.exit_code == 0, imported.output
    (file,) = json.loads(imported.stdout)["files"]
    assert (file["transactions"], file["duplicates"], file["error"]) == (len(STATEMENT), 0, None)

    reconciled = ledgerlink(folder, "reconcile", "--format", "json")
    assert reconciled.exit_code == 0, reconciled.output
    result = json.loads(reconciled.stdout)
    entries = {
        ref: [(item["invoice"], item["amount"]) for item in items]
        for ref, items in result["entries"].items()
    }
    assert entries == EXPECTED_ENTRIES
    assert sorted(result["unmatched"]) == EXPECTED_UNMATCHED
    assert result["pushed"] == {
        "pushed": 6,  # INV-4, INV-5, INV-6, INV-7, INV-8 and INV-8's reversal
        "found": 0,
        "in_doubt": 0,
        "unsupported": 0,
        "failed": 0,
    }
    assert result["problems"] == []

    after = tryton_invoices(server)
    # the payments are booked in Tryton, each under its bank reference
    assert after["INV-4"]["references"] == ["ACR-01"]
    assert after["INV-5"]["references"] == ["ACR-02"]
    assert after["INV-6"]["references"] == after["INV-7"]["references"] == ["ACR-03"]
    assert after["INV-8"]["references"] == []  # taken back by the reversal ACR-05
    assert [after[n]["state"] for n in ("INV-4", "INV-6", "INV-7")] == ["paid"] * 3
    assert after["INV-8"]["state"] == "posted"

    # Tryton's amount_to_pay is ours, for every invoice: what was paid in Tryton itself
    # (INV-1 in full, 100.00 of INV-2) the store learned before matching
    assert set(result["open"]) <= set(after)
    ours = {number: Decimal(result["open"].get(number, "0")) for number in after}
    assert ours == open_in_tryton(after)
    assert moves_by_reference(server) == EXPECTED_MOVES
    assert ours["INV-5"] == Decimal("290.50") and ours["INV-8"] == Decimal("490.50")
    assert ours["INV-1"] == 0 and ours["INV-2"] == before["INV-2"]["amount_to_pay"]

    again = ledgerlink(folder, "reconcile", "--format", "json")  # a second run adds nothing
    assert again.exit_code == 0, again.output
    second = json.loads(again.stdout)
    assert second["entries"] == {} and second["pushed"]["pushed"] == 0
    assert tryton_invoices(server) == after
