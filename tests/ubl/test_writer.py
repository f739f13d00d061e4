"""Tests for the UBL 2.1 writer (ubl/writer.py).

The documents are built by hand, with totals worked out by hand below, so these tests
depend neither on model.calculation nor on the parser.
"""

from __future__ import annotations

import base64
import dataclasses
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from support.shared import require_shared

from model.document import (
    AdditionalDocument,
    Address,
    AllowanceCharge,
    Attachment,
    Contact,
    CreditTransfer,
    DocumentKind,
    Identifier,
    Invoice,
    Item,
    Line,
    Note,
    Party,
    PaymentMeans,
    Period,
    PrecedingInvoice,
    Price,
    Totals,
    VatBreakdown,
)
from ubl._ns import CAC, CBC, CREDIT_NOTE, INVOICE
from ubl.profiles import resolve
from ubl.validate import validate
from ubl.writer import write_document

D = Decimal
XSD = "validation/xsd/ubl-2.1/xsd"
NS = {"cac": CAC, "cbc": CBC}
PDF = b"%PDF-1.4\n\x00\x01\x02\xff binary \xfe\n%%EOF\n"
AMOUNT_TAGS = {
    "Amount",
    "BaseAmount",
    "TaxAmount",
    "TaxableAmount",
    "LineExtensionAmount",
    "TaxExclusiveAmount",
    "TaxInclusiveAmount",
    "AllowanceTotalAmount",
    "ChargeTotalAmount",
    "PrepaidAmount",
    "PayableRoundingAmount",
    "PayableAmount",
    "PriceAmount",
}


# --- hand-built documents ---------------------------------------------------------------


def _seller() -> Party:
    return Party(
        name="Leverancier B.V.",
        trading_name="Leverancier",
        legal_registration=Identifier(value="12345678", scheme="0106"),
        vat_id="NL000099998B57",
        legal_info="Statutair gevestigd te Utrecht",
        endpoint=Identifier(value="12345678", scheme="0106"),
        address=Address(
            line1="Stationsplein 1",
            line2="2e verdieping",
            city="Utrecht",
            postal_code="3511 ED",
            country="NL",
        ),
        contact=Contact(name="Debiteurenbeheer", phone="+31 30 1234567", email="ar@lev.nl"),
    )


def _buyer() -> Party:
    return Party(
        name="Afnemer N.V.",
        legal_registration=Identifier(value="87654321", scheme="0106"),
        vat_id="NL123456789B01",
        endpoint=Identifier(value="87654321", scheme="0106"),
        address=Address(line1="Damrak 5", city="Amsterdam", postal_code="1012 LG", country="NL"),
        contact=Contact(email="inkoop@afnemer.nl"),
    )


def _line(
    line_id: str,
    quantity: str,
    price: str,
    net: str,
    rate: str,
    seller_id: str | None = None,
    origin_country: str | None = None,
) -> Line:
    return Line(
        id=line_id,
        quantity=D(quantity),
        unit="C62",
        net_amount=D(net),
        price=Price(net=D(price)),
        item=Item(
            name=f"Artikel {line_id}",
            seller_id=seller_id,
            origin_country=origin_country,
            vat_category="S",
            vat_rate=D(rate),
        ),
    )


