"""Fault injection against the real Tryton server (issue 16, section 3): ``ledgerlink
reconcile`` killed with SIGKILL at random points of its push work, restarted until it is
done, books each payment of the section 5 statement exactly once in Tryton, takes the
reversal back once, leaves nothing queued, and Tryton's ``amount_to_pay`` is the store's
open amount for every invoice.

Each round starts from a fresh copy of the demo database (tests/tryton/open_invoices.py) and
an empty store: ``ledgerlink sync`` and ``ledgerlink statements import`` as the user runs
them, then the worker (this file run as a script: ``ledgerlink reconcile --format json``) is
killed again and again. It stops at the COUNT-th pass of a point:

* ``claimed``, ``pushed``, ``recorded``: the checkpoints of :mod:`sync.payment_push` (after
  the claim is committed; after the push returned, before its record; after the record);
* ``written``: right after Tryton answered a call that writes (a pay wizard's booking step,
  a reversal's move created, posted, reconciled, its payment line released): Tryton has
  committed it, ledgerlink has not seen it. So a kill lands inside a reversal's steps too.

Each next point is drawn from the work still queued (the pushes still ``pending`` and the
fewest writes they make), so no kill is wasted after the last push. The points are seeded:
the seed is printed, ``LEDGERLINK_KILL9_SEED=N`` replays a run, ``LEDGERLINK_KILL9_ROUNDS``
and ``LEDGERLINK_KILL9_KILLS`` set the rounds (2) and the kills per round at most (8).
"""

from __future__ import annotations

import json
import os
import random
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from support.kill_points import run_to_kill_point

if TYPE_CHECKING:
    from tryton.server import TrytonServer

pytestmark = pytest.mark.usefixtures("artifacts_cache")

WAIT = 60.0
PUSHES = 6  # INV-4, INV-5, INV-6, INV-7, INV-8 and INV-8's reversal
WRITES_AT_LEAST = {"payment": 1, "reversal": 3, "credit": 1}
"""The fewest writes to Tryton a push of each kind makes (a payment: the pay wizard's
booking step; a reversal: its move created, posted and reconciled); one resumed after a
kill makes at least one."""
FIRST_RUN = [WRITES_AT_LEAST["payment"]] * 5 + [WRITES_AT_LEAST["reversal"]]
SPAN = 2
"""Each kill lands in one of the next SPAN pushes: every push gets its share of kills."""


def _work_left(url: str, server: TrytonServer) -> list[int]:
    """The fewest writes each push still to be made will send, in push order: the pushes
    ``pending``, and those a kill left ``pushing`` that Tryton does not hold (which the next
    run pushes again; those it holds are only asked)."""
    from pydantic import SecretStr
    from sqlalchemy import select

    from connectors.base import DocumentRef, Payment
    from connectors.tryton import TrytonConnector
    from sync.store import documents, open_store, payment_pushes

    with open_store(url) as store, store.begin() as conn:
        rows = conn.execute(
            select(payment_pushes, documents.c.source_id, documents.c.number)
            .join(documents, documents.c.id == payment_pushes.c.document_id)
            .where(payment_pushes.c.state.in_(("pending", "pushing")))
            .order_by(payment_pushes.c.id)
        ).all()
    left = []
    password = SecretStr(server.password)
    with TrytonConnector(server.url, server.database, server.username, password) as tryton:
        for row in rows:
            if row.state == "pending":
                left.append(WRITES_AT_LEAST[row.kind])
                continue
            ref = DocumentRef(record_id=row.source_id, number=row.number)
            payment = Payment(
                amount=row.amount,
                currency=row.currency,
                paid_on=row.paid_on,
                reference=row.reference,
            )
            booked = tryton.reversal_booked if row.kind == "reversal" else tryton.payment_booked
            if not booked(ref, payment):
                left.append(1)
    return left


def _pick(rng: random.Random, name: str, left: list[int]) -> str:
    """A pass of point ``name`` within the next SPAN pushes still to be made."""
    if name == "written":
        return f"written:{rng.randint(1, sum(left[:SPAN]))}"
    return f"{name}:{rng.randint(1, min(len(left), SPAN))}"


def _round(
    rng: random.Random, kills: int, folder: Path, server: TrytonServer, url: str, tmp: Path
) -> tuple[Counter[str], dict[str, Any]]:
    """Kill the reconcile worker up to ``kills`` times while pushes are left, then run it to
    the end; the points it was killed at, and the JSON of one more (in-process) run."""
    from tryton.cli_steps import ledgerlink

    killed: Counter[str] = Counter()
    names = ["written", "pushed"]
    rng.shuffle(names)  # these two first: the kills that leave Tryton ahead of the store
    args = [__file__, str(folder / "ledgerlink.toml")]
    for attempt in range(3 * kills):
        left = _work_left(url, server) if attempt else FIRST_RUN
        if sum(killed.values()) == kills or not left:
            break
        name = names[attempt] if attempt < len(names) else rng.choice(POINTS)
        point = _pick(rng, name, left)
        if run_to_kill_point(args, tmp, point, wait=WAIT) == "killed":
            killed[name] += 1
    assert run_to_kill_point(args, tmp, None, wait=WAIT) == "done"
    again = ledgerlink(folder, "reconcile", "--format", "json")
    assert again.exit_code == 0, again.output
    return killed, json.loads(again.stdout)


