"""Benchmark: the receivables figures (issue 17, section 7) at 10 % and 100 % of a size.

Default size: 1,000,000 open items over 50,000 debtors, as the issue asks, plus as many paid
documents, so that DSO and payment behaviour have a history to read. Each size
runs in a fresh child process that builds the open items and document histories (not
counted: they stand for what the store hands over), then times each computation that the
reports run: debtors joined across two connections, exposure against limits, ageing,
concentration, DSO over 12 months, payment behaviour and the late rates. It prints the time
of each, their sum, the peak RSS of the child, and the ratio 100 %/10 % of the sum (10 is
linear). Target: the sum under 20 s and the peak under 3 GB at 100 % on one core; exit 1 when
missed. The day's reminder run is timed as its decisions (:func:`reconcile.reminders.decide`
with ``nl-b2b``) in the steady state of daily runs (each invoice has the steps before today
fired; that history is built, not counted): ``reminders (day's run)`` decides what fires
(``--due-today``, in the sum); the listing (step, costs and interest per period for every
overdue invoice, as ``ledgerlink reminders`` without ``--due-today`` shows them) is printed
beside the sum, not in it. Both without the store reads and writes around them. Not measured here yet: loading the items from the store.
``--scale 0.1`` runs 10 % of everything for a quick look.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import resource
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]

from reconcile.credit.ageing import ageing  # noqa: E402
from reconcile.credit.behaviour import (  # noqa: E402
    debtor_behaviour,
    late_rate_by_band,
    late_rate_by_weekday,
)
from reconcile.credit.concentration import concentration  # noqa: E402
from reconcile.credit.dso import dso_by_month, month_figures  # noqa: E402
from reconcile.credit.exposure import CreditLimit, exposures  # noqa: E402
from reconcile.credit.history import History  # noqa: E402
from reconcile.debtors import Buyer, join_debtors  # noqa: E402
from reconcile.open_items import ItemKind, OpenItem  # noqa: E402
from reconcile.reminders import Fired, decide, load_policy  # noqa: E402

ON = date(2026, 12, 7)
TIME_TARGET = 20.0
MEMORY_TARGET_MIB = 3 * 1024


def _build(
    documents: int, debtors: int, seed: int = 1
) -> tuple[list[OpenItem], list[History], list[Buyer]]:
    rng = random.Random(seed)
    items, histories = [], []
    for n in range(documents):
        d = n % debtors
        issued = ON - timedelta(days=rng.randrange(400))
        due = issued + timedelta(days=30)
        amount = Decimal(rng.randint(1000, 900000)) / 100
        credit = n % 25 == 0
        paid = n % 2 == 1
        settlements: tuple[tuple[date, Decimal], ...] = ()
        if paid:
            settlements = ((min(due + timedelta(days=rng.randrange(-20, 60)), ON), amount),)
        left = Decimal(0) if paid else amount
        key = f"0106:{d:08d}"
        histories.append(
            History(
                number=f"2026-{n:07d}",
                debtor=key,
                currency="EUR",
                amount=-amount if credit else amount,
                issue_date=issued,
                due_date=due,
                settlements=settlements,
            )
        )
        if left:
            items.append(
                OpenItem(
                    number=f"2026-{n:07d}",
                    debtor=key,
                    debtor_name=f"Debiteur {d} B.V.",
                    kind=ItemKind.CREDIT_NOTE if credit else ItemKind.INVOICE,
                    currency="EUR",
                    amount=amount,
                    open=left,
                    issue_date=issued,
                    due_date=due,
                )
            )
    buyers = []
    for d in range(debtors):
        ids = frozenset({("kvk", f"{d:08d}"), ("vat", f"NL{d:09d}B01")})
        buyers.append(Buyer("shop", f"0106:{d:08d}", f"Debiteur {d} B.V.", ids))
        if d % 3 == 0:  # a third of the debtors is invoiced from the ERP too, by VAT id
            buyers.append(
                Buyer(
                    "erp",
                    f"vat:NL{d:09d}B01",
                    f"DEBITEUR {d}",
                    frozenset(ids - {("kvk", f"{d:08d}")}),
                )
            )
    return items, histories, buyers


def _history(items: list[OpenItem]) -> list[tuple[OpenItem, list[Fired]]]:
    """Each open invoice with the steps daily runs fired before ON."""
    policy = load_policy("nl-b2b")
    found = []
    for item in items:
        if item.kind is not ItemKind.INVOICE or item.due_date is None:
            continue
        days = (ON - item.due_date).days
        fired = [
            Fired(step.name, item.due_date + timedelta(days=step.days))
            for step in policy.steps
            if step.days < days
        ]
        found.append((item, fired))
    return found


def _reminders(history: list[tuple[OpenItem, list[Fired]]], only_firing: bool) -> int:
    """The day's decisions for every open invoice: how many fire."""
    policy = load_policy("nl-b2b")
    decisions = (decide(i, ON, policy, f, only_firing=only_firing) for i, f in history)
    return sum(1 for decision in decisions if decision is not None and decision.fires)


