"""End to end against the real trytond demo database (tests/tryton/builder.py).

Every posted invoice and credit note: pull -> :func:`connectors.tryton_map.to_invoice` -> UBL
(peppol-bis3) -> the official validation (XSD + CEN + Peppol Schematron) with no fatal issue.
The KvK numbers Tryton cannot hold come from a ``[parties]`` table as in issue 4.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from pydantic import SecretStr
from tryton.server import TrytonServer, run_server

import mappings
import ubl
from connectors.base import DocumentRef, Payment, Record, Stream
from connectors.errors import RecordError
from connectors.tryton import TrytonConnector
from connectors.tryton_map import PartyTable, to_invoice
from model import DocumentKind, Invoice

NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
PARTIES: PartyTable = {"company": {"kvk": "12345678"}, "NL000099998B57": {"kvk": "87654321"}}


def connect(server: TrytonServer) -> TrytonConnector:
    password = SecretStr(server.password)
    return TrytonConnector(server.url, server.database, server.username, password)


@pytest.fixture(scope="module")
def tryton(tryton_server: TrytonServer) -> Iterator[TrytonConnector]:
    with connect(tryton_server) as connector:
        yield connector


@pytest.fixture(scope="module")
def invoices(tryton: TrytonConnector) -> dict[str, Record]:
    """Every record of the invoices stream (posted customer invoices and credit notes)."""
    pulled = [record for page in tryton.pull(Stream.INVOICES, None) for record in page.records]
    return {record.data["number"]: record for record in pulled}


@pytest.fixture(scope="module")
def mapping() -> mappings.Mapping:
    return mappings.load("tryton")


def convert(
    tryton: TrytonConnector,
    record: Record,
    mapping: mappings.Mapping,
    parties: PartyTable = PARTIES,
) -> Invoice:
    return to_invoice(record, company=tryton.company_party(), parties=parties, mapping=mapping)


def fatal_rules(document: Invoice) -> list[str]:
    report = ubl.validate(ubl.write(document, "peppol-bis3"))
    return [f"{issue.rule}: {issue.message}" for issue in report.fatal]


def test_the_demo_holds_invoices_and_a_credit_note(invoices: dict[str, Record]) -> None:
    assert sorted(invoices) == ["CN-1", "INV-1", "INV-2", "INV-3"]


def test_every_demo_document_passes_the_peppol_validation(
    artifacts_cache: Path,
    tryton: TrytonConnector,
    invoices: dict[str, Record],
    mapping: mappings.Mapping,
) -> None:
    failures = {
        number: rules
        for number, record in invoices.items()
        if (rules := fatal_rules(convert(tryton, record, mapping)))
    }
    assert failures == {}


def test_the_dutch_kvk_rules_are_exercised_not_skipped(
    artifacts_cache: Path,
    tryton: TrytonConnector,
    invoices: dict[str, Record],
    mapping: mappings.Mapping,
) -> None:
    """NL-R-003/NL-R-005 only look at a written legal id: ours is there, a wrong one is refused."""
    xml = etree.fromstring(ubl.write(convert(tryton, invoices["INV-1"], mapping), "peppol-bis3"))
    legal_ids = {
        party: [(node.text, node.get("schemeID")) for node in xml.iterfind(f"{path}", NS)]
        for party, path in (
            ("seller", "cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:CompanyID"),
            ("buyer", "cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/cbc:CompanyID"),
        )
    }
    assert legal_ids == {"seller": [("12345678", "0106")], "buyer": [("87654321", "0106")]}
    belgian_id = {**PARTIES, "company": {"kbo": "0897290877"}}
    with pytest.raises(ubl.ProfileError, match="NL-R-003"):
        ubl.write(convert(tryton, invoices["INV-1"], mapping, parties=belgian_id), "peppol-bis3")


def test_the_parties_table_gives_legal_ids_and_endpoints(
    tryton: TrytonConnector, invoices: dict[str, Record], mapping: mappings.Mapping
) -> None:
    dutch = convert(tryton, invoices["INV-1"], mapping)
    assert dutch.seller.legal_registration is not None
    assert (dutch.seller.legal_registration.value, dutch.seller.legal_registration.scheme) == (
        "12345678",
        "0106",
    )
    assert dutch.buyer.endpoint is not None
    assert (dutch.buyer.endpoint.value, dutch.buyer.endpoint.scheme) == ("87654321", "0106")
    belgian = convert(tryton, invoices["INV-2"], mapping).buyer
    assert belgian.legal_registration is None and belgian.endpoint is not None
    assert (belgian.endpoint.value, belgian.endpoint.scheme) == ("BE0897290877", "9925")


def test_the_credit_note_is_a_credit_note_with_positive_figures(
    tryton: TrytonConnector, invoices: dict[str, Record], mapping: mappings.Mapping
) -> None:
    credit_note = convert(tryton, invoices["CN-1"], mapping)
    assert (credit_note.kind, credit_note.type_code) == (DocumentKind.CREDIT_NOTE, "381")
    assert [line.quantity for line in credit_note.lines] == [Decimal(2), Decimal(2), Decimal(1)]
    assert credit_note.totals.payable == Decimal("353.41")
    assert [invoice.number for invoice in credit_note.preceding_invoices] == ["INV-3"]


def test_an_invoice_carries_due_date_and_payment_means(
    tryton: TrytonConnector, invoices: dict[str, Record], mapping: mappings.Mapping
) -> None:
    invoice = convert(tryton, invoices["INV-2"], mapping)
    record = invoices["INV-2"].data
    assert (invoice.kind, invoice.type_code) == (DocumentKind.INVOICE, "380")
    assert invoice.due_date == record["lines_to_pay."][0]["maturity_date"]
    (means,) = invoice.payment_means
    assert means.credit_transfer is not None and means.credit_transfer.account_id.startswith("NL")
    assert means.remittance_info == record["customer_payment_reference"]
    assert {line.item.vat_category for line in invoice.lines} == {"AE"}


@pytest.mark.parametrize(
    ("number", "total", "to_pay"),
    [("INV-1", "1273.01", "0"), ("INV-2", "490.50", "390.50")],
    ids=["paid", "partly-paid"],
)
def test_a_paid_invoice_is_written_as_issued_with_its_total_due(
    tryton: TrytonConnector,
    invoices: dict[str, Record],
    mapping: mappings.Mapping,
    number: str,
    total: str,
    to_pay: str,
) -> None:
    """BT-113 holds advance payments only; what was paid after issue is the payments stream."""
    assert invoices[number].data["amount_to_pay"] == Decimal(to_pay)  # Tryton knows it is paid
    totals = convert(tryton, invoices[number], mapping).totals
    assert (totals.with_vat, totals.prepaid, totals.payable) == (
        Decimal(total),
        None,
        Decimal(total),
    )
    xml = etree.fromstring(ubl.write(convert(tryton, invoices[number], mapping), "peppol-bis3"))
    assert xml.findtext("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=NS) == total
    assert xml.find("cac:LegalMonetaryTotal/cbc:PrepaidAmount", NS) is None


def test_the_ubl_of_an_invoice_does_not_change_when_a_payment_is_booked(
    tryton_template: Path, tmp_path: Path, mapping: mappings.Mapping
) -> None:
    """On a server of its own: INV-3 is paid in part between two pulls."""
    with run_server(tryton_template, tmp_path / "tryton") as server, connect(server) as tryton:

        def inv_3() -> tuple[Record, bytes]:
            (record,) = [
                record
                for page in tryton.pull(Stream.INVOICES, None)
                for record in page.records
                if record.data["number"] == "INV-3"
            ]
            return record, ubl.write(convert(tryton, record, mapping), "peppol-bis3")

        issued, before = inv_3()
        payment = Payment(
            amount=Decimal("100.00"), currency="EUR", paid_on=issued.data["invoice_date"]
        )
        tryton.push_payment(DocumentRef(record_id=issued.id, number="INV-3"), payment)
        paid, after = inv_3()
    assert paid.data["amount_to_pay"] == issued.data["amount_to_pay"] - Decimal("100.00")
    assert after == before


def test_the_buyer_reference_is_the_invoices_reference(
    tryton: TrytonConnector, invoices: dict[str, Record], mapping: mappings.Mapping
) -> None:
    references = {
        number: convert(tryton, record, mapping).buyer_reference
        for number, record in invoices.items()
    }
    assert references == {
        "INV-1": "PO-1001",
        "INV-2": "PO-2001",
        "INV-3": "PO-1002",
        "CN-1": "PO-1002",
    }


def test_an_invoice_without_a_reference_is_held_naming_bt_10_and_the_field(
    tryton_template: Path, tmp_path: Path, mapping: mappings.Mapping
) -> None:
    """On a server of its own: a user copies INV-3 (Tryton's copy drops the reference) and
    posts the copy, INV-4, without filling it in."""
    with run_server(tryton_template, tmp_path / "tryton") as server, connect(server) as tryton:
        (copy,) = tryton.rpc.model("account.invoice", "copy", [3], {})
        tryton.rpc.model("account.invoice", "post", [copy])
        pulled = [record for page in tryton.pull(Stream.INVOICES, None) for record in page.records]
        documents: dict[str, Invoice] = {}
        held: dict[str, RecordError] = {}
        for record in pulled:
            try:
                documents[record.data["number"]] = convert(tryton, record, mapping)
            except RecordError as failure:
                held[record.data["number"]] = failure
    assert sorted(documents) == ["CN-1", "INV-1", "INV-2", "INV-3"]
    assert list(held) == ["INV-4"] and held["INV-4"].record_id == str(copy)
    reason = held["INV-4"].reason
    assert "INV-4" in reason and "BT-10" in reason and "field `reference`" in reason


def renamed_tax(record: Record, old: str, new: str) -> Record:
    """The record as Tryton would give it had tax ``old`` been named ``new``."""

    def rename(tax: dict[str, Any]) -> dict[str, Any]:
        return {**tax, "name": new} if tax["name"] == old else tax

    data = dict(record.data)
    data["lines"] = [
        {**line, "taxes.": [rename(tax) for tax in line["taxes."]]} for line in data["lines"]
    ]
    data["taxes"] = [{**tax, "tax.": rename(tax["tax."])} for tax in data["taxes"]]
    return dataclasses.replace(record, data=data)


def test_an_unmapped_tax_code_is_a_record_error_naming_code_and_the_override_to_add(
    tryton: TrytonConnector, invoices: dict[str, Record], mapping: mappings.Mapping
) -> None:
    record = renamed_tax(invoices["INV-1"], "BTW 21%", "BTW hoog 2027")
    with pytest.raises(RecordError) as refused:
        convert(tryton, record, mapping)
    assert refused.value.record_id == record.id
    assert "'BTW hoog 2027'" in refused.value.reason
    assert "add it under [vat] in a new mappings override file" in refused.value.reason
    assert str(Path("mappings") / "tryton.toml") not in refused.value.reason  # the packaged one


def test_figures_that_do_not_add_up_are_a_record_error(
    tryton: TrytonConnector, invoices: dict[str, Record], mapping: mappings.Mapping
) -> None:
    record = invoices["INV-3"]
    wrong = dataclasses.replace(
        record, data={**record.data, "tax_amount": record.data["tax_amount"] + Decimal("0.01")}
    )
    with pytest.raises(RecordError) as refused:
        convert(tryton, wrong, mapping)
    assert refused.value.record_id == record.id