def dutch_invoice(payment_code: str = "30") -> Invoice:
    """Two lines (250.00 at 21 %, 50.00 at 9 %), an allowance of 10.00 and a charge of 5.00
    (both 21 %): BT-106 300.00, BT-109 295.00, VAT 245.00 x 21 % = 51.45 and
    50.00 x 9 % = 4.50, BT-110 55.95, BT-112 = BT-115 350.95."""
    transfer = CreditTransfer(
        account_id="NL91ABNA0417164300",
        account_name="Leverancier B.V.",
        provider="ABNANL2A" if payment_code == "30" else None,
    )
    return Invoice(
        number="INV-2026-0001",
        issue_date=date(2026, 11, 2),
        due_date=date(2026, 12, 2),
        currency="EUR",
        buyer_reference="PO-REF-77",
        order_reference="PO-4711",
        contract_reference="CT-9",
        payment_terms="30 dagen netto",
        notes=(Note(text="Levering in delen", subject_code="AAI"),),
        invoice_period=Period(start=date(2026, 10, 1), end=date(2026, 10, 31)),
        seller=_seller(),
        buyer=_buyer(),
        payment_means=(
            PaymentMeans(
                code=payment_code, remittance_info="INV-2026-0001", credit_transfer=transfer
            ),
        ),
        allowances_charges=(
            AllowanceCharge(
                is_charge=False,
                amount=D("10.00"),
                vat_category="S",
                vat_rate=D("21"),
                reason="Korting",
                reason_code="95",
            ),
            AllowanceCharge(
                is_charge=True,
                amount=D("5.00"),
                vat_category="S",
                vat_rate=D("21"),
                reason="Vracht",
                reason_code="FC",
            ),
        ),
        totals=Totals(
            line_net=D("300.00"),
            allowances=D("10.00"),
            charges=D("5.00"),
            without_vat=D("295.00"),
            vat=D("55.95"),
            with_vat=D("350.95"),
            payable=D("350.95"),
        ),
        vat_breakdown=(
            VatBreakdown(
                taxable_amount=D("245.00"), tax_amount=D("51.45"), category="S", rate=D("21")
            ),
            VatBreakdown(
                taxable_amount=D("50.00"), tax_amount=D("4.50"), category="S", rate=D("9")
            ),
        ),
        lines=(
            _line("1", "10", "25.00", "250.00", "21", seller_id="A-1", origin_country="DE"),
            _line("2", "4", "12.50", "50.00", "9"),
        ),
    )


def credit_note() -> Invoice:
    """A credit note for line 2 of the invoice (50.00 at 9 % = 4.50, payable 54.50), with a
    preceding invoice, a project reference, an invoiced object and a PDF attachment."""
    invoice = dutch_invoice()
    return dataclasses.replace(
        invoice,
        kind=DocumentKind.CREDIT_NOTE,
        number="CN-2026-0001",
        type_code="381",
        project_reference="PRJ-12",
        invoiced_object=Identifier(value="METER-0042", scheme="AUN"),
        preceding_invoices=(
            PrecedingInvoice(number="INV-2026-0001", issue_date=date(2026, 11, 2)),
        ),
        additional_documents=(
            AdditionalDocument(
                id="INV-2026-0001.pdf",
                description="Originele factuur",
                attachment=Attachment(content=PDF, mime_code="application/pdf", filename="f.pdf"),
            ),
        ),
        allowances_charges=(),
        totals=Totals(
            line_net=D("50.00"),
            without_vat=D("50.00"),
            vat=D("4.50"),
            with_vat=D("54.50"),
            payable=D("54.50"),
        ),
        vat_breakdown=(
            VatBreakdown(
                taxable_amount=D("50.00"), tax_amount=D("4.50"), category="S", rate=D("9")
            ),
        ),
        lines=(_line("1", "4", "12.50", "50.00", "9"),),
    )


def foreign_currency_invoice() -> Invoice:
    """USD invoice with VAT accounted in EUR: 1 x 200.00 USD at 21 % = 42.00 USD (BT-110);
    BT-111 38.64 EUR."""
    invoice = dutch_invoice()
    return dataclasses.replace(
        invoice,
        currency="USD",
        tax_currency="EUR",
        allowances_charges=(),
        totals=Totals(
            line_net=D("200.00"),
            without_vat=D("200.00"),
            vat=D("42.00"),
            vat_in_tax_currency=D("38.64"),
            with_vat=D("242.00"),
            payable=D("242.00"),
        ),
        vat_breakdown=(
            VatBreakdown(
                taxable_amount=D("200.00"), tax_amount=D("42.00"), category="S", rate=D("21")
            ),
        ),
        lines=(_line("1", "1", "200.00", "200.00", "21"),),
    )


DOCUMENTS = {
    "invoice": dutch_invoice,
    "credit_note": credit_note,
    "foreign_currency": foreign_currency_invoice,
}


@cache
def _written(name: str, profile: str) -> bytes:
    document = DOCUMENTS[name]()
    return write_document(document, resolve(profile, document))


def _root(name: str, profile: str = "peppol-bis3") -> etree._Element:
    return etree.fromstring(_written(name, profile))


def _xsd_sequence(schema: str, type_name: str) -> list[str]:
    """Local names of the child elements of an XSD complex type, in schema order."""
    base = require_shared(XSD)
    tree = etree.parse(str(base / schema))
    xs = "{http://www.w3.org/2001/XMLSchema}"
    for complex_type in tree.iter(f"{xs}complexType"):
        if complex_type.get("name") == type_name:
            return [e.get("ref", "").split(":")[-1] for e in complex_type.iter(f"{xs}element")]
    raise LookupError(type_name)


