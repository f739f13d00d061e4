"""Tests for ubl.profiles: profile ids, detect/resolve, and the model-level rule checks."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from lxml import etree
from support.corpus import roundtrip_corpus
from support.shared import SHARED, require_shared
from support.strategies import invoices

from model.document import (
    AdditionalDocument,
    Address,
    AllowanceCharge,
    Attachment,
    Card,
    Classification,
    CreditTransfer,
    Delivery,
    DirectDebit,
    DocumentKind,
    Identifier,
    Invoice,
    Item,
    Line,
    Note,
    Party,
    Payee,
    PaymentMeans,
    Period,
    PrecedingInvoice,
    Price,
    TaxRepresentative,
    Totals,
    VatBreakdown,
)
from model.findings import Finding
from ubl._ns import CAC, CBC
from ubl.profiles import (
    EN16931_CUSTOMIZATION_ID,
    NLCIUS_CUSTOMIZATION_ID,
    PEPPOL_CUSTOMIZATION_ID,
    PEPPOL_PROFILE_ID,
    PROFILE_NAMES,
    Profile,
    detect,
    resolve,
    rules_for,
)
from ubl.rules import Context, RuleSet, check_rules

XRECHNUNG = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"

SELLER = Party(
    name="Bakkerij De Zon B.V.",
    vat_id="NL123456789B01",
    legal_registration=Identifier(value="12345678", scheme="0106"),
    endpoint=Identifier(value="12345678", scheme="0106"),
    address=Address(line1="Dorpsstraat 1", postal_code="1234 AB", city="Utrecht", country="NL"),
)
BUYER = Party(
    name="Koffiehuis Noord B.V.",
    vat_id="NL987654321B01",
    legal_registration=Identifier(value="87654321", scheme="0106"),
    endpoint=Identifier(value="87654321", scheme="0106"),
    address=Address(line1="Havenweg 7", postal_code="9711 AA", city="Groningen", country="NL"),
)


def clean_invoice() -> Invoice:
    """A Dutch domestic invoice that satisfies all three profiles."""
    line = Line(
        id="1",
        quantity=Decimal(2),
        unit="C62",
        net_amount=Decimal("100.00"),
        price=Price(net=Decimal("50.00")),
        item=Item(name="Brood", vat_category="S", vat_rate=Decimal(21)),
    )
    return Invoice(
        customization_id=PEPPOL_CUSTOMIZATION_ID,
        profile_id=PEPPOL_PROFILE_ID,
        number="2025-0001",
        issue_date=date(2025, 3, 1),
        due_date=date(2025, 3, 31),
        currency="EUR",
        buyer_reference="PO-77",
        seller=SELLER,
        buyer=BUYER,
        payment_means=(
            PaymentMeans(
                code="58", credit_transfer=CreditTransfer(account_id="NL91ABNA0417164300")
            ),
        ),
        totals=Totals(
            line_net=Decimal("100.00"),
            without_vat=Decimal("100.00"),
            vat=Decimal("21.00"),
            with_vat=Decimal("121.00"),
            payable=Decimal("121.00"),
        ),
        vat_breakdown=(
            VatBreakdown(
                taxable_amount=Decimal("100.00"),
                tax_amount=Decimal("21.00"),
                category="S",
                rate=Decimal(21),
            ),
        ),
        lines=(line,),
    )


def with_line(doc: Invoice, **changes: object) -> Invoice:
    return replace(doc, lines=(replace(doc.lines[0], **changes),))  # type: ignore[arg-type]


def with_item(doc: Invoice, **changes: object) -> Invoice:
    return with_line(doc, item=replace(doc.lines[0].item, **changes))  # type: ignore[arg-type]


def with_breakdown(doc: Invoice, **changes: object) -> Invoice:
    return replace(doc, vat_breakdown=(replace(doc.vat_breakdown[0], **changes),))  # type: ignore[arg-type]


def with_totals(doc: Invoice, **changes: object) -> Invoice:
    return replace(doc, totals=replace(doc.totals, **changes))  # type: ignore[arg-type]


def with_party(doc: Invoice, role: str, **changes: object) -> Invoice:
    party: Party = getattr(doc, role)
    return replace(doc, **{role: replace(party, **changes)})  # type: ignore[arg-type]


def with_address(doc: Invoice, role: str, **changes: object) -> Invoice:
    party: Party = getattr(doc, role)
    return with_party(doc, role, address=replace(party.address, **changes))


def reverse_charge(doc: Invoice) -> Invoice:
    """The clean invoice, reverse charged (category AE) to a Belgian buyer."""
    doc = with_item(doc, vat_category="AE", vat_rate=Decimal(0))
    doc = with_address(doc, "buyer", country="BE", postal_code="1000", city="Brussel")
    doc = with_party(doc, "buyer", vat_id="BE0123456749", legal_registration=None)
    return with_breakdown(
        doc, category="AE", rate=Decimal(0), tax_amount=Decimal(0), exemption_code="VATEX-EU-AE"
    )


def credit_note(doc: Invoice) -> Invoice:
    """``doc`` as a credit note of invoice 2025-0000."""
    return replace(
        doc,
        kind=DocumentKind.CREDIT_NOTE,
        type_code="381",
        preceding_invoices=(PrecedingInvoice(number="2025-0000"),),
    )


def allowance(**changes: object) -> AllowanceCharge:
    base = AllowanceCharge(
        is_charge=False, amount=Decimal("10.00"), vat_category="S", vat_rate=Decimal(21),
        reason="Korting",
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


def zero_rated(
    doc: Invoice,
    category: str,
    code: str | None = None,
    reason: str | None = None,
    rate: Decimal | None = Decimal(0),
) -> Invoice:
    """The clean invoice with its line and breakdown in a category without VAT amount."""
    doc = with_item(doc, vat_category=category, vat_rate=rate)
    return with_breakdown(
        doc,
        category=category,
        rate=rate,
        tax_amount=Decimal(0),
        exemption_code=code,
        exemption_reason=reason,
    )


def not_subject(doc: Invoice) -> Invoice:
    """Not subject to VAT (O): no VAT ids at all."""
    doc = with_party(with_party(doc, "seller", vat_id=None), "buyer", vat_id=None)
    return zero_rated(doc, "O", code="VATEX-EU-O", rate=None)


def intra_community(doc: Invoice) -> Invoice:
    """An intra-community supply (K) to a Belgian buyer, delivered in Belgium."""
    doc = replace(doc, delivery=Delivery(date=date(2025, 3, 1), address=Address(country="BE")))
    doc = with_address(doc, "buyer", country="BE")
    doc = with_party(doc, "buyer", vat_id="BE0123456749", legal_registration=None)
    return zero_rated(doc, "K", code="VATEX-EU-IC")


TAX_REPRESENTATIVE = TaxRepresentative(
    name="Fiscaal Vertegenwoordiger B.V.",
    vat_id="NL111111111B01",
    address=Address(line1="Kade 1", city="Rotterdam", postal_code="3011 AA", country="NL"),
)
ATTACHMENT = Attachment(content=b"%PDF-1.4", mime_code="application/pdf", filename="a.pdf")


def rule_ids(profile: str, doc: Invoice) -> set[str]:
    return {v.rule for v in resolve(profile, doc).check(doc)}


# --- profiles, detect, resolve --------------------------------------------------------------


def test_explicit_profiles_carry_their_ids() -> None:
    doc = clean_invoice()
    assert resolve("peppol-bis3", doc) == Profile(
        "peppol-bis3", PEPPOL_CUSTOMIZATION_ID, PEPPOL_PROFILE_ID
    )
    assert resolve("en16931", doc) == Profile("en16931", "urn:cen.eu:en16931:2017", None)
    assert resolve("nlcius", doc) == Profile(
        "nlcius",
        "urn:cen.eu:en16931:2017#compliant#urn:fdc:nen.nl:nlcius:v1.0",
        "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0",
    )
    assert PROFILE_NAMES == ("peppol-bis3", "en16931", "nlcius")


@pytest.mark.parametrize("name", ["", "peppol", "AUTO", "xrechnung"])
def test_unknown_profile_name_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="unknown profile"):
        resolve(name, clean_invoice())


@pytest.mark.parametrize(
    ("customization_id", "expected"),
    [
        (PEPPOL_CUSTOMIZATION_ID, "peppol-bis3"),
        (f"{PEPPOL_CUSTOMIZATION_ID}#conformant#urn:fdc:peppol.eu:2017:poacc:billing:ext", "peppol-bis3"),
        (NLCIUS_CUSTOMIZATION_ID, "nlcius"),
        (f"{NLCIUS_CUSTOMIZATION_ID}#conformant#urn:fdc:nen.nl:gaccount:v1.0", "nlcius"),
        (EN16931_CUSTOMIZATION_ID, "en16931"),
        (XRECHNUNG, "en16931"),
        ("urn:cen.eu:en16931:2017#compliant#urn:fdc:anskaffelser.no:2019:ehf:spec:3.0", "en16931"),
        (None, "en16931"),
    ],
)  # fmt: skip
def test_detect(customization_id: str | None, expected: str) -> None:
    assert detect(customization_id) == expected


@pytest.mark.parametrize(
    ("customization_id", "profile"),
    [(PEPPOL_CUSTOMIZATION_ID, "peppol-bis3"), (NLCIUS_CUSTOMIZATION_ID, "nlcius"),
     (XRECHNUNG, "en16931")],
)  # fmt: skip
def test_auto_keeps_the_document_ids(customization_id: str, profile: str) -> None:
    doc = replace(clean_invoice(), customization_id=customization_id, profile_id="urn:x:process")
    chosen = resolve("auto", doc)
    assert chosen == Profile(profile, None, None)


def test_auto_holds_unknown_ids_to_en16931_rules() -> None:
    doc = replace(clean_invoice(), customization_id=XRECHNUNG, profile_id=None)
    doc = with_party(doc, "buyer", endpoint=None)  # Peppol R010 does not apply
    assert resolve("auto", doc).check(doc) == []
    assert {r.id for r in rules_for("en16931")} >= {"BR-01", "BR-CO-26"}
    assert not any(r.id.startswith(("PEPPOL", "NL-R", "BR-NL")) for r in rules_for("en16931"))


def test_auto_checks_the_ids_the_document_keeps() -> None:
    doc = replace(clean_invoice(), profile_id=None)
    assert "PEPPOL-EN16931-R001" in rule_ids("auto", doc)
    assert "PEPPOL-EN16931-R001" not in rule_ids("peppol-bis3", doc)  # the profile writes it
    no_ids = replace(doc, customization_id=None)
    assert "BR-01" in rule_ids("auto", no_ids)
    assert "BR-01" not in rule_ids("en16931", no_ids)


@pytest.mark.parametrize("profile", [*PROFILE_NAMES, "auto"])
def test_clean_invoice_has_no_violations(profile: str) -> None:
    doc = clean_invoice()
    assert resolve(profile, doc).check(doc) == []


def test_clean_credit_note_has_no_violations() -> None:
    doc = credit_note(clean_invoice())
    for profile in PROFILE_NAMES:
        assert resolve(profile, doc).check(doc) == [], profile


# --- one violation per rule family -----------------------------------------------------------

Mutation = Callable[[Invoice], Invoice]
Case = tuple[str, Mutation, str, str]

CASES: list[Case] = [
    # EN 16931 core
    ("en16931", lambda d: replace(d, lines=()), "BR-16", "lines"),
    ("en16931", lambda d: replace(d, number=" "), "BR-02", "number"),
    ("en16931", lambda d: with_party(d, "buyer", name=""), "BR-07", "buyer.name"),
    ("en16931", lambda d: with_item(d, name=""), "BR-25", "lines[0].item.name"),
    (
        "en16931",
        lambda d: with_line(d, price=Price(net=Decimal(-1))),
        "BR-27",
        "lines[0].price.net",
    ),
    (
        "en16931",
        lambda d: replace(d, tax_point_date=date(2025, 3, 1), tax_point_code="3"),
        "BR-CO-03",
        "tax_point_code",
    ),
    (
        "en16931",
        lambda d: replace(d, invoice_period=Period(start=date(2025, 3, 2), end=date(2025, 3, 1))),
        "BR-29",
        "invoice_period.end",
    ),
    (
        "en16931",
        lambda d: with_party(d, "seller", vat_id=None, legal_registration=None),
        "BR-CO-26",
        "seller",
    ),
    ("en16931", lambda d: with_party(d, "buyer", vat_id="QQ123"), "BR-CO-09", "buyer.vat_id"),
    (
        "en16931",
        lambda d: replace(d, payment_means=(PaymentMeans(code="30"),)),
        "BR-61",
        "payment_means[0].credit_transfer",
    ),
    ("en16931", lambda d: replace(d, tax_currency="USD"), "BR-53", "totals.vat_in_tax_currency"),
    ("en16931", lambda d: with_totals(d, vat=None), "BR-CO-14", "totals.vat"),
    (
        "en16931",
        lambda d: replace(credit_note(d), payment_means=()),
        "UBL-CN-BT9",
        "due_date",
    ),
    (
        "en16931",
        lambda d: with_totals(d, vat_in_tax_currency=Decimal("21.00")),
        "UBL-BT111-CURRENCY",
        "tax_currency",
    ),
    (
        "en16931",
        lambda d: replace(d, payee=Payee(name="Bakkerij De Zon B.V.")),
        "UBL-SR-19",
        "payee.name",
    ),
    (
        "en16931",
        lambda d: replace(d, allowances_charges=(allowance(reason=None),)),
        "BR-33",
        "allowances_charges[0].reason",
    ),
    (
        "en16931",
        lambda d: replace(d, allowances_charges=(allowance(reason=None),)),
        "BR-CO-21",
        "allowances_charges[0].reason",
    ),
    (
        "en16931",
        lambda d: replace(d, allowances_charges=(allowance(vat_category=None),)),
        "BR-32",
        "allowances_charges[0].vat_category",
    ),
    # VAT categories
    ("en16931", lambda d: with_item(d, vat_rate=Decimal(0)), "BR-S-05", "lines[0].item.vat_rate"),
    (
        "en16931",
        lambda d: with_breakdown(d, exemption_reason="Vrijgesteld"),
        "BR-S-10",
        "vat_breakdown[0].exemption_reason",
    ),
    ("en16931", lambda d: replace(d, vat_breakdown=()), "BR-S-01", "vat_breakdown"),
    (
        "en16931",
        lambda d: with_breakdown(reverse_charge(d), category="S"),
        "BR-AE-01",
        "vat_breakdown",
    ),
    (
        "en16931",
        lambda d: with_party(reverse_charge(d), "buyer", vat_id=None),
        "BR-AE-02",
        "lines[0].item.vat_category",
    ),
    (
        "en16931",
        lambda d: with_item(reverse_charge(d), vat_rate=Decimal(21)),
        "BR-AE-05",
        "lines[0].item.vat_rate",
    ),
    (
        "en16931",
        lambda d: with_breakdown(reverse_charge(d), exemption_code=None),
        "BR-AE-10",
        "vat_breakdown[0].exemption_reason",
    ),
    (
        "en16931",
        lambda d: with_breakdown(reverse_charge(d), tax_amount=Decimal(1)),
        "BR-AE-09",
        "vat_breakdown[0].tax_amount",
    ),
    (
        "en16931",
        lambda d: with_breakdown(
            with_item(d, vat_category="E", vat_rate=Decimal(0)),
            category="E",
            rate=Decimal(0),
            tax_amount=Decimal(0),
        ),
        "BR-E-10",
        "vat_breakdown[0].exemption_reason",
    ),
    (
        "en16931",
        lambda d: with_item(d, vat_category="Z", vat_rate=None),
        "BR-Z-05",
        "lines[0].item.vat_rate",
    ),
    (
        "en16931",
        lambda d: with_item(d, vat_category="O", vat_rate=Decimal(0)),
        "BR-O-05",
        "lines[0].item.vat_rate",
    ),
    (
        "en16931",
        lambda d: replace(
            d, allowances_charges=(allowance(vat_category="G", vat_rate=Decimal(0)),)
        ),
        "BR-G-01",
        "vat_breakdown",
    ),
    (
        "en16931",
        lambda d: with_breakdown(
            with_item(d, vat_category="K", vat_rate=Decimal(0)),
            category="K",
            rate=Decimal(0),
            tax_amount=Decimal(0),
            exemption_code="VATEX-EU-IC",
        ),
        "BR-IC-11",
        "delivery.date",
    ),
    (
        "en16931",
        lambda d: replace(
            d,
            vat_breakdown=(
                *d.vat_breakdown,
                VatBreakdown(
                    taxable_amount=Decimal(0),
                    tax_amount=Decimal(0),
                    category="O",
                    exemption_reason="Not subject",
                ),
            ),
        ),
        "BR-O-11",
        "vat_breakdown[0].category",
    ),
    # decimals
    (
        "en16931",
        lambda d: with_totals(d, payable=Decimal("121.000")),
        "BR-DEC-18",
        "totals.payable",
    ),
    (
        "en16931",
        lambda d: with_line(d, net_amount=Decimal("100.001")),
        "BR-DEC-23",
        "lines[0].net_amount",
    ),
    (
        "en16931",
        lambda d: with_breakdown(d, taxable_amount=Decimal("100.000")),
        "BR-DEC-19",
        "vat_breakdown[0].taxable_amount",
    ),
    (
        "en16931",
        lambda d: replace(d, allowances_charges=(allowance(amount=Decimal("1.005")),)),
        "BR-DEC-01",
        "allowances_charges[0].amount",
    ),
    (
        "en16931",
        lambda d: replace(
            d, allowances_charges=(allowance(is_charge=True, base_amount=Decimal("1.005")),)
        ),
        "BR-DEC-06",
        "allowances_charges[0].base_amount",
    ),
    (
        "en16931",
        lambda d: with_line(
            d, allowances_charges=(allowance(vat_category=None, amount=Decimal("0.125")),)
        ),
        "BR-DEC-24",
        "lines[0].allowances_charges[0].amount",
    ),
    # code lists
    ("en16931", lambda d: replace(d, currency="EURO"), "BR-CL-04", "currency"),
    ("en16931", lambda d: replace(d, type_code="999"), "BR-CL-01", "type_code"),
    ("en16931", lambda d: replace(d, kind=DocumentKind.CREDIT_NOTE), "BR-CL-01", "type_code"),
    (
        "en16931",
        lambda d: with_address(d, "buyer", country="XX"),
        "BR-CL-14",
        "buyer.address.country",
    ),
    ("en16931", lambda d: with_item(d, vat_category="Q"), "BR-CL-18", "lines[0].item.vat_category"),
    ("en16931", lambda d: with_breakdown(d, category="Q"), "BR-CL-17", "vat_breakdown[0].category"),
    (
        "en16931",
        lambda d: replace(d, payment_means=(PaymentMeans(code="999"),)),
        "BR-CL-16",
        "payment_means[0].code",
    ),
    ("en16931", lambda d: with_line(d, unit="piece"), "BR-CL-23", "lines[0].unit"),
    ("en16931", lambda d: with_line(d, unit=""), "BR-23", "lines[0].unit"),
    (
        "en16931",
        lambda d: with_party(d, "seller", endpoint=Identifier(value="x", scheme="9999")),
        "BR-CL-25",
        "seller.endpoint.scheme",
    ),
    (
        "en16931",
        lambda d: with_party(d, "buyer", identifiers=(Identifier(value="x", scheme="SEPA"),)),
        "BR-CL-10",
        "buyer.identifiers[0].scheme",
    ),
    (
        "en16931",
        lambda d: with_breakdown(reverse_charge(d), exemption_code="VATEX-XX"),
        "BR-CL-22",
        "vat_breakdown[0].exemption_code",
    ),
    # UBL syntax
    (
        "en16931",
        lambda d: replace(d, payment_means=(*d.payment_means, PaymentMeans(code="31"))),
        "UBL-SR-47",
        "payment_means",
    ),
    (
        "en16931",
        lambda d: with_party(
            d, "buyer", identifiers=(Identifier(value="1"), Identifier(value="2"))
        ),
        "UBL-SR-16",
        "buyer.identifiers",
    ),
    # Peppol
    (
        "peppol-bis3",
        lambda d: with_party(d, "buyer", endpoint=None),
        "PEPPOL-EN16931-R010",
        "buyer.endpoint",
    ),
    (
        "peppol-bis3",
        lambda d: with_party(d, "seller", endpoint=None),
        "PEPPOL-EN16931-R020",
        "seller.endpoint",
    ),
    (
        "peppol-bis3",
        lambda d: replace(d, buyer_reference=None),
        "PEPPOL-EN16931-R003",
        "buyer_reference",
    ),
    ("peppol-bis3", lambda d: replace(d, type_code="389"), "PEPPOL-EN16931-P0100", "type_code"),
    ("peppol-bis3", lambda d: replace(d, vat_breakdown=()), "PEPPOL-EN16931-R053", "vat_breakdown"),
    (
        "peppol-bis3",
        lambda d: with_line(d, net_amount=Decimal("99.00")),
        "PEPPOL-EN16931-R120",
        "lines[0].net_amount",
    ),
    (
        "peppol-bis3",
        lambda d: replace(
            d, allowances_charges=(allowance(base_amount=Decimal(100), percentage=Decimal(5)),)
        ),
        "PEPPOL-EN16931-R040",
        "allowances_charges[0].amount",
    ),
    (
        "peppol-bis3",
        lambda d: replace(d, allowances_charges=(allowance(percentage=Decimal(5)),)),
        "PEPPOL-EN16931-R041",
        "allowances_charges[0].base_amount",
    ),
    (
        "peppol-bis3",
        lambda d: with_breakdown(reverse_charge(d), exemption_code="VATEX-EU-IC"),
        "PEPPOL-EN16931-P0106",
        "vat_breakdown[0].category",
    ),
    (
        "peppol-bis3",
        lambda d: with_party(d, "buyer", endpoint=Identifier(value="4000001123453", scheme="0088")),
        "PEPPOL-COMMON-R040",
        "buyer.endpoint.value",
    ),
    (
        "peppol-bis3",
        lambda d: with_party(
            d, "buyer", legal_registration=Identifier(value="0123456789", scheme="0208")
        ),
        "PEPPOL-COMMON-R043",
        "buyer.legal_registration.value",
    ),
    # Peppol code lists (PEPPOL-EN16931-CLnnn, from the 3.0.21 Schematron)
    (
        "peppol-bis3",
        lambda d: replace(
            d,
            additional_documents=(
                AdditionalDocument(
                    id="A1", attachment=replace(ATTACHMENT, mime_code="application/xml")
                ),
            ),
        ),
        "PEPPOL-EN16931-CL001",
        "additional_documents[0].attachment.mime_code",
    ),
    (
        "peppol-bis3",
        lambda d: replace(d, allowances_charges=(allowance(reason_code="1"),)),
        "PEPPOL-EN16931-CL002",
        "allowances_charges[0].reason_code",
    ),
    (
        "peppol-bis3",
        lambda d: with_line(
            d, allowances_charges=(allowance(is_charge=True, reason_code="XYZ", reason=None),)
        ),
        "PEPPOL-EN16931-CL003",
        "lines[0].allowances_charges[0].reason_code",
    ),
    (
        "peppol-bis3",
        lambda d: replace(d, tax_point_code="5"),
        "PEPPOL-EN16931-CL006",
        "tax_point_code",
    ),
    ("peppol-bis3", lambda d: replace(d, currency="BGN"), "PEPPOL-EN16931-CL007", "currency"),
    (
        "peppol-bis3",
        lambda d: with_totals(replace(d, tax_currency="ANG"), vat_in_tax_currency=Decimal("25.41")),
        "PEPPOL-EN16931-CL007",
        "tax_currency",
    ),
    (
        "peppol-bis3",
        lambda d: with_party(d, "buyer", endpoint=Identifier(value="003712345", scheme="0037")),
        "PEPPOL-EN16931-CL008",
        "buyer.endpoint.scheme",
    ),
    # Peppol, Dutch seller
    (
        "peppol-bis3",
        lambda d: with_address(d, "seller", postal_code=None),
        "NL-R-002",
        "seller.address.postal_code",
    ),
    (
        "peppol-bis3",
        lambda d: with_party(d, "seller", legal_registration=Identifier(value="1", scheme="0002")),
        "NL-R-003",
        "seller.legal_registration.scheme",
    ),
    (
        "peppol-bis3",
        lambda d: replace(d, payment_means=(PaymentMeans(code="31"),)),
        "NL-R-008",
        "payment_means[0].code",
    ),
    ("peppol-bis3", lambda d: replace(d, payment_means=()), "NL-R-007", "payment_means"),
    (
        "peppol-bis3",
        lambda d: replace(d, kind=DocumentKind.CREDIT_NOTE, type_code="381"),
        "NL-R-001",
        "preceding_invoices",
    ),
    (
        "peppol-bis3",
        lambda d: with_line(d, order_line_ref="3"),
        "NL-R-009",
        "lines[0].order_line_ref",
    ),
    # NLCIUS, Dutch supplier
    (
        "nlcius",
        lambda d: with_party(d, "seller", legal_registration=None),
        "BR-NL-1",
        "seller.legal_registration",
    ),
    ("nlcius", lambda d: replace(d, buyer_reference=None), "BR-NL-2", "buyer_reference"),
    ("nlcius", lambda d: with_address(d, "buyer", city=None), "BR-NL-4", "buyer.address.city"),
    ("nlcius", lambda d: replace(d, type_code="388"), "BR-NL-7", "type_code"),
    ("nlcius", lambda d: replace(d, type_code="381"), "BR-NL-8", "kind"),
    ("nlcius", lambda d: replace(d, type_code="384"), "BR-NL-9", "preceding_invoices"),
    (
        "nlcius",
        lambda d: with_party(d, "buyer", legal_registration=None),
        "BR-NL-10",
        "buyer.legal_registration",
    ),
    ("nlcius", lambda d: replace(d, payment_means=()), "BR-NL-11", "payment_means"),
    (
        "nlcius",
        lambda d: replace(d, payment_means=(PaymentMeans(code="1"),)),
        "BR-NL-12",
        "payment_means[0].code",
    ),
    ("nlcius", lambda d: with_line(d, order_line_ref="3"), "BR-NL-13", "lines[0].order_line_ref"),
    ("en16931", lambda d: with_totals(d, vat=Decimal("21.001")), "UBL-DT-01", "totals.vat"),
    (
        "en16931",
        lambda d: with_totals(replace(d, tax_currency="USD"), vat_in_tax_currency=Decimal("1.001")),
        "UBL-DT-01",
        "totals.vat_in_tax_currency",
    ),
    ("en16931", lambda d: with_totals(d, prepaid=Decimal("0.001")), "BR-DEC-16", "totals.prepaid"),
    (
        "en16931",
        lambda d: replace(
            d,
            payee=Payee(name="Factor BV", identifier=Identifier(value="X1")),
            seller=replace(d.seller, identifiers=(Identifier(value="X1"),)),
        ),
        "BR-17",
        "payee.identifier",
    ),
    (
        "en16931",
        lambda d: replace(d, tax_representative=replace(TAX_REPRESENTATIVE, name=" ")),
        "BR-18",
        "tax_representative.name",
    ),
    (
        "en16931",
        lambda d: replace(d, tax_representative=replace(TAX_REPRESENTATIVE, vat_id="")),
        "BR-56",
        "tax_representative.vat_id",
    ),
    (
        "en16931",
        lambda d: replace(d, tax_representative=replace(TAX_REPRESENTATIVE, vat_id="ZZ1")),
        "BR-CO-09",
        "tax_representative.vat_id",
    ),
    (
        "en16931",
        lambda d: replace(
            d, additional_documents=(AdditionalDocument(id=" ", description="Bijlage"),)
        ),
        "BR-52",
        "additional_documents[0].id",
    ),
    (
        "en16931",
        lambda d: replace(
            d, preceding_invoices=(PrecedingInvoice(number="", issue_date=date(2025, 1, 1)),)
        ),
        "BR-55",
        "preceding_invoices[0].number",
    ),
    (
        "en16931",
        lambda d: replace(d, delivery=Delivery(address=Address(country="", city="Utrecht"))),
        "BR-57",
        "delivery.address.country",
    ),
    (
        "en16931",
        lambda d: with_party(d, "seller", endpoint=Identifier(value="x")),
        "BR-62",
        "seller.endpoint.scheme",
    ),
    (
        "en16931",
        lambda d: with_party(d, "buyer", endpoint=Identifier(value="x")),
        "BR-63",
        "buyer.endpoint.scheme",
    ),
    (
        "en16931",
        lambda d: with_item(d, standard_id=Identifier(value="123")),
        "BR-64",
        "lines[0].item.standard_id.scheme",
    ),
    (
        "en16931",
        lambda d: with_line(d, period=Period(start=date(2025, 3, 2), end=date(2025, 3, 1))),
        "BR-30",
        "lines[0].period.end",
    ),
    (
        "en16931",
        lambda d: with_line(
            d, price=Price(net=Decimal(50), gross=Decimal(-1), discount=Decimal(0))
        ),
        "BR-28",
        "lines[0].price.gross",
    ),
    (
        "en16931",
        lambda d: replace(
            d,
            payment_means=(
                PaymentMeans(
                    code="58", credit_transfer=CreditTransfer(account_id=" ", account_name="De Zon")
                ),
            ),
        ),
        "BR-50",
        "payment_means[0].credit_transfer.account_id",
    ),
    (
        "en16931",
        lambda d: replace(d, payment_means=(PaymentMeans(code="", remittance_info="2025-0001"),)),
        "BR-49",
        "payment_means[0].code",
    ),
    ("en16931", lambda d: with_breakdown(d, rate=None), "BR-48", "vat_breakdown[0].rate"),
    (
        "en16931",
        lambda d: with_line(
            d,
            allowances_charges=(
                allowance(is_charge=True, reason=None, vat_category=None, reason_code=None),
            ),
        ),
        "BR-44",
        "lines[0].allowances_charges[0].reason",
    ),
    (
        "en16931",
        lambda d: with_line(d, allowances_charges=(allowance(reason=None, vat_category=None),)),
        "BR-CO-23",
        "lines[0].allowances_charges[0].reason",
    ),
    # VAT
    (
        "en16931",
        lambda d: with_party(
            d, "seller", vat_id=None, legal_registration=Identifier(value="12345678", scheme="0106")
        ),
        "BR-S-02",
        "lines[0].item.vat_category",
    ),
    (
        "en16931",
        lambda d: with_party(replace(d, allowances_charges=(allowance(),)), "seller", vat_id=None),
        "BR-S-03",
        "allowances_charges[0].vat_category",
    ),
    (
        "en16931",
        lambda d: replace(d, allowances_charges=(allowance(vat_rate=Decimal(0)),)),
        "BR-S-06",
        "allowances_charges[0].vat_rate",
    ),
    (
        "en16931",
        lambda d: replace(d, allowances_charges=(allowance(is_charge=True, vat_rate=None),)),
        "BR-S-07",
        "allowances_charges[0].vat_rate",
    ),
    (
        "en16931",
        lambda d: zero_rated(d, "Z", reason="x"),
        "BR-Z-10",
        "vat_breakdown[0].exemption_reason",
    ),
    (
        "en16931",
        lambda d: with_breakdown(zero_rated(d, "Z"), tax_amount=Decimal(1)),
        "BR-Z-09",
        "vat_breakdown[0].tax_amount",
    ),
    (
        "en16931",
        lambda d: replace(zero_rated(d, "Z"), vat_breakdown=zero_rated(d, "Z").vat_breakdown * 2),
        "BR-Z-01",
        "vat_breakdown",
    ),
    (
        "en16931",
        lambda d: with_party(zero_rated(d, "E", code="VATEX-EU-132"), "seller", vat_id=None),
        "BR-E-02",
        "lines[0].item.vat_category",
    ),
    (
        "en16931",
        lambda d: with_item(zero_rated(d, "E", code="VATEX-EU-132"), vat_rate=Decimal(5)),
        "BR-E-05",
        "lines[0].item.vat_rate",
    ),
    (
        "en16931",
        lambda d: with_party(
            zero_rated(d, "G", code="VATEX-EU-G"), "seller", vat_id=None, tax_registration="123"
        ),
        "BR-G-02",
        "lines[0].item.vat_category",
    ),
    ("en16931", lambda d: zero_rated(d, "G"), "BR-G-10", "vat_breakdown[0].exemption_reason"),
    (
        "en16931",
        lambda d: with_party(
            intra_community(d),
            "buyer",
            vat_id=None,
            legal_registration=Identifier(value="0123456749", scheme="0208"),
        ),
        "BR-IC-02",
        "lines[0].item.vat_category",
    ),
    (
        "en16931",
        lambda d: replace(intra_community(d), delivery=Delivery(date=date(2025, 3, 1))),
        "BR-IC-12",
        "delivery.address.country",
    ),
    (
        "en16931",
        lambda d: with_item(intra_community(d), vat_rate=None),
        "BR-IC-05",
        "lines[0].item.vat_rate",
    ),
    (
        "en16931",
        lambda d: with_party(not_subject(d), "buyer", vat_id="NL987654321B01"),
        "BR-O-02",
        "lines[0].item.vat_category",
    ),
    (
        "en16931",
        lambda d: replace(not_subject(d), allowances_charges=(allowance(vat_rate=None),)),
        "BR-O-13",
        "allowances_charges[0].vat_category",
    ),
    (
        "en16931",
        lambda d: replace(
            not_subject(d), allowances_charges=(allowance(is_charge=True, vat_rate=None),)
        ),
        "BR-O-14",
        "allowances_charges[0].vat_category",
    ),
    (
        "en16931",
        lambda d: replace(not_subject(d), lines=(not_subject(d).lines[0], with_item(d).lines[0])),
        "BR-O-12",
        "lines[1].item.vat_category",
    ),
    (
        "en16931",
        lambda d: replace(
            not_subject(d), allowances_charges=(allowance(vat_category="O", vat_rate=Decimal(0)),)
        ),
        "BR-O-06",
        "allowances_charges[0].vat_rate",
    ),
    (
        "en16931",
        lambda d: with_breakdown(not_subject(d), exemption_code=None),
        "BR-O-10",
        "vat_breakdown[0].exemption_reason",
    ),
    (
        "en16931",
        lambda d: with_breakdown(
            zero_rated(d, "L", rate=Decimal(7)), tax_amount=Decimal(7), exemption_reason="x"
        ),
        "BR-AF-10",
        "vat_breakdown[0].exemption_reason",
    ),
    (
        "en16931",
        lambda d: with_item(d, vat_category="L", vat_rate=Decimal(7)),
        "BR-AF-01",
        "vat_breakdown",
    ),
    (
        "en16931",
        lambda d: with_item(zero_rated(d, "M", rate=Decimal(7)), vat_rate=None),
        "BR-AG-05",
        "lines[0].item.vat_rate",
    ),
    (
        "en16931",
        lambda d: replace(d, lines=(d.lines[0], with_item(d, vat_category="B").lines[0])),
        "BR-B-01",
        "vat_breakdown",
    ),
    (
        "en16931",
        lambda d: replace(d, lines=(d.lines[0], with_item(d, vat_category="B").lines[0])),
        "BR-B-02",
        "vat_breakdown",
    ),
    # code lists
    ("en16931", lambda d: replace(d, tax_currency="EURO"), "BR-CL-05", "tax_currency"),
    ("en16931", lambda d: replace(d, tax_point_code="5"), "BR-CL-06", "tax_point_code"),
    (
        "en16931",
        lambda d: replace(d, invoiced_object=Identifier(value="X", scheme="ZZZZ")),
        "BR-CL-07",
        "invoiced_object.scheme",
    ),
    (
        "en16931",
        lambda d: with_party(d, "seller", legal_registration=Identifier(value="1", scheme="9999")),
        "BR-CL-11",
        "seller.legal_registration.scheme",
    ),
    (
        "en16931",
        lambda d: with_item(d, classifications=(Classification(code="1", list_id="QQQ"),)),
        "BR-CL-13",
        "lines[0].item.classifications[0].list_id",
    ),
    (
        "en16931",
        lambda d: with_item(d, origin_country="XX"),
        "BR-CL-15",
        "lines[0].item.origin_country",
    ),
    (
        "en16931",
        lambda d: replace(d, allowances_charges=(allowance(reason_code="ZZZ"),)),
        "BR-CL-19",
        "allowances_charges[0].reason_code",
    ),
    (
        "en16931",
        lambda d: replace(d, allowances_charges=(allowance(is_charge=True, reason_code="999"),)),
        "BR-CL-20",
        "allowances_charges[0].reason_code",
    ),
    (
        "en16931",
        lambda d: with_item(d, standard_id=Identifier(value="1", scheme="9999")),
        "BR-CL-21",
        "lines[0].item.standard_id.scheme",
    ),
    (
        "en16931",
        lambda d: replace(
            d,
            additional_documents=(
                AdditionalDocument(id="A", attachment=replace(ATTACHMENT, mime_code="text/plain")),
            ),
        ),
        "BR-CL-24",
        "additional_documents[0].attachment.mime_code",
    ),
    (
        "en16931",
        lambda d: replace(d, delivery=Delivery(location=Identifier(value="1", scheme="9999"))),
        "BR-CL-26",
        "delivery.location.scheme",
    ),
    (
        "en16931",
        lambda d: with_line(
            d, price=Price(net=Decimal(50), base_quantity=Decimal(1), base_unit="QQQ")
        ),
        "BR-CL-23",
        "lines[0].price.base_unit",
    ),
    # UBL syntax
    (
        "en16931",
        lambda d: replace(d, additional_documents=(AdditionalDocument(id="A", type_code="916"),)),
        "UBL-SR-43",
        "additional_documents[0].type_code",
    ),
    (
        "en16931",
        lambda d: replace(
            d, payment_means=tuple(replace(d.payment_means[0], remittance_info=r) for r in "AB")
        ),
        "UBL-SR-44",
        "payment_means",
    ),
    (
        "en16931",
        lambda d: replace(
            d, payment_means=tuple(replace(d.payment_means[0], text=t) for t in "AB")
        ),
        "UBL-SR-46",
        "payment_means",
    ),
    (
        "en16931",
        lambda d: replace(
            d,
            payment_means=(
                *d.payment_means,
                PaymentMeans(code="58", card=Card(pan="1234", network="VISA")),
                PaymentMeans(code="58", card=Card(pan="1234", network="VISA")),
            ),
        ),
        "UBL-SR-54",
        "payment_means",
    ),
    (
        "en16931",
        lambda d: replace(
            d,
            payment_means=(
                PaymentMeans(code="59", direct_debit=DirectDebit(mandate="M1")),
                PaymentMeans(code="59", direct_debit=DirectDebit(mandate="M2")),
            ),
        ),
        "UBL-SR-55",
        "payment_means",
    ),
    (
        "en16931",
        lambda d: replace(
            d,
            seller=replace(
                d.seller,
                identifiers=(
                    Identifier(value="A", scheme="SEPA"),
                    Identifier(value="B", scheme="SEPA"),
                ),
            ),
        ),
        "UBL-SR-29",
        "seller.identifiers",
    ),
    (
        "en16931",
        lambda d: replace(
            d,
            additional_documents=(
                AdditionalDocument(id="A", type_code="130", attachment=ATTACHMENT),
            ),
        ),
        "UBL-CR-666",
        "additional_documents[0].attachment",
    ),
    (
        "en16931",
        lambda d: replace(
            d, additional_documents=(AdditionalDocument(id="A", type_code="130", description="x"),)
        ),
        "UBL-CR-673",
        "additional_documents[0].description",
    ),
    # Peppol
    (
        "peppol-bis3",
        lambda d: replace(d, notes=(Note(text="a"), Note(text="b"))),
        "PEPPOL-EN16931-R002",
        "notes",
    ),
    (
        "auto",
        lambda d: replace(d, customization_id=d.customization_id + "::x"),
        "PEPPOL-EN16931-R004",
        "customization_id",
    ),
    ("auto", lambda d: replace(d, profile_id="urn:x"), "PEPPOL-EN16931-R007", "profile_id"),
    (
        "peppol-bis3",
        lambda d: with_totals(replace(d, tax_currency="EUR"), vat_in_tax_currency=Decimal(21)),
        "PEPPOL-EN16931-R005",
        "tax_currency",
    ),
    (
        "peppol-bis3",
        lambda d: replace(d, allowances_charges=(allowance(base_amount=Decimal(200)),)),
        "PEPPOL-EN16931-R042",
        "allowances_charges[0].percentage",
    ),
    (
        "peppol-bis3",
        lambda d: with_line(
            d, price=Price(net=Decimal(50), gross=Decimal(60), discount=Decimal(5))
        ),
        "PEPPOL-EN16931-R046",
        "lines[0].price.net",
    ),
    (
        "peppol-bis3",
        lambda d: with_totals(d, vat_in_tax_currency=Decimal(5)),
        "PEPPOL-EN16931-R054",
        "totals.vat_in_tax_currency",
    ),
    (
        "peppol-bis3",
        lambda d: with_totals(replace(d, tax_currency="USD"), vat_in_tax_currency=Decimal(-5)),
        "PEPPOL-EN16931-R055",
        "totals.vat_in_tax_currency",
    ),
    (
        "peppol-bis3",
        lambda d: replace(d, payment_means=(PaymentMeans(code="59"),)),
        "PEPPOL-EN16931-R061",
        "payment_means[0].direct_debit.mandate",
    ),
    (
        "peppol-bis3",
        lambda d: with_line(
            replace(d, invoice_period=Period(start=date(2025, 2, 1), end=date(2025, 2, 28))),
            period=Period(start=date(2025, 1, 1), end=date(2025, 3, 5)),
        ),
        "PEPPOL-EN16931-R110",
        "lines[0].period.start",
    ),
    (
        "peppol-bis3",
        lambda d: with_line(
            replace(d, invoice_period=Period(start=date(2025, 2, 1), end=date(2025, 2, 28))),
            period=Period(start=date(2025, 1, 1), end=date(2025, 3, 5)),
        ),
        "PEPPOL-EN16931-R111",
        "lines[0].period.end",
    ),
    (
        "peppol-bis3",
        lambda d: with_line(d, price=Price(net=Decimal(50), base_quantity=Decimal(0))),
        "PEPPOL-EN16931-R121",
        "lines[0].price.base_quantity",
    ),
    (
        "peppol-bis3",
        lambda d: with_line(
            d, price=Price(net=Decimal(50), base_quantity=Decimal(1), base_unit="KGM")
        ),
        "PEPPOL-EN16931-R130",
        "lines[0].price.base_unit",
    ),
    (
        "peppol-bis3",
        lambda d: replace(
            d,
            kind=DocumentKind.CREDIT_NOTE,
            type_code="380",
            preceding_invoices=(PrecedingInvoice(number="1"),),
        ),
        "PEPPOL-EN16931-P0101",
        "type_code",
    ),
    ("peppol-bis3", lambda d: replace(d, type_code="326"), "PEPPOL-EN16931-P0112", "type_code"),
    (
        "peppol-bis3",
        lambda d: with_breakdown(zero_rated(d, "E", code="VATEX-EU-G"), category="E"),
        "PEPPOL-EN16931-P0104",
        "vat_breakdown[0].category",
    ),
    (
        "peppol-bis3",
        lambda d: with_breakdown(reverse_charge(d), exemption_code="VATEX-EU-D"),
        "PEPPOL-EN16931-P0108",
        "vat_breakdown[0].category",
    ),
    (
        "peppol-bis3",
        lambda d: with_party(d, "buyer", endpoint=Identifier(value="123456780", scheme="0192")),
        "PEPPOL-COMMON-R041",
        "buyer.endpoint.value",
    ),
    (
        "peppol-bis3",
        lambda d: with_party(d, "buyer", endpoint=Identifier(value="DK123", scheme="0184")),
        "PEPPOL-COMMON-R042",
        "buyer.endpoint.value",
    ),
    (
        "peppol-bis3",
        lambda d: with_party(
            d, "buyer", identifiers=(Identifier(value="5560360794", scheme="0007"),)
        ),
        "PEPPOL-COMMON-R049",
        "buyer.identifiers[0].value",
    ),
    (
        "peppol-bis3",
        lambda d: with_party(d, "buyer", endpoint=Identifier(value="51824753557", scheme="0151")),
        "PEPPOL-COMMON-R050",
        "buyer.endpoint.value",
    ),
    (
        "peppol-bis3",
        lambda d: with_party(d, "buyer", endpoint=Identifier(value="12345", scheme="0096")),
        "PEPPOL-COMMON-R052",
        "buyer.endpoint.value",
    ),
    (
        "peppol-bis3",
        lambda d: with_party(d, "buyer", endpoint=Identifier(value="12345678", scheme="0198")),
        "PEPPOL-COMMON-R053",
        "buyer.endpoint.value",
    ),
    (
        "peppol-bis3",
        lambda d: with_address(d, "buyer", line1=None),
        "NL-R-004",
        "buyer.address.line1",
    ),
    (
        "peppol-bis3",
        lambda d: with_party(d, "buyer", legal_registration=Identifier(value="1", scheme="0088")),
        "NL-R-005",
        "buyer.legal_registration.scheme",
    ),
    (
        "peppol-bis3",
        lambda d: replace(
            d, tax_representative=replace(TAX_REPRESENTATIVE, address=Address(country="NL"))
        ),
        "NL-R-006",
        "tax_representative.address.line1",
    ),
    ("nlcius", lambda d: with_address(d, "seller", line1=None), "BR-NL-3", "seller.address.line1"),
    (
        "nlcius",
        lambda d: replace(
            d,
            tax_representative=replace(
                TAX_REPRESENTATIVE, address=Address(country="NL", line1="x", city="y")
            ),
        ),
        "BR-NL-5",
        "tax_representative.address.postal_code",
    ),
]


def _more_core_cases() -> list[Case]:
    """The required values, reasons and decimals the hand-written cases above leave out."""
    blank = {
        "BR-04": ("type_code", lambda d: replace(d, type_code="")),
        "BR-05": ("currency", lambda d: replace(d, currency="")),
        "BR-06": ("seller.name", lambda d: with_party(d, "seller", name=" ")),
        "BR-09": ("seller.address.country", lambda d: with_address(d, "seller", country="")),
        "BR-11": ("buyer.address.country", lambda d: with_address(d, "buyer", country="")),
        "BR-20": (
            "tax_representative.address.country",
            lambda d: replace(
                d,
                tax_representative=replace(
                    TAX_REPRESENTATIVE, address=Address(city="X", country="")
                ),
            ),
        ),
        "BR-21": ("lines[0].id", lambda d: with_line(d, id="")),
        "BR-47": ("vat_breakdown[0].category", lambda d: with_breakdown(d, category="")),
        "BR-CO-04": ("lines[0].item.vat_category", lambda d: with_item(d, vat_category="")),
        "BR-65": (
            "lines[0].item.classifications[0].list_id",
            lambda d: with_item(d, classifications=(Classification(code="1", list_id=""),)),
        ),
    }
    charge = allowance(is_charge=True, reason=None, vat_category=None)
    line_charge = allowance(is_charge=True, reason=None, vat_category=None, vat_rate=None)
    reasons = {
        "BR-37": (
            "allowances_charges[0].vat_category",
            lambda d: replace(d, allowances_charges=(replace(charge, reason="Vracht"),)),
        ),
        "BR-38": (
            "allowances_charges[0].reason",
            lambda d: replace(d, allowances_charges=(replace(charge, vat_category="S"),)),
        ),
        "BR-CO-22": (
            "allowances_charges[0].reason",
            lambda d: replace(d, allowances_charges=(replace(charge, vat_category="S"),)),
        ),
        "BR-42": (
            "lines[0].allowances_charges[0].reason",
            lambda d: with_line(d, allowances_charges=(replace(line_charge, is_charge=False),)),
        ),
        "BR-CO-24": (
            "lines[0].allowances_charges[0].reason",
            lambda d: with_line(d, allowances_charges=(line_charge,)),
        ),
    }
    much = Decimal("1.125")
    decimals = {
        "BR-DEC-02": (
            "allowances_charges[0].base_amount",
            lambda d: replace(d, allowances_charges=(allowance(base_amount=much),)),
        ),
        "BR-DEC-05": (
            "allowances_charges[0].amount",
            lambda d: replace(d, allowances_charges=(allowance(is_charge=True, amount=much),)),
        ),
        "BR-DEC-09": ("totals.line_net", lambda d: with_totals(d, line_net=much)),
        "BR-DEC-10": ("totals.allowances", lambda d: with_totals(d, allowances=much)),
        "BR-DEC-11": ("totals.charges", lambda d: with_totals(d, charges=much)),
        "BR-DEC-12": ("totals.without_vat", lambda d: with_totals(d, without_vat=much)),
        "BR-DEC-14": ("totals.with_vat", lambda d: with_totals(d, with_vat=much)),
        "BR-DEC-17": ("totals.rounding", lambda d: with_totals(d, rounding=much)),
        "BR-DEC-20": ("vat_breakdown[0].tax_amount", lambda d: with_breakdown(d, tax_amount=much)),
        "BR-DEC-25": (
            "lines[0].allowances_charges[0].base_amount",
            lambda d: with_line(
                d, allowances_charges=(allowance(vat_category=None, base_amount=much),)
            ),
        ),
        "BR-DEC-27": (
            "lines[0].allowances_charges[0].amount",
            lambda d: with_line(
                d, allowances_charges=(allowance(is_charge=True, vat_category=None, amount=much),)
            ),
        ),
        "BR-DEC-28": (
            "lines[0].allowances_charges[0].base_amount",
            lambda d: with_line(
                d,
                allowances_charges=(
                    allowance(is_charge=True, vat_category=None, base_amount=much),
                ),
            ),
        ),
    }
    cases: list[Case] = [
        ("en16931", mutate, rule, field)
        for table in (blank, reasons, decimals)
        for rule, (field, mutate) in table.items()
    ]
    cases += [
        ("auto", lambda d: replace(d, customization_id=None), "BR-01", "customization_id"),
        ("auto", lambda d: replace(d, profile_id=None), "PEPPOL-EN16931-R001", "profile_id"),
        ("en16931", lambda d: replace(d, vat_breakdown=()), "BR-CO-18", "vat_breakdown"),
    ]
    for rule, code, category in (
        ("P0105", "VATEX-EU-O", "E"),
        ("P0107", "VATEX-EU-AE", "E"),
        ("P0109", "VATEX-EU-F", "AE"),
        ("P0110", "VATEX-EU-I", "AE"),
        ("P0111", "VATEX-EU-J", "AE"),
    ):
        cases.append(
            (
                "peppol-bis3",
                _exempted(category, code),
                f"PEPPOL-EN16931-{rule}",
                "vat_breakdown[0].category",
            )
        )
    return cases


def _exempted(category: str, code: str) -> Mutation:
    return lambda d: zero_rated(reverse_charge(d), category, code=code)


# The VAT category rules, generated from what the official texts say of each category:
# (code, rule prefix, a bad rate, exemption reason required, VAT amount 0, exactly one breakdown,
#  an exemption code for a valid document)
CATEGORIES = [
    ("S", "BR-S", Decimal(0), False, False, False, None),
    ("Z", "BR-Z", Decimal(5), False, True, True, None),
    ("E", "BR-E", Decimal(5), True, True, True, "VATEX-EU-132"),
    ("AE", "BR-AE", Decimal(5), True, True, True, "VATEX-EU-AE"),
    ("K", "BR-IC", Decimal(5), True, True, True, "VATEX-EU-IC"),
    ("G", "BR-G", Decimal(5), True, True, True, "VATEX-EU-G"),
    ("O", "BR-O", Decimal(0), True, True, True, "VATEX-EU-O"),
    ("L", "BR-AF", None, False, False, False, None),
    ("M", "BR-AG", None, False, False, False, None),
]  # fmt: skip
GOOD_RATE = {"S": Decimal(21), "O": None, "L": Decimal(7), "M": Decimal(7)}


def in_category(doc: Invoice, code: str, exemption: str | None) -> Invoice:
    """The clean invoice with its line, breakdown and parties made right for one category."""
    rate = GOOD_RATE.get(code, Decimal(0))
    if code == "O":
        return not_subject(doc)
    if code == "K":
        return intra_community(doc)
    if code == "AE":
        return reverse_charge(doc)
    doc = with_item(doc, vat_category=code, vat_rate=rate)
    tax = Decimal("100.00") * rate / 100 if rate else Decimal(0)
    return with_breakdown(doc, category=code, rate=rate, tax_amount=tax, exemption_code=exemption)


def without_party_ids(doc: Invoice, code: str) -> Invoice:
    """Break the parties rule of the category (-02/-03/-04)."""
    if code == "O":
        return with_party(doc, "buyer", vat_id="NL987654321B01")
    if code in {"K", "G"}:  # these need a VAT id; a tax registration is not enough
        return with_party(doc, "seller", vat_id=None, tax_registration="123")
    return with_party(doc, "seller", vat_id=None)


def _category_cases() -> list[Case]:
    cases: list[Case] = []
    for code, prefix, bad_rate, exempt, zero_tax, only_one, exemption in CATEGORIES:

        def base(d: Invoice, code: str = code, exemption: str | None = exemption) -> Invoice:
            return in_category(d, code, exemption)

        good = GOOD_RATE.get(code, Decimal(0))
        acs = {
            "allowance": allowance(vat_category=code, vat_rate=good),
            "charge": allowance(is_charge=True, vat_category=code, vat_rate=good),
        }
        for number, kind in (("03", "allowance"), ("04", "charge")):
            cases.append(
                (
                    "en16931",
                    lambda d, b=base, c=code, ac=acs[kind]: without_party_ids(
                        replace(b(d), allowances_charges=(ac,)), c
                    ),
                    f"{prefix}-{number}",
                    "allowances_charges[0].vat_category",
                )
            )
        for number, kind in (("06", "allowance"), ("07", "charge")):
            cases.append(
                (
                    "en16931",
                    lambda d, b=base, ac=acs[kind], r=bad_rate: replace(
                        b(d), allowances_charges=(replace(ac, vat_rate=r),)
                    ),
                    f"{prefix}-{number}",
                    "allowances_charges[0].vat_rate",
                )
            )
        cases.append(
            (
                "en16931",
                lambda d, b=base, c=code: without_party_ids(b(d), c),
                f"{prefix}-02",
                "lines[0].item.vat_category",
            )
        )
        cases.append(
            (
                "en16931",
                lambda d, b=base, r=bad_rate: with_item(b(d), vat_rate=r),
                f"{prefix}-05",
                "lines[0].item.vat_rate",
            )
        )
        cases.append(
            (
                "en16931",
                lambda d, b=base, e=exempt: with_breakdown(
                    b(d), exemption_code="VATEX-EU-79-C" if not e else None, exemption_reason=None
                ),
                f"{prefix}-10",
                "vat_breakdown[0].exemption_reason",
            )
        )
        if zero_tax:
            cases.append(
                (
                    "en16931",
                    lambda d, b=base: with_breakdown(b(d), tax_amount=Decimal(1)),
                    f"{prefix}-09",
                    "vat_breakdown[0].tax_amount",
                )
            )
        two = (
            (lambda d, b=base: replace(b(d), vat_breakdown=b(d).vat_breakdown * 2))
            if only_one
            else (lambda d, b=base: replace(b(d), vat_breakdown=()))
        )
        cases.append(("en16931", two, f"{prefix}-01", "vat_breakdown"))
    return cases


CASES += _more_core_cases() + _category_cases()
CASE_IDS = [f"{rule}:{field}" for _, _, rule, field in CASES]


@pytest.mark.parametrize(("profile", "mutate", "rule", "field"), CASES, ids=CASE_IDS)
def test_rule_names_the_violated_rule_and_field(
    profile: str, mutate: Mutation, rule: str, field: str
) -> None:
    doc = mutate(clean_invoice())
    violations = resolve(profile, doc).check(doc)
    assert (rule, field) in {(v.rule, v.field) for v in violations}, violations
    assert all(v.message for v in violations)


@pytest.mark.parametrize(
    ("mutate", "peppol_rule"),
    [(lambda d: with_party(d, "buyer", endpoint=None), "PEPPOL-EN16931-R010"),
     (lambda d: with_address(d, "seller", postal_code=None), "NL-R-002"),
     (lambda d: with_party(d, "seller", legal_registration=None), None)],
)  # fmt: skip
def test_profile_rules_stay_in_their_profile(mutate: Mutation, peppol_rule: str | None) -> None:
    doc = mutate(clean_invoice())
    assert not {r for r in rule_ids("en16931", doc) if r.startswith(("PEPPOL", "NL-R", "BR-NL"))}
    if peppol_rule:
        assert peppol_rule in rule_ids("peppol-bis3", doc)
        assert peppol_rule not in rule_ids("nlcius", doc)
    else:
        assert "BR-NL-1" in rule_ids("nlcius", doc)
        assert not rule_ids("peppol-bis3", doc)


def test_dutch_rules_need_a_dutch_seller() -> None:
    doc = with_address(clean_invoice(), "seller", country="BE", postal_code=None)
    doc = with_party(doc, "seller", vat_id="BE0123456749")
    for profile in PROFILE_NAMES:
        assert not {r for r in rule_ids(profile, doc) if r.startswith(("NL-R", "BR-NL"))}


def test_each_line_is_named_by_its_index() -> None:
    doc = clean_invoice()
    second = replace(doc.lines[0], id="2", item=replace(doc.lines[0].item, vat_rate=Decimal(0)))
    doc = replace(doc, lines=(doc.lines[0], second))
    fields = {v.field for v in resolve("en16931", doc).check(doc) if v.rule == "BR-S-05"}
    assert fields == {"lines[1].item.vat_rate"}


def test_every_rule_has_a_case() -> None:
    """Each registered rule is shown firing, with its field, by at least one case."""
    registered = {rule.id for profile in PROFILE_NAMES for rule in rules_for(profile)}
    assert registered - {rule for _, _, rule, _ in CASES} == set()


@pytest.mark.parametrize(
    ("mutate", "rule"),
    [(lambda d: with_party(d, "buyer", endpoint=Identifier(value="a@b.nl", scheme="EM")), "BR-CL-25"),
     (lambda d: replace(d, type_code="751"), "BR-CL-01"),
     (lambda d: with_party(d, "buyer", legal_registration=Identifier(value="1", scheme="0245")),
      "BR-CL-11")],
)  # fmt: skip
def test_codes_of_the_cen_lists_are_accepted(mutate: Mutation, rule: str) -> None:
    """EN 16931 accepts codes the generated (Peppol) lists lack: e-mail endpoints (EAS EM),
    type code 751, newer ICD schemes."""
    assert rule not in rule_ids("en16931", mutate(clean_invoice()))


def test_two_decimals_with_trailing_zero_count_as_written() -> None:
    """``format(d, "f")`` keeps the model's exponent: 1.500 has three decimals, 1E+2 none."""
    assert "BR-DEC-18" in rule_ids(
        "en16931", with_totals(clean_invoice(), payable=Decimal("1.500"))
    )
    assert "BR-DEC-18" not in rule_ids(
        "en16931", with_totals(clean_invoice(), payable=Decimal("1E+2"))
    )


