"""Tests of the profile rules against the official validation: the documents they pass are
officially valid, each case fails the same official rule, every rule is an official fatal
rule, and no official valid document is refused.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from support.corpus import roundtrip_corpus
from support.profile_cases import CASE_IDS, CASES
from support.profile_documents import Mutation, clean_invoice, credit_note
from support.shared import SHARED, require_shared

from ubl.profiles import PROFILE_NAMES, resolve, rules_for
from ubl.rules import RuleSet

# --- written documents, validated officially -----------------------------------------------


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
