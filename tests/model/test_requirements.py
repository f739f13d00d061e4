"""Tests for model.requirements: national invoice requirements per seller country (NL first)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from model import requirements
from model.document import (
    Address,
    Delivery,
    Identifier,
    Invoice,
    Item,
    Line,
    Note,
    Party,
    Period,
    Price,
    Totals,
    VatBreakdown,
)
from model.findings import Finding
from model.requirements import check_requirements, checker_for, nl, register

SELLER = Party(
    name="Bakkerij De Zon B.V.",
    vat_id="NL000099998B57",
    legal_registration=Identifier(value="12345678", scheme="0106"),
    address=Address(line1="Dorpsstraat 1", postal_code="1234 AB", city="Utrecht", country="NL"),
)
BUYER = Party(
    name="Koffiehuis Noord",
    vat_id="NL866120932B01",
    address=Address(line1="Havenweg 7", postal_code="9711 AA", city="Groningen", country="NL"),
)


def _line(index: int, amount: str, category: str, rate: str | None) -> Line:
    return Line(
        id=str(index + 1),
        quantity=Decimal(1),
        unit="C62",
        net_amount=Decimal(amount),
        price=Price(net=Decimal(amount)),
        item=Item(
            name=f"Artikel {index + 1}",
            vat_category=category,
            vat_rate=None if rate is None else Decimal(rate),
        ),
    )


def _invoice(
    lines: tuple[tuple[str, str, str | None], ...],
    breakdown: tuple[VatBreakdown, ...],
    **changes: object,
) -> Invoice:
    net = sum((Decimal(amount) for amount, _, _ in lines), Decimal(0))
    vat = sum((b.tax_amount for b in breakdown), Decimal(0))
    document = Invoice(
        number="2025-0001",
        issue_date=date(2025, 3, 1),
        currency="EUR",
        seller=SELLER,
        buyer=BUYER,
        delivery=Delivery(date=date(2025, 2, 28)),
        totals=Totals(
            line_net=net, without_vat=net, vat=vat, with_vat=net + vat, payable=net + vat
        ),
        vat_breakdown=breakdown,
        lines=tuple(_line(i, *spec) for i, spec in enumerate(lines)),
    )
    return replace(document, **changes)  # type: ignore[arg-type]


def dutch_invoice(**changes: object) -> Invoice:
    """A complete standard-rated Dutch invoice: 21 % and 9 % lines, each with a breakdown."""
    return _invoice(
        (("100.00", "S", "21"), ("50.00", "S", "9")),
        (
            VatBreakdown(
                taxable_amount=Decimal("100.00"),
                tax_amount=Decimal("21.00"),
                category="S",
                rate=Decimal("21.00"),
            ),
            VatBreakdown(
                taxable_amount=Decimal("50.00"),
                tax_amount=Decimal("4.50"),
                category="S",
                rate=Decimal("9"),
            ),
        ),
        **changes,
    )


def reverse_charge_invoice(
    reason: str | None = "btw verlegd", code: str | None = "VATEX-EU-AE", **changes: object
) -> Invoice:
    """A complete domestic reverse charge (category AE) invoice."""
    return _invoice(
        (("1000.00", "AE", "0"),),
        (
            VatBreakdown(
                taxable_amount=Decimal("1000.00"),
                tax_amount=Decimal(0),
                category="AE",
                rate=Decimal(0),
                exemption_reason=reason,
                exemption_code=code,
            ),
        ),
        **changes,
    )


def intra_eu_invoice(**changes: object) -> Invoice:
    """A complete intra-EU supply (category K) to a Belgian customer."""
    buyer = replace(
        BUYER,
        vat_id="BE0123456749",
        address=Address(line1="Kerkstraat 3", postal_code="2000", city="Antwerpen", country="BE"),
    )
    return _invoice(
        (("800.00", "K", "0"),),
        (
            VatBreakdown(
                taxable_amount=Decimal("800.00"),
                tax_amount=Decimal(0),
                category="K",
                rate=Decimal(0),
                exemption_reason="Intracommunautaire levering",
                exemption_code="VATEX-EU-IC",
            ),
        ),
        **({"buyer": buyer} | changes),
    )


def codes_and_fields(document: Invoice) -> list[tuple[str, str]]:
    return [(f.rule, f.field) for f in check_requirements(document)]


def _seller(**changes: object) -> Party:
    return replace(SELLER, **changes)  # type: ignore[arg-type]


def _seller_address(**changes: object) -> Party:
    return replace(SELLER, address=replace(SELLER.address, **changes))  # type: ignore[arg-type]


def _buyer(**changes: object) -> Party:
    return replace(BUYER, **changes)  # type: ignore[arg-type]


def _buyer_address(**changes: object) -> Party:
    return replace(BUYER, address=replace(BUYER.address, **changes))  # type: ignore[arg-type]


def _with_line(index: int, make: Callable[[Line], Line]) -> Invoice:
    document = dutch_invoice()
    lines = list(document.lines)
    lines[index] = make(lines[index])
    return replace(document, lines=tuple(lines))


@pytest.mark.parametrize(
    "document",
    [dutch_invoice(), reverse_charge_invoice(), intra_eu_invoice()],
    ids=["standard", "reverse-charge", "intra-eu"],
)
def test_complete_invoice_has_no_findings(document: Invoice) -> None:
    assert check_requirements(document) == []


MISSING: dict[str, tuple[Invoice, str, str]] = {
    "no number": (dutch_invoice(number=" "), "NL-FACTUUR-1", "number"),
    "number without digit": (dutch_invoice(number="ABC-X"), "NL-FACTUUR-1", "number"),
    "supplier name": (dutch_invoice(seller=_seller(name="")), "NL-FACTUUR-2", "seller.name"),
    "supplier street": (
        dutch_invoice(seller=_seller_address(line1=None)),
        "NL-FACTUUR-3",
        "seller.address.line1",
    ),
    "supplier postal code": (
        dutch_invoice(seller=_seller_address(postal_code=None)),
        "NL-FACTUUR-3",
        "seller.address.postal_code",
    ),
    "supplier city": (
        dutch_invoice(seller=_seller_address(city="  ")),
        "NL-FACTUUR-3",
        "seller.address.city",
    ),
    "supplier VAT number": (
        dutch_invoice(seller=_seller(vat_id=None)),
        "NL-FACTUUR-4",
        "seller.vat_id",
    ),
    "supplier KvK number": (
        dutch_invoice(seller=_seller(legal_registration=None)),
        "NL-FACTUUR-5",
        "seller.legal_registration",
    ),
    "supplier registration not KvK": (
        dutch_invoice(
            seller=_seller(
                legal_registration=Identifier(value="00000001003214345000", scheme="0190")
            )
        ),
        "NL-FACTUUR-5",
        "seller.legal_registration",
    ),
    "customer name": (dutch_invoice(buyer=_buyer(name=" ")), "NL-FACTUUR-6", "buyer.name"),
    "customer street": (
        dutch_invoice(buyer=_buyer_address(line1=None)),
        "NL-FACTUUR-6",
        "buyer.address.line1",
    ),
    "customer Dutch postal code": (
        dutch_invoice(buyer=_buyer_address(postal_code=None)),
        "NL-FACTUUR-6",
        "buyer.address.postal_code",
    ),
    "customer city": (
        dutch_invoice(buyer=_buyer_address(city=None)),
        "NL-FACTUUR-6",
        "buyer.address.city",
    ),
    "line quantity": (
        _with_line(0, lambda line: replace(line, quantity=Decimal("NaN"))),
        "NL-FACTUUR-7",
        "lines[0].quantity",
    ),
    "line unit": (
        _with_line(1, lambda line: replace(line, unit="")),
        "NL-FACTUUR-7",
        "lines[1].unit",
    ),
    "line item name": (
        _with_line(1, lambda line: replace(line, item=replace(line.item, name=" "))),
        "NL-FACTUUR-7",
        "lines[1].item.name",
    ),
    "supply date": (dutch_invoice(delivery=None), "NL-FACTUUR-8", "delivery.date"),
    "delivery without date": (
        dutch_invoice(delivery=Delivery(party_name="Magazijn")),
        "NL-FACTUUR-8",
        "delivery.date",
    ),
    "supply date on some lines only": (
        replace(
            _with_line(0, lambda line: replace(line, period=Period(start=date(2025, 2, 1)))),
            delivery=None,
        ),
        "NL-FACTUUR-8",
        "delivery.date",
    ),
    "breakdown for a rate": (
        replace(dutch_invoice(), vat_breakdown=dutch_invoice().vat_breakdown[:1]),
        "NL-FACTUUR-9",
        "vat_breakdown",
    ),
    "standard rate in breakdown": (
        replace(
            dutch_invoice(),
            vat_breakdown=(
                replace(dutch_invoice().vat_breakdown[0], rate=None),
                dutch_invoice().vat_breakdown[1],
            ),
        ),
        "NL-FACTUUR-9",
        "vat_breakdown[0].rate",
    ),
    "reverse charge code": (
        reverse_charge_invoice(code=None),
        "NL-FACTUUR-12",
        "vat_breakdown[0].exemption_code",
    ),
    "reverse charge text": (
        reverse_charge_invoice(reason="Vrijgesteld"),
        "NL-FACTUUR-10",
        "vat_breakdown[0].exemption_reason",
    ),
    "intra-EU customer VAT number": (
        intra_eu_invoice(buyer=replace(intra_eu_invoice().buyer, vat_id=None)),
        "NL-FACTUUR-13",
        "buyer.vat_id",
    ),
}


@pytest.mark.parametrize(("document", "code", "field"), MISSING.values(), ids=MISSING.keys())
def test_each_missing_requirement_gives_exactly_its_finding(
    document: Invoice, code: str, field: str
) -> None:
    findings = check_requirements(document)
    assert [(f.rule, f.field) for f in findings] == [(code, field)]
    assert findings[0].message.strip()


def test_reverse_charge_without_text_and_buyer_vat_gives_both() -> None:
    document = reverse_charge_invoice(reason=None, buyer=_buyer(vat_id=None))
    assert codes_and_fields(document) == [
        ("NL-FACTUUR-10", "vat_breakdown[0].exemption_reason"),
        ("NL-FACTUUR-11", "buyer.vat_id"),
    ]
    assert "btw verlegd" in check_requirements(document)[0].message


def test_reverse_charge_on_lines_without_breakdown_asks_for_a_note() -> None:
    document = reverse_charge_invoice(reason=None, vat_breakdown=())
    assert codes_and_fields(document) == [
        ("NL-FACTUUR-9", "vat_breakdown"),
        ("NL-FACTUUR-10", "notes"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "btw verlegd",
        "BTW verlegd",
        "Omzetbelasting verlegd",
        "BTW is verlegd",
        "Reverse charge",
        "reverse-charge",
        "Verleggingsregeling van toepassing",
    ],
)
def test_reverse_charge_wording_is_accepted_in_note_or_exemption_reason(text: str) -> None:
    in_reason = reverse_charge_invoice(reason=text)
    in_note = reverse_charge_invoice(reason=None, notes=(Note(text=f"Let op: {text}."),))
    assert check_requirements(in_reason) == []
    assert check_requirements(in_note) == []


def test_reverse_charge_text_must_not_be_found_inside_another_word() -> None:
    document = reverse_charge_invoice(reason=None, notes=(Note(text="Onverlegde levering"),))
    assert codes_and_fields(document) == [("NL-FACTUUR-10", "vat_breakdown[0].exemption_reason")]


def test_intra_eu_supply_without_buyer_vat_number() -> None:
    document = intra_eu_invoice(buyer=replace(intra_eu_invoice().buyer, vat_id=" "))
    [finding] = check_requirements(document)
    assert (finding.rule, finding.layer, finding.field) == (
        "NL-FACTUUR-13",
        "requirements",
        "buyer.vat_id",
    )
    assert "category K" in finding.message


def test_foreign_customer_needs_no_postal_code() -> None:
    document = intra_eu_invoice()
    buyer = replace(document.buyer, address=replace(document.buyer.address, postal_code=None))
    assert check_requirements(replace(document, buyer=buyer)) == []


@pytest.mark.parametrize(
    "changes",
    [
        {"invoice_period": Period(start=date(2025, 2, 1), end=date(2025, 2, 28))},
        {"invoice_period": Period(end=date(2025, 2, 28))},
    ],
)
def test_invoicing_period_states_the_supply_date(changes: dict[str, object]) -> None:
    assert check_requirements(dutch_invoice(delivery=None, **changes)) == []


def test_periods_on_every_line_state_the_supply_date() -> None:
    document = dutch_invoice(delivery=None)
    lines = tuple(replace(line, period=Period(start=date(2025, 2, 1))) for line in document.lines)
    assert check_requirements(replace(document, lines=lines)) == []


def test_issue_date_alone_is_not_a_supply_date() -> None:
    document = dutch_invoice(delivery=None, tax_point_date=date(2025, 3, 1))
    assert codes_and_fields(document) == [("NL-FACTUUR-8", "delivery.date")]


def test_breakdown_rates_match_by_value_not_spelling() -> None:
    document = dutch_invoice()
    spelled = (replace(document.vat_breakdown[0], rate=Decimal("21")), document.vat_breakdown[1])
    assert check_requirements(replace(document, vat_breakdown=spelled)) == []


def test_findings_follow_rule_order_and_accumulate() -> None:
    document = dutch_invoice(number="", seller=_seller(vat_id=None), delivery=None)
    assert codes_and_fields(document) == [
        ("NL-FACTUUR-1", "number"),
        ("NL-FACTUUR-4", "seller.vat_id"),
        ("NL-FACTUUR-8", "delivery.date"),
    ]


def test_belgian_seller_gets_no_dutch_findings() -> None:
    belgian = Party(name="Brouwerij", address=Address(country="BE"))
    document = dutch_invoice(seller=belgian, delivery=None, number="X")
    assert check_requirements(document) == []


def test_seller_country_is_matched_case_insensitively() -> None:
    seller = _seller_address(country="nl", postal_code=None)
    assert codes_and_fields(dutch_invoice(seller=seller)) == [
        ("NL-FACTUUR-3", "seller.address.postal_code")
    ]


def test_dutch_checker_is_loaded_lazily_from_its_module() -> None:
    assert checker_for("NL") is nl.check
    assert checker_for("ZZ") is None


@pytest.fixture
def restore_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give the test its own copy of the registry so registrations do not leak."""
    monkeypatch.setattr(requirements, "_checkers", dict(requirements._checkers))


def test_registered_checker_is_used_for_its_country(restore_registry: None) -> None:
    seen: list[Invoice] = []

    def check_xa(document: Invoice) -> list[Finding]:
        seen.append(document)
        return [
            Finding(rule="XA-1", layer="requirements", field="buyer.name", message="custom rule")
        ]

    document = dutch_invoice(seller=_seller_address(country="XA"))
    assert check_requirements(document) == []
    register("xa", check_xa)
    assert check_requirements(document) == [
        Finding(rule="XA-1", layer="requirements", field="buyer.name", message="custom rule")
    ]
    assert seen == [document]


def test_registered_checker_replaces_the_built_in_one(restore_registry: None) -> None:
    register("NL", lambda document: [])
    assert check_requirements(dutch_invoice(number="")) == []