def _assert_in_xsd_order(element: etree._Element, order: list[str]) -> None:
    positions = [order.index(etree.QName(child).localname) for child in element]
    assert positions == sorted(positions), [etree.QName(child).localname for child in element]


# --- tests ----------------------------------------------------------------------------------

VALID_CASES = [
    ("invoice", "peppol-bis3"),
    ("invoice", "nlcius"),
    ("invoice", "en16931"),
    ("credit_note", "peppol-bis3"),
    ("credit_note", "nlcius"),
    ("foreign_currency", "peppol-bis3"),
    ("foreign_currency", "nlcius"),
    ("foreign_currency", "en16931"),
]


@pytest.mark.usefixtures("artifacts_cache")
@pytest.mark.parametrize(("name", "profile"), VALID_CASES)
def test_output_passes_xsd_and_schematron(name: str, profile: str) -> None:
    report = validate(_written(name, profile))
    assert report.fatal == ()


@pytest.mark.usefixtures("artifacts_cache")
def test_sepa_credit_transfer_58_passes_nlcius() -> None:
    document = dutch_invoice("58")
    xml = write_document(document, resolve("nlcius", document))
    assert validate(xml).fatal == ()
    means = etree.fromstring(xml).find("cac:PaymentMeans", NS)
    assert means is not None
    assert means.findtext("cbc:PaymentMeansCode", namespaces=NS) == "58"
    assert means.findtext("cac:PayeeFinancialAccount/cbc:ID", namespaces=NS) == "NL91ABNA0417164300"


@pytest.mark.parametrize(
    ("name", "root_type", "line_type", "schema"),
    [
        ("invoice", "InvoiceType", "InvoiceLineType", "maindoc/UBL-Invoice-2.1.xsd"),
        ("credit_note", "CreditNoteType", "CreditNoteLineType", "maindoc/UBL-CreditNote-2.1.xsd"),
    ],
)
def test_element_order_follows_the_xsd(
    name: str, root_type: str, line_type: str, schema: str
) -> None:
    root = _root(name)
    _assert_in_xsd_order(root, _xsd_sequence(schema, root_type))
    aggregates = "common/UBL-CommonAggregateComponents-2.1.xsd"
    line_order = _xsd_sequence(aggregates, line_type)
    for line in root.iterfind(f"cac:{line_type.removesuffix('Type')}", NS):
        _assert_in_xsd_order(line, line_order)
    for tag, type_name in [
        ("Party", "PartyType"),
        ("PostalAddress", "AddressType"),
        ("AllowanceCharge", "AllowanceChargeType"),
        ("TaxCategory", "TaxCategoryType"),
        ("PaymentMeans", "PaymentMeansType"),
        ("Item", "ItemType"),
        ("LegalMonetaryTotal", "MonetaryTotalType"),
        ("AdditionalDocumentReference", "DocumentReferenceType"),
    ]:
        order = _xsd_sequence(aggregates, type_name)
        for element in root.iter(f"{{{CAC}}}{tag}"):
            _assert_in_xsd_order(element, order)


def test_credit_note_puts_tax_point_date_before_its_type_code() -> None:
    document = dataclasses.replace(credit_note(), tax_point_date=date(2026, 10, 31))
    root = etree.fromstring(write_document(document, resolve("en16931", document)))
    names = [etree.QName(child).localname for child in root]
    assert names.index("TaxPointDate") < names.index("CreditNoteTypeCode")
    _assert_in_xsd_order(root, _xsd_sequence("maindoc/UBL-CreditNote-2.1.xsd", "CreditNoteType"))


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_writing_is_deterministic(name: str) -> None:
    document = DOCUMENTS[name]()
    profile = resolve("peppol-bis3", document)
    assert write_document(document, profile) == write_document(DOCUMENTS[name](), profile)


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_no_empty_elements(name: str) -> None:
    empty = [
        etree.QName(el).localname
        for el in _root(name).iter()
        if len(el) == 0 and not (el.text or "").strip()
    ]
    assert empty == []


