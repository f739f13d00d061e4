"""Tests for model/calculation.py: the EN 16931 calculation rules (BR-CO-10 .. BR-CO-17)."""

from __future__ import annotations

import dataclasses
import pickle
import re
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.strategies import EXEMPTION_CODES, invoices

from model.calculation import (
    Strategy,
    TotalsMismatch,
    check,
    derive_totals,
    line_net_amount,
    reconcile,
    with_totals,
)
from model.document import (
    Address,
    AllowanceCharge,
    Invoice,
    Item,
    Line,
    Party,
    Price,
    Totals,
    VatBreakdown,
)
from model.findings import Finding

D = Decimal
ZERO = D("0.00")
_STATED_AND_DERIVED = re.compile(r": stated (\S+), .* = (\S+)$")


def _amounts(finding: Finding) -> tuple[str, str]:
    """The stated and the derived amount a calculation finding's message names."""
    matched = _STATED_AND_DERIVED.search(finding.message)
    assert matched is not None, finding.message
    return matched.group(1), matched.group(2)


PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _line(
    line_id: str,
    quantity: str,
    price: str,
    category: str = "S",
    rate: str | None = "21",
    base: str | None = None,
    net: str | None = None,
    allowances_charges: tuple[AllowanceCharge, ...] = (),
) -> Line:
    line = Line(
        id=line_id,
        quantity=D(quantity),
        unit="C62",
        net_amount=ZERO,
        allowances_charges=allowances_charges,
        price=Price(net=D(price), base_quantity=None if base is None else D(base)),
        item=Item(name=f"item {line_id}", vat_category=category, vat_rate=rate and D(rate)),
    )
    return dataclasses.replace(line, net_amount=D(net) if net else line_net_amount(line))


def _placeholder(
    *lines: Line,
    allowances_charges: tuple[AllowanceCharge, ...] = (),
    prepaid: str | None = None,
    rounding: str | None = None,
) -> Invoice:
    """An invoice as a source without totals states it: placeholder BG-22, no BG-23."""
    return Invoice(
        number="2026-0042",
        issue_date=date(2026, 3, 1),
        currency="EUR",
        seller=Party(name="Seller BV", address=Address(country="NL")),
        buyer=Party(name="Buyer NV", address=Address(country="NL")),
        allowances_charges=allowances_charges,
        totals=Totals(
            line_net=ZERO,
            without_vat=ZERO,
            with_vat=ZERO,
            payable=ZERO,
            prepaid=prepaid and D(prepaid),
            rounding=rounding and D(rounding),
        ),
        lines=lines,
    )


def _document_ac(is_charge: bool, amount: str, rate: str) -> AllowanceCharge:
    return AllowanceCharge(
        is_charge=is_charge, amount=D(amount), vat_category="S", vat_rate=D(rate)
    )


def _as_source_states(document: Invoice, **changes: object) -> Invoice:
    """The document with some totals (BG-22) fields replaced, as a faulty source states them."""
    return dataclasses.replace(document, totals=dataclasses.replace(document.totals, **changes))


def _breakdown(document: Invoice, category: str, rate: str) -> VatBreakdown:
    (group,) = [b for b in document.vat_breakdown if (b.category, b.rate) == (category, D(rate))]
    return group


# ---------------------------------------------------------------------------
# Worked examples, computed by hand


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # 250 x 19.97 / 100 = 49.925 -> 49.93 (half up; half even would give 49.92) + 0.07
        (
            _line(
                "1",
                "250",
                "19.97",
                base="100",
                allowances_charges=(AllowanceCharge(is_charge=True, amount=D("0.07")),),
            ),
            "50.00",
        ),
        # 10 x 12.50 - 5.00
        (
            _line(
                "1",
                "10",
                "12.50",
                allowances_charges=(AllowanceCharge(is_charge=False, amount=D(5)),),
            ),
            "120.00",
        ),
        # 3 x 33.335 = 100.005 -> 100.01
        (_line("1", "3", "33.335"), "100.01"),
        # a credit line rounds away from zero: -1 x 0.005 -> -0.01
        (_line("1", "-1", "0.005"), "-0.01"),
        # price per 2.5 units: 4 x 10.00 / 2.5
        (_line("1", "4", "10.00", base="2.5"), "16.00"),
    ],
)
def test_line_net_amount(line: Line, expected: str) -> None:
    assert str(line_net_amount(line)) == expected


