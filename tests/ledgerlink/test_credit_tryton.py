"""Credit limits against the real trytond demo database (issue 17 sections 3 and 6).

A bookkeeper sets ``credit_limit_amount`` on a demo party in Tryton; ``ledgerlink sync``
pulls it, and ``ledgerlink debtors`` / ``report credit`` show it with its source and raise the
breach alert its open invoices give, while a limit in the settings file wins over the pulled
one. With ``credit_hold = true`` the invoices that would take a debtor over its limit are held
before delivery, a credit note never, and the ones that fit after the limit is raised (in
Tryton or in the settings file) are released by ``ledgerlink retry`` and by the next cycle.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import SecretStr
from tryton.demo_statement import write_folder
from tryton.server import TrytonServer, run_server
from typer.testing import CliRunner, Result

from connectors.tryton import TrytonConnector
from ledgerlink.cli import app

pytestmark = pytest.mark.usefixtures("artifacts_cache")

KLANT = "0106:87654321"
"""Klant B.V.: KvK 87654321 from the connection's [parties] table."""
CLIENT = "vat:BE0897290877"
"""Client SA: known by its Belgian VAT id only."""


@pytest.fixture
def tryton(
    tryton_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TrytonServer]:
    """A fresh demo database per test: the tests change its parties' limits."""
    with run_server(tryton_template, tmp_path_factory.mktemp("tryton")) as server:
        yield server


def set_limit(server: TrytonServer, party: str, amount: str | None) -> None:
    """``credit_limit_amount`` of ``party`` as a bookkeeper sets it in Tryton."""
    password = SecretStr(server.password)
    with TrytonConnector(server.url, server.database, server.username, password) as tryton:
        ids = tryton.rpc.search("party.party", [("name", "=", party)])
        assert ids, party
        value = None if amount is None else Decimal(amount)
        tryton.rpc.model("party.party", "write", ids, {"credit_limit_amount": value})


def write_settings(
    folder: Path, server: TrytonServer, *, hold: bool = False, limits: str = ""
) -> Path:
    """The settings of the issue 16 scenario (store, archive channel, the demo connection),
    with ``credit_hold`` and ``[credit.limits]``."""
    write_folder(folder, server, "sqlite:///ledgerlink.db")
    path = folder / "ledgerlink.toml"
    text = path.read_text(encoding="utf-8").replace(
        'channels = ["archive"]', f'channels = ["archive"]\ncredit_hold = {str(hold).lower()}'
    )
    path.write_text(f"{text}\n[credit.limits]\n{limits}\n", encoding="utf-8")
    return path


