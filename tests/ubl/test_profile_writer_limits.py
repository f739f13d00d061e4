"""Tests for the BINDING rules: what the UBL binding of ubl.writer cannot carry is refused in
every profile, and what it can carry passes.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from lxml import etree
from support.profile_documents import Mutation, clean_invoice, credit_note, rule_ids, with_totals

from ubl._ns import CAC, CBC
from ubl.profiles import PROFILE_NAMES, resolve

# --- what the writer cannot carry -------------------------------------------------------------

WRITER_LIMITS: list[tuple[Mutation, str, str]] = [
    (lambda d: with_totals(d, vat=None), "BR-CO-14", "totals.vat"),
    (lambda d: replace(credit_note(d), payment_means=()), "UBL-CN-BT9", "due_date"),
    (
        lambda d: with_totals(d, vat_in_tax_currency=Decimal("21.00")),
        "UBL-BT111-CURRENCY",
        "tax_currency",
    ),
]


@pytest.mark.parametrize("profile", [*PROFILE_NAMES, "auto"])
@pytest.mark.parametrize(("mutate", "rule", "field"), WRITER_LIMITS)
def test_what_the_writer_would_lose_is_refused_in_every_profile(
    profile: str, mutate: Mutation, rule: str, field: str
) -> None:
    doc = mutate(clean_invoice())
    assert (rule, field) in {(v.rule, v.field) for v in resolve(profile, doc).check(doc)}


def test_a_credit_note_due_date_without_payment_means_names_the_way_out() -> None:
    doc = replace(credit_note(clean_invoice()), payment_means=())
    [message] = [v.message for v in resolve("en16931", doc).check(doc) if v.rule == "UBL-CN-BT9"]
    assert "payment instructions (BG-16)" in message
    assert "drop the due date" in message


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_what_the_writer_can_carry_passes_its_limits(profile: str) -> None:
    clean = clean_invoice()
    allowed = [
        credit_note(clean),  # BT-9 in its payment means
        replace(credit_note(clean), due_date=None, payment_means=()),
        replace(clean, payment_means=()),  # an invoice has its root DueDate
        with_totals(replace(clean, tax_currency="USD"), vat_in_tax_currency=Decimal("25.41")),
        replace(with_totals(clean, vat=None), vat_breakdown=()),  # no TaxTotal at all
    ]
    limits = {rule for _, rule, _ in WRITER_LIMITS}
    for doc in allowed:
        assert not rule_ids(profile, doc) & limits


def test_writer_limits_guard_data_the_written_document_would_lose() -> None:
    """Why the two BINDING rules exist: written anyway, BT-9 has no place in the CreditNote,
    and BT-111 goes out in the document currency with no BT-6 to tell it from BT-110."""
    from ubl.writer import write_document

    ns = {"cac": CAC, "cbc": CBC}
    doc = replace(credit_note(clean_invoice()), payment_means=())
    root = etree.fromstring(write_document(doc, resolve("en16931", doc)))
    assert root.find("cbc:DueDate", ns) is None
    assert root.find(".//cbc:PaymentDueDate", ns) is None

    doc = with_totals(clean_invoice(), vat_in_tax_currency=Decimal("21.00"))
    root = etree.fromstring(write_document(doc, resolve("en16931", doc)))
    assert root.find("cbc:TaxCurrencyCode", ns) is None
    currencies = [t.get("currencyID") for t in root.findall("cac:TaxTotal/cbc:TaxAmount", ns)]
    assert currencies == ["EUR", "EUR"]


def test_a_credit_note_with_two_payment_means_keeps_its_due_date() -> None:
    """The writer puts BT-9 in the first PaymentMeans only (UBL-SR-45): nothing to refuse."""
    doc = credit_note(clean_invoice())
    doc = replace(doc, payment_means=doc.payment_means * 2)
    for profile in PROFILE_NAMES:
        assert resolve(profile, doc).check(doc) == [], profile