def _worked_example() -> Invoice:
    """Two lines (S 21 %, S 9 %), an allowance on S 21 %, a charge on S 9 %, paid and rounding."""
    return with_totals(
        _placeholder(
            _line(
                "1",
                "10",
                "12.50",
                rate="21",
                allowances_charges=(AllowanceCharge(is_charge=False, amount=D("5.00")),),
            ),
            _line(
                "2",
                "250",
                "19.97",
                rate="9",
                base="100",
                allowances_charges=(AllowanceCharge(is_charge=True, amount=D("0.07")),),
            ),
            allowances_charges=(
                _document_ac(False, "20.00", "21"),
                _document_ac(True, "10.50", "9"),
            ),
            prepaid="50.00",
            rounding="0.05",
        )
    )


def test_worked_example_totals_and_breakdown() -> None:
    invoice = _worked_example()

    # lines 120.00 + 50.00; S 21 %: 120.00 - 20.00 = 100.00 -> 21.00;
    # S 9 %: 50.00 + 10.50 = 60.50 -> 5.445 -> 5.45 (half up)
    assert [str(line.net_amount) for line in invoice.lines] == ["120.00", "50.00"]
    assert invoice.totals == Totals(
        line_net=D("170.00"),
        allowances=D("20.00"),
        charges=D("10.50"),
        without_vat=D("160.50"),
        vat=D("26.45"),
        with_vat=D("186.95"),
        prepaid=D("50.00"),
        rounding=D("0.05"),
        payable=D("137.00"),
    )
    assert invoice.vat_breakdown == (
        VatBreakdown(taxable_amount=D("100.00"), tax_amount=D("21.00"), category="S", rate=D(21)),
        VatBreakdown(taxable_amount=D("60.50"), tax_amount=D("5.45"), category="S", rate=D(9)),
    )
    assert check(invoice) == []
    assert reconcile(invoice) == (invoice, [])
    assert reconcile(invoice, Strategy.REDERIVE)[0] is invoice


def _per_line_rounding_source() -> Invoice:
    """Two lines of 12.50 at 21 %: per line 2.625 -> 2.63, summed 5.26; on 25.00 it is 5.25.

    The source rounds per line and states 5.26 everywhere it follows.
    """
    correct = with_totals(_placeholder(_line("1", "1", "12.50"), _line("2", "1", "12.50")))
    group = _breakdown(correct, "S", "21")
    assert group.tax_amount == D("5.25")
    return dataclasses.replace(
        _as_source_states(correct, vat=D("5.26"), with_vat=D("30.26"), payable=D("30.26")),
        vat_breakdown=(dataclasses.replace(group, tax_amount=D("5.26")),),
    )


def test_per_line_rounding_is_refused_naming_br_co_17_and_the_category() -> None:
    source = _per_line_rounding_source()

    with pytest.raises(TotalsMismatch) as raised:
        reconcile(source, Strategy.REFUSE)

    first = raised.value.findings[0]
    assert first == Finding(
        rule="BR-CO-17",
        layer="calculation",
        field="vat_breakdown[S 21%].tax_amount (BT-117)",
        message="VAT for S 21% computed per line and summed (the source rounds per line): "
        "stated 5.26, EN 16931 BR-CO-17 requires round(taxable 25.00 x 21%) = 5.25",
    )
    message = str(raised.value)
    assert message.startswith("4 figures differ from the EN 16931 calculation:")
    for finding in raised.value.findings:
        assert f"- [{finding.rule}] {finding.field}: {finding.message}" in message


