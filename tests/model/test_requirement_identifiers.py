"""Identifiers on an invoice are checked against their standards (python-stdnum and ours)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import ubl
from model import CreditTransfer, DirectDebit, Identifier, Invoice, PaymentMeans
from model.identifiers import betalingskenmerk, ogm, rf
from model.requirements import check_requirements
from model.requirements.identifiers import check

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def dutch() -> Invoice:
    return ubl.parse(FIXTURES / "nl-standard-21-9.xml").document


def with_payment(
    document: Invoice, remittance: str, account: str = "NL91ABNA0417164300"
) -> Invoice:
    means = PaymentMeans(
        code="58", remittance_info=remittance, credit_transfer=CreditTransfer(account_id=account)
    )
    return dataclasses.replace(document, payment_means=(means,))


def codes(document: Invoice) -> list[tuple[str, str]]:
    return [(f.rule, f.field) for f in check(document)]


def test_fixtures_carry_only_valid_identifiers() -> None:
    for path in sorted(FIXTURES.glob("*.xml")):
        assert check(ubl.parse(path).document) == [], path.name


def test_wrong_vat_ids_are_named_by_role() -> None:
    document = dutch()
    broken = dataclasses.replace(
        document,
        seller=dataclasses.replace(document.seller, vat_id="NL000099998B58"),
        buyer=dataclasses.replace(document.buyer, vat_id="BE0123456748"),
    )
    assert codes(broken) == [("ID-VAT", "seller.vat_id"), ("ID-VAT", "buyer.vat_id")]
    assert "check digit" in check(broken)[0].message


def test_scheme_identifiers_are_checked_by_scheme() -> None:
    document = dutch()
    seller = dataclasses.replace(
        document.seller,
        legal_registration=Identifier(value="1234567", scheme="0106"),  # KvK has 8 digits
        endpoint=Identifier(value="4000001123453", scheme="0088"),  # GLN check digit wrong
        identifiers=(Identifier(value="anything", scheme="ZZZ"),),  # unknown scheme: kept
    )
    assert codes(dataclasses.replace(document, seller=seller)) == [
        ("ID-SCHEME", "seller.endpoint"),
        ("ID-SCHEME", "seller.legal_registration"),
    ]


def test_iban_is_checked() -> None:
    document = with_payment(dutch(), "INV-1", account="NL91ABNA0417164301")
    assert codes(document) == [("ID-IBAN", "payment_means[0].credit_transfer.account_id")]


@pytest.mark.parametrize(
    ("code", "account"), [("59", "NL91 ABNA 0417 1643 01"), ("49", "NL91ABNA0417164301")]
)
def test_the_account_a_direct_debit_is_taken_from_is_checked_as_an_iban(
    code: str, account: str
) -> None:
    def debit(debited: str) -> Invoice:
        means = PaymentMeans(
            code=code, direct_debit=DirectDebit(mandate="M-1", debited_account=debited)
        )
        return dataclasses.replace(dutch(), payment_means=(means,))

    assert check(debit("NL91ABNA0417164300")) == []
    field = "payment_means[0].direct_debit.debited_account"
    assert codes(debit(account)) == [("ID-IBAN", field)]
    # Not of the IBAN's shape: checked as one only for a SEPA direct debit (59).
    assert codes(debit("debtor 4711")) == ([("ID-IBAN", field)] if code == "59" else [])


@pytest.mark.parametrize(
    ("valid", "invalid", "code"),
    [
        (rf.create("2026104170"), "RF00202610417", "ID-RF"),
        (
            "+++" + ogm.format(ogm.create("0108068171")).strip("+") + "+++",
            "+++010/8068/17184+++",
            "ID-OGM",
        ),
        (betalingskenmerk.create("000056789012345"), "9001123412341234", "ID-BETALINGSKENMERK"),
    ],
)
def test_structured_payment_references(valid: str, invalid: str, code: str) -> None:
    assert check(with_payment(dutch(), valid)) == []
    field = "payment_means[0].remittance_info"
    assert codes(with_payment(dutch(), invalid)) == [(code, field)]


def test_free_text_remittance_is_not_a_structured_reference() -> None:
    for text in ("Factuur 2026-10417", "20261041", "Invoice 12345678901"):
        assert check(with_payment(dutch(), text)) == []


def test_check_requirements_includes_the_identifier_findings() -> None:
    document = with_payment(dutch(), "9001123412341234")
    assert ("ID-BETALINGSKENMERK", "payment_means[0].remittance_info") in [
        (f.rule, f.field) for f in check_requirements(document)
    ]