# --- the quick ways check() finds a document clean --------------------------------------------


def every_rule(profile: str, doc: Invoice) -> list[Finding]:
    """What every rule of the profile finds, including those check() leaves out because the
    document lacks the part they are about (Rule.needs)."""
    chosen = resolve(profile, doc)
    context = Context.of(
        doc, chosen.customization_id or doc.customization_id, chosen.profile_id or doc.profile_id
    )
    return check_rules(rules_for(chosen.name), context)


@pytest.mark.parametrize(("mutate", "rule"), [(m, rule) for _, m, rule, _ in CASES], ids=CASE_IDS)
def test_rules_left_out_for_a_missing_part_would_find_nothing(mutate: Mutation, rule: str) -> None:
    doc = mutate(clean_invoice())
    for profile in (*PROFILE_NAMES, "auto"):
        assert resolve(profile, doc).check(doc) == every_rule(profile, doc), profile


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(invoices())
def test_rules_left_out_of_drawn_documents_would_find_nothing(doc: Invoice) -> None:
    for profile in PROFILE_NAMES:
        assert resolve(profile, doc).check(doc) == every_rule(profile, doc), profile


def two_lines(doc: Invoice, **changes: object) -> Invoice:
    """``doc`` with a second line, ``changes`` made to it."""
    second = replace(doc.lines[0], id="2", **changes)  # type: ignore[arg-type]
    return replace(doc, lines=(doc.lines[0], second))