def test_absent_optional_groups_write_nothing() -> None:
    document = dataclasses.replace(
        dutch_invoice(),
        seller=dataclasses.replace(_seller(), contact=Contact(), trading_name=""),
        invoice_period=Period(),
        notes=(),
    )
    root = etree.fromstring(write_document(document, resolve("en16931", document)))
    assert root.find("cac:InvoicePeriod", NS) is None
    assert root.find("cbc:Note", NS) is None
    party = root.find("cac:AccountingSupplierParty/cac:Party", NS)
    assert party is not None
    assert party.find("cac:Contact", NS) is None
    assert party.find("cac:PartyName", NS) is None


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_every_amount_carries_a_currency(name: str) -> None:
    root = _root(name)
    amounts = [el for el in root.iter() if etree.QName(el).localname in AMOUNT_TAGS]
    assert amounts
    assert all(el.get("currencyID") for el in amounts)
    document_currency = root.findtext("cbc:DocumentCurrencyCode", namespaces=NS)
    by_currency = {el.get("currencyID") for el in amounts}
    if name == "foreign_currency":
        assert by_currency == {"USD", "EUR"}
        tax_totals = root.findall("cac:TaxTotal", NS)
        assert [t.find("cbc:TaxAmount", NS).get("currencyID") for t in tax_totals] == ["USD", "EUR"]  # type: ignore[union-attr]
        assert tax_totals[1].findtext("cbc:TaxAmount", namespaces=NS) == "38.64"
        assert tax_totals[1].find("cac:TaxSubtotal", NS) is None
    else:
        assert by_currency == {document_currency}


def test_notes_carry_their_subject_code_as_prefix() -> None:
    notes = (
        Note(text="Bedankt voor uw bestelling."),
        Note(text="Levering\nin delen", subject_code="AAI"),
    )
    document = dataclasses.replace(dutch_invoice(), notes=notes)
    root = etree.fromstring(write_document(document, resolve("en16931", document)))
    assert [n.text for n in root.findall("cbc:Note", NS)] == [
        "Bedankt voor uw bestelling.",
        "#AAI#Levering\nin delen",
    ]


def test_decimals_are_written_as_the_model_holds_them() -> None:
    document = dataclasses.replace(
        dutch_invoice(), totals=dataclasses.replace(dutch_invoice().totals, prepaid=D("1E+1"))
    )
    root = etree.fromstring(write_document(document, resolve("en16931", document)))
    assert root.findtext("cac:LegalMonetaryTotal/cbc:PrepaidAmount", namespaces=NS) == "10"
    assert root.findtext("cac:InvoiceLine/cbc:InvoicedQuantity", namespaces=NS) == "10"
    assert root.findtext("cac:TaxTotal/cbc:TaxAmount", namespaces=NS) == "55.95"


@settings(max_examples=200, deadline=None)
@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_any_decimal_is_written_in_positional_notation(amount: Decimal) -> None:
    """The text is ``format(d, "f")``, digits and exponent as held: never ``1E+2``."""
    totals = dataclasses.replace(dutch_invoice().totals, prepaid=amount)
    document = dataclasses.replace(dutch_invoice(), totals=totals)
    root = etree.fromstring(write_document(document, resolve("en16931", document)))
    written = root.findtext("cac:LegalMonetaryTotal/cbc:PrepaidAmount", namespaces=NS)
    assert written == format(amount, "f")


def test_invoice_root_and_lines() -> None:
    root = _root("invoice")
    assert root.tag == f"{{{INVOICE}}}Invoice"
    assert root.findtext("cbc:DueDate", namespaces=NS) == "2026-12-02"
    assert root.findtext("cbc:InvoiceTypeCode", namespaces=NS) == "380"
    quantity = root.find("cac:InvoiceLine/cbc:InvoicedQuantity", NS)
    assert quantity is not None
    assert (quantity.text, quantity.get("unitCode")) == ("10", "C62")
    assert root.find("cac:PaymentMeans/cbc:PaymentDueDate", NS) is None