def test_per_line_rounding_is_rederived_and_explained() -> None:
    source = _per_line_rounding_source()

    fixed, explanation = reconcile(source, Strategy.REDERIVE)

    assert _breakdown(fixed, "S", "21").tax_amount == D("5.25")
    assert (fixed.totals.vat, fixed.totals.with_vat, fixed.totals.payable) == (
        D("5.25"),
        D("30.25"),
        D("30.25"),
    )
    assert fixed.lines == source.lines
    assert check(fixed) == []
    assert [(d.rule, d.field, _amounts(d)) for d in explanation] == [
        ("BR-CO-17", "vat_breakdown[S 21%].tax_amount (BT-117)", ("5.26", "5.25")),
        ("BR-CO-14", "totals.vat (BT-110)", ("5.26", "5.25")),
        ("BR-CO-15", "totals.with_vat (BT-112)", ("30.26", "30.25")),
        ("BR-CO-16", "totals.payable (BT-115)", ("30.26", "30.25")),
    ]
    # the totals that follow from the wrong VAT say so instead of blaming the total itself
    assert "agrees with the stated VAT breakdown amounts (BT-117)" in explanation[1].message
    assert "agrees with the stated BT-109 and BT-110" in explanation[2].message


def line_with_net(line: Line, net: str) -> Line:
    return dataclasses.replace(line, net_amount=D(net))


def test_wrong_line_net_amount_is_refused_and_rederived() -> None:
    correct = with_totals(_placeholder(_line("1", "1", "10.00"), _line("7", "3", "33.335")))
    assert correct.lines[1].net_amount == D("100.01")
    # the source truncates the line to 100.00 and adds up its own figures
    wrong_line = line_with_net(correct.lines[1], "100.00")
    totals, breakdown = derive_totals(
        dataclasses.replace(correct, lines=(correct.lines[0], wrong_line))
    )
    source = dataclasses.replace(
        correct, lines=(correct.lines[0], wrong_line), totals=totals, vat_breakdown=breakdown
    )

    with pytest.raises(TotalsMismatch, match=r"PEPPOL-EN16931-R120\] lines\[1\]\.net_amount"):
        reconcile(source)

    fixed, explanation = reconcile(source, Strategy.REDERIVE)

    assert fixed == correct
    assert [(d.rule, d.field) for d in explanation] == [
        ("PEPPOL-EN16931-R120", "lines[1].net_amount (BT-131)"),
        ("BR-S-08", "vat_breakdown[S 21%].taxable_amount (BT-116)"),
        ("BR-CO-10", "totals.line_net (BT-106)"),
        ("BR-CO-13", "totals.without_vat (BT-109)"),
        ("BR-CO-15", "totals.with_vat (BT-112)"),
        ("BR-CO-16", "totals.payable (BT-115)"),
    ]  # the VAT, round(110.01 x 21 %) = 23.10, does not change and is not listed
    assert explanation[0].message == (
        "Line 7 net amount: stated 100.00, PEPPOL-EN16931-R120 requires "
        "round(quantity 3 x net price 33.335) = 100.01"
    )
    assert explanation[2].message.startswith(
        "Sum of invoice line net amount (BT-106) agrees with the stated line net amounts (BT-131)"
    )


def test_unrounded_line_net_amount_is_named() -> None:
    source = with_totals(_placeholder(_line("1", "3", "33.335")))
    source = dataclasses.replace(source, lines=(line_with_net(source.lines[0], "100.005"),))

    (discrepancy,) = check(source)

    assert discrepancy.rule == "PEPPOL-EN16931-R120"
    assert "is not rounded to 2 decimals" in discrepancy.message


def test_line_ignoring_price_base_quantity_is_named() -> None:
    source = with_totals(_placeholder(_line("1", "250", "19.97", base="100")))
    source = dataclasses.replace(source, lines=(line_with_net(source.lines[0], "4992.50"),))

    (discrepancy,) = check(source)

    assert "ignores the price base quantity (BT-149)" in discrepancy.message


def test_wrong_total_alone_is_named_without_blaming_its_inputs() -> None:
    invoice = _worked_example()
    source = _as_source_states(invoice, without_vat=D("170.00"))  # forgot BT-107 and BT-108

    (discrepancy,) = check(source)

    assert discrepancy == Finding(
        rule="BR-CO-13",
        layer="calculation",
        field="totals.without_vat (BT-109)",
        message="Invoice total amount without VAT (BT-109): stated 170.00, "
        "EN 16931 BR-CO-13 requires BT-106 170.00 - BT-107 20.00 + BT-108 10.50 = 160.50",
    )