@pytest.mark.parametrize(
    ("mutate", "rule", "field"),
    [(lambda d: two_lines(d, net_amount=Decimal("0.000")), "BR-DEC-23", "lines[1].net_amount"),
     (lambda d: two_lines(d, net_amount=Decimal("-0.001")), "BR-DEC-23", "lines[1].net_amount"),
     (lambda d: two_lines(d, unit=" \t"), "BR-23", "lines[1].unit"),
     (lambda d: two_lines(d, unit="c62"), "BR-CL-23", "lines[1].unit"),
     (lambda d: two_lines(d, price=Price(net=Decimal("-0.01"))), "BR-27", "lines[1].price.net"),
     (lambda d: two_lines(d, item=replace(d.lines[0].item, name="")), "BR-25",
      "lines[1].item.name"),
     (lambda d: replace(d, allowances_charges=(allowance(amount=Decimal("0.000")),)), "BR-DEC-01",
      "allowances_charges[0].amount"),
     (lambda d: with_party(d, "seller", identifiers=(Identifier(value="1", scheme="9999"),)),
      "BR-CL-10", "seller.identifiers[0].scheme")],
)  # fmt: skip
def test_the_quick_tests_let_a_broken_value_through(
    mutate: Mutation, rule: str, field: str
) -> None:
    """The whole-selection tests (all given, all with two decimals, all in the code list)
    leave the answer to the rule as soon as one value breaks it, wherever it is."""
    doc = mutate(clean_invoice())
    assert (rule, field) in {(v.rule, v.field) for v in resolve("en16931", doc).check(doc)}


