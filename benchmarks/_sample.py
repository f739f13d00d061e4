"""Synthetic invoices of any size for the benchmarks (a Dutch seller, mixed 21%/9% lines)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from model import (
    Address,
    CreditTransfer,
    Identifier,
    Invoice,
    Item,
    Line,
    Party,
    PaymentMeans,
    Price,
    Totals,
    VatBreakdown,
)

_TWO = Decimal("0.01")


def sample_invoice(n_lines: int) -> Invoice:
    """An n-line Peppol invoice whose totals satisfy BR-CO-10..17."""
    lines = []
    taxable: dict[Decimal, Decimal] = {}
    for i in range(1, n_lines + 1):
        rate = Decimal(21) if i % 3 else Decimal(9)
        quantity = Decimal(i % 7 + 1)
        price = Decimal(f"{10 + i % 50}.{i % 100:02d}")
        net = (quantity * price).quantize(_TWO)
        taxable[rate] = taxable.get(rate, Decimal(0)) + net
        lines.append(
            Line(
                id=str(i),
                quantity=quantity,
                unit="C62",
                net_amount=net,
                price=Price(net=price),
                item=Item(
                    name=f"Article {i}",
                    seller_id=f"ART-{i:05d}",
                    vat_category="S",
                    vat_rate=rate,
                ),
            )
        )
    breakdown = tuple(
        VatBreakdown(
            taxable_amount=amount,
            tax_amount=(amount * rate / 100).quantize(_TWO),
            category="S",
            rate=rate,
        )
        for rate, amount in sorted(taxable.items())
    )
    line_net = sum((line.net_amount for line in lines), Decimal(0))
    vat = sum((b.tax_amount for b in breakdown), Decimal(0))
    return Invoice(
        number=f"BENCH-{n_lines}",
        issue_date=date(2026, 11, 1),
        due_date=date(2026, 12, 1),
        currency="EUR",
        buyer_reference="PO-4711",
        seller=Party(
            name="Leverancier B.V.",
            vat_id="NL000099998B57",
            legal_registration=Identifier(value="12345678", scheme="0106"),
            endpoint=Identifier(value="12345678", scheme="0106"),
            address=Address(
                line1="Hoofdstraat 1", city="Utrecht", postal_code="3511 AA", country="NL"
            ),
        ),
        buyer=Party(
            name="Afnemer B.V.",
            vat_id="NL000099998B57",
            legal_registration=Identifier(value="87654321", scheme="0106"),
            endpoint=Identifier(value="87654321", scheme="0106"),
            address=Address(
                line1="Kerkstraat 2", city="Amsterdam", postal_code="1011 AB", country="NL"
            ),
        ),
        payment_means=(
            PaymentMeans(
                code="30",
                remittance_info=f"BENCH-{n_lines}",
                credit_transfer=CreditTransfer(account_id="NL91ABNA0417164300"),
            ),
        ),
        totals=Totals(
            line_net=line_net,
            without_vat=line_net,
            vat=vat,
            with_vat=line_net + vat,
            payable=line_net + vat,
        ),
        vat_breakdown=breakdown,
        lines=tuple(lines),
    )
