"""Benchmark: the statement readers on a large generated file (issue 16 §7: a 500 MB file
is streamed, never loaded whole).

For each format (camt.053, MT940) a file of ``--mb`` megabytes (default 100; ``--mb 500``
for the issue's case) is generated in a temporary folder, then read in a fresh child
process by :func:`reconcile.statements.read_statements`, every Transaction built. Beside
it, in the same run and on the same file, the floor: lxml ``iterparse`` clearing each
element (camt) or a plain ``for line in file`` (MT940), no fields extracted. Each child
reports its wall time and peak RSS; the script prints both, MB/s, and the ratios to the
floor. Peak RSS that stays flat as ``--mb`` grows is the streaming property.

Run: ``.venv/bin/python benchmarks/statements.py [--mb N]``. It reports and exits 0.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CAMT_ENTRY = (
    '<Ntry><Amt Ccy="EUR">100.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>'
    "<BookgDt><Dt>2026-01-02</Dt></BookgDt><ValDt><Dt>2026-01-02</Dt></ValDt>"
    "<AcctSvcrRef>REF{n}</AcctSvcrRef><NtryDtls><TxDtls><Refs><EndToEndId>E2E-{n}</EndToEndId>"
    "</Refs><RltdPties><Dbtr><Nm>Debtor {n}</Nm></Dbtr><DbtrAcct><Id><IBAN>NL91ABNA0417164300"
    "</IBAN></Id></DbtrAcct></RltdPties><RmtInf><Ustrd>invoice {n} payment</Ustrd></RmtInf>"
    "</TxDtls></NtryDtls></Ntry>\n"
)
PER_STATEMENT = 1000


def make_camt(path: Path, megabytes: int) -> int:
    """A camt.053.001.02 file of about ``megabytes`` MB; returns the entry count."""
    n = 0
    with path.open("w") as out:
        out.write(
            '<?xml version="1.0"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:'
            'camt.053.001.02"><BkToCstmrStmt><GrpHdr><MsgId>M</MsgId>'
            "<CreDtTm>2026-01-02T00:00:00</CreDtTm></GrpHdr>\n"
        )
        while out.tell() < megabytes * 1_000_000:
            out.write(
                f"<Stmt><Id>S{n}</Id><Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id></Acct>"
                '<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">0.00</Amt>'
                "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-01-01</Dt></Dt></Bal>"
                '<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">'
                f"{PER_STATEMENT * 100}.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>"
                "<Dt><Dt>2026-01-02</Dt></Dt></Bal>\n"
            )
            for _ in range(PER_STATEMENT):
                out.write(CAMT_ENTRY.format(n=n))
                n += 1
            out.write("</Stmt>\n")
        out.write("</BkToCstmrStmt></Document>\n")
    return n


def make_mt940(path: Path, megabytes: int) -> int:
    """An MT940 file (ABN AMRO /TRTP/ layout) of about ``megabytes`` MB."""
    n = 0
    with path.open("w") as out:
        while out.tell() < megabytes * 1_000_000:
            out.write(f":20:S{n}\n:25:NL91ABNA0417164300\n:28C:1/1\n:60F:C260101EUR0,00\n")
            for _ in range(PER_STATEMENT):
                out.write(
                    ":61:2601020102C100,00NTRFNONREF\n:86:/TRTP/SEPA OVERBOEKING/IBAN/"
                    f"NL91ABNA0417164300/NAME/DEBTOR {n}/REMI/invoice {n}/EREF/E{n}\n"
                )
                n += 1
            out.write(f":62F:C260102EUR{PER_STATEMENT * 100},00\n-\n")
    return n


CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
kind, path = sys.argv[1], sys.argv[2]
start = time.perf_counter()
count = 0
if kind == "reader":
    from reconcile.statements import read_statements
    for statement in read_statements(path):
        assert statement.balance_problem is None
        count += len(statement.transactions)
elif kind == "camt-floor":
    from lxml import etree
    for _, element in etree.iterparse(path, events=("end",)):
        if element.tag.endswith("}}Ntry"):
            count += 1
            element.clear()
            parent = element.getparent()
            while element.getprevious() is not None:
                del parent[0]
else:
    with open(path, "rb") as stream:
        for line in stream:
            if line.startswith(b":61:"):
                count += 1
seconds = time.perf_counter() - start
print(json.dumps({{"count": count, "seconds": seconds,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def measure(kind: str, path: Path) -> dict[str, float]:
    code = CHILD.format(root=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-c", code, kind, str(path)], capture_output=True, text=True, check=True
    )
    result: dict[str, float] = json.loads(done.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=100, help="file size in MB (default 100)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for name, make, floor in (
            ("camt.053", make_camt, "camt-floor"),
            ("mt940", make_mt940, "line-floor"),
        ):
            path = Path(folder) / f"large.{name}"
            started = time.perf_counter()
            entries = make(path, args.mb)
            size = path.stat().st_size / 1_000_000
            print(
                f"{name}: {size:.0f} MB, {entries:,} entries (generated in "
                f"{time.perf_counter() - started:.1f} s)"
            )
            ours, base = measure("reader", path), measure(floor, path)
            assert ours["count"] == base["count"] == entries
            for label, m in (("read_statements", ours), (floor, base)):
                print(
                    f"  {label:16} {m['seconds']:7.2f} s  {size / m['seconds']:6.1f} MB/s  "
                    f"peak RSS {m['rss_mb']:6.1f} MB"
                )
            print(
                f"  ratio to floor: time x{ours['seconds'] / base['seconds']:.1f}, "
                f"peak RSS x{ours['rss_mb'] / base['rss_mb']:.1f}; "
                f"peak RSS / file size {ours['rss_mb'] / size:.2f}"
            )
            path.unlink()


if __name__ == "__main__":
    main()
