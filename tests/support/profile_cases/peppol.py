"""Profile rule cases: Peppol BIS 3 (PEPPOL-EN16931-R/P/CL, PEPPOL-COMMON) and the Dutch NL-R rules.

Each case is (profile, mutation of the clean invoice, rule id, model field).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from model.document import (
    AdditionalDocument,
    Address,
    DocumentKind,
    Identifier,
    Note,
    PaymentMeans,
    Period,
    PrecedingInvoice,
    Price,
)
from support.profile_documents import (
    ATTACHMENT,
    TAX_REPRESENTATIVE,
    Case,
    allowance,
    reverse_charge,
    with_address,
    with_breakdown,
    with_line,
    with_party,
    with_totals,
    zero_rated,
)

__all__ = ["FIRST", "SECOND"]


FIRST: list[Case] = [
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
]


SECOND: list[Case] = [
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