def _run(args: tuple[int, int], queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    started = time.perf_counter()
    items, histories, buyers = _build(*args)
    fired = _history(items)
    built = time.perf_counter() - started
    limits = {f"0106:{d:08d}": CreditLimit(Decimal(50000), "EUR") for d in range(0, args[1], 2)}
    steps: list[tuple[str, Callable[[], Any]]] = [
        ("join debtors", lambda: join_debtors(buyers)),
        ("exposure", lambda: exposures(items, limits)),
        ("ageing", lambda: ageing(items, ON)),
        (
            "concentration",
            lambda: concentration({r.debtor: r.total for r in exposures(items)}),
        ),
        (
            "DSO 12 months",
            lambda: dso_by_month(month_figures(histories, date(2026, 1, 1), ON, currency="EUR")),
        ),
        ("behaviour", lambda: debtor_behaviour(histories, ON)),
        (
            "late rates",
            lambda: (late_rate_by_band(histories, ON), late_rate_by_weekday(histories, ON)),
        ),
        ("reminders (day's run)", lambda: _reminders(fired, True)),
    ]
    times = []
    for name, step in steps:
        started = time.perf_counter()
        step()
        times.append((name, time.perf_counter() - started))
    started = time.perf_counter()
    _reminders(fired, False)
    listing = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put((built, times, peak, len(items), listing))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, default=1_000_000, help="open items (as many paid)")
    parser.add_argument("--debtors", type=int, default=50_000)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    full = [max(1, int(v * args.scale)) for v in (2 * args.open, args.debtors)]
    totals, peaks = {}, {}
    for share in (0.1, 1.0):
        size = (max(1, int(full[0] * share)), max(1, int(full[1] * share)))
        queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
        child = multiprocessing.Process(target=_run, args=(size, queue))
        child.start()
        built, times, peak, open_items, listing = queue.get()
        child.join()
        totals[share] = sum(took for _, took in times)
        peaks[share] = peak
        steps = ", ".join(f"{name} {took:.2f} s" for name, took in times)
        print(
            f"{int(share * 100):3d} %: {size[0]:>9,} documents ({open_items:,} open), "
            f"{size[1]:>7,} debtors: build {built:.1f} s (not counted)\n"
            f"       {steps}\n       sum {totals[share]:.2f} s, peak RSS {peak:.0f} MiB; "
            f"not in the sum: reminders listing {listing:.2f} s"
        )
    ratio = totals[1.0] / totals[0.1] if totals[0.1] else float("nan")
    print(f"sum 100 %/10 %: {ratio:.1f} (10 = linear)")
    met = totals[1.0] < TIME_TARGET and peaks[1.0] < MEMORY_TARGET_MIB
    print(
        f"target: under {TIME_TARGET:.0f} s and {MEMORY_TARGET_MIB} MiB at 100 %: "
        + ("met" if met else "MISSED")
    )
    return 0 if met or args.scale < 1 else 1


if __name__ == "__main__":
    sys.exit(main())