@pytest.fixture
def folder(tryton: TrytonServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TRYTON_PASSWORD", tryton.password)
    monkeypatch.delenv("LEDGERLINK_STORE", raising=False)
    monkeypatch.delenv("LEDGERLINK_CONFIG", raising=False)
    return tmp_path


def ledgerlink(folder: Path, *args: str) -> Result:
    return CliRunner().invoke(
        app, ["--config", str(folder / "ledgerlink.toml"), *args], env={"COLUMNS": "200"}
    )


def by_key(output: str) -> dict[str, dict[str, object]]:
    return {row["key"]: row for row in json.loads(output)["debtors"]}


def test_a_pulled_limit_shows_with_its_source_and_raises_the_breach_alert(
    folder: Path, tryton: TrytonServer
) -> None:
    set_limit(tryton, "Client SA", "300.00")  # INV-2: 490.50 invoiced, 390.50 still to pay
    set_limit(tryton, "Klant B.V.", "100.00")  # the settings file gives Klant B.V. 5000.00
    write_settings(folder, tryton, limits=f'"{KLANT}" = "5000.00 EUR"')
    synced = ledgerlink(folder, "sync", "--format", "json")
    assert synced.exit_code == 0, synced.output

    result = ledgerlink(folder, "debtors", "--format", "json")
    assert result.exit_code == 0, result.output
    debtors = by_key(result.stdout)
    (client,) = [row for key, row in debtors.items() if CLIENT in row["identifiers"]]  # type: ignore[operator]
    assert client["exposure"] == [
        {"currency": "EUR", "amount": "490.50", "limit": "300.00", "utilisation": "163.50",
         "alert": "breach", "limit_source": "connection:demo"},
    ]  # fmt: skip
    (klant,) = debtors[KLANT]["exposure"]  # type: ignore[misc]
    assert (klant["limit"], klant["limit_source"]) == ("5000.00", "settings")

    report = ledgerlink(folder, "report", "credit", "--format", "json")
    assert report.exit_code == 0, report.output
    rows = {row["debtor"]: row for row in json.loads(report.stdout)["debtors"]}
    assert rows[client["key"]]["alert"] == "breach"  # type: ignore[index]
    assert rows[client["key"]]["limit_source"] == "connection:demo"  # type: ignore[index]
    text = ledgerlink(folder, "debtors")
    assert "300.00 EUR (demo)" in text.stdout and "over limit" in text.stdout

    # The bookkeeper removes the limit in Tryton: the next cycle forgets it.
    set_limit(tryton, "Client SA", None)
    assert ledgerlink(folder, "sync").exit_code == 0
    again = by_key(ledgerlink(folder, "debtors", "--format", "json").stdout)
    (exposure,) = again[client["key"]]["exposure"]  # type: ignore[index]
    assert (exposure["limit"], exposure["alert"]) == (None, "none")


def states(folder: Path) -> dict[str, str]:
    result = ledgerlink(folder, "status", "--format", "json")
    assert result.exit_code == 0, result.output
    return {row["number"]: row["state"] for row in json.loads(result.stdout)["documents"]}


def test_credit_hold_holds_before_delivery_and_releases_when_the_limit_is_raised(
    folder: Path, tryton: TrytonServer
) -> None:
    set_limit(tryton, "Client SA", "300.00")
    write_settings(folder, tryton, hold=True, limits=f'"{KLANT}" = "10.00 EUR"')
    synced = ledgerlink(folder, "sync", "--format", "json")
    counts = json.loads(synced.stdout)["connections"]["demo"]
    assert counts["held"] == 3 and counts["delivered"] == 1, synced.output
    assert states(folder) == {
        "INV-1": "credit-held", "INV-2": "credit-held", "INV-3": "credit-held",
        "CN-1": "delivered",
    }  # fmt: skip
    delivered = folder / "delivered"
    assert sorted(path.name for path in delivered.glob("*.xml")) == ["CN-1.xml"]

    shown = ledgerlink(folder, "show", "INV-2")
    assert shown.exit_code == 0, shown.output
    assert "-> credit-held" in shown.stdout
    assert (
        f"credit hold: debtor {CLIENT} (Client SA) owes 0.00 EUR against a limit of "
        "300.00 EUR (connection:demo); invoice INV-2 of 490.50 EUR would take it to 490.50 EUR"
    ) in shown.stdout
    listed = ledgerlink(folder, "status", "--state", "credit-held", "--format", "json")
    held = json.loads(listed.stdout)
    assert sorted(row["number"] for row in held["documents"]) == ["INV-1", "INV-2", "INV-3"]

    # Raised in Tryton: retry pulls the limit and releases INV-2. CN-1, sent after INV-3 was
    # checked, takes Klant B.V.'s exposure to -353.41: INV-3 (353.41) fits its 10.00 now,
    # INV-1 (1273.01) does not.
    set_limit(tryton, "Client SA", "1000.00")
    retried = ledgerlink(folder, "retry", "--format", "json")
    assert retried.exit_code in (0, 1), retried.output
    now = states(folder)
    assert (now["INV-1"], now["INV-2"], now["INV-3"]) == ("credit-held", "delivered", "delivered")
    released = ledgerlink(folder, "show", "INV-2").stdout
    assert "credit hold released" in released and "1000.00 EUR (connection:demo)" in released
    assert "owes -353.41 EUR" in ledgerlink(folder, "show", "INV-3").stdout

    # Raised in the settings file: the next cycle releases them.
    write_settings(folder, tryton, hold=True, limits=f'"{KLANT}" = "5000.00 EUR"')
    assert ledgerlink(folder, "sync").exit_code == 0
    assert set(states(folder).values()) == {"delivered"}
    assert sorted(path.name for path in delivered.glob("*.xml")) == [
        "CN-1.xml", "INV-1.xml", "INV-2.xml", "INV-3.xml",
    ]  # fmt: skip
