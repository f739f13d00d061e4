"""``ubl.header.sniff``: what a document is from its first bytes, with the parser's refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.shared import REPO_ROOT

import ubl
from ubl.header import HEADER_BYTES, Header, sniff, sniff_file

FIXTURES = REPO_ROOT / "fixtures"
INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CBC_NS = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"


def test_an_invoice_fixture_gives_its_header() -> None:
    header = sniff_file(FIXTURES / "nl-standard-21-9.xml")
    assert header == Header(
        root=f"{{{INVOICE_NS}}}Invoice",
        kind="invoice",
        customization_id="urn:cen.eu:en16931:2017#compliant#urn:fdc:nen.nl:nlcius:v1.0",
        profile_id="urn:fdc:peppol.eu:2017:poacc:billing:01:1.0",
        number="2026-10417",
        issue_date="2026-11-02",
        currency="EUR",
    )
    assert header.is_ubl


def test_a_credit_note_is_told_from_an_invoice() -> None:
    header = sniff((FIXTURES / "creditnote-billing-reference.xml").read_bytes())
    assert header is not None
    assert (header.kind, header.number) == ("credit_note", "HBE-CN-26-0042")


def test_another_document_has_a_root_but_no_kind_and_no_fields() -> None:
    order = (
        b'<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2" '
        b'xmlns:cbc="' + CBC_NS.encode() + b'"><cbc:ID>PO-1</cbc:ID></Order>'
    )
    header = sniff(order)
    assert header == Header(root="{urn:oasis:names:specification:ubl:schema:xsd:Order-2}Order")
    assert not header.is_ubl


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00\x01\x02 binary",
        b"not xml at all",
        b'<?xml version="1.0"?>\n<!DOCTYPE Invoice SYSTEM "http://evil.example/x.dtd">\n<Invoice/>',
        b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 '
        b'"&lol;&lol;&lol;">]>\n<Invoice xmlns="' + INVOICE_NS.encode() + b'">&lol2;</Invoice>',
    ],
    ids=["empty", "binary", "text", "external-dtd", "entity-bomb"],
)
def test_what_the_parser_refuses_is_not_sniffed(data: bytes) -> None:
    assert sniff(data) is None


def test_only_the_limit_is_read_and_fields_past_it_are_left_out() -> None:
    note = b"x" * 2 * HEADER_BYTES
    data = (
        b'<Invoice xmlns="' + INVOICE_NS.encode() + b'" xmlns:cbc="' + CBC_NS.encode() + b'">'
        b"<cbc:CustomizationID>urn:x</cbc:CustomizationID><cbc:Note>" + note + b"</cbc:Note>"
        b"<cbc:ID>LATE</cbc:ID></Invoice>"
    )
    header = sniff(data)
    assert header is not None
    assert (header.kind, header.customization_id, header.number) == ("invoice", "urn:x", None)
    whole = sniff(data, limit=len(data))
    assert whole is not None and whole.number == "LATE"


def test_fields_inside_aggregates_are_not_taken_for_the_header() -> None:
    data = (
        b'<Invoice xmlns="' + INVOICE_NS.encode() + b'" xmlns:cbc="' + CBC_NS.encode() + b'" '
        b'xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2">'
        b"<cac:OrderReference><cbc:ID>PO-1</cbc:ID></cac:OrderReference>"
        b"<cbc:ID>INV-1</cbc:ID></Invoice>"
    )
    header = sniff(data)
    assert header is not None and header.number is None


def test_an_unreadable_file_is_none(tmp_path: Path) -> None:
    assert sniff_file(tmp_path / "absent.xml") is None


def test_sniff_is_exported_lazily_by_ubl() -> None:
    assert ubl.sniff is sniff and ubl.Header is Header
