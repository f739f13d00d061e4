"""Tests for the test-support validator (tests/support/validation.py)."""

from __future__ import annotations

import pytest
from lxml import etree
from support.shared import require_shared
from support.validation import fatal, validate

NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
PEPPOL_EXAMPLE = "validation/peppol-bis3/examples/base-example.xml"
NLCIUS_OK = "validation/nlcius/tests/SI-UBL-2.0/SI-UBL-2.0_ok_full.xml"


@pytest.fixture
def peppol_example() -> etree._Element:
    require_shared("validation/xsd", "validation/peppol-bis3/xslt")
    return etree.fromstring(require_shared(PEPPOL_EXAMPLE).read_bytes())


def _bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _rules(issues, layer: str) -> set[str]:
    return {i.rule for i in fatal(issues) if i.layer == layer}


def test_valid_peppol_example_has_no_fatal(peppol_example):
    assert fatal(validate(_bytes(peppol_example))) == []


def test_missing_issue_date_is_xsd_fatal(peppol_example):
    issue_date = peppol_example.find("cbc:IssueDate", NS)
    peppol_example.remove(issue_date)
    assert _rules(validate(_bytes(peppol_example), "peppol-bis3"), "xsd")


def test_wrong_line_extension_total_is_br_co_10(peppol_example):
    total = peppol_example.find("cac:LegalMonetaryTotal/cbc:LineExtensionAmount", NS)
    total.text = str(float(total.text) + 1)
    assert "BR-CO-10" in _rules(validate(_bytes(peppol_example)), "schematron")


def test_nlcius_ok_file_passes_under_nlcius():
    require_shared("validation/xsd", "validation/nlcius/xslt")
    assert fatal(validate(require_shared(NLCIUS_OK).read_bytes(), "nlcius")) == []


def test_two_seller_registration_names_is_fatal_not_a_crash(peppol_example):
    party = peppol_example.find("cac:AccountingSupplierParty/cac:Party", NS)
    legal = party.find("cac:PartyLegalEntity", NS)
    twin = etree.fromstring(etree.tostring(legal))
    twin.find("cbc:RegistrationName", NS).text = "Another Legal Name"
    legal.addnext(twin)
    assert len(party.findall("cac:PartyLegalEntity/cbc:RegistrationName", NS)) == 2
    assert fatal(validate(_bytes(peppol_example)))


@pytest.mark.parametrize("xml", [b"<Invoice", b"<Order xmlns='urn:x'/>"])
def test_malformed_or_non_ubl_input_is_fatal(xml):
    require_shared("validation/en16931/xslt")
    assert [i.layer for i in fatal(validate(xml))] == ["xsd"]
