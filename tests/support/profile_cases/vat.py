"""Profile rule cases: The VAT category rules (BR-S, BR-Z, BR-E, BR-AE, BR-IC, BR-G, BR-O, BR-AF, BR-AG).

Each case is (profile, mutation of the clean invoice, rule id, model field).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from model.document import Delivery, Identifier, Invoice, VatBreakdown
from support.profile_documents import (
    Case,
    allowance,
    intra_community,
    not_subject,
    reverse_charge,
    with_breakdown,
    with_item,
    with_party,
    zero_rated,
)

__all__ = [
    "CATEGORIES",
    "FIRST",
    "GOOD_RATE",
    "SECOND",
    "category_cases",
    "in_category",
    "without_party_ids",
]


FIRST: list[Case] = [
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
]


SECOND: list[Case] = [
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
]


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


def category_cases() -> list[Case]:
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
