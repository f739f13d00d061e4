"""Tests for the UBL 2.1 reader (ubl/parser/) and the hardened XML loading (ubl/_xml.py).

The hand-written document below needs nothing from SHARED; the official examples are read in
place (require_shared) and spot-checked against values read off the XML by hand.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree
from support.corpus import VALIDATION, roundtrip_corpus
from support.shared import require_shared

from model.document import (
    Address,
    DocumentKind,
    Identifier,
    Invoice,
    Item,
    Line,
    Note,
    Party,
    PrecedingInvoice,
    Price,
    Totals,
    VatBreakdown,
)
from model.findings import Finding
from ubl._ns import CAC, CBC, CREDIT_NOTE, INVOICE
from ubl.errors import InputError
from ubl.parser import ParseResult, parse_document

D = Decimal
TESTFILES = "validation/en16931/tests/testfiles"
EXAMPLES = "validation/en16931/examples"
MAX_INVOICE = f"{TESTFILES}/Invoice-Max_content.xml"
MAX_CREDIT_NOTE = f"{TESTFILES}/CreditNote-Max_content.xml"
ITALIAN = f"{EXAMPLES}/FT G2G_TD01 con Allegato, Bonifico e Split Payment.xml"

MINIMAL = """<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>
  <cbc:ID>INV-1</cbc:ID>
  <cbc:IssueDate>2024-03-01</cbc:IssueDate>
  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
  <cbc:Note>#AAI#Thank you</cbc:Note>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  <cbc:BuyerReference>PO-77</cbc:BuyerReference>
  <cac:AccountingSupplierParty>
    <cac:Party>
      <cac:PostalAddress>
        <cbc:CityName>Utrecht</cbc:CityName>
        <cac:Country><cbc:IdentificationCode>NL</cbc:IdentificationCode></cac:Country>
      </cac:PostalAddress>
      <cac:PartyTaxScheme>
        <cbc:CompanyID>NL000099998B57</cbc:CompanyID>
        <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>
      </cac:PartyTaxScheme>
      <cac:PartyLegalEntity>
        <cbc:RegistrationName>Seller B.V.</cbc:RegistrationName>
      </cac:PartyLegalEntity>
    </cac:Party>
  </cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty>
    <cac:Party>
      <cac:PostalAddress>
        <cac:Country><cbc:IdentificationCode>BE</cbc:IdentificationCode></cac:Country>
      </cac:PostalAddress>
      <cac:PartyLegalEntity>
        <cbc:RegistrationName>Buyer NV</cbc:RegistrationName>
      </cac:PartyLegalEntity>
    </cac:Party>
  </cac:AccountingCustomerParty>
  <cac:TaxTotal>
    <cbc:TaxAmount currencyID="EUR">21.00</cbc:TaxAmount>
    <cac:TaxSubtotal>
      <cbc:TaxableAmount currencyID="EUR">100.00</cbc:TaxableAmount>
      <cbc:TaxAmount currencyID="EUR">21.00</cbc:TaxAmount>
      <cac:TaxCategory>
        <cbc:ID>S</cbc:ID>
        <cbc:Percent>21</cbc:Percent>
        <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>
      </cac:TaxCategory>
    </cac:TaxSubtotal>
  </cac:TaxTotal>
  <cac:LegalMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="EUR">100.00</cbc:LineExtensionAmount>
    <cbc:TaxExclusiveAmount currencyID="EUR">100.00</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="EUR">121.00</cbc:TaxInclusiveAmount>
    <cbc:PayableAmount currencyID="EUR">121.00</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
  <cac:InvoiceLine>
    <cbc:ID>1</cbc:ID>
    <cbc:InvoicedQuantity unitCode="C62">4</cbc:InvoicedQuantity>
    <cbc:LineExtensionAmount currencyID="EUR">100.00</cbc:LineExtensionAmount>
    <cac:Item>
      <cbc:Name>Widget</cbc:Name>
      <cac:ClassifiedTaxCategory>
        <cbc:ID>S</cbc:ID>
        <cbc:Percent>21</cbc:Percent>
        <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>
      </cac:ClassifiedTaxCategory>
    </cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="EUR">25.00</cbc:PriceAmount></cac:Price>
  </cac:InvoiceLine>
