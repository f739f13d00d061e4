"""Benchmark: the matcher alone (no statement parsing, no store) at 10 % and 100 % of a size.

Default size (issue 16, section 6): 1,000,000 open items over 50,000 debtors and a
200,000-entry statement. The bookings mix references in the structured field (50 %),
references spelled in the text (10 %), invoice numbers in the text (15 %), debtor + amount
(10 %, the debtor's account on its invoices), and unrelated debits and unknown payers (15 %).
Each size runs in a fresh child process, which prints the time to build the open items and
bookings (not counted), the time of :func:`reconcile.matching.match`, and the peak RSS of
the child; the ratio 100 %/10 % of the match time shows how the cost grows (10 would be
linear). ``--scale 0.1`` runs 10 % of everything for a quick look.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import resource
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]

from model.identifiers import betalingskenmerk, rf  # noqa: E402
from reconcile.matching import match  # noqa: E402
from reconcile.open_items import ItemKind, OpenItem  # noqa: E402
from reconcile.transaction import Counterparty, Transaction  # noqa: E402

_DAY = date(2026, 11, 2)


def _build(
    items_n: int, debtors_n: int, bookings_n: int, seed: int = 1
) -> tuple[list[OpenItem], dict[str, Transaction]]:
    rng = random.Random(seed)
    ibans = [f"NL00TEST{d:010d}" for d in range(debtors_n)]
    names = [f"Debiteur {d} B.V." for d in range(debtors_n)]
    items: list[OpenItem] = []
    for n in range(items_n):
        d = n % debtors_n
        kind = n % 3
        reference = (
            rf.create(f"{n:09d}")
            if kind == 0
            else betalingskenmerk.create(f"{n:015d}")
            if kind == 1
            else None
        )
        amount = Decimal(rng.randint(1000, 900000)) / 100
        items.append(
            OpenItem(
                number=f"2026-{n:07d}",
                kind=ItemKind.INVOICE,
                debtor=f"0106:{d:08d}",
                debtor_name=names[d],
                debtor_accounts=frozenset({ibans[d]}) if d % 2 else frozenset(),
                currency="EUR",
                amount=amount,
                open=amount,
                issue_date=_DAY - timedelta(days=n % 60),
                payment_reference=reference,
            )
        )
    bookings: dict[str, Transaction] = {}
    picks = rng.sample(range(items_n), bookings_n)
    for b, n in enumerate(picks):
        item = items[n]
        d = n % debtors_n
        roll = b % 20
        party = Counterparty(name=names[d], iban=ibans[d])
        common = {"booking_date": _DAY, "currency": "EUR", "bank_reference": f"B{b:08d}"}
        if roll < 10 and item.payment_reference:
            tx = Transaction(
                amount=item.open,
                counterparty=party,
                structured_reference=item.payment_reference,
                **common,
            )  # type: ignore[arg-type]
        elif roll < 12 and item.payment_reference:
            tx = Transaction(
                amount=item.open,
                counterparty=party,
                text=f"BETALINGSKENM. {item.payment_reference} dank",
                **common,
            )  # type: ignore[arg-type]
        elif roll < 15:
            tx = Transaction(
                amount=item.open, counterparty=party, text=f"fact {item.number}", **common
            )  # type: ignore[arg-type]
        elif roll < 17 and d % 2:
            tx = Transaction(amount=item.open, counterparty=party, **common)  # type: ignore[arg-type]
        elif roll < 19:
            tx = Transaction(amount=-item.open, text="huur", **common)  # type: ignore[arg-type]
        else:
            tx = Transaction(
                amount=item.open,
                text="diversen",
                counterparty=Counterparty(name="Onbekend"),
                **common,
            )  # type: ignore[arg-type]
        bookings[f"B{b:08d}"] = tx
    return items, bookings


def _run(args: tuple[int, int, int], queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    started = time.perf_counter()
    items, bookings = _build(*args)
    built = time.perf_counter() - started
    started = time.perf_counter()
    outcome = match(bookings, items)
    took = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put((built, took, peak, len(outcome.matches), len(outcome.unmatched)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--debtors", type=int, default=50_000)
    parser.add_argument("--bookings", type=int, default=200_000)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    full = [int(v * args.scale) for v in (args.items, args.debtors, args.bookings)]
    results = {}
    for share in (0.1, 1.0):
        size = tuple(max(1, int(v * share)) for v in full)
        queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
        child = multiprocessing.Process(target=_run, args=(size, queue))
        child.start()
        built, took, peak, matched, unmatched = queue.get()
        child.join()
        results[share] = took
        print(
            f"{int(share * 100):3d} %: {size[0]:>9,} items, {size[1]:>7,} debtors, "
            f"{size[2]:>8,} bookings: build {built:6.1f} s, match {took:6.2f} s, "
            f"peak RSS {peak:7.0f} MiB, {matched:,} matched, {unmatched:,} unmatched"
        )
    print(f"match time 100 %/10 %: {results[1.0] / results[0.1]:.1f} (10 = linear)")


if __name__ == "__main__":
    main()