def test_an_exemption_code_is_compared_upper_cased() -> None:
    doc = zero_rated(clean_invoice(), "E", code="vatex-eu-132")
    assert "BR-CL-22" not in rule_ids("en16931", doc)
    assert "BR-CL-22" in rule_ids("en16931", zero_rated(clean_invoice(), "E", code="vatex-eu-x"))


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


@pytest.mark.slow
@pytest.mark.usefixtures("artifacts_cache")
@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_a_credit_note_with_two_payment_means_and_a_due_date_is_officially_valid(
    profile: str,
) -> None:
    from ubl.validate import validate
    from ubl.writer import write_document

    doc = credit_note(clean_invoice())
    doc = replace(doc, payment_means=doc.payment_means * 2)
    assert validate(write_document(doc, resolve(profile, doc)), profile).fatal == ()


@pytest.mark.slow
@pytest.mark.usefixtures("artifacts_cache")
@pytest.mark.parametrize(("profile", "mutate", "rule", "field"), CASES, ids=CASE_IDS)
def test_the_official_validation_fires_the_same_rule(
    profile: str, mutate: Mutation, rule: str, field: str
) -> None:
    """Written and validated officially, each case fails the rule check() named, and
    check() names no rule the official validation does not (but the writer's own limits,
    rule set BINDING, which no official validation has)."""
    from ubl.validate import validate
    from ubl.writer import write_document

    doc = mutate(clean_invoice())
    chosen = resolve(profile, doc)
    official = {issue.rule for issue in validate(write_document(doc, chosen), chosen.name).fatal}
    binding = {r.id for r in rules_for(chosen.name) if r.rule_set is RuleSet.BINDING}
    assert rule in official | binding
    assert {v.rule for v in chosen.check(doc)} - binding <= official