def test_missing_and_surplus_breakdown_groups() -> None:
    invoice = _worked_example()
    s21, s9 = invoice.vat_breakdown
    surplus = VatBreakdown(taxable_amount=ZERO, tax_amount=ZERO, category="S", rate=D(25))
    source = dataclasses.replace(invoice, vat_breakdown=(surplus, s21))

    found = check(source)

    assert [(d.rule, d.field) for d in found] == [
        ("BR-S-08", "vat_breakdown[S 25%]"),
        ("BR-S-08", "vat_breakdown[S 9%].taxable_amount (BT-116)"),
        ("BR-CO-17", "vat_breakdown[S 9%].tax_amount (BT-117)"),
    ]
    assert "stated taxable 0.00 and VAT 0.00" in found[0].message
    assert found[1].message.endswith(" = 60.50")
    assert found[2].message.endswith(" = 5.45")
    assert "is missing" in found[1].message
    assert "has no line, document allowance or charge with VAT S 25%" in found[0].message
    fixed, _ = reconcile(source, Strategy.REDERIVE)
    assert fixed.vat_breakdown == (s21, s9)


def test_absent_document_sums_count_as_zero() -> None:
    """BT-107/BT-108 may be absent without allowances or charges, or state 0.00."""
    invoice = with_totals(_placeholder(_line("1", "2", "5.00")))
    assert (invoice.totals.allowances, invoice.totals.charges) == (None, None)
    stated_zero = _as_source_states(invoice, allowances=ZERO, charges=ZERO)
    assert check(stated_zero) == []

    with_allowance = with_totals(
        _placeholder(
            _line("1", "2", "5.00"), allowances_charges=(_document_ac(False, "1.00", "21"),)
        )
    )
    (missing,) = check(_as_source_states(with_allowance, allowances=None))
    assert missing.rule == "BR-CO-11" and missing.message.endswith(" = 1.00")
    assert missing.message.startswith("Sum of allowances on document level (BT-107) is missing")


def test_rederive_keeps_the_stated_notation_of_equal_values() -> None:
    invoice = _worked_example()
    s21, s9 = invoice.vat_breakdown
    written = dataclasses.replace(s21, rate=D("21.00"), exemption_reason=None)
    source = dataclasses.replace(
        _as_source_states(invoice, line_net=D("170.0"), payable=D("1.00")),
        vat_breakdown=(written, s9),
    )

    fixed, explanation = reconcile(source, Strategy.REDERIVE)

    assert [d.field for d in explanation] == ["totals.payable (BT-115)"]
    assert str(fixed.totals.line_net) == "170.0"
    assert fixed.vat_breakdown[0] is written
    assert fixed.totals.payable == D("137.00")


def test_zero_vat_category_states_vat() -> None:
    invoice = with_totals(_placeholder(_line("1", "1", "100.00", category="E", rate="0")))
    (group,) = invoice.vat_breakdown
    source = dataclasses.replace(
        _as_source_states(invoice, vat=D("21.00"), with_vat=D("121.00"), payable=D("121.00")),
        vat_breakdown=(dataclasses.replace(group, tax_amount=D("21.00")),),
    )

    found = check(source)

    assert found[0].rule == "BR-E-09"
    assert _amounts(found[0]) == ("21.00", "0.00")
    assert "0 for category E (no VAT)" in found[0].message


def test_with_totals_keeps_exemption_reason_and_refuses_wrong_lines() -> None:
    exempt = VatBreakdown(
        taxable_amount=ZERO,
        tax_amount=ZERO,
        category="E",
        exemption_reason="Exempt (art. 11 Wet OB)",
        exemption_code="VATEX-EU-132",
    )
    source = dataclasses.replace(
        _placeholder(_line("1", "1", "80.00", category="E", rate="0")), vat_breakdown=(exempt,)
    )

    (group,) = with_totals(source).vat_breakdown

    assert (group.taxable_amount, group.tax_amount, group.rate) == (D("80.00"), ZERO, D(0))
    assert (group.exemption_reason, group.exemption_code) == (
        "Exempt (art. 11 Wet OB)",
        "VATEX-EU-132",
    )
    wrong = dataclasses.replace(source, lines=(line_with_net(source.lines[0], "79.99"),))
    with pytest.raises(TotalsMismatch, match="PEPPOL-EN16931-R120"):
        with_totals(wrong)