</Invoice>
"""

EXPECTED = Invoice(
    customization_id="urn:cen.eu:en16931:2017",
    number="INV-1",
    issue_date=date(2024, 3, 1),
    type_code="380",
    notes=(Note(text="Thank you", subject_code="AAI"),),
    currency="EUR",
    buyer_reference="PO-77",
    seller=Party(
        name="Seller B.V.", vat_id="NL000099998B57", address=Address(city="Utrecht", country="NL")
    ),
    buyer=Party(name="Buyer NV", address=Address(country="BE")),
    totals=Totals(
        line_net=D("100.00"),
        without_vat=D("100.00"),
        vat=D("21.00"),
        with_vat=D("121.00"),
        payable=D("121.00"),
    ),
    vat_breakdown=(
        VatBreakdown(taxable_amount=D("100.00"), tax_amount=D("21.00"), category="S", rate=D(21)),
    ),
    lines=(
        Line(
            id="1",
            quantity=D(4),
            unit="C62",
            net_amount=D("100.00"),
            price=Price(net=D("25.00")),
            item=Item(name="Widget", vat_category="S", vat_rate=D(21)),
        ),
    ),
)


def edit(xml: str, old: str, new: str, count: int = 1) -> str:
    """``xml`` with the first ``count`` occurrences of ``old`` replaced (which must exist)."""
    assert xml.count(old) >= count, f"{old!r} not in the document"
    return xml.replace(old, new, count)


def line_of(xml: str, needle: str, nth: int = 1) -> int:
    """1-based line number of the ``nth`` line containing ``needle``."""
    hits = [number for number, text in enumerate(xml.splitlines(), 1) if needle in text]
    return hits[nth - 1]


def parse_text(xml: str) -> ParseResult:
    return parse_document(xml.encode("utf-8"))


def input_error(data: bytes) -> InputError:
    with pytest.raises(InputError) as caught:
        parse_document(data)
    return caught.value


def renamespaced(data: bytes, nsmap: dict[str | None, str]) -> bytes:
    """The same document with its namespaces declared under other prefixes (``nsmap``)."""

    def copy(source: etree._Element, parent: etree._Element | None) -> etree._Element:
        if parent is None:
            element = etree.Element(source.tag, dict(source.attrib), nsmap=nsmap)
        else:
            element = etree.SubElement(parent, source.tag, dict(source.attrib))
        element.text, element.tail = source.text, source.tail
        for child in source:
            if isinstance(child.tag, str):
                copy(child, element)
        return element

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.tostring(copy(etree.fromstring(data, parser), None), encoding="UTF-8")


# --- a hand-written document -------------------------------------------------------------


def test_minimal_invoice_reads_into_the_model() -> None:
    result = parse_text(MINIMAL)
    assert result.document == EXPECTED
    assert result.report == ()
    assert result.source == "<bytes>"


def test_path_and_str_sources_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "invoice.xml"
    path.write_text(MINIMAL, encoding="utf-8")
    for source in (path, str(path)):
        result = parse_document(source)
        assert result.document == EXPECTED
        assert result.source == str(path)


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.xml"
    with pytest.raises(InputError) as caught:
        parse_document(missing)
    assert caught.value.source == str(missing)


def test_a_file_over_the_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    huge = tmp_path / "huge.xml"
    with huge.open("wb") as file:  # sparse: quick to make, 200 MB to stat
        file.write(MINIMAL.encode())
        file.truncate(200 * 1024 * 1024)
    with pytest.raises(InputError) as caught:
        parse_document(huge)
    error = caught.value
    assert (error.source, error.rule) == (str(huge), "INPUT-TOO-LARGE")
    assert error.message == (
        "document of 209,715,200 bytes is over the 104,857,600-byte limit; not read"
    )


def test_max_bytes_sets_the_limit_for_files_and_bytes(tmp_path: Path) -> None:
    data = MINIMAL.encode()
    path = tmp_path / "invoice.xml"
    path.write_bytes(data)
    for source in (path, data):
        with pytest.raises(InputError, match=f"{len(data):,} bytes is over the 100-byte limit"):
            parse_document(source, max_bytes=100)
        assert parse_document(source, max_bytes=len(data)).document == EXPECTED


def test_xml_text_passed_as_str_is_read_as_a_path_with_a_hint() -> None:
    with pytest.raises(InputError, match="must be passed as bytes"):
        parse_document(MINIMAL)


def test_credit_note_root_and_its_payment_due_date() -> None:
    xml = MINIMAL.replace("Invoice-2", "CreditNote-2")
    xml = edit(xml, "<Invoice ", "<CreditNote ")
    xml = edit(xml, "</Invoice>", "</CreditNote>")
    xml = edit(
        xml,
        "InvoiceTypeCode>380</cbc:InvoiceTypeCode",
        "CreditNoteTypeCode>381</cbc:CreditNoteTypeCode",
    )
    xml = edit(xml, "InvoiceLine>", "CreditNoteLine>", count=2)
    xml = edit(xml, "InvoicedQuantity", "CreditedQuantity", count=2)
    means = """<cac:PaymentMeans>
    <cbc:PaymentMeansCode>30</cbc:PaymentMeansCode>
    <cbc:PaymentDueDate>2024-04-01</cbc:PaymentDueDate>
    <cac:PayeeFinancialAccount><cbc:ID>NL91ABNA0417164300</cbc:ID></cac:PayeeFinancialAccount>
  </cac:PaymentMeans>
  <cac:TaxTotal>"""
    xml = edit(xml, "<cac:TaxTotal>", means)
    xml = edit(
        xml,
        "<cac:AccountingSupplierParty>",
        "<cac:BillingReference><cac:InvoiceDocumentReference><cbc:ID>INV-0</cbc:ID>"
        "<cbc:IssueDate>2024-02-01</cbc:IssueDate></cac:InvoiceDocumentReference>"
        "</cac:BillingReference>\n  <cac:AccountingSupplierParty>",
    )
    document = parse_text(xml).document
    assert document.kind is DocumentKind.CREDIT_NOTE
    assert document.type_code == "381"
    assert document.due_date == date(2024, 4, 1)
    assert document.payment_means[0].credit_transfer is not None
    assert document.payment_means[0].credit_transfer.account_id == "NL91ABNA0417164300"
    assert document.preceding_invoices == (
        PrecedingInvoice(number="INV-0", issue_date=date(2024, 2, 1)),
    )
    assert document.lines == EXPECTED.lines


def test_order_reference_na_beside_a_sales_order_means_no_purchase_order() -> None:
    order = "<cac:OrderReference><cbc:ID>NA</cbc:ID><cbc:SalesOrderID>SO-9</cbc:SalesOrderID>"
    xml = edit(
        MINIMAL,
        "<cac:AccountingSupplierParty>",
        f"{order}</cac:OrderReference>\n  <cac:AccountingSupplierParty>",
    )
    document = parse_text(xml).document
    assert document.order_reference is None
    assert document.sales_order_reference == "SO-9"


def test_tax_total_in_the_tax_currency_is_bt_111() -> None:
    xml = edit(
        MINIMAL,
        "<cbc:BuyerReference>",
        "<cbc:TaxCurrencyCode>SEK</cbc:TaxCurrencyCode>\n  <cbc:BuyerReference>",
    )
    xml = edit(
        xml,
        "<cac:LegalMonetaryTotal>",
        '<cac:TaxTotal><cbc:TaxAmount currencyID="SEK">240.10</cbc:TaxAmount></cac:TaxTotal>\n'
        "  <cac:LegalMonetaryTotal>",
    )
    document = parse_text(xml).document
    assert document.tax_currency == "SEK"
    assert document.totals.vat == D("21.00")
    assert document.totals.vat_in_tax_currency == D("240.10")
    assert document.vat_breakdown == EXPECTED.vat_breakdown


@pytest.mark.parametrize(
    ("text", "expected"),
    [("+5", D(5)), ("-0.50", D("-0.50")), ("  12.345  ", D("12.345")), ("007", D(7))],
)
def test_decimals_accepted(text: str, expected: Decimal) -> None:
    xml = edit(
        MINIMAL,
        '<cbc:PriceAmount currencyID="EUR">25.00<',
        f'<cbc:PriceAmount currencyID="EUR">{text}<',
    )
    assert parse_text(xml).document.lines[0].price.net == expected


# --- the report ----------------------------------------------------------------------------

EXTRAS = (
    ('<Invoice xmlns="', '<Invoice xsi:schemaLocation="urn:x inv.xsd" xmlns="'),
    (
        'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">',
        'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"\n'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"\n'
        ' xmlns:ext="urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2">\n'
        "  <ext:UBLExtensions><ext:UBLExtension/></ext:UBLExtensions>\n"
        "  <cbc:UBLVersionID>2.1</cbc:UBLVersionID>",
    ),
    ("<cbc:BuyerReference>PO-77", "<cbc:BuyerReference>   "),
    (
        "    <cbc:ID>1</cbc:ID>",
        "    <cbc:ID>1</cbc:ID>\n    <cbc:Note>first</cbc:Note>\n    <cbc:Note>second</cbc:Note>",
    ),
    (
        "<cbc:Percent>21</cbc:Percent>\n        <cac:TaxScheme><cbc:ID>",
        '<cbc:Percent>21</cbc:Percent>\n        <cac:TaxScheme><cbc:ID schemeID="UN/ECE 5153">',
    ),
    (
        '<cbc:InvoicedQuantity unitCode="C62">',
        '<cbc:InvoicedQuantity unitCode="C62" unitCodeListID="UNECERec20">',
    ),
)


def with_extras() -> str:
    xml = MINIMAL
    for old, new in EXTRAS:
        xml = edit(xml, old, new)
    return xml


def test_report_lists_uncovered_content_with_paths_and_lines() -> None:
    xml = with_extras()
    result = parse_text(xml)
    found = {(entry.location, entry.line) for entry in result.report}
    line = "/Invoice/cac:InvoiceLine"
    assert found == {
        # libxml2 numbers a start tag by the line where it ends
        ("/Invoice/@xsi:schemaLocation", line_of(xml, 'CommonExtensionComponents-2">')),
        ("/Invoice/ext:UBLExtensions", line_of(xml, "<ext:UBLExtensions>")),
        ("/Invoice/cbc:UBLVersionID", line_of(xml, "<cbc:UBLVersionID>")),
        ("/Invoice/cbc:BuyerReference", line_of(xml, "<cbc:BuyerReference>")),
        (f"{line}/cbc:Note[2]", line_of(xml, "<cbc:Note>second")),
        (f"{line}/cbc:InvoicedQuantity/@unitCodeListID", line_of(xml, "<cbc:InvoicedQuantity")),
        (
            "/Invoice/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cac:TaxScheme/cbc:ID/@schemeID",
            line_of(xml, 'schemeID="UN/ECE 5153"'),
        ),
    }
    messages = {entry.location: entry.message for entry in result.report}
    assert "second value" in messages[f"{line}/cbc:Note[2]"]
    assert "BT-127" in messages[f"{line}/cbc:Note[2]"]
    assert "empty" in messages["/Invoice/cbc:BuyerReference"]
    rules = {entry.location: entry.rule for entry in result.report}
    assert rules.pop(f"{line}/cbc:Note[2]") == "UBL-SECOND-VALUE"
    assert rules.pop("/Invoice/cbc:BuyerReference") == "UBL-EMPTY-ELEMENT"
    assert set(rules.values()) == {"UBL-NOT-COVERED"}
    # each entry is a parse-layer warning: the document is read, someone should look
    assert {(entry.layer, entry.severity) for entry in result.report} == {("parse", "warning")}
    assert all(isinstance(entry, Finding) and entry.field is None for entry in result.report)
    # what the binding maps is still read; the first line note wins
    assert result.document.lines[0].note == "first"
    assert result.document.buyer_reference is None
    assert result.document.lines[0].quantity == D(4)


def test_other_tax_scheme_and_other_currency_are_reported() -> None:
    vat = "<cac:TaxScheme><cbc:ID>VAT</cbc:ID>"
    at = MINIMAL.index(vat, MINIMAL.index("<cac:ClassifiedTaxCategory>"))
    xml = MINIMAL[:at] + "<cac:TaxScheme><cbc:ID>GST</cbc:ID>" + MINIMAL[at + len(vat) :]
    xml = edit(xml, '<cbc:PriceAmount currencyID="EUR">', '<cbc:PriceAmount currencyID="USD">')
    result = parse_text(xml)
    item = "/Invoice/cac:InvoiceLine/cac:Item/cac:ClassifiedTaxCategory/cac:TaxScheme/cbc:ID"
    assert {(entry.location, entry.line) for entry in result.report} == {
        (item, line_of(xml, "GST")),
        ("/Invoice/cac:InvoiceLine/cac:Price/cbc:PriceAmount/@currencyID", line_of(xml, "USD")),
    }
    assert result.document.lines == EXPECTED.lines


def test_party_tax_scheme_other_than_vat_is_the_tax_registration_bt_32() -> None:
    xml = edit(MINIMAL, "<cac:TaxScheme><cbc:ID>VAT</cbc:ID>", "<cac:TaxScheme><cbc:ID>FC</cbc:ID>")
    result = parse_text(xml)
    seller = result.document.seller
    assert (seller.vat_id, seller.tax_registration, seller.tax_registration_scheme) == (
        None,
        "NL000099998B57",
        "FC",
    )
    assert result.report == ()


def test_invoiced_object_keeps_only_its_identifier_and_one_of_them() -> None:
    references = """<cac:AdditionalDocumentReference>
    <cbc:ID schemeID="AAA">OBJ-1</cbc:ID>
    <cbc:DocumentTypeCode>130</cbc:DocumentTypeCode>
    <cbc:DocumentDescription>meter</cbc:DocumentDescription>
  </cac:AdditionalDocumentReference>
  <cac:AdditionalDocumentReference>
    <cbc:ID>OBJ-2</cbc:ID>
    <cbc:DocumentTypeCode>130</cbc:DocumentTypeCode>
  </cac:AdditionalDocumentReference>
  <cac:AdditionalDocumentReference>
    <cbc:ID>DOC-1</cbc:ID>
  </cac:AdditionalDocumentReference>
  <cac:AccountingSupplierParty>"""
    xml = edit(MINIMAL, "<cac:AccountingSupplierParty>", references)
    result = parse_text(xml)
    assert result.document.invoiced_object == Identifier(value="OBJ-1", scheme="AAA")
    assert [d.id for d in result.document.additional_documents] == ["DOC-1"]
    reference = "/Invoice/cac:AdditionalDocumentReference"
    assert {(entry.location, entry.line) for entry in result.report} == {
        (f"{reference}[1]/cbc:DocumentDescription", line_of(xml, "meter")),
        (f"{reference}[2]", line_of(xml, "<cac:AdditionalDocumentReference>", 2)),
    }


def test_comments_are_not_content() -> None:
    xml = edit(MINIMAL, "<cbc:ID>INV-1</cbc:ID>", "<cbc:ID>INV-<!-- x -->1</cbc:ID><!-- note -->")
    result = parse_text(xml)
    assert result.document.number == "INV-1"
    assert result.report == ()


# --- bad input -----------------------------------------------------------------------------


def assert_names_source_and_line(error: InputError, line: int | None = None) -> None:
    assert error.source == "<bytes>"
    assert error.line is not None
    if line is not None:
        assert error.line == line
    assert str(error).startswith(f"<bytes>:{error.line}:")


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"<Invoice><cbc:ID>1</Invoice>", id="malformed"),
        pytest.param(b"", id="empty"),
        pytest.param(b"   \n  ", id="blank"),
        pytest.param(bytes(range(256)) * 4, id="binary"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", id="png"),
        pytest.param(MINIMAL.encode("utf-8")[:-40], id="truncated"),
        pytest.param(b"<Invoice>\x00</Invoice>", id="nul-character"),
        pytest.param(b"<?xml version='1.0' encoding='bogus'?><a/>", id="unknown-encoding"),
        pytest.param(
            MINIMAL.replace("Widget", "Café").encode("latin-1"), id="latin1-declared-utf8"
        ),
    ],
)
def test_unreadable_xml_is_an_input_error(data: bytes) -> None:
    error = input_error(data)
    assert "not well-formed XML" in error.message
    assert error.rule == "XML-SYNTAX"
    assert_names_source_and_line(error)


def test_latin1_error_points_at_the_bad_line() -> None:
    xml = MINIMAL.replace("Widget", "Café")
    error = input_error(xml.encode("latin-1"))
    assert error.line == line_of(xml, "Café")


@pytest.mark.parametrize(
    ("xml", "root"),
    [
        (
            '<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"/>',
            "{urn:oasis:names:specification:ubl:schema:xsd:Order-2}Order",
        ),
        ("<Invoice/>", "Invoice"),
        (f'<CreditNote xmlns="{INVOICE}"/>', f"{{{INVOICE}}}CreditNote"),
        (f'<Invoice xmlns="{CREDIT_NOTE}"/>', f"{{{CREDIT_NOTE}}}Invoice"),
    ],
)
def test_wrong_root_element(xml: str, root: str) -> None:
    error = input_error(xml.encode())
    assert error.message == f"wrong root element {root}: expected UBL 2.1 Invoice or CreditNote"
    assert_names_source_and_line(error, 1)


def test_external_entity_is_never_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-4711", encoding="utf-8")
    uri = secret.as_uri()
    documents = [
        f'<!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "{uri}">]>\n'
        + edit(MINIMAL.split("\n", 1)[1], "<cbc:ID>INV-1<", "<cbc:ID>&xxe;<"),
        f'<!DOCTYPE Invoice [<!ENTITY % xxe SYSTEM "{uri}"> %xxe;]>\n' + MINIMAL.split("\n", 1)[1],
        f'<!DOCTYPE Invoice SYSTEM "{uri}">\n' + MINIMAL.split("\n", 1)[1],
    ]
    for xml in documents:
        error = input_error(xml.encode())
        assert "TOP-SECRET" not in str(error)
        assert_names_source_and_line(error, 1)
        assert "DOCTYPE" in error.message


def billion_laughs(prolog: str = "") -> str:
    """MINIMAL with a DOCTYPE of nine levels of ten entities (10^9 "lol"s), after ``prolog``."""
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    declaration, body = MINIMAL.split("\n", 1)
    doctype = "<!DOCTYPE Invoice [\n  " + "\n  ".join(entities) + "\n]>\n"
    return f"{declaration}\n{prolog}{doctype}" + edit(body, "<cbc:ID>INV-1<", "<cbc:ID>&lol9;<")


def test_billion_laughs_is_a_doctype_error_at_the_line_of_the_doctype() -> None:
    xml = billion_laughs("<!-- exported by a tool -->\n<?tool mode='x'?>\n")
    error = input_error(xml.encode())
    # libxml2 stops inside the entities with a resource error "at line 1"
    assert (error.rule, error.line) == ("XML-DOCTYPE", line_of(xml, "<!DOCTYPE"))
    assert error.line == 4
    assert error.message.startswith("DOCTYPE declarations are not allowed")
    assert "entity-expansion bomb" in error.message
    assert "lollol" not in str(error)


def test_doctype_is_only_looked_for_before_the_root_element() -> None:
    """``<!DOCTYPE`` in a comment inside the document is text: the real error is named."""
    xml = edit(MINIMAL, "<cbc:ID>INV-1</cbc:ID>", "<!-- <!DOCTYPE x> --><cbc:ID>INV-1</cbc:Id>")
    error = input_error(xml.encode())
    assert (error.rule, error.line) == ("XML-SYNTAX", line_of(xml, "INV-1"))
    assert "not well-formed XML" in error.message


def nested(depth: int) -> str:
    """MINIMAL with ``depth`` elements nested one per line inside its first note."""
    return edit(
        MINIMAL,
        "<cbc:Note>#AAI#Thank you</cbc:Note>",
        "<cbc:Note>" + "<x>\n" * depth + "</x>" * depth + "</cbc:Note>",
    )


def test_nesting_deeper_than_the_parser_allows_names_the_limit_and_the_line() -> None:
    xml = nested(5000)
    error = input_error(xml.encode())
    found = re.fullmatch(
        r"elements nested deeper than (\d+) levels at line (\d+): more than the XML parser "
        r"allows, and far more than any invoice needs; check the program that wrote the file",
        error.message,
    )
    assert found is not None, error.message
    limit, line = int(found.group(1)), int(found.group(2))
    # Invoice, cbc:Note and limit - 2 x's make the limit; the next x is one too deep
    assert (error.rule, error.line) == ("XML-TOO-DEEP", line)
    assert line == line_of(xml, "<cbc:Note>") + limit - 2
    assert "Excessive depth" not in str(error)


def test_nesting_within_the_limit_is_read() -> None:
    """Deep but allowed (more than libxml2's 256 without huge_tree): the note's child element
    is content EN 16931 does not cover, and the note is left empty."""
    result = parse_text(nested(1000))
    assert [(entry.location, entry.rule) for entry in result.report] == [
        ("/Invoice/cbc:Note/x", "UBL-NOT-COVERED"),
        ("/Invoice/cbc:Note", "UBL-EMPTY-ELEMENT"),
    ]
    assert result.document.number == "INV-1"


UTF8_DECLARED = MINIMAL  # declares encoding="UTF-8"
UTF16_DECLARED = MINIMAL.replace('encoding="UTF-8"', 'encoding="UTF-16"', 1)
BOM8 = b"\xef\xbb\xbf"


@pytest.mark.parametrize(
    ("data", "declared", "found"),
    [
        pytest.param(
            UTF8_DECLARED.encode("utf-16"),
            "UTF-8",
            "UTF-16 (little-endian, with a byte order mark)",
            id="utf16-bom-declaring-utf8",
        ),
        pytest.param(
            UTF8_DECLARED.encode("utf-16-be"),
            "UTF-8",
            "UTF-16 (big-endian, without a byte order mark)",
            id="utf16be-declaring-utf8",
        ),
        pytest.param(
            UTF8_DECLARED.replace(' encoding="UTF-8"', "").encode("utf-16-le"),
            None,
            "UTF-16 (little-endian, without a byte order mark)",
            id="utf16le-declaring-nothing",
        ),
        pytest.param(
            UTF16_DECLARED.encode("utf-16-le"),
            "UTF-16",
            "without the byte order mark XML 1.0 requires of UTF-16; add the mark, "
            "or declare UTF-16LE (the bytes are little-endian)",
            id="utf16le-without-bom-declaring-utf16",
        ),
        pytest.param(UTF16_DECLARED.encode("utf-8"), "UTF-16", "8-bit", id="utf8-declaring-utf16"),
        pytest.param(
            BOM8 + UTF16_DECLARED.encode("utf-8"),
            "UTF-16",
            "UTF-8 (with a byte order mark)",
            id="utf8-bom-declaring-utf16",
        ),
        pytest.param(
            BOM8 + MINIMAL.replace("UTF-8", "ISO-8859-1", 1).encode("utf-8"),
            "ISO-8859-1",
            "UTF-8 (with a byte order mark)",
            id="utf8-bom-declaring-latin1",
        ),
    ],
)
def test_an_encoding_that_contradicts_the_declaration_is_refused(
    data: bytes, declared: str | None, found: str
) -> None:
    error = input_error(data)
    said = "declares no encoding (so UTF-8)" if declared is None else f"declares {declared}"
    joint = " " if found.startswith("without") else " but the bytes are "
    assert error.message.startswith(
        f"encoding contradicts the XML declaration: it {said}{joint}{found}"
    )
    assert (error.rule, error.line) == ("XML-ENCODING", 1)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(UTF16_DECLARED.encode("utf-16"), id="utf16-bom-declaring-utf16"),
        pytest.param(
            MINIMAL.replace('encoding="UTF-8"', 'encoding="UTF-16BE"').encode("utf-16-be"),
            id="utf16be-declaring-utf16be",
        ),
        pytest.param(
            MINIMAL.replace('encoding="UTF-8"', 'encoding="utf-16le"').encode("utf-16-le"),
            id="utf16le-declaring-utf16le",
        ),
        pytest.param(
            MINIMAL.replace(' encoding="UTF-8"', "").encode("utf-16"),
            id="utf16-bom-declaring-nothing",
        ),
        pytest.param(BOM8 + MINIMAL.encode("utf-8"), id="utf8-bom-declaring-utf8"),
        pytest.param(MINIMAL.replace("UTF-8", "ISO-8859-1").encode("latin-1"), id="latin1"),
    ],
)
def test_an_encoding_that_agrees_with_the_declaration_is_read(data: bytes) -> None:
    assert parse_document(data).document == EXPECTED


def test_doctype_without_entities_is_refused_too() -> None:
    error = input_error(("<!DOCTYPE Invoice>\n" + MINIMAL.split("\n", 1)[1]).encode())
    assert "DOCTYPE" in error.message


def test_thousands_separator_in_an_amount_names_element_term_and_line() -> None:
    xml = edit(
        MINIMAL,
        '<cbc:LineExtensionAmount currencyID="EUR">100.00</cbc:LineExtensionAmount>\n    <cac:Item>',
        '<cbc:LineExtensionAmount currencyID="EUR">1,234.50</cbc:LineExtensionAmount>\n    <cac:Item>',
    )
    error = input_error(xml.encode())
    assert_names_source_and_line(error, line_of(xml, "1,234.50"))
    assert "LineExtensionAmount" in error.message
    assert "BT-131" in error.message
    assert "'1,234.50'" in error.message
    assert error.field == "/Invoice/cac:InvoiceLine/cbc:LineExtensionAmount"


@pytest.mark.parametrize(
    "bad", ["1e5", "NaN", "Infinity", "1 000", "1_000", ".5", "5.", "\u0661\u0662", ""]
)
def test_malformed_decimals_are_refused(bad: str) -> None:
    xml = edit(
        MINIMAL,
        "<cbc:Percent>21</cbc:Percent>\n        <cac:TaxScheme>",
        f"<cbc:Percent>{bad}x</cbc:Percent>\n        <cac:TaxScheme>",
    )
    error = input_error(xml.encode())
    assert "cbc:Percent" in error.message
    assert "BT-119" in error.message
    assert_names_source_and_line(error, line_of(xml, f"<cbc:Percent>{bad}x"))


@pytest.mark.parametrize("bad", ["2024-02-30", "01-03-2024", "2024-3-1", "20240301", "2024-03-01Z"])
def test_invalid_dates_are_refused(bad: str) -> None:
    xml = edit(MINIMAL, "<cbc:IssueDate>2024-03-01<", f"<cbc:IssueDate>{bad}<")
    error = input_error(xml.encode())
    assert "cbc:IssueDate" in error.message
    assert "BT-2" in error.message
    assert_names_source_and_line(error, line_of(xml, "<cbc:IssueDate>"))


def test_boolean_charge_indicator_is_strict() -> None:
    allowance = (
        "<cac:AllowanceCharge><cbc:ChargeIndicator>yes</cbc:ChargeIndicator>"
        '<cbc:Amount currencyID="EUR">5</cbc:Amount></cac:AllowanceCharge>\n  <cac:TaxTotal>'
    )
    error = input_error(edit(MINIMAL, "<cac:TaxTotal>", allowance).encode())
    assert "ChargeIndicator" in error.message
    assert "true, false, 1 or 0" in error.message


@pytest.mark.parametrize(
    ("old", "new", "element", "term"),
    [
        ("<cbc:ID>INV-1</cbc:ID>", "", "cbc:ID", "BT-1"),
        ("<cbc:IssueDate>2024-03-01</cbc:IssueDate>", "", "cbc:IssueDate", "BT-2"),
        (
            "<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>",
            "",
            "cbc:DocumentCurrencyCode",
            "BT-5",
        ),
        (
            "<cbc:RegistrationName>Seller B.V.</cbc:RegistrationName>",
            "",
            "RegistrationName",
            "BT-27",
        ),
        ("<cbc:RegistrationName>Buyer NV</cbc:RegistrationName>", "", "RegistrationName", "BT-44"),
        (
            "<cbc:IdentificationCode>NL</cbc:IdentificationCode>",
            "",
            "cbc:IdentificationCode",
            "BT-40",
        ),
        (
            "<cbc:IdentificationCode>BE</cbc:IdentificationCode>",
            "",
            "cbc:IdentificationCode",
            "BT-55",
        ),
        ("<cbc:ID>1</cbc:ID>", "", "cbc:ID", "BT-126"),
        (' unitCode="C62"', "", "@unitCode", "BT-130"),
        ("<cbc:Name>Widget</cbc:Name>", "", "cbc:Name", "BT-153"),
        (
            '<cac:Price><cbc:PriceAmount currencyID="EUR">25.00</cbc:PriceAmount></cac:Price>',
            "",
            "cbc:PriceAmount",
            "BT-146",
        ),
        (
            "<cbc:ID>S</cbc:ID>\n        <cbc:Percent>21</cbc:Percent>\n        <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>\n      </cac:ClassifiedTaxCategory>",
            "<cbc:Percent>21</cbc:Percent>\n      </cac:ClassifiedTaxCategory>",
            "cbc:ID",
            "BT-151",
        ),
        (
            '<cbc:PayableAmount currencyID="EUR">121.00</cbc:PayableAmount>',
            "",
            "cbc:PayableAmount",
            "BT-115",
        ),
        (
            '<cbc:TaxableAmount currencyID="EUR">100.00</cbc:TaxableAmount>',
            "",
            "cbc:TaxableAmount",
            "BT-116",
        ),
    ],
)
def test_missing_mandatory_content_names_element_term_and_line(
    old: str, new: str, element: str, term: str
) -> None:
    xml = edit(MINIMAL, old, new)
    error = input_error(xml.encode())
    assert element in error.message
    assert term in error.message
    assert_names_source_and_line(error)


def test_missing_totals_is_an_input_error() -> None:
    start = MINIMAL.index("<cac:LegalMonetaryTotal>")
    end = MINIMAL.index("</cac:LegalMonetaryTotal>") + len("</cac:LegalMonetaryTotal>")
    error = input_error((MINIMAL[:start] + MINIMAL[end:]).encode())
    assert "cac:LegalMonetaryTotal" in error.message
    assert "BG-22" in error.message


# --- namespaces and threads ----------------------------------------------------------------


@pytest.mark.parametrize(
    "nsmap",
    [
        pytest.param({"ns0": INVOICE, "ns1": CAC, "ns2": CBC}, id="ns0-ns1-ns2"),
        pytest.param({"inv": INVOICE, "cac": CAC, None: CBC}, id="cbc-default"),
        pytest.param({"i": INVOICE, "cbc": CAC, "cac": CBC}, id="swapped"),
    ],
)
def test_any_namespace_prefix_reads_the_same(nsmap: dict[str | None, str]) -> None:
    original = MINIMAL.encode()
    rewritten = renamespaced(original, nsmap)
    prefix = next(p for p, uri in nsmap.items() if uri == INVOICE)
    assert f"<{prefix}:Invoice".encode() in rewritten
    assert parse_document(rewritten).document == EXPECTED


def test_parsing_in_threads_gives_the_same_model() -> None:
    data = MINIMAL.encode()
    with ThreadPoolExecutor(max_workers=4) as pool:
        documents = list(pool.map(lambda _: parse_document(data).document, range(200)))
    assert all(document == EXPECTED for document in documents)


# --- the official corpus -------------------------------------------------------------------

CORPUS = roundtrip_corpus()


def corpus_id(path: Path) -> str:
    return str(path.relative_to(VALIDATION))


@pytest.mark.parametrize("path", CORPUS or [None], ids=corpus_id if CORPUS else ["no-shared"])
def test_every_corpus_document_parses(path: Path | None) -> None:
    require_shared("validation")
    assert path is not None
    result = parse_document(path)
    assert result.source == str(path)
    assert isinstance(result.document, Invoice)
    assert result.document.lines
    assert all(isinstance(entry, Finding) and entry.line for entry in result.report)


@pytest.mark.parametrize(
    "nsmap",
    [
        pytest.param({"ns0": INVOICE, "ns1": CAC, "ns2": CBC}, id="ns0-ns1-ns2"),
        pytest.param({"inv": INVOICE, "cac": CAC, None: CBC}, id="cbc-default"),
    ],
)
def test_official_example_with_other_prefixes_reads_the_same(
    nsmap: dict[str | None, str],
) -> None:
    original = require_shared(MAX_INVOICE).read_bytes()
    assert parse_document(renamespaced(original, nsmap)).document == (
        parse_document(original).document
    )


def test_max_content_invoice_values() -> None:
    result = parse_document(require_shared(MAX_INVOICE))
    document = result.document
    assert document.kind is DocumentKind.INVOICE
    assert (document.number, document.issue_date, document.due_date) == (
        "2018210",
        date(2018, 2, 8),
        date(2018, 3, 7),
    )
    assert (document.currency, document.tax_currency) == ("SEK", "EUR")
    seller, buyer = document.seller, document.buyer
    assert (seller.name, seller.trading_name) == (
        "The Global Chain Sweden AB",
        "Global Trade Chain",
    )
    assert (seller.vat_id, buyer.vat_id) == ("SE123456789001", "SE123451234501")
    assert (seller.tax_registration, seller.tax_registration_scheme) == (
        "Godkänd för F-skatt",
        "TAX",
    )
    assert seller.identifiers == (
        Identifier(value="7350000001204", scheme="0088"),
        Identifier(value="BilateralID"),
    )
    assert seller.address.line3 == "Address-line3"
    assert buyer.address.country == "SE"
    assert document.invoiced_object == Identifier(value="ABC123", scheme="VT")
    assert document.project_reference == "Project 99"
    assert [(line.quantity, line.unit) for line in document.lines] == [
        (D(500), "MTR"),
        (D(10000), "EA"),
    ]
    first = document.lines[0]
    assert (first.price.net, first.price.discount, first.price.gross) == (
        D(20),
        D("0.50"),
        D("20.50"),
    )
    assert [c.is_charge for c in first.allowances_charges] == [False, True]
    assert document.totals == Totals(
        line_net=D(10000),
        allowances=D(0),
        charges=D(0),
        without_vat=D(10000),
        vat=D(2500),
        vat_in_tax_currency=D(249),
        with_vat=D(12500),
        prepaid=D(0),
        rounding=D(0),
        payable=D(12500),
    )
    assert [(b.category, b.rate, b.exemption_code) for b in document.vat_breakdown] == [
        ("S", D(25), None),
        ("E", D(0), "vatex-eu-132-1g"),
    ]
    attached = [d for d in document.additional_documents if d.attachment is not None]
    assert len(attached) == 1
    attachment = attached[0].attachment
    assert attachment is not None
    assert (attachment.filename, attachment.mime_code) == ("testfilnamn.abc", "text/csv")
    assert attachment.content == b"\xd3]\xb7\xe3\x9e\xbb"  # base64 "01234567"
    assert (
        Finding(
            rule="UBL-NOT-COVERED",
            layer="parse",
            severity="warning",
            location="/Invoice/cbc:UBLVersionID",
            line=22,
            message="not covered by EN 16931: ignored",
        )
        in result.report
    )


def test_credit_note_values() -> None:
    document = parse_document(require_shared(MAX_CREDIT_NOTE)).document
    assert document.kind is DocumentKind.CREDIT_NOTE
    assert (document.number, document.type_code) == ("2018210", "381")
    assert document.preceding_invoices == (
        PrecedingInvoice(number="Preceding invoice no.1", issue_date=date(2018, 1, 31)),
        PrecedingInvoice(number="Preceding invoice no.2"),
    )
    assert document.project_reference == "11111111"  # DocumentTypeCode 50
    assert document.invoiced_object == Identifier(value="ABC123", scheme="VT")
    assert [d.id for d in document.additional_documents] == ["MT123", "Time report 1", "Example 1"]
    assert [(line.quantity, line.unit) for line in document.lines] == [
        (D(500), "EA"),
        (D(10000), "EA"),
    ]
    assert document.totals.payable == D(12500)
    assert document.totals.vat_in_tax_currency == D(249)


def test_italian_example_with_a_3_mb_pdf() -> None:
    path = require_shared(ITALIAN)
    document = parse_document(path).document
    assert document.number == "1316/85"
    assert document.seller.name == "Azienda Unita Sanitaria Locale di Reggio Emilia"
    assert document.seller.vat_id == "IT01598570354"
    (reference,) = document.additional_documents
    attachment = reference.attachment
    assert attachment is not None
    assert (attachment.filename, attachment.mime_code) == (
        "mappatura_ubl_sdi.pdf",
        "application/pdf",
    )
    assert attachment.content.startswith(b"%PDF-1.4")
    assert attachment.content.rstrip().endswith(b"%%EOF")
    assert len(attachment.content) > 2_000_000
    assert (document.totals.prepaid, document.totals.payable) == (D("274.12"), D("1246.00"))
    assert document.lines[0].object_id == Identifier(value="229032/B", scheme="ABT")


def test_seller_without_registration_name_takes_the_trading_name() -> None:
    path = require_shared(
        "validation/peppol-bis3/examples/national/GR/GR-base-example-TaxRepresentative.xml"
    )
    result = parse_document(path)
    assert result.document.seller.name == "SupplierTradingName Ltd."
    assert any(
        entry.location == "/Invoice/cac:AccountingSupplierParty/cac:Party"
        and "BT-27" in entry.message
        for entry in result.report
    )