def test_credit_note_root_quantity_and_payment_due_date() -> None:
    root = _root("credit_note")
    assert root.tag == f"{{{CREDIT_NOTE}}}CreditNote"
    assert root.find("cbc:DueDate", NS) is None
    assert root.find("cac:ProjectReference", NS) is None
    assert root.findtext("cbc:CreditNoteTypeCode", namespaces=NS) == "381"
    assert root.find("cac:CreditNoteLine/cbc:InvoicedQuantity", NS) is None
    assert root.findtext("cac:CreditNoteLine/cbc:CreditedQuantity", namespaces=NS) == "4"
    assert [
        m.findtext("cbc:PaymentDueDate", namespaces=NS)
        for m in root.findall("cac:PaymentMeans", NS)
    ] == ["2026-12-02"]
    billing = root.find("cac:BillingReference/cac:InvoiceDocumentReference", NS)
    assert billing is not None
    assert billing.findtext("cbc:ID", namespaces=NS) == "INV-2026-0001"
    assert billing.findtext("cbc:IssueDate", namespaces=NS) == "2026-11-02"


def test_credit_note_due_date_goes_in_the_first_payment_means_only() -> None:
    """UBL-SR-45 allows one PaymentDueDate; the parser reads BT-9 from the first."""
    document = credit_note()
    second = PaymentMeans(code="30", remittance_info="INV-2026-0001")
    document = dataclasses.replace(document, payment_means=(*document.payment_means, second))
    root = etree.fromstring(write_document(document, resolve("peppol-bis3", document)))
    assert [
        m.findtext("cbc:PaymentDueDate", namespaces=NS)
        for m in root.findall("cac:PaymentMeans", NS)
    ] == ["2026-12-02", None]


def test_invoiced_object_and_credit_note_project_as_additional_documents() -> None:
    references = _root("credit_note").findall("cac:AdditionalDocumentReference", NS)
    summary = [
        (
            r.findtext("cbc:ID", namespaces=NS),
            r.find("cbc:ID", NS).get("schemeID"),
            r.findtext("cbc:DocumentTypeCode", namespaces=NS),
        )  # type: ignore[union-attr]
        for r in references
    ]
    assert summary == [
        ("INV-2026-0001.pdf", None, None),
        ("METER-0042", "AUN", "130"),
        ("PRJ-12", None, "50"),
    ]
    invoice = dataclasses.replace(
        dutch_invoice(), project_reference="PRJ-12", invoiced_object=Identifier(value="OBJ-1")
    )
    root = etree.fromstring(write_document(invoice, resolve("en16931", invoice)))
    assert root.findtext("cac:ProjectReference/cbc:ID", namespaces=NS) == "PRJ-12"
    references = root.findall("cac:AdditionalDocumentReference", NS)
    assert [
        (r.findtext("cbc:ID", namespaces=NS), r.findtext("cbc:DocumentTypeCode", namespaces=NS))
        for r in references
    ] == [("OBJ-1", "130")]


def test_attachment_round_trips_bytes() -> None:
    embedded = _root("credit_note").find(
        "cac:AdditionalDocumentReference/cac:Attachment/cbc:EmbeddedDocumentBinaryObject", NS
    )
    assert embedded is not None
    assert embedded.get("mimeCode") == "application/pdf"
    assert embedded.get("filename") == "f.pdf"
    assert base64.b64decode(embedded.text or "", validate=True) == PDF


def test_order_reference_na_when_only_sales_order_is_known() -> None:
    document = dataclasses.replace(
        dutch_invoice(), order_reference=None, sales_order_reference="SO-1"
    )
    root = etree.fromstring(write_document(document, resolve("en16931", document)))
    order = root.find("cac:OrderReference", NS)
    assert order is not None
    assert [(etree.QName(c).localname, c.text) for c in order] == [
        ("ID", "NA"),
        ("SalesOrderID", "SO-1"),
    ]


def test_profile_ids_override_the_document() -> None:
    document = dataclasses.replace(
        dutch_invoice(), customization_id="urn:own", profile_id="urn:own:profile"
    )
    profile = resolve("peppol-bis3", document)
    root = etree.fromstring(write_document(document, profile))
    assert root.findtext("cbc:CustomizationID", namespaces=NS) == profile.customization_id
    assert root.findtext("cbc:ProfileID", namespaces=NS) == profile.profile_id
    kept = dataclasses.replace(profile, customization_id=None, profile_id=None)
    root = etree.fromstring(write_document(document, kept))
    assert root.findtext("cbc:CustomizationID", namespaces=NS) == "urn:own"
    assert root.findtext("cbc:ProfileID", namespaces=NS) == "urn:own:profile"
    bare = dataclasses.replace(document, customization_id=None, profile_id=None)
    root = etree.fromstring(write_document(bare, kept))
    assert root.find("cbc:CustomizationID", NS) is None
    assert root.find("cbc:ProfileID", NS) is None


