"""Benchmark (issue 16, section 6): import a 200,000-entry camt.053 statement and reconcile it
against 1,000,000 open items over 50,000 debtors, in under 30 s and 3 GB on one core.

Both phases run at 10 % and at 100 % of that size, each phase in a fresh child process (the
way ``ledgerlink statements import`` and ``ledgerlink reconcile`` run), which reports its
wall time, its CPU time (``time.process_time``) and its peak RSS (``ru_maxrss``):

``import``
    the real path of ``statements import``: :func:`reconcile.statements.read_statements`
    streams the file, :func:`sync.statement_import.import_file` checks the statement
    (accounts, IBANs, currencies, balances) and writes it in one transaction to a new SQLite
    store in a temporary folder.
``reconcile``
    the bookings read back from that store (:func:`sync.reconciliation.pending_bookings`) and
    matched by :func:`reconcile.matching.match` against the open items, in the order of
    :func:`sync.reconciliation.reconcile` (bookings first, then the open items, then the
    match). The open items are built in the child's memory between the two timed steps
    (the store would hold them as 1M UBL documents, which is not what this measures);
    their memory counts in the peak, their making not in the time. Recording the match
    events is not measured.

Not timed either: generating the statement, which is stream-written with one template per
entry (the layout of tests/support/camt_writer.py, which is checked against the camt.053
XSD). Every item and booking is a pure function of its number and ``--seed``.

The bookings mix: the structured reference (50 %), a reference spelled in the text (10 %),
the invoice number in the text (15 %), debtor and amount (10 %), partial payments and near
references (3 %), returns of payments earlier in the statement (2 %), debits (rent, salaries,
tax: 7 %) and payments of unknown payers (3 %).

The script prints time and peak per phase at each size, the growth ratios 100 %/10 % (10 is
linear), the machine's load average, and the verdict against 30 s (import + reconcile CPU
time: the work of one core, which stays meaningful when other processes share the machine;
the wall time is printed beside it) and 3 GB (the larger peak of the two phases), judged
at full size only; it exits 1 on a miss. ``--scale F`` runs
a fraction of the full size, ``--quick`` a small smoke run (both judge nothing).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from model.identifiers import betalingskenmerk, ogm, rf  # noqa: E402
from reconcile.open_items import ItemKind, OpenItem  # noqa: E402

ITEMS, DEBTORS, ENTRIES = 1_000_000, 50_000, 200_000
TIME_TARGET = 30.0
MEMORY_TARGET_MB = 3 * 1024
ACCOUNT = "NL91ABNA0417164300"
OWNER = ("benchmark", "ubl-dir")
DAY = date(2026, 11, 30)
NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"


# -- the open items ------------------------------------------------------------------------


def iban(country: str, bban: str) -> str:
    """A valid IBAN for ``bban`` (ISO 13616 check digits)."""
    digits = "".join(str(int(ch, 36)) for ch in bban + country) + "00"
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


def debtor_iban(d: int) -> str:
    return iban("NL", f"ABNA{d:010d}")


def _mix(n: int, seed: int) -> int:
    """A cheap, deterministic scramble of ``n`` (amounts must not follow the numbering)."""
    return ((n + 1) * 2_654_435_761 + seed * 40_503) % 4_294_967_291


def open_item(n: int, debtors: int, seed: int) -> OpenItem:
    """Open item ``n``: debtor ``n % debtors``; a third carry an RF reference, a third a
    betalingskenmerk (16 or 14 digits) or now and then an OGM, a third none; one in fifty
    is a credit note; debtors with an odd number pay by direct debit (their IBAN is on
    their items)."""
    d = n % debtors
    h = _mix(n, seed)
    cents = 1_000 + h % 899_000
    kind = ItemKind.CREDIT_NOTE if n % 50 == 49 else ItemKind.INVOICE
    if kind is ItemKind.CREDIT_NOTE:
        cents = 500 + h % 20_000
    amount = Decimal(cents).scaleb(-2)
    family = n % 3
    reference: str | None
    if family == 0:
        reference = rf.create(f"{n:09d}")
    elif family == 1 and n % 30 == 1:
        reference = ogm.create(f"{n:010d}")
    elif family == 1:
        body = f"{n:015d}" if n % 2 else f"{n:012d}"
        reference = betalingskenmerk.create(body)
    else:
        reference = None
    return OpenItem(
        number=f"2026-{n:07d}",
        kind=kind,
        debtor=f"0106:{d:08d}",
        debtor_name=f"Debiteur {d} B.V.",
        debtor_accounts=frozenset({debtor_iban(d)}) if d % 2 else frozenset(),
        currency="EUR",
        amount=amount,
        open=amount,
        issue_date=DAY - timedelta(days=30 + n % 60),
        due_date=DAY - timedelta(days=n % 60),
        payment_reference=reference,
    )


def open_items(items: int, debtors: int, seed: int) -> list[OpenItem]:
    return [open_item(n, debtors, seed) for n in range(items)]


# -- the statement -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entry:
    """One generated booking, as the writer needs it."""

    bank_reference: str
    amount: Decimal
    name: str | None = None
    iban: str | None = None
    reference: str | None = None
    text: str = ""
    end_to_end_id: str | None = None
    return_reason: str | None = None


def _spelled(reference: str, rng: random.Random) -> str:
    if reference.startswith("RF"):
        return " ".join(reference[i : i + 4] for i in range(0, len(reference), 4))
    if len(reference) == 12 and ogm.is_valid(reference):
        return f"+++{reference[:3]}/{reference[3:7]}/{reference[7:]}+++"
    grouped = betalingskenmerk.format(reference)
    return rng.choice((f"BETALINGSKENM. {grouped}", f"betalingskenmerk {reference}", grouped))


def _wrong_digit(reference: str) -> str:
    """``reference`` with one digit changed so that its check fails."""
    for position in range(len(reference) - 1, 3, -1):
        if reference[position].isdigit():
            for digit in "0123456789":
                changed = reference[:position] + digit + reference[position + 1 :]
                if changed != reference and not _checks(changed):
                    return changed
    return reference


def _checks(value: str) -> bool:
    if value.startswith("RF"):
        return rf.is_valid(value)
    return betalingskenmerk.is_valid(value) or (len(value) == 12 and ogm.is_valid(value))


_DEBITS = (
    ("Vastgoed Noord B.V.", "huur november"),
    ("Salarisadministratie", "salarissen november"),
    ("Belastingdienst", "omzetbelasting Q3"),
    ("ABN AMRO Bank", "kosten betaalverkeer"),
)


def entries(items: int, debtors: int, count: int, seed: int) -> Iterator[Entry]:
    """The statement's bookings, in order (see the module for the mix)."""
    rng = random.Random(seed)
    picks = rng.sample(range(items), count)
    payments: list[Entry] = []
    for b, n in enumerate(picks):
        item = open_item(n, debtors, seed)
        d = n % debtors
        acr = f"ACR{b:09d}"
        payer = {"name": item.debtor_name, "iban": debtor_iban(d)}
        e2e = f"E2E{b:09d}" if b % 2 else None
        roll = b % 100
        amount = item.open
        if item.kind is ItemKind.CREDIT_NOTE:
            roll = 90 + roll % 10  # no payment names a credit note: a debit or unknown payer
        ref = item.payment_reference
        entry: Entry
        if roll < 50 and ref:
            entry = Entry(acr, amount, reference=ref, end_to_end_id=e2e, **payer)
        elif roll < 60 and ref:
            entry = Entry(acr, amount, text=_spelled(ref, rng), end_to_end_id=e2e, **payer)
        elif roll < 75:
            number = item.number
            text = rng.choice(
                (f"fact {number}", f"factuurnr {number.replace('-', '')}", f"INV {number} dank")
            )
            entry = Entry(acr, amount, text=text, end_to_end_id=e2e, **payer)
        elif roll < 85:
            entry = Entry(acr, amount, end_to_end_id=e2e, **payer)
        elif roll < 87 and ref:
            part = (amount / 2).quantize(Decimal("0.01"))
            entry = Entry(acr, part, reference=ref, text="deelbetaling", end_to_end_id=e2e, **payer)
        elif roll < 88 and ref:
            entry = Entry(acr, amount, reference=_wrong_digit(ref), end_to_end_id=e2e, **payer)
        elif roll < 90 and payments:
            paid = payments[rng.randrange(max(0, len(payments) - 500), len(payments))]
            entry = Entry(
                acr,
                -paid.amount,
                name=paid.name,
                iban=paid.iban,
                end_to_end_id=paid.end_to_end_id,
                reference=paid.reference,
                text="retour " + paid.text if paid.text else "retour",
                return_reason="MD06",
            )
        elif roll < 97:
            name, text = _DEBITS[b % len(_DEBITS)]
            entry = Entry(
                acr,
                -Decimal(rng.randint(5_000, 2_000_000)).scaleb(-2),
                name=name,
                iban=iban("NL", f"RABO{b % 997:010d}"),
                text=text,
            )
        else:
            stranger = iban("NL", f"INGB{9_000_000_000 + b:010d}")
            entry = Entry(acr, amount, name="Onbekend", iban=stranger, text="diversen")
        if entry.amount > 0 and entry.end_to_end_id:
            payments.append(entry)
        yield entry


