"""Tests for the model-level rule checks of ubl.rules: each rule names its id and field
(one case per rule, support.profile_cases), stays in its profile, and the quick tests that
find a document clean never hide a broken value.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from support.profile_cases import CASE_IDS, CASES
from support.profile_documents import (
    Mutation,
    allowance,
    clean_invoice,
    rule_ids,
    with_address,
    with_party,
    with_totals,
    zero_rated,
)
from support.strategies import invoices

from model.document import Identifier, Invoice, Price
from model.findings import Finding
from ubl.profiles import PROFILE_NAMES, resolve, rules_for
from ubl.rules import Context, check_rules


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
