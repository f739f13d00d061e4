"""Profile rule cases: NLCIUS (SI-UBL 2.0): BR-NL-nn, for a Dutch supplier.

Each case is (profile, mutation of the clean invoice, rule id, model field).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from model.document import (
    AdditionalDocument,
    Address,
    CreditTransfer,
    Delivery,
    Identifier,
    Payee,
    PaymentMeans,
    Period,
    PrecedingInvoice,
    Price,
)
from support.profile_documents import (
    TAX_REPRESENTATIVE,
    Case,
    allowance,
    with_address,
    with_breakdown,
    with_item,
    with_line,
    with_party,
    with_totals,
)

__all__ = ["CASES"]


CASES: list[Case] = [
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
]
