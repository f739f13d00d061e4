"""Issue 17, section 6: against the Tryton demo database. A dunning procedure is set up in
Tryton as a bookkeeper would (levels 7, 14 and 30 days after the maturity date), Tryton's
own dunning wizards are run day by day (create, then process), and ``ledgerlink reminders``
is run on the same days, twice each, over the store that ``ledgerlink sync`` filled from
the same database, with a policy configured like the procedure. On every day the step
each invoice has reached is Tryton's level, and each step fires once across the runs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from tryton.demo_statement import write_folder
from tryton.open_invoices import open_invoices_template
from tryton.server import TrytonServer, run_server
from typer.testing import CliRunner, Result

from connectors._tryton_rpc import WizardStep
from connectors.tryton import TrytonConnector
from ledgerlink.cli import app

pytestmark = pytest.mark.usefixtures("artifacts_cache")
runner = CliRunner()
LEVELS = (7, 14, 30)
POLICY = """name = "tryton-like"
market = "b2b"
[[step]]
name = "level_0"
days = 7
[[step]]
name = "level_1"
days = 14
[[step]]
name = "level_2"
days = 30
type = "final_notice"
"""


@pytest.fixture
def server(tryton_template: Path, tmp_path: Path) -> Iterator[TrytonServer]:
    with run_server(open_invoices_template(tryton_template), tmp_path / "tryton") as running:
        yield running


def ledgerlink(folder: Path, *args: str) -> Result:
    return runner.invoke(app, ["--config", str(folder / "ledgerlink.toml"), *args])


def _connector(server: TrytonServer) -> TrytonConnector:
    return TrytonConnector(server.url, server.database, server.username, SecretStr(server.password))


def _set_up_dunning(server: TrytonServer) -> list[int]:
    """A procedure with the LEVELS, given to every customer; its level ids in order."""
    with _connector(server) as tryton:
        rpc = tryton.rpc
        (procedure,) = rpc.model(
            "account.dunning.procedure",
            "create",
            [
                {
                    "name": "Herinneringen",
                    "levels": [
                        [
                            "create",
                            [
                                {"sequence": i, "overdue": {"__class__": "timedelta",
                                                            "seconds": days * 86400}}
                                for i, days in enumerate(LEVELS)
                            ],
                        ]
                    ],
                }
            ],
        )  # fmt: skip
        parties = rpc.search("party.party", [])
        rpc.model("party.party", "write", parties, {"dunning_procedure": procedure})
        levels = rpc.search_read(
            "account.dunning.level", [("procedure", "=", procedure)], fields=("overdue",)
        )
    return [row["id"] for row in sorted(levels, key=lambda row: row["overdue"])]


def _tryton_day(server: TrytonServer, day: date, levels: list[int]) -> dict[str, int]:
    """Tryton's dunning run for ``day`` (the create wizard, then process for the drafts);
    the level index each invoice has reached."""
    with _connector(server) as tryton:
        rpc = tryton.rpc
        (company,) = rpc.search("company.company", [], limit=1)
        rpc.run_wizard(
            "account.dunning.create",
            ("company.company", company),
            [WizardStep("create_", lambda form: {"date": day, "companies": [company]})],
        )
        drafts = rpc.search("account.dunning", [("state", "=", "draft")])
        if drafts:
            rpc.run_wizard(
                "account.dunning.process",
                ("account.dunning", drafts[0]),
                [WizardStep("process", lambda form: {})],
                active_ids=drafts,
            )
        dunnings = rpc.search_read("account.dunning", [], fields=("line", "level", "state"))
        invoices = rpc.search_read(
            "account.invoice", [("type", "=", "out")], fields=("number", "lines_to_pay")
        )
    number_of = {line: row["number"] for row in invoices for line in row["lines_to_pay"]}
    return {number_of[d["line"]]: levels.index(d["level"]) for d in dunnings}


def _maturity(server: TrytonServer) -> dict[str, date]:
    """The maturity date of every invoice still to be paid in Tryton."""
    with _connector(server) as tryton:
        rows = tryton.rpc.search_read(
            "account.invoice",
            [("type", "=", "out"), ("state", "=", "posted")],
            fields=("number", "lines_to_pay.maturity_date"),
        )
    return {
        row["number"]: min(line["maturity_date"] for line in row["lines_to_pay."])
        for row in rows
        if row["lines_to_pay."]
    }


def _ours(folder: Path, day: date) -> tuple[dict[str, int], list[str]]:
    result = ledgerlink(folder, "reminders", "--on", day.isoformat(), "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["reminders"]
    steps = [f"level_{i}" for i in range(len(LEVELS))]
    reached = {r["invoice"]: steps.index(r["step"]) for r in rows if r["step"] in steps}
    return reached, sorted(r["invoice"] for r in rows if r["recorded"])


def test_the_demo_dunning_levels_and_our_steps_agree_and_fire_once(
    server: TrytonServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRYTON_PASSWORD", server.password)
    monkeypatch.delenv("LEDGERLINK_STORE", raising=False)
    monkeypatch.delenv("LEDGERLINK_CONFIG", raising=False)
    folder = write_folder(tmp_path, server, f"sqlite:///{tmp_path / 'store.db'}")
    (folder / "tryton-like.toml").write_text(POLICY, encoding="utf-8")
    settings = folder / "ledgerlink.toml"
    settings.write_text(
        settings.read_text(encoding="utf-8") + '\n[reminders]\npolicy = "tryton-like.toml"\n',
        encoding="utf-8",
    )
    synced = ledgerlink(folder, "sync", "demo")
    assert synced.exit_code == 0, synced.output
    levels = _set_up_dunning(server)
    maturity = _maturity(server)
    first = min(maturity.values())
    # INV-1 was paid in Tryton before ledgerlink was connected: the store knows only the
    # payments it matched itself (issue 16), so it is left out of the comparison.
    before = set(maturity)
    fired: list[str] = []
    for offset in (6, 7, 10, 14, 20, 30, 31):
        day = first + timedelta(days=offset)
        theirs = _tryton_day(server, day, levels)
        ours, recorded = _ours(folder, day)
        ours = {number: level for number, level in ours.items() if number in before}
        recorded = [number for number in recorded if number in before]
        assert ours == theirs, f"{day} ours {sorted(ours.items())} theirs {sorted(theirs.items())}"
        again, twice = _ours(folder, day)  # the second run of the day fires nothing
        assert {n: lv for n, lv in again.items() if n in before} == ours and twice == []
        fired += recorded
    # every dunned invoice went through the three levels, each step once
    assert theirs and set(theirs.values()) == {2}
    assert sorted(fired) == sorted(number for number in theirs for _ in LEVELS)
