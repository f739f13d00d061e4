"""``ledgerlink statements read`` as a user calls it (typer CliRunner on the real app)."""

from __future__ import annotations

import json
from pathlib import Path

from support.shared import require_shared
from typer.testing import CliRunner

from ledgerlink.cli import app

runner = CliRunner()
BATCH = "camt053/oca_abnamro-style_camt053.001.02_reversal_batch.xml"


def _shared(name: str) -> str:
    return str(require_shared(f"reference/bank/{name}"))


def test_text_shows_balances_transactions_and_the_difference() -> None:
    result = runner.invoke(app, ["statements", "read", _shared(BATCH)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"{_shared(BATCH)}: camt.053.001.02" in out
    assert "statement 1234Test/1  account NL77ABNA0574908765  2014-01-05 to 2014-01-05" in out
    assert "opening 15568.27 EUR on 2014-01-05" in out
    assert "closing 15121.12 EUR on 2014-01-05" in out
    assert "3 transaction(s)" in out
    assert "-564.05 EUR  Test Customer NL46ABNA0499998748" in out
    assert "balance: FLAGGED: opening + entries - closing = 434.16 EUR" in out
    assert (
        "warning: entry 1: counterparty.iban NL46ABNA0499998748: check digits do not match" in out
    )


def test_json_one_object_and_a_failed_file_does_not_hide_the_others(tmp_path: Path) -> None:
    cut = tmp_path / "cut.sta"
    lines = Path(_shared("mt940/zilverline_rabobank_mt940_structured.txt")).read_text().splitlines()
    cut.write_text("\n".join(lines[:20]) + "\n")
    good = _shared("mt940/zilverline_triodos_iban.txt")
    result = runner.invoke(app, ["statements", "read", "--format", "json", str(cut), good])
    assert result.exit_code == 1
    files = json.loads(result.stdout)["files"]
    assert [f["path"] for f in files] == [str(cut), good]
    failed, read = files
    assert failed["format"] == "mt940"
    assert failed["error"].startswith("cut.sta: truncated: statement 940S130404")
    assert [s["statement_id"] for s in failed["statements"]] == ["940S130403/0"]
    assert read["error"] is None
    (statement,) = read["statements"]
    assert (statement["account"], statement["balanced"], statement["difference"]) == (
        "TRIODOSBANK/0454545454",
        True,
        "0.00",
    )
    assert statement["opening"] == {
        "amount": "0.00",
        "currency": "EUR",
        "date": "2013-10-07",
        "intermediate": False,
    }
    assert [t["amount"] for t in statement["transactions"]] == ["1000.00", "-42.00", "-10.00"]
    assert statement["transactions"][0]["counterparty"]["iban"] == "NL12RABO0888888888"
    assert len(statement["warnings"]) == 2


def test_json_mixed_currencies_and_camt054() -> None:
    result = runner.invoke(
        app,
        [
            "statements",
            "read",
            "--format",
            "json",
            _shared("camt053/genkgo_camt053.001.08.xml"),
            _shared("camt054/genkgo_camt054.001.08.xml"),
        ],
    )
    assert result.exit_code == 0, result.output
    mixed, notification = (f["statements"][0] for f in json.loads(result.stdout)["files"])
    assert mixed["balanced"] is False and mixed["difference"] is None
    assert mixed["balance_problem"] == "balances in different currencies: opening EUR, closing SEK"
    assert notification["balance_problem"] == "no balances to check (camt.054 notification)"
    assert len(notification["transactions"][0]["children"]) == 3


def test_unsupported_version_exits_1_naming_it(tmp_path: Path) -> None:
    text = Path(_shared("camt053/tryton_be_camt053.001.02.xml")).read_text()
    bad = tmp_path / "v13.xml"
    bad.write_text(text.replace("camt.053.001.02", "camt.053.001.13"))
    result = runner.invoke(app, ["statements", "read", str(bad)])
    assert result.exit_code == 1
    assert "error: v13.xml: camt.053.001.13 is not supported" in result.output


def test_help_lists_read() -> None:
    result = runner.invoke(app, ["statements", "--help"])
    assert result.exit_code == 0
    assert "read" in result.output
