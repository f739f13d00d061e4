"""The writer's code-list rules (BR-CL-nn) against the official CEN 1.3.16 Schematron.

A code the official rules accept must not be refused by the writer (the invoice would be held
for nothing), and a code they refuse must be refused by the writer (the document would only
fail validation later, after the source system was told it went out)."""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache

import pytest
from support.shared import REPO_ROOT, require_shared

import ubl
from ubl.errors import ProfileError
from ubl.rules import codelists

CODES_SCHEMATRON = "validation/en16931/sch/codelist/EN16931-UBL-codes.sch"
_LIST = re.compile(r"contains\(\s*'( [^']+ )'")
_MIME = re.compile(r"@mimeCode = '([^']+)'")


@cache
def official_lists() -> dict[str, tuple[frozenset[str], ...]]:
    """Each BR-CL assert of the CEN Schematron: the code lists its test compares with."""
    from lxml import etree

    path = require_shared(CODES_SCHEMATRON)
    tree = etree.parse(str(path))
    lists: dict[str, tuple[frozenset[str], ...]] = {}
    for assertion in tree.iterfind(".//{http://purl.oclc.org/dsdl/schematron}assert"):
        test = assertion.get("test")
        found = [frozenset(codes.split()) for codes in _LIST.findall(test)]
        if "@mimeCode =" in test:
            found.append(frozenset(_MIME.findall(test)))
        lists[assertion.get("id")] = tuple(found)
    return lists


def test_the_official_schematron_has_a_list_for_every_rule_the_writer_checks() -> None:
    official = official_lists()
    assert set(codelists._ACCEPTED) <= set(official)
    assert all(official[rule] for rule in codelists._ACCEPTED)  # the parser found the codes


@pytest.mark.parametrize("rule", sorted(codelists._ACCEPTED))
def test_each_code_list_rule_accepts_exactly_the_official_codes(rule: str) -> None:
    official = frozenset().union(*official_lists()[rule])
    ours = frozenset(codelists._ACCEPTED[rule])
    if rule == "BR-CL-22":  # the official test upper-cases the exemption code
        official = frozenset(code.upper() for code in official)
        ours = frozenset(code.upper() for code in ours)
    assert sorted(official - ours) == [], "official codes the writer would refuse"
    assert sorted(ours - official) == [], "codes the writer would accept that fail validation"


def test_the_document_type_codes_are_the_official_ones() -> None:
    invoice, credit_note = official_lists()["BR-CL-01"]
    assert invoice == codelists._INVOICE_TYPES
    assert credit_note == codelists._CREDIT_NOTE_TYPES


def _written_in(currency: str) -> bytes:
    """A fixture (a valid Dutch NLCIUS invoice in EUR) written as EN 16931 in ``currency``."""
    document = ubl.parse(REPO_ROOT / "fixtures" / "nl-standard-21-9.xml").document
    return ubl.write(replace(document, currency=currency), "en16931")


@pytest.mark.parametrize("currency", ["ANG", "BGN", "STN"])
def test_a_currency_the_official_rules_refuse_is_refused_by_the_writer(currency: str) -> None:
    with pytest.raises(ProfileError) as refused:
        _written_in(currency)
    assert [finding.rule for finding in refused.value.findings] == ["BR-CL-04"]


@pytest.mark.parametrize("currency", ["XCG", "CNH", "STD"])
def test_a_currency_only_the_official_rules_list_is_written(currency: str) -> None:
    assert f'currencyID="{currency}"'.encode() in _written_in(currency)
