"""Hypothesis strategies for valid EN 16931 models.

``invoices()`` draws documents whose figures satisfy the EN 16931 calculation:
lines with quantities (some negative), net prices, price base quantities and line allowances
and charges; VAT categories S (21, 9, 6, 25 %), Z, E, AE, K, G and O with the
rate each needs (0, or none for O); document allowances and charges on the
categories the lines use; a paid amount and a rounding amount. The builder
``model.calculation.with_totals`` sets BG-22 and BG-23, so a drawn document is
what a source without totals produces.

The parts (``amounts``, ``vat_categories``, ``lines``) are exported for
tests that need them.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

from hypothesis import strategies as st

from model.calculation import line_net_amount, with_totals
from model.document import (
    Address,
    AllowanceCharge,
    DocumentKind,
    Invoice,
    Item,
    Line,
    Party,
    Price,
    Totals,
    VatBreakdown,
)

__all__ = ["EXEMPTION_CODES", "VAT_CATEGORIES", "amounts", "invoices", "lines", "vat_categories"]

#: VAT category (UNCL5305) and rate pairs a drawn document uses; O has no rate.
VAT_CATEGORIES: tuple[tuple[str, Decimal | None], ...] = (
    *(("S", Decimal(rate)) for rate in ("21", "9", "6", "25")),
    *((category, Decimal(0)) for category in ("Z", "E", "AE", "K", "G")),
    ("O", None),
)
# The exemption reason code (VATEX) a source states for each category without VAT.
EXEMPTION_CODES = {
    "E": "VATEX-EU-132",
    "AE": "VATEX-EU-AE",
    "K": "VATEX-EU-IC",
    "G": "VATEX-EU-G",
    "O": "VATEX-EU-O",
}
_ZERO = Decimal("0.00")
_SELLER = Party(name="Seller BV", vat_id="NL000099998B57", address=Address(country="NL"))
_BUYER = Party(name="Buyer NV", address=Address(country="BE"))


def amounts(min_value: str = "0.01", max_value: str = "10000.00") -> st.SearchStrategy[Decimal]:
    """Amounts with exactly 2 decimals between the given bounds."""
    cents = st.integers(int(Decimal(min_value) * 100), int(Decimal(max_value) * 100))
    return cents.map(lambda c: Decimal(c).scaleb(-2))


def _decimals(max_units: int, places: int) -> st.SearchStrategy[Decimal]:
    """Positive numbers with up to ``places`` decimals, at most ``max_units``."""
    steps = st.integers(1, max_units * 10**places)
    return steps.map(lambda n: Decimal(n).scaleb(-places))


def vat_categories() -> st.SearchStrategy[tuple[str, Decimal | None]]:
    """A VAT category code and its rate."""
    return st.sampled_from(VAT_CATEGORIES)


def _line_allowances_charges() -> st.SearchStrategy[tuple[AllowanceCharge, ...]]:
    """Line allowances (BG-27) and charges (BG-28); they carry no VAT category."""
    return st.lists(
        st.builds(AllowanceCharge, is_charge=st.booleans(), amount=amounts("0.01", "50.00")),
        max_size=2,
    ).map(tuple)


@st.composite
def lines(
    draw: st.DrawFn, line_id: str = "1", vat: tuple[str, Decimal | None] | None = None
) -> Line:
    """An invoice line (BG-25) whose net amount BT-131 follows PEPPOL-EN16931-R120."""
    category, rate = vat if vat is not None else draw(vat_categories())
    line = Line(
        id=line_id,
        quantity=draw(_decimals(1000, 3)) * draw(st.sampled_from((1, 1, 1, -1))),
        unit="C62",
        net_amount=_ZERO,
        allowances_charges=draw(_line_allowances_charges()),
        price=Price(
            net=draw(_decimals(5000, 4)),
            base_quantity=draw(st.sampled_from((None, Decimal(1), Decimal(10), Decimal("2.5")))),
        ),
        item=Item(name=f"Item {line_id}", vat_category=category, vat_rate=rate),
    )
    return dataclasses.replace(line, net_amount=line_net_amount(line))


@st.composite
def _document_allowances_charges(
    draw: st.DrawFn, used: list[tuple[str, Decimal | None]]
) -> tuple[AllowanceCharge, ...]:
    """Document allowances (BG-20) and charges (BG-21) on VAT categories the lines use."""
    found: list[AllowanceCharge] = []
    for _ in range(draw(st.integers(0, 3))):
        category, rate = draw(st.sampled_from(used))
        is_charge = draw(st.booleans())
        found.append(
            AllowanceCharge(
                is_charge=is_charge,
                amount=draw(amounts("0.01", "100.00")),
                vat_category=category,
                vat_rate=rate,
                reason="Freight" if is_charge else "Discount",
            )
        )
    return tuple(found)


@st.composite
def invoices(draw: st.DrawFn, max_lines: int = 6) -> Invoice:
    """A valid invoice or credit note, completed by ``with_totals``."""
    vats = draw(st.lists(vat_categories(), min_size=1, max_size=max_lines))
    drawn_lines = tuple(draw(lines(str(i + 1), vat)) for i, vat in enumerate(vats))
    exempt = sorted({c for c, _ in vats if c in EXEMPTION_CODES})
    placeholder = Invoice(
        kind=draw(st.sampled_from(DocumentKind)),
        number="INV-1",
        issue_date=date(2026, 1, 15),
        currency="EUR",
        seller=_SELLER,
        buyer=_BUYER,
        allowances_charges=draw(_document_allowances_charges(vats)),
        totals=Totals(
            line_net=_ZERO,
            without_vat=_ZERO,
            with_vat=_ZERO,
            payable=_ZERO,
            prepaid=draw(st.none() | amounts("0.00", "500.00")),
            rounding=draw(st.none() | amounts("-0.49", "0.49")),
        ),
        vat_breakdown=tuple(
            VatBreakdown(
                taxable_amount=_ZERO,
                tax_amount=_ZERO,
                category=c,
                exemption_code=EXEMPTION_CODES[c],
            )
            for c in exempt
        ),
        lines=drawn_lines,
    )
    return with_totals(placeholder)