def test_category_o_has_no_rate() -> None:
    invoice = with_totals(_placeholder(_line("1", "1", "9.99", category="O", rate=None)))
    assert [(b.category, b.rate, b.tax_amount) for b in invoice.vat_breakdown] == [
        ("O", None, ZERO)
    ]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            _placeholder(_line("1", "1", "1.00", rate=None)),
            r"line 1: VAT category S needs a VAT rate \(BT-152\)",
        ),
        (
            _placeholder(
                _line("1", "1", "1.00"),
                allowances_charges=(AllowanceCharge(is_charge=False, amount=D(1)),),
            ),
            r"allowance 1: VAT category code \(BT-95\) is required \(BR-32\)",
        ),
    ],
)
def test_missing_vat_information_is_an_input_error(document: Invoice, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        derive_totals(document)
    with pytest.raises(ValueError, match=message):
        check(document)


def test_zero_price_base_quantity_is_an_input_error() -> None:
    document = _placeholder(_line("1", "1", "1.00", base="0", net="1.00"))
    with pytest.raises(ValueError, match=r"base quantity \(BT-149\) must be above zero"):
        check(document)


def test_totals_mismatch_counts_its_figures_in_good_english() -> None:
    findings = check(_per_line_rounding_source())
    assert len(findings) == 4
    assert str(TotalsMismatch(findings[:1])).startswith(
        "1 figure differs from the EN 16931 calculation:\n- ["
    )
    assert str(TotalsMismatch(findings[:2])).startswith(
        "2 figures differ from the EN 16931 calculation:\n- ["
    )


def test_totals_mismatch_pickles() -> None:
    raised = TotalsMismatch(check(_per_line_rounding_source()))
    copy = pickle.loads(pickle.dumps(raised))
    assert (copy.findings, str(copy)) == (raised.findings, str(raised))


# ---------------------------------------------------------------------------
# Properties of built models


def _round2(value: Decimal) -> Decimal:
    return value.quantize(D("0.01"), rounding=ROUND_HALF_UP)


def _signed(item: AllowanceCharge) -> Decimal:
    return item.amount if item.is_charge else -item.amount


@PROPERTY
@given(invoices())
def test_built_models_satisfy_the_calculation_rules(invoice: Invoice) -> None:
    totals, document_acs = invoice.totals, invoice.allowances_charges
    for line in invoice.lines:  # PEPPOL-EN16931-R120
        per_unit = line.price.net / (line.price.base_quantity or 1)
        assert line.net_amount == _round2(line.quantity * per_unit) + sum(
            (_signed(ac) for ac in line.allowances_charges), ZERO
        )
    allowances = [ac.amount for ac in document_acs if not ac.is_charge]
    charges = [ac.amount for ac in document_acs if ac.is_charge]
    assert totals.line_net == sum(line.net_amount for line in invoice.lines)  # BR-CO-10
    assert totals.allowances == (sum(allowances) if allowances else None)  # BR-CO-11
    assert totals.charges == (sum(charges) if charges else None)  # BR-CO-12
    assert totals.without_vat == (  # BR-CO-13
        totals.line_net - (totals.allowances or 0) + (totals.charges or 0)
    )
    assert totals.vat == sum(group.tax_amount for group in invoice.vat_breakdown)  # BR-CO-14
    assert totals.with_vat == totals.without_vat + totals.vat  # BR-CO-15
    assert totals.payable == (  # BR-CO-16
        totals.with_vat - (totals.prepaid or 0) + (totals.rounding or 0)
    )

    taxable: dict[tuple[str, Decimal | None], Decimal] = defaultdict(Decimal)
    for line in invoice.lines:
        taxable[line.item.vat_category, line.item.vat_rate] += line.net_amount
    for ac in document_acs:
        assert ac.vat_category is not None
        taxable[ac.vat_category, ac.vat_rate] += _signed(ac)
    assert {(g.category, g.rate): g.taxable_amount for g in invoice.vat_breakdown} == taxable
    for group in invoice.vat_breakdown:  # BR-CO-17, BR-x-09, BR-x-10
        if group.category == "S":
            assert group.rate is not None
            assert group.tax_amount == _round2(group.taxable_amount * group.rate / 100)
        else:
            assert group.tax_amount == 0
        assert group.exemption_code == EXEMPTION_CODES.get(group.category)
        assert (group.rate is None) == (group.category == "O")

    assert check(invoice) == []
    assert reconcile(invoice, Strategy.REFUSE) == (invoice, [])


TOTALS_TERMS = {
    "line_net": "BT-106",
    "allowances": "BT-107",
    "charges": "BT-108",
    "without_vat": "BT-109",
    "vat": "BT-110",
    "with_vat": "BT-112",
    "payable": "BT-115",
}


@PROPERTY
@given(invoices(), st.data())
def test_one_wrong_figure_is_named_alone_and_rederived(
    invoice: Invoice, data: st.DataObject
) -> None:
    delta = data.draw(st.sampled_from((D("0.01"), D("-0.01"), D("1.00"), D("-12.34"))))
    target = data.draw(st.sampled_from(("line", "totals", "taxable", "tax")))
    if target == "line":
        index = data.draw(st.integers(0, len(invoice.lines) - 1))
        line = invoice.lines[index]
        lines = list(invoice.lines)
        lines[index] = line_with_net(line, str(line.net_amount + delta))
        source = dataclasses.replace(invoice, lines=tuple(lines))
        field = f"lines[{index}].net_amount (BT-131)"
    elif target == "totals":
        names = [n for n in TOTALS_TERMS if getattr(invoice.totals, n) is not None]
        name = data.draw(st.sampled_from(names))
        source = _as_source_states(invoice, **{name: getattr(invoice.totals, name) + delta})
        field = f"totals.{name} ({TOTALS_TERMS[name]})"
    else:
        index = data.draw(st.integers(0, len(invoice.vat_breakdown) - 1))
        group = invoice.vat_breakdown[index]
        name, term = (
            ("taxable_amount", "BT-116") if target == "taxable" else ("tax_amount", "BT-117")
        )
        groups = list(invoice.vat_breakdown)
        groups[index] = dataclasses.replace(group, **{name: getattr(group, name) + delta})
        source = dataclasses.replace(invoice, vat_breakdown=tuple(groups))
        rate = "" if group.rate is None else f" {group.rate.normalize():f}%"
        field = f"vat_breakdown[{group.category}{rate}].{name} ({term})"

    found = check(source)

    assert [d.field for d in found] == [field]
    stated, derived = _amounts(found[0])
    assert D(derived) == D(stated) - delta
    with pytest.raises(TotalsMismatch):
        reconcile(source)
    fixed, explanation = reconcile(source, Strategy.REDERIVE)
    assert fixed == invoice
    assert explanation == found


@PROPERTY
@given(invoices())
def test_per_line_rounded_vat_is_named_as_such(invoice: Invoice) -> None:
    """A source that rounds VAT per line and per allowance/charge gets BR-CO-17 with its cause."""
    groups = []
    for group in invoice.vat_breakdown:
        key = (group.category, group.rate)
        per_line = sum(
            (
                _round2(line.net_amount * (group.rate or 0) / 100)
                for line in invoice.lines
                if (line.item.vat_category, line.item.vat_rate) == key
            ),
            ZERO,
        ) + sum(
            (
                _round2(_signed(ac) * (group.rate or 0) / 100)
                for ac in invoice.allowances_charges
                if (ac.vat_category, ac.vat_rate) == key
            ),
            ZERO,
        )
        groups.append(dataclasses.replace(group, tax_amount=per_line))
    source = dataclasses.replace(invoice, vat_breakdown=tuple(groups))

    found = {d.field: d for d in check(source) if d.rule == "BR-CO-17"}

    for stated, derived in zip(groups, invoice.vat_breakdown, strict=True):
        rate = derived.rate or 0
        field = f"vat_breakdown[{derived.category} {rate:f}%].tax_amount (BT-117)"
        if stated.tax_amount == derived.tax_amount:
            assert field not in found
        else:
            assert (
                "computed per line and summed (the source rounds per line)" in found[field].message
            )
