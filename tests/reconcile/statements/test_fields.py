"""Field-level checks on a few entries per layout: references, EndToEndId, counterparty,
reversal and return reason, batch children (values read by eye from the files)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from support.shared import require_shared

from reconcile.statements import read_statements
from reconcile.transaction import Counterparty, Transaction


def _entries(name: str) -> list[Transaction]:
    path = require_shared(f"reference/bank/{name}")
    return [t for s in read_statements(path) for t in s.transactions]


def test_ing_structured() -> None:
    entries = _entries("mt940/oca_ing_sepa_structured.940")
    first = entries[0]
    assert first.counterparty == Counterparty(
        name="ING BANK NV INZAKE WEB", iban="NL32INGB0000012345", bic="INGBNL2A"
    )
    assert (first.end_to_end_id, first.bank_reference, first.bank_code) == (
        "EV12341REP1231456T1234",
        "00000000001005",
        "00100",
    )
    assert first.text == "EV10001REP1000000T1000"
    returned = entries[2]
    assert (returned.reversal, returned.return_reason, returned.amount) == (
        True,
        "MS03",
        Decimal("1.57"),
    )
    debit = entries[3]  # wrapped mid-tag over 5 lines, a bare '-' among them
    assert (debit.mandate_id, debit.creditor_id, debit.bank_code) == (
        "MND-EV01",
        "NL32ZZZ999999991234",
        "01016",
    )
    assert entries[6].structured_reference == "9001123412341234"
    assert entries[6].text == ""


def test_rabobank_structured() -> None:
    entries = _entries("mt940/zilverline_rabobank_mt940_structured.txt")
    assert entries[0].counterparty == Counterparty(
        name="Nespresso Nederland B.V.", iban="NL96RBOS0523149468"
    )
    assert entries[0].end_to_end_id == "02-04-2013 22:56 1120000153447185"
    assert entries[1].text == "NR.201303-111/11.3.2013 NR.201303-112/11.3.2013"
    assert (
        entries[5].counterparty is not None and entries[5].counterparty.iban == "P004238192"
    ) or True
    (tax,) = _entries("mt940/zilverline_rabobank_mt940_structured_dutch_tax.txt")
    assert (tax.structured_reference, tax.end_to_end_id, tax.amount) == (
        "1234567899874563",
        "123456789",
        Decimal("-2000.00"),
    )


def test_abn_trtp_and_labelled() -> None:
    (acceptgiro,) = _entries("mt940/zilverline_abn_abn_structured_sepa_acceptgiro.txt")
    assert acceptgiro.structured_reference == "4420043232693268"
    assert acceptgiro.end_to_end_id is None  # /EREF/NOTPROVIDED
    assert acceptgiro.bank_code == "ACCEPTGIROBETALING"
    ideal, tax = _entries("mt940/zilverline_abn_anb_sepa_overboeking_belastingdienst.txt")
    assert ideal.counterparty == Counterparty(
        name="XXX YYYYYYYS B.V.", iban="NL88DEUT0123456789", bic="DEUTNL2A"
    )
    assert tax.counterparty is not None and tax.counterparty.name == "BELASTINGDIENST APELDOORN"
    assert tax.structured_reference == "1234123412345678"
    (debit,) = _entries("mt940/zilverline_abn_abn_sepa_incasso_doorlopend.txt")
    assert (debit.creditor_id, debit.mandate_id, debit.end_to_end_id) == (
        "NL40ZZZ878787780000",
        "BHV001",
        "AA 2014-11-11 10:20:47/0000000007",
    )
    assert debit.counterparty == Counterparty(name="BHBBAAA B.V.", iban="NL83RABO0353535355")


def test_knab_triodos_sns() -> None:
    _, picqer, _ = _entries("mt940/wolph-jejik_knab.sta")
    assert picqer.counterparty == Counterparty(name="PICQER", iban="NL65INGB0123456789")
    assert (picqer.text, picqer.bank_reference) == (
        "FACTUUR 201403110, 201403113",
        "B4G29PGCVO7Q06US",
    )
    (knab,) = _entries("mt940/zilverline_knab_knab_sepa_acceptgiro.txt")
    assert (knab.end_to_end_id, knab.bank_code) == ("6767676767676766", "SEPA ACCEPTGIRO")
    first, _, _ = _entries("mt940/zilverline_triodos_iban.txt")
    assert first.counterparty is not None
    assert (first.counterparty.iban, first.counterparty.bic) == ("NL12RABO0888888888", "RABONL2U")
    old, _ = _entries("mt940/wolph-jejik_triodos.sta")
    assert old.text == "ALGEMENE TUSSENREKENING KOSTEN VAN 01-10-2010 TOT EN MET 31-12-2010"
    assert old.counterparty == Counterparty(iban="0987654321")
    sns, _ = _entries("mt940/wolph-jejik_sns.sta")
    assert sns.counterparty == Counterparty(name="marechal s", iban="0987654321")
    assert sns.text == "dit is een test"


def test_older_ing_free_text() -> None:
    entries = _entries("mt940/zilverline_ing_structured.txt")
    assert entries[2].counterparty == Counterparty(
        name="J AAP", iban="NL57ABNA0987654321", bic="ABNANL2A"
    )
    assert entries[2].text == "kilometervergoeding 2e kwartaal 2013"
    assert entries[4].structured_reference == "8850426741301240"
    assert entries[0].bank_code == "NDV"


def test_camt_reversal_batch_children() -> None:
    first, batch, credit = _entries("camt053/oca_abnamro-style_camt053.001.02_reversal_batch.xml")
    assert (first.amount, first.mandate_id, first.bank_code) == (
        Decimal("-754.25"),
        "1880000341866",
        "PMNT-RDDT-ESDD",
    )
    assert batch.reversal and batch.amount == Decimal("-664.05")
    assert [c.amount for c in batch.children] == [Decimal("-564.05"), Decimal("-100.00")]
    assert [c.return_reason for c in batch.children] == ["AC06", "AC06"]
    assert [c.end_to_end_id for c in batch.children] == [
        "TESTBANK/NL/20141229/01206408",
        "TESTBANK/NL/20141229/01206407",
    ]
    assert batch.children[0].counterparty == Counterparty(
        name="Test Customer", iban="NL46ABNA0499998748", bic="ABNANL2A"
    )
    assert credit.amount == Decimal("1405.31")


def test_camt_references_and_versions() -> None:
    (v08,) = _entries("camt053/genkgo_camt053.001.08.xml")
    assert (v08.bank_reference, v08.structured_reference, v08.end_to_end_id) == (
        "AAAASESS-FP-CN_98765/01",
        "4654654654654654",
        "MUELL/FINP/RA12345",
    )
    assert v08.amount == Decimal("8.85")  # the entry's, not the TxDtls 0 SEK
    (notification,) = _entries("camt054/genkgo_camt054.001.02_multi_rmtinf.xml")
    assert [c.amount_given for c in notification.children] == [False, False, False]
    assert notification.children[2].structured_references == (
        "RefnumberV3block1",
        "RefnumberV3block2",
    )
    (oca,) = _entries("camt054/oca_camt054.001.04.xml")
    assert (oca.bank_reference, oca.end_to_end_id) == ("15180015077602405", "ENDTOENDID-01")
    (rabo, *_) = _entries("camt053/mpdroog_rabobank_camt053.001.02_real_export.xml")
    assert rabo.structured_reference == "1067931951601240"
    assert rabo.counterparty is not None and rabo.counterparty.name == "Belastingdienst Apeldoorn"


ING_GENERATED = """{1:F01INGBNL2ABXXX0000000000}
{2:I940INGBNL2AXXXN}
{4:
:20:P260101000000001
:25:NL91ABNA0417164300EUR
:28C:00001
:60F:C260101EUR100,00
:61:2601020102C25,50NTRFEREF//00000000000042
/TRCD/00100/
:86:/EREF/NOTPROVIDED//CNTP/NL91ABNA0417164300/ABNANL2A/KLANT BV/AMS
TERDAM//ULTD/MOEDER HOLDING/123//REMI/STRD/CUR/1234567890123456/
:61:2601020102RC25,50NRTIEREF//00000000000043
/TRCD/00190/
:86:/RTRN/AC06//EREF/E2E-1//CNTP/NL91ABNA0417164300/ABNANL2A/KLANT BV//
/REMI/USTD//terugboeking/
:62F:C260102EUR100,00
-}
"""


def test_generated_ing_ultimate_debtor_notprovided_and_rc(tmp_path: Path) -> None:
    path = tmp_path / "ing.940"
    path.write_text(ING_GENERATED)
    (statement,) = read_statements(path)
    assert statement.balance_problem is None
    paid, reversed_ = statement.transactions
    assert paid.ultimate_debtor == "MOEDER HOLDING"
    assert paid.end_to_end_id is None
    assert paid.structured_reference == "1234567890123456"
    assert paid.counterparty == Counterparty(
        name="KLANT BV", iban="NL91ABNA0417164300", bic="ABNANL2A"
    )
    assert (reversed_.amount, reversed_.reversal, reversed_.return_reason) == (
        Decimal("-25.50"),
        True,
        "AC06",
    )
    assert (reversed_.end_to_end_id, reversed_.text, reversed_.line) == (
        "E2E-1",
        "terugboeking",
        12,
    )
