"""Profile rule cases: EN 16931 core rules (BR-nn, BR-CO-nn) and the decimals (BR-DEC-nn).

Each case is (profile, mutation of the clean invoice, rule id, model field).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from model.document import Address, Classification, Payee, PaymentMeans, Period, Price
from support.profile_documents import (
    TAX_REPRESENTATIVE,
    Case,
    Mutation,
    allowance,
    credit_note,
    reverse_charge,
    with_address,
    with_breakdown,
    with_item,
    with_line,
    with_party,
    with_totals,
    zero_rated,
)

__all__ = ["DECIMALS", "FIRST", "more_core_cases"]


FIRST: list[Case] = [
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
]


DECIMALS: list[Case] = [
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
]


def more_core_cases() -> list[Case]:
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