@pytest.mark.slow
@pytest.mark.usefixtures("artifacts_cache")
@pytest.mark.parametrize("as_credit_note", [False, True])
@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_the_clean_documents_are_officially_valid(profile: str, as_credit_note: bool) -> None:
    from ubl.validate import validate
    from ubl.writer import write_document

    doc = credit_note(clean_invoice()) if as_credit_note else clean_invoice()
    chosen = resolve(profile, doc)
    assert validate(write_document(doc, chosen), profile).fatal == ()


# --- against the official rule files ----------------------------------------------------------

_RULE_FILES = {
    "en16931": ["en16931/sch/preprocessed/EN16931-UBL-validation-preprocessed.sch"],
    "peppol-bis3": ["peppol-bis3/sch/CEN-EN16931-UBL.sch", "peppol-bis3/sch/PEPPOL-EN16931-UBL.sch"],
    "nlcius": ["nlcius/sch/2.0.3.13/si-ubl-2.0/CenPC434/abstract/EN16931-model.sch",
               "nlcius/sch/2.0.3.13/si-ubl-2.0/CenPC434/abstract/EN16931-syntax.sch",
               "nlcius/sch/2.0.3.13/si-ubl-2.0/CenPC434/codelist/EN16931-UBL-codes.sch",
               "nlcius/sch/2.0.3.13/si-ubl-2.0/si-ubl-2.0-nlcius.sch"],
}  # fmt: skip
_FATAL_ID = re.compile(r'<assert\b[^>]*?\bid="([^"]+)"[^>]*?\bflag="fatal"|'
                       r'<assert\b[^>]*?\bflag="fatal"[^>]*?\bid="([^"]+)"', re.S)  # fmt: skip