POINTS = ("claimed", "written", "pushed", "recorded")
EXPECTED_REFERENCES = {  # the bank references of each document's payment lines at the end
    "INV-1": [""],  # paid in Tryton before ledgerlink, no reference
    "INV-2": [""],
    "INV-3": [],
    "CN-1": [],
    "INV-4": ["ACR-01"],
    "INV-5": ["ACR-02"],
    "INV-6": ["ACR-03"],
    "INV-7": ["ACR-03"],
    "INV-8": [],  # ACR-04 taken back by the reversal ACR-05
    "INV-9": [],
}


def test_kill_9_at_random_points_books_each_payment_once_in_tryton(
    tryton_template: Path,
    postgres_database: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sqlalchemy import select
    from support.postgres import reset_schema
    from tryton.cli_steps import sync_and_import
    from tryton.demo_statement import (
        EXPECTED_MOVES,
        moves_by_reference,
        open_in_tryton,
        tryton_invoices,
        write_folder,
    )
    from tryton.open_invoices import open_invoices_template
    from tryton.server import run_server

    from sync.store import open_store, payment_pushes

    seed = int(os.environ.get("LEDGERLINK_KILL9_SEED") or random.SystemRandom().randrange(10**6))
    rounds = int(os.environ.get("LEDGERLINK_KILL9_ROUNDS", "1"))
    kills = int(os.environ.get("LEDGERLINK_KILL9_KILLS", "8"))
    print(f"kill -9 seed {seed} (replay: LEDGERLINK_KILL9_SEED={seed})")
    rng = random.Random(seed)
    template = open_invoices_template(tryton_template)
    monkeypatch.delenv("LEDGERLINK_STORE", raising=False)
    monkeypatch.delenv("LEDGERLINK_CONFIG", raising=False)
    for round_ in range(rounds):
        reset_schema(postgres_database)
        work = tmp_path / f"round-{round_}"
        with run_server(template, work / "tryton") as server:
            monkeypatch.setenv("TRYTON_PASSWORD", server.password)
            folder = write_folder(work, server, postgres_database)
            sync_and_import(folder)
            killed, result = _round(rng, kills, folder, server, postgres_database, work)
            print(f"seed {seed} round {round_}: killed at {dict(killed)}")
            assert killed["written"] and killed["pushed"], f"seed {seed}: {dict(killed)}"
            assert result["entries"] == {} and result["pushed"]["pushed"] == 0, result

            # each payment booked once per bank reference, the reversal once
            assert moves_by_reference(server) == EXPECTED_MOVES, f"seed {seed}"
            after = tryton_invoices(server)
            references = {number: row["references"] for number, row in after.items()}
            assert references == EXPECTED_REFERENCES, f"seed {seed}"
            assert after["INV-8"]["state"] == "posted", f"seed {seed}"  # re-opened

            # nothing left queued; a push killed after Tryton took it was asked, not redone
            with open_store(postgres_database) as store, store.begin() as conn:
                states = Counter(conn.execute(select(payment_pushes.c.state)).scalars())
            assert set(states) <= {"pushed", "found"}, f"seed {seed}: {states}"
            assert sum(states.values()) == PUSHES, f"seed {seed}: {states}"
            assert killed["pushed"] <= states["found"], f"seed {seed}: {states}"
            assert states["found"] <= killed["pushed"] + killed["written"], f"seed {seed}"

            # Tryton's amount_to_pay is the store's open amount, for every document
            theirs = open_in_tryton(after)
            assert set(result["open"]) <= set(theirs), f"seed {seed}"
            ours = {number: Decimal(result["open"].get(number, "0")) for number in theirs}
            assert ours == theirs, f"seed {seed}"  # a settled one is not in "open": 0


def _worker(config: str) -> int:
    """``ledgerlink --config CONFIG reconcile --format json``, pausing at the kill point."""
    from support.kill_points import kill_point_pause

    import sync.payment_push
    from connectors._tryton_rpc import TrytonRpc
    from ledgerlink.cli import app

    pause = kill_point_pause()
    sync.payment_push.checkpoint = pause
    post = TrytonRpc._post

    def _post(self: TrytonRpc, method: str, params: list[Any], **options: Any) -> Any:
        answer = post(self, method, params, **options)
        if not options["idempotent"]:
            pause("written")
        return answer

    TrytonRpc._post = _post  # type: ignore[method-assign]
    app(["--config", config, "reconcile", "--format", "json"], prog_name="ledgerlink")
    return 0


if __name__ == "__main__":
    sys.exit(_worker(*sys.argv[1:]))
