"""Fault injection: the payment pusher killed with SIGKILL at random points, restarted
until it is done, books each of 40 payments exactly once at the source, none lost.

The source (:class:`support.payment_ledger.AskableLedger`) books every call it gets, even a
repeated one, so a second push would show. The worker is this file run as a script; it
stops at the COUNT-th pass of a checkpoint of :mod:`sync.payment_push` (``claimed``: after
the claim is committed, before the push; ``pushed``: after the push, before its record;
``recorded``), writes a marker and sleeps, and the test kills it there. The points are
seeded: ``LEDGERLINK_KILL9_SEED=N`` replays a run, ``LEDGERLINK_KILL9_KILLS`` sets how many.
"""

from __future__ import annotations

import os
import random
import sys
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from support.kill_points import run_to_kill_point

ROOT = Path(__file__).resolve().parents[2]
PAYMENTS = 40
WAIT = 90.0


def _fill(url: str) -> None:
    from support.outbox_doubles import add_document

    from reconcile.result import Allocation, Match, Stage
    from reconcile.transaction import Transaction
    from sync.bank_rows import to_data
    from sync.reconciliation import Booking, record_matches
    from sync.store import open_store, transactions

    with open_store(url, create=True) as store:
        store.ensure()
        with store.begin() as conn:
            applied = []
            for index in range(PAYMENTS):
                number = f"INV-{index:04d}"
                add_document(conn, number)
                booking = Transaction(
                    booking_date=date(2026, 3, 2),
                    amount=Decimal("121.00"),
                    currency="EUR",
                    bank_reference=f"REF-{index:04d}",
                )
                row = conn.execute(
                    transactions.insert()
                    .values(
                        tenant_id=1,
                        account="NL91ABNA0417164300",
                        booking_date=booking.booking_date,
                        amount=booking.amount,
                        currency="EUR",
                        bank_reference=booking.bank_reference,
                        identity=f"{index:064d}",
                        connection_id=1,
                        reversal=False,
                        data=to_data(booking),
                        created_at=datetime.now(UTC),
                    )
                    .returning(transactions.c.id)
                ).scalar_one()
                key = booking.bank_reference or ""
                applied.append(
                    (
                        Booking(row, key, 1, booking),
                        Match(
                            bank_reference=key,
                            transaction=booking,
                            allocations=(Allocation(invoice=number, amount=booking.amount),),
                            stage=Stage.REFERENCE,
                            reason="test",
                            confidence=1.0,
                        ),
                    )
                )
            record_matches(conn, applied)


def _run(url: str, tmp: Path, point: str | None) -> str:
    return run_to_kill_point([__file__, url, str(tmp / "source")], tmp, point, wait=WAIT)


def test_kill_9_at_random_points_books_each_payment_once(store_url: str, tmp_path: Path) -> None:
    from sqlalchemy import select
    from support.payment_ledger import AskableLedger

    from sync.store import open_store, payment_pushes

    seed = int(os.environ.get("LEDGERLINK_KILL9_SEED") or random.SystemRandom().randrange(10**6))
    kills = int(os.environ.get("LEDGERLINK_KILL9_KILLS", "9"))
    print(f"kill -9 seed {seed} (replay: LEDGERLINK_KILL9_SEED={seed})")
    rng = random.Random(seed)
    _fill(store_url)
    killed: Counter[str] = Counter()
    points = ["claimed", "pushed", "recorded"]
    for attempt in range(3 * kills):
        if sum(killed.values()) == kills:
            break
        if attempt % 3 == 0:
            rng.shuffle(points)  # each kind of point in every three kills, in random order
        point = f"{points[attempt % 3]}:{rng.randint(1, 6)}"
        if _run(store_url, tmp_path, point) == "killed":
            killed[point.partition(":")[0]] += 1
    assert _run(store_url, tmp_path, None) == "done"
    print(f"seed {seed}: killed at {dict(killed)}")

    booked = AskableLedger(tmp_path / "source").bookings()
    assert len(booked) == PAYMENTS, f"seed {seed}: {PAYMENTS - len(booked)} payments lost"
    assert set(booked.values()) == {1}, f"seed {seed}: booked twice: {booked.most_common(3)}"
    with open_store(store_url) as store, store.begin() as conn:
        states = Counter(conn.execute(select(payment_pushes.c.state)).scalars())
    assert set(states) <= {"pushed", "found"} and sum(states.values()) == PAYMENTS
    assert states["found"] == killed["pushed"], f"seed {seed}: {states}"  # asked, not re-pushed
    assert killed["claimed"] > 0 and killed["pushed"] > 0, f"seed {seed}: {dict(killed)}"


def _worker(url: str, source: str) -> int:
    from support.kill_points import kill_point_pause
    from support.payment_ledger import AskableLedger

    import sync.payment_push
    from sync.payment_push import push_payments
    from sync.store import open_store

    sync.payment_push.checkpoint = kill_point_pause()
    with open_store(url) as store:
        push_payments(store, {"shop": AskableLedger(Path(source))})
    return 0


if __name__ == "__main__":
    sys.exit(_worker(*sys.argv[1:]))