def _x(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _entry_xml(entry: Entry, day: str) -> str:
    """One ``Ntry`` as tests/support/camt_writer.py lays it out (camt.053.001.02)."""
    credit = entry.amount >= 0
    indicator = "CRDT" if credit else "DBIT"
    code = ("PMNT", "RCDT", "ESCT") if credit else ("PMNT", "ICDT", "ESCT")
    bank_code = (
        f"<BkTxCd><Domn><Cd>{code[0]}</Cd><Fmly><Cd>{code[1]}</Cd>"
        f"<SubFmlyCd>{code[2]}</SubFmlyCd></Fmly></Domn></BkTxCd>"
    )
    parts = [
        f'<Ntry><Amt Ccy="EUR">{abs(entry.amount):.2f}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>'
        f"<Sts>BOOK</Sts><BookgDt><Dt>{day}</Dt></BookgDt><ValDt><Dt>{day}</Dt></ValDt>"
        f"<AcctSvcrRef>{entry.bank_reference}</AcctSvcrRef>{bank_code}<NtryDtls><TxDtls>"
        f"<Refs><AcctSvcrRef>{entry.bank_reference}</AcctSvcrRef>"
        f"<EndToEndId>{entry.end_to_end_id or 'NOTPROVIDED'}</EndToEndId></Refs>"
    ]
    if entry.name or entry.iban:
        role, account = ("Dbtr", "DbtrAcct") if credit else ("Cdtr", "CdtrAcct")
        parts.append("<RltdPties>")
        if entry.name:
            parts.append(f"<{role}><Nm>{_x(entry.name)}</Nm></{role}>")
        if entry.iban:
            parts.append(f"<{account}><Id><IBAN>{entry.iban}</IBAN></Id></{account}>")
        parts.append("</RltdPties>")
    if entry.text or entry.reference:
        parts.append("<RmtInf>")
        if entry.text:
            parts.append(f"<Ustrd>{_x(entry.text)}</Ustrd>")
        if entry.reference:
            issuer = "ISO" if entry.reference.startswith("RF") else "CUR"
            if len(entry.reference) == 12 and ogm.is_valid(entry.reference):
                issuer = "BBA"
            parts.append(
                "<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry>"
                f"<Issr>{issuer}</Issr></Tp><Ref>{entry.reference}</Ref></CdtrRefInf></Strd>"
            )
        parts.append("</RmtInf>")
    if entry.return_reason:
        parts.append(f"<RtrInf><Rsn><Cd>{entry.return_reason}</Cd></Rsn></RtrInf>")
    parts.append("</TxDtls></NtryDtls></Ntry>\n")
    return "".join(parts)


def write_statement(out: TextIO, bookings: Iterator[Entry]) -> int:
    """Stream a balanced camt.053.001.02 statement of ``bookings`` to ``out``; the closing
    balance comes last in the file, written once the entries are summed (the schema allows
    ``Bal`` only before ``Ntry``, so the closing balance is a fixed-width placeholder that
    is filled in at the end)."""
    day = DAY.isoformat()
    out.write(
        f'<?xml version="1.0" encoding="utf-8"?>\n<Document xmlns="{NAMESPACE}">'
        "<BkToCstmrStmt><GrpHdr><MsgId>MSG-BENCH</MsgId>"
        "<CreDtTm>2026-12-01T08:00:00</CreDtTm></GrpHdr>\n"
        "<Stmt><Id>BENCH-1</Id><CreDtTm>2026-12-01T08:00:00</CreDtTm>"
        f"<Acct><Id><IBAN>{ACCOUNT}</IBAN></Id><Ccy>EUR</Ccy></Acct>\n"
        '<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">0.00</Amt>'
        f"<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{day}</Dt></Dt></Bal>\n"
    )
    placeholder = out.tell()
    out.write(" " * 220 + "\n")
    total = Decimal(0)
    count = 0
    for entry in bookings:
        out.write(_entry_xml(entry, day))
        total += entry.amount
        count += 1
    out.write("</Stmt></BkToCstmrStmt></Document>\n")
    closing = (
        "<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp>"
        f'<Amt Ccy="EUR">{abs(total):.2f}</Amt>'
        f"<CdtDbtInd>{'CRDT' if total >= 0 else 'DBIT'}</CdtDbtInd>"
        f"<Dt><Dt>{day}</Dt></Dt></Bal>"
    )
    out.seek(placeholder)
    out.write(closing.ljust(220))
    return count


# -- the measured phases (children) --------------------------------------------------------


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mb() -> float:
    with open("/proc/self/statm") as stream:
        return int(stream.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def child_import(statement: Path, url: str) -> dict[str, Any]:
    from reconcile.statements import StatementError, read_statements
    from sync.statement_import import Owner, import_file
    from sync.store import open_store

    with open_store(url, create=True) as store:
        store.ensure()
        before = _rss_mb()
        wall, cpu = _clock()
        result = import_file(
            store,
            statement,
            read_statements,
            {ACCOUNT: Owner(*OWNER)},
            refused=(StatementError,),
        )
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if result.error:
        raise SystemExit(f"import failed: {result.error}")
    return {
        "wall": wall,
        "cpu": cpu,
        "peak_mb": _peak_mb(),
        "start_mb": before,
        "transactions": result.transactions,
    }


def child_reconcile(url: str, items: int, debtors: int, seed: int) -> dict[str, Any]:
    from reconcile.matching import match
    from sync.reconciliation import pending_bookings
    from sync.store import open_store

    with open_store(url) as store:
        wall, cpu = _clock()
        with store.begin() as conn:
            bookings = pending_bookings(conn)
        read_wall, read_cpu = time.perf_counter() - wall, time.process_time() - cpu
    before = _rss_mb()
    made = time.perf_counter()
    found = open_items(items, debtors, seed)
    made = time.perf_counter() - made
    held = _rss_mb() - before
    wall, cpu = _clock()
    outcome = match({b.key: b.transaction for b in bookings}, found)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "wall": read_wall + wall,
        "cpu": read_cpu + cpu,
        "read_wall": read_wall,
        "read_cpu": read_cpu,
        "peak_mb": _peak_mb(),
        "start_mb": held,
        "items_built": made,
        "matched": len(outcome.matches),
        "unmatched": len(outcome.unmatched),
        "bookings": len(bookings),
    }


def _child(argv: list[str]) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", *argv]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"child {argv[0]} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# -- the driver ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Size:
    items: int
    debtors: int
    entries: int

    def scaled(self, share: float) -> Size:
        return Size(
            max(10, int(self.items * share)),
            max(2, int(self.debtors * share)),
            max(10, int(self.entries * share)),
        )


def run_size(size: Size, seed: int, folder: Path) -> dict[str, Any]:
    statement = folder / f"statement-{size.entries}.xml"
    started = time.perf_counter()
    with statement.open("w", encoding="utf-8") as out:
        count = write_statement(out, entries(size.items, size.debtors, size.entries, seed))
    written = time.perf_counter() - started
    url = f"sqlite:///{folder / f'store-{size.entries}.db'}"
    imported = _child(["import", str(statement), url])
    reconciled = _child(["reconcile", url, str(size.items), str(size.debtors), str(seed)])
    if imported["transactions"] != count or reconciled["bookings"] != count:
        raise SystemExit(
            f"{count} entries written, {imported['transactions']} imported, "
            f"{reconciled['bookings']} read back"
        )
    return {
        "size": size,
        "written": written,
        "file_mb": statement.stat().st_size / 1e6,
        "import": imported,
        "reconcile": reconciled,
    }


def _line(share: float, r: dict[str, Any]) -> str:
    size: Size = r["size"]
    imp, rec = r["import"], r["reconcile"]
    return (
        f"{share * 100:5.1f} %: {size.items:>9,} items, {size.debtors:>6,} debtors, "
        f"{size.entries:>7,} entries ({r['file_mb']:.0f} MB, written in {r['written']:.1f} s, "
        f"items built in {rec['items_built']:.1f} s; neither counted)\n"
        f"   import    {imp['wall']:6.2f} s wall {imp['cpu']:6.2f} s CPU  "
        f"peak {imp['peak_mb']:6.0f} MiB  ({imp['transactions']:,} bookings stored)\n"
        f"   reconcile {rec['wall']:6.2f} s wall {rec['cpu']:6.2f} s CPU  "
        f"peak {rec['peak_mb']:6.0f} MiB  (read back {rec['read_wall']:.2f} s wall "
        f"{rec['read_cpu']:.2f} s CPU; "
        f"{rec['matched']:,} matched, {rec['unmatched']:,} unmatched; "
        f"{rec['start_mb']:.0f} MiB held by the open items)\n"
        f"   total     {imp['wall'] + rec['wall']:6.2f} s wall {imp['cpu'] + rec['cpu']:6.2f} s CPU"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full size")
    parser.add_argument("--quick", action="store_true", help="a small smoke run, not judged")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "import":
            result = child_import(Path(rest[0]), rest[1])
        else:
            result = child_reconcile(rest[0], int(rest[1]), int(rest[2]), int(rest[3]))
        print(json.dumps(result))
        return 0
    scale = 0.002 if args.quick else args.scale
    started = _load()
    full = Size(ITEMS, DEBTORS, ENTRIES).scaled(scale)
    results: dict[float, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="ledgerlink-reconcile-bench-") as tmp:
        for share in (0.1, 1.0):
            results[share] = run_size(full.scaled(share), args.seed, Path(tmp))
            print(_line(share * scale, results[share]), flush=True)
    small, large = results[0.1], results[1.0]
    for phase in ("import", "reconcile"):
        print(
            f"{phase:9} growth 100 %/10 %: wall {large[phase]['wall'] / small[phase]['wall']:5.1f}"
            f", CPU {large[phase]['cpu'] / max(small[phase]['cpu'], 1e-9):5.1f} (10 = linear)"
        )
    total = large["import"]["wall"] + large["reconcile"]["wall"]
    cpu = large["import"]["cpu"] + large["reconcile"]["cpu"]
    peak = max(large["import"]["peak_mb"], large["reconcile"]["peak_mb"])
    verdict = f"import + reconcile {cpu:.1f} s CPU ({total:.1f} s wall), peak {peak:.0f} MiB"
    print(f"load average {started} at the start, {_load()} at the end ({os.cpu_count()} cores)")
    if scale != 1.0:
        print(f"{verdict}: not judged at scale {scale:g} (targets: {TIME_TARGET:.0f} s, 3 GB)")
        return 0
    misses = []
    if cpu >= TIME_TARGET:
        misses.append(f"{cpu:.1f} s CPU is not under {TIME_TARGET:.0f} s")
    if peak >= MEMORY_TARGET_MB:
        misses.append(f"{peak:.0f} MiB is not under 3 GB")
    print(f"{verdict}: {'MISS: ' + '; '.join(misses) if misses else 'pass'}")
    return 1 if misses else 0


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