def _tricky_document() -> Invoice:
    """Text and attribute values that need escaping, and non-ASCII text."""
    attachment = Attachment(content=b"x", mime_code="text/plain", filename='a "b" & <c>\n\td\r.txt')
    return dataclasses.replace(
        credit_note(),
        notes=(Note(text="Tom & Jerry <b>\r\nregel 2\tkolom > 1 ‘ü’ €"),),
        seller=dataclasses.replace(_seller(), name="Müller & Zöhne <GmbH> 🧾"),
        payment_means=(PaymentMeans(code="30", text='Over"boeking & co'),),
        additional_documents=(
            AdditionalDocument(id="A&B", id_scheme="x<y", attachment=attachment),
        ),
    )


@pytest.mark.parametrize("name", [*sorted(DOCUMENTS), "tricky"])
def test_bytes_are_what_lxml_pretty_print_writes(name: str) -> None:
    document = _tricky_document() if name == "tricky" else DOCUMENTS[name]()
    xml = write_document(document, resolve("en16931", document))
    root = etree.fromstring(xml)
    assert xml == etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def test_escaped_values_read_back_unchanged() -> None:
    document = _tricky_document()
    root = etree.fromstring(write_document(document, resolve("en16931", document)))
    assert root.findtext("cbc:Note", namespaces=NS) == document.notes[0].text
    name = "cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName"
    assert root.findtext(name, namespaces=NS) == "Müller & Zöhne <GmbH> 🧾"
    code = root.find("cac:PaymentMeans/cbc:PaymentMeansCode", NS)
    assert code is not None
    assert code.get("name") == 'Over"boeking & co'
    reference = root.find("cac:AdditionalDocumentReference", NS)
    assert reference is not None
    assert reference.find("cbc:ID", NS).get("schemeID") == "x<y"  # type: ignore[union-attr]
    embedded = reference.find("cac:Attachment/cbc:EmbeddedDocumentBinaryObject", NS)
    assert embedded is not None
    assert embedded.get("filename") == 'a "b" & <c>\n\td\r.txt'


_XML_TEXT = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="\ufffe\uffff").filter(
        lambda c: c in "\t\n\r" or c >= " "
    ),
    min_size=1,
).filter(lambda s: not s.isspace())


@settings(max_examples=60, deadline=None)
@given(text=_XML_TEXT, attribute=_XML_TEXT)
def test_any_xml_text_is_written_as_lxml_would_and_reads_back(text: str, attribute: str) -> None:
    document = dataclasses.replace(
        dutch_invoice(),
        buyer_reference=text,
        payment_means=(PaymentMeans(code="30", text=attribute),),
    )
    xml = write_document(document, resolve("en16931", document))
    root = etree.fromstring(xml)
    assert xml == etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    assert root.findtext("cbc:BuyerReference", namespaces=NS) == text
    code = root.find("cac:PaymentMeans/cbc:PaymentMeansCode", NS)
    assert code is not None
    assert code.get("name") == attribute


@pytest.mark.parametrize("bad", ["nul\x00", "bell\x07", "lone \ud800 surrogate", "\ufffe"])
def test_text_xml_cannot_carry_is_refused(bad: str) -> None:
    document = dataclasses.replace(dutch_invoice(), buyer_reference=bad)
    with pytest.raises(ValueError, match="cannot be written in XML"):
        write_document(document, resolve("en16931", document))


def test_blank_strings_write_nothing() -> None:
    document = dataclasses.replace(dutch_invoice(), buyer_reference="  ", payment_terms="")
    root = etree.fromstring(write_document(document, resolve("en16931", document)))
    assert root.find("cbc:BuyerReference", NS) is None
    assert root.find("cac:PaymentTerms", NS) is None


def test_public_write_turns_an_unwritable_character_into_a_profile_error() -> None:
    import dataclasses

    import ubl

    fixtures = Path(__file__).resolve().parents[2] / "fixtures"
    document = ubl.parse(fixtures / "nl-standard-21-9.xml").document
    broken = dataclasses.replace(document, payment_terms="pay \x01 soon")
    with pytest.raises(ubl.ProfileError) as info:
        ubl.write(broken, profile="auto")
    [finding] = info.value.findings
    assert (finding.rule, finding.layer) == ("XML-1.0-CHAR", "profile")
    assert finding.hint is not None and "control character" in finding.hint
