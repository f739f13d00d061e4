"""Benchmark: the receivables reports and the day's reminder run from a store (issue 17, §7).

Default size: 1,000,000 open items over 50,000 debtors, as the issue asks, plus as many paid
documents (each with its bank transaction and match event), so that DSO and payment
behaviour have a history to read; a third of the debtors is invoiced from a second connection
too (joined by VAT id), and a tenth has a limit pulled from its source. Each size is run at
10 % and 100 % in fresh child processes:

1. build a SQLite store of that size (not counted: it stands for the store a year of syncs
   leaves; each document row carries a real one-line model JSON, its UBL is a placeholder);
2. time, as ``ledgerlink report credit|ageing|behaviour`` and the reminder run do, the store
   load (``stored_items`` from the buyer columns, the pulled limits, the match histories),
   debtors joined with their exposure against their limits, ageing, concentration, DSO over
   12 months, payment behaviour with the late rates, and the day's reminder evaluation
   (``reconcile.reminders.decide`` with ``nl-b2b`` for every open invoice, given the steps
   daily runs fired before: what ``--due-today`` decides, the store reads and writes around
   it not counted), and the full listing (``reconcile.reminders.evaluate``: step, costs and
   interest per period for every overdue invoice);
3. the baseline, at 10 % only, in its own child: the store load as it was before revision
   0008, parsing every document's model JSON (``stored_items(parties=True)``).

Printed per step: CPU time of the process (``time.process_time``: the figure that holds on a
machine shared with other work) and wall time; their sums; the peak RSS of the child; the
ratio 100 %/10 % (10 is linear) and the load's speed-up over the baseline. Target: the CPU
sum under 20 s and the peak under 3 GB at 100 % on one core; exit 1 when missed.
``--scale 0.1`` runs 10 % of everything for a quick look; ``--no-baseline`` skips step 3.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import resource
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from queue import Empty
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]

from _sample import sample_invoice  # noqa: E402

from model.jsonio import to_data  # noqa: E402
from reconcile.open_items import ItemKind, OpenItem  # noqa: E402
from reconcile.reminders import Fired, Policy, decide  # noqa: E402

ON = date(2026, 12, 7)
TIME_TARGET = 20.0
MEMORY_TARGET_MIB = 3 * 1024
_BATCH = 20_000
_STAMP = "2026-12-07 00:00:00.000000"
Step = tuple[str, float, float]


def _money(amount: Decimal) -> int:
    """The SQLite form of an ExactDecimal(18, 4): an integer count of 0.0001."""
    return int(amount.scaleb(4))


def _documents(count: int, debtors: int, model: str) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(1)
    for n in range(count):
        d = n % debtors
        erp = d % 3 == 0 and n % 4 == 0  # invoiced from the ERP too, known by VAT id only
        kvk, vat = f"{d:08d}", f"NL{d:09d}B01"
        issued = ON - timedelta(days=rng.randrange(400))
        amount = Decimal(rng.randint(1000, 900000)) / 100
        credit = n % 25 == 0
        yield (
            n + 1, 2 if erp else 1, f"record-{n}", f"2026-{n:07d}",
            "credit-note" if credit else "invoice", "381" if credit else "380",
            issued.isoformat(), (issued + timedelta(days=30)).isoformat(), "EUR",
            _money(-amount if credit else amount), f"Debiteur {d} B.V.", "peppol-bis3",
            f"{n:064x}", model, b"<Invoice/>", "[]", None, "delivered", _STAMP, _STAMP,
            f"vat:{vat}" if erp else f"0106:{kvk}",
            json.dumps([f"vat:{vat}"] if erp else [f"kvk:{kvk}", f"vat:{vat}"]), "[]",
            f"RF{n:012d}",
        )  # fmt: skip


def _build(url: str, count: int, debtors: int, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    """The store of ``count`` documents: every second one paid by a matched transaction."""
    from sync.store import open_store

    with open_store(url, create=True) as store:
        store.upgrade()
    invoice = sample_invoice(1)
    model = json.dumps(to_data(replace(invoice, number="2026-0000001")))
    db = sqlite3.connect(url.removeprefix("sqlite:///"))
    db.execute(
        "INSERT INTO tenants (id, key, name, created_at) VALUES (1, 'default', 'x', ?)", (_STAMP,)
    )
    db.executemany(
        "INSERT INTO connections (id, tenant_id, name, connector, created_at) VALUES (?, 1, ?, 'ubl-dir', ?)",
        [(1, "shop", _STAMP), (2, "erp", _STAMP)],
    )  # fmt: skip
    columns = (
        "id, connection_id, source_id, number, kind, type_code, issue_date, due_date, currency, "
        "payable_amount, buyer_name, profile, content_hash, model, ubl, validation_report, "
        "parse_report, state, created_at, updated_at, buyer_key, buyer_identifiers, "
        "buyer_accounts, payment_reference"
    )
    insert = f"INSERT INTO documents ({columns}) VALUES ({', '.join('?' * 24)})"
    batch: list[tuple[Any, ...]] = []
    paid: list[tuple[Any, ...]] = []
    for row in _documents(count, debtors, model):
        batch.append(row)
        if row[0] % 2 == 0:
            due = date.fromisoformat(row[7])
            paid.append((row[0], min(due + timedelta(days=row[0] % 80 - 20), ON), row[9], row[4]))
        if len(batch) == _BATCH:
            db.executemany(insert, batch)
            _pay(db, paid)
            batch, paid = [], []
    db.executemany(insert, batch)
    _pay(db, paid)
    db.executemany(
        "INSERT INTO credit_limits (connection_id, party_id, name, identifiers, amount, currency, "
        "updated_at) VALUES (2, ?, ?, ?, ?, 'EUR', ?)",
        [(str(d), f"D{d}", json.dumps([f"vat:NL{d:09d}B01"]), _money(Decimal(40000)), _STAMP)
         for d in range(0, debtors, 10)],
    )  # fmt: skip
    db.commit()
    db.close()
    queue.put(None)


def _pay(db: sqlite3.Connection, paid: list[tuple[Any, ...]]) -> None:
    db.executemany(
        "INSERT INTO transactions (id, tenant_id, account, booking_date, amount, currency, "
        "identity, created_at, reversal) VALUES (?, 1, 'NL91ABNA0417164300', ?, ?, 'EUR', ?, ?, 0)",
        [(doc, day.isoformat(), amount, f"{doc:064x}", _STAMP) for doc, day, amount, _ in paid],
    )
    db.executemany(
        "INSERT INTO matches (id, transaction_id, document_id, amount, stage, reason, "
        "confidence, created_at, written_off) VALUES (?, ?, ?, ?, 'reference', 'RF', 10000, ?, 0)",
        [(doc, doc, doc, -abs(amount) if kind != "invoice" else amount, _STAMP)
         for doc, _, amount, kind in paid],
    )  # fmt: skip


def _timed(steps: list[Step], name: str, work: Callable[[], Any]) -> Any:
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    steps.append((name, time.process_time() - cpu, time.perf_counter() - wall))
    return result


def _reports(url: str, debtors: int, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    """Step 2 in a child: what the three reports and the reminder run compute."""
    from reconcile.credit.ageing import ageing
    from reconcile.credit.behaviour import (
        debtor_behaviour,
        late_rate_by_band,
        late_rate_by_weekday,
    )
    from reconcile.credit.concentration import concentration
    from reconcile.credit.dso import dso_by_month, month_figures
    from reconcile.credit.exposure import CreditLimit
    from reconcile.debtors import join_debtors
    from reconcile.reminders.evaluate import evaluate
    from reconcile.reminders.policy import load_policy
    from sync.receivables import (
        buyers_of,
        debtor_exposures,
        pulled_limits,
        stored_histories,
        stored_items,
    )
    from sync.store import open_store

    steps: list[Step] = []
    limits = {f"0106:{d:08d}": CreditLimit(Decimal(50000), "EUR") for d in range(0, debtors, 2)}
    with open_store(url) as store, store.begin() as conn:
        every = _timed(steps, "load documents", lambda: stored_items(conn, include_settled=True))
        pulled = _timed(steps, "load pulled limits", lambda: pulled_limits(conn))
        opened = [s for s in every if s.item.open != 0]
        book, found, _ = _timed(
            steps, "debtors + exposure", lambda: debtor_exposures(opened, limits, pulled=pulled)
        )
        everyone = _timed(steps, "join all debtors", lambda: join_debtors(buyers_of(every)))
        histories = _timed(steps, "load histories", lambda: stored_histories(conn, every, everyone))
    joined = []
    for s in opened:
        debtor = book.of(s.connection, s.item.debtor)
        same = debtor is None or debtor.key == s.item.debtor
        joined.append(s.item if same else replace(s.item, debtor=debtor.key))
    owed = {row.debtor: row.total for entry in found for row in entry.exposures}
    _timed(steps, "ageing", lambda: ageing(joined, ON))
    _timed(steps, "concentration", lambda: concentration(owed))
    _timed(
        steps,
        "DSO 12 months",
        lambda: dso_by_month(month_figures(histories, date(2026, 1, 1), ON, currency="EUR")),
    )
    _timed(steps, "behaviour", lambda: debtor_behaviour(histories, ON))
    _timed(
        steps,
        "late rates",
        lambda: (late_rate_by_band(histories, ON), late_rate_by_weekday(histories, ON)),
    )
    policy = load_policy("nl-b2b")
    fired = _history(joined, policy)  # the steady state of daily runs: not counted
    _timed(steps, "reminders (day's run)", lambda: _day_run(fired, policy))
    reminded = _timed(steps, "reminders listing", lambda: evaluate(joined, ON, policy)[0])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put((steps, peak, len(opened), len(reminded)))


def _history(items: list[OpenItem], policy: Policy) -> list[tuple[OpenItem, list[Fired]]]:
    """Each open invoice with the steps daily runs fired before ON (the steady state)."""
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


def _day_run(history: list[tuple[OpenItem, list[Fired]]], policy: Policy) -> int:
    """The day's run (``--due-today``): the decision for every open invoice given its
    history, as :func:`sync.reminders.plan` makes it; how many fire."""
    decisions = (decide(i, ON, policy, f, only_firing=True) for i, f in history)
    return sum(1 for decision in decisions if decision is not None and decision.fires)


def _baseline(url: str, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    """Step 3 in a child: the load reading every model, as before revision 0008."""
    from sync.receivables import stored_items
    from sync.store import open_store

    steps: list[Step] = []
    with open_store(url) as store, store.begin() as conn:
        _timed(
            steps, "load (models)", lambda: stored_items(conn, include_settled=True, parties=True)
        )
    queue.put((steps, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def _child(target: Callable[..., None], *args: Any) -> Any:
    queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    child = multiprocessing.Process(target=target, args=(*args, queue))
    child.start()
    while True:
        try:
            result = queue.get(timeout=1)
            break
        except Empty:
            if not child.is_alive():
                raise SystemExit(f"{target.__name__} failed (exit code {child.exitcode})") from None
    child.join()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, default=1_000_000, help="open items (as many paid)")
    parser.add_argument("--debtors", type=int, default=50_000)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--no-baseline", action="store_true", help="skip the model-parsing load")
    args = parser.parse_args()
    full = [max(1, int(v * args.scale)) for v in (2 * args.open, args.debtors)]
    cpu_sums, peaks = {}, {}
    for share in (0.1, 1.0):
        size = (max(1, int(full[0] * share)), max(1, int(full[1] * share)))
        with tempfile.TemporaryDirectory(prefix="ledgerlink-receivables-") as folder:
            url = f"sqlite:///{folder}/store.db"
            started = time.perf_counter()
            _child(_build, url, *size)
            built = time.perf_counter() - started
            steps, peak, open_items, reminded = _child(_reports, url, size[1])
            baseline = None if args.no_baseline or share == 1.0 else _child(_baseline, url)
        cpu_sums[share] = sum(cpu for _, cpu, _ in steps)
        peaks[share] = peak
        print(
            f"{int(share * 100):3d} %: {size[0]:>9,} documents ({open_items:,} open), "
            f"{size[1]:>7,} debtors; store built in {built:.0f} s (not counted)"
        )
        for name, cpu, wall in steps:
            print(f"       {name:<20} cpu {cpu:6.2f} s   wall {wall:6.2f} s")
        wall_sum = sum(wall for _, _, wall in steps)
        print(
            f"       sum: cpu {cpu_sums[share]:.2f} s, wall {wall_sum:.2f} s; "
            f"peak RSS {peak:.0f} MiB; {reminded:,} reminders"
        )
        if baseline is not None:
            (_, base_cpu, base_wall), *_ = baseline[0]
            load = steps[0][1]
            print(
                f"       baseline load reading every model: cpu {base_cpu:.2f} s, wall "
                f"{base_wall:.2f} s, peak RSS {baseline[1]:.0f} MiB; buyer columns "
                f"{base_cpu / load if load else float('nan'):.1f}x faster"
            )
    ratio = cpu_sums[1.0] / cpu_sums[0.1] if cpu_sums[0.1] else float("nan")
    print(f"cpu sum 100 %/10 %: {ratio:.1f} (10 = linear)")
    met = cpu_sums[1.0] < TIME_TARGET and peaks[1.0] < MEMORY_TARGET_MIB
    print(
        f"target: under {TIME_TARGET:.0f} s cpu and {MEMORY_TARGET_MIB} MiB at 100 %: "
        + ("met" if met else "MISSED")
    )
    return 0 if met or args.scale < 1 else 1


if __name__ == "__main__":
    sys.exit(main())
