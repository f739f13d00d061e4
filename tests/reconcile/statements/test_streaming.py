"""A large file is streamed, never loaded whole: generated camt and MT940 files of ~6 MB
each are read while tracemalloc's peak stays a small fraction of the file size. (The
500 MB figure and the speed are in benchmarks/statements.py, not here.)"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

from reconcile.statements import read_statements

ENTRY = """      <Ntry>
        <Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
        <BookgDt><Dt>2026-01-02</Dt></BookgDt><ValDt><Dt>2026-01-02</Dt></ValDt>
        <AcctSvcrRef>REF{n}</AcctSvcrRef>
        <NtryDtls><TxDtls><Refs><EndToEndId>E2E-{n}</EndToEndId></Refs>
          <RltdPties><Dbtr><Nm>Debtor {n}</Nm></Dbtr>
          <DbtrAcct><Id><IBAN>NL91ABNA0417164300</IBAN></Id></DbtrAcct></RltdPties>
          <RmtInf><Ustrd>invoice {n} {padding}</Ustrd></RmtInf></TxDtls></NtryDtls>
      </Ntry>
"""


def write_camt(path: Path, statements: int, entries: int) -> None:
    """A camt.053.001.02 file of ``statements`` statements of ``entries`` entries each."""
    padding = "x" * 200
    with path.open("w") as out:
        out.write(
            '<?xml version="1.0"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>\n'
        )
        out.write("<GrpHdr><MsgId>M</MsgId><CreDtTm>2026-01-02T00:00:00</CreDtTm></GrpHdr>\n")
        for s in range(statements):
            total = entries * 100
            out.write(
                f"<Stmt><Id>S{s}</Id><Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id></Acct>"
                '<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">0.00</Amt>'
                "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-01-01</Dt></Dt></Bal>"
                "<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp>"
                f'<Amt Ccy="EUR">{total}.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>'
                "<Dt><Dt>2026-01-02</Dt></Dt></Bal>\n"
            )
            for n in range(entries):
                out.write(ENTRY.format(amount="100.00", n=s * entries + n, padding=padding))
            out.write("</Stmt>\n")
        out.write("</BkToCstmrStmt></Document>\n")


def write_mt940(path: Path, statements: int, entries: int) -> None:
    with path.open("w") as out:
        for s in range(statements):
            out.write(f":20:S{s}\n:25:NL91ABNA0417164300\n:28C:{s}/1\n:60F:C260101EUR0,00\n")
            for n in range(entries):
                out.write(
                    f":61:2601020102C100,00NTRFNONREF\n:86:/TRTP/SEPA OVERBOEKING/IBAN/NL91ABNA0417164300/NAME/DEBTOR {n}/REMI/invoice {n} {'x' * 30}/EREF/E{n}\n"
                )
            out.write(f":62F:C260102EUR{entries * 100},00\n-\n")


def _peak(path: Path) -> tuple[int, int, int]:
    tracemalloc.start()
    try:
        statements = entries = 0
        for statement in read_statements(path):
            assert statement.balance_problem is None
            statements += 1
            entries += len(statement.transactions)
        return statements, entries, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_camt_memory_stays_bounded(tmp_path: Path) -> None:
    path = tmp_path / "large.xml"
    write_camt(path, statements=60, entries=120)
    size = path.stat().st_size
    assert size > 3_000_000
    statements, entries, peak = _peak(path)
    assert (statements, entries) == (60, 7_200)
    # One statement (120 entries) plus the parser's buffers: far below the file size.
    assert peak < size / 10, (peak, size)


def test_mt940_memory_stays_bounded(tmp_path: Path) -> None:
    path = tmp_path / "large.sta"
    write_mt940(path, statements=250, entries=150)
    size = path.stat().st_size
    assert size > 5_000_000
    statements, entries, peak = _peak(path)
    assert (statements, entries) == (250, 37_500)
    assert peak < size / 10, (peak, size)