def _fatal_ids(profile: str) -> set[str]:
    ids: set[str] = set()
    for relative in _RULE_FILES[profile]:
        text = (SHARED / "validation" / relative).read_text(encoding="utf-8")
        ids.update(a or b for a, b in _FATAL_ID.findall(text))
    return ids


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_every_rule_is_an_official_fatal_rule_of_its_profile(profile: str) -> None:
    require_shared(*(f"validation/{p}" for p in _RULE_FILES[profile]))
    official = _fatal_ids(profile)
    rules = rules_for(profile)
    assert {rule.id for rule in rules if rule.rule_set is not RuleSet.BINDING} <= official
    assert {rule.id for rule in rules if rule.rule_set is RuleSet.BINDING}.isdisjoint(official)


# --- no official valid document is refused ----------------------------------------------------


@pytest.mark.slow
@pytest.mark.usefixtures("artifacts_cache")
def test_check_never_refuses_for_a_rule_the_official_validation_passes() -> None:
    require_shared("validation/en16931/examples")
    from ubl.parser import parse_document
    from ubl.validate import validate

    corpus = roundtrip_corpus()
    assert corpus, "the official corpus is empty"
    unjustified: dict[str, set[str]] = {}
    for path in corpus:
        document = parse_document(path).document
        reported = {v.rule for v in resolve("auto", document).check(document)}
        if not reported:
            continue  # nothing to justify: no need to run the official validation
        official = {issue.rule for issue in validate(path).fatal}
        if reported - official:
            unjustified[path.name] = reported - official
    assert unjustified == {}
