"""The Peppol code-list rules (PEPPOL-EN16931-CL001..CL008) and their generated lists.

``ubl/rules/_peppol_lists.py`` is generated from the pinned Peppol Schematron by
``scripts/generate_peppol_code_lists.py``; these tests regenerate it from the shared copy and
check that the writer holds a Peppol document to exactly those lists."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from dataclasses import replace
from pathlib import Path
from types import ModuleType

import pytest
from support.shared import REPO_ROOT, require_shared

import ubl
from model.document import Identifier, Invoice
from ubl.rules import _peppol_lists

SOURCE = "validation/peppol-bis3/sch/PEPPOL-EN16931-UBL.sch"
SCRIPT = REPO_ROOT / "scripts" / "generate_peppol_code_lists.py"
GENERATED = REPO_ROOT / "ubl" / "rules" / "_peppol_lists.py"


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_peppol_code_lists", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_committed_lists_are_what_the_pinned_schematron_gives() -> None:
    source = require_shared(SOURCE)
    data = source.read_bytes()
    text = generator().generate(data, "peppol-bis3/sch/PEPPOL-EN16931-UBL.sch")
    assert GENERATED.read_text(encoding="utf-8") == text, (
        "run scripts/generate_peppol_code_lists.py"
    )
    assert hashlib.sha256(data).hexdigest() == _peppol_lists.SHA256
    assert _peppol_lists.VERSION == "3.0.21"


def test_every_code_list_rule_of_the_schematron_has_a_list() -> None:
    source = require_shared(SOURCE)
    rules = generator().read_rules(source.read_text(encoding="utf-8"))
    assert [rule.rule for rule in rules] == sorted(_peppol_lists.RULE_LISTS)
    for rule in rules:
        assert _peppol_lists.RULE_LISTS[rule.rule] == frozenset(rule.codes), rule.rule


def test_check_mode_names_an_out_of_date_module(tmp_path: Path) -> None:
    source = require_shared(SOURCE)
    stale = tmp_path / "lists.py"
    stale.write_text(GENERATED.read_text(encoding="utf-8").replace("0248 ", ""), encoding="utf-8")
    main = generator().main
    assert main(["--source", str(source), "--output", str(GENERATED), "--check"]) == 0
    assert main(["--source", str(source), "--output", str(stale), "--check"]) == 1


def test_a_missing_schematron_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "PEPPOL-EN16931-UBL.sch"
    assert generator().main(["--source", str(missing), "--output", str(tmp_path / "x.py")]) == 2
    assert str(missing) in capsys.readouterr().err


def invoice() -> Invoice:
    """A committed Peppol fixture whose figures add up."""
    return ubl.parse(REPO_ROOT / "fixtures" / "nl-standard-21-9.xml").document


def with_buyer_endpoint_scheme(document: Invoice, scheme: str) -> Invoice:
    endpoint = Identifier(value="1234567", scheme=scheme)
    return replace(document, buyer=replace(document.buyer, endpoint=endpoint))


def refused_rules(document: Invoice, profile: str) -> list[str]:
    try:
        ubl.write(document, profile)
    except ubl.ProfileError as error:
        return [finding.rule for finding in error.findings]
    return []


@pytest.mark.parametrize("scheme", ["0037", "0147"])
def test_eas_schemes_peppol_3_0_21_removed_are_refused_naming_the_field(scheme: str) -> None:
    document = with_buyer_endpoint_scheme(invoice(), scheme)
    with pytest.raises(ubl.ProfileError) as refused:
        ubl.write(document, "peppol-bis3")
    assert [(f.rule, f.layer, f.field) for f in refused.value.findings] == [
        ("PEPPOL-EN16931-CL008", "profile", "buyer.endpoint.scheme")
    ]
    assert refused_rules(document, "en16931") == []  # the CEN list still has it


@pytest.mark.parametrize("scheme", ["0242", "0244", "0245", "0246", "0248"])
def test_eas_schemes_peppol_3_0_21_added_are_written(scheme: str) -> None:
    document = with_buyer_endpoint_scheme(invoice(), scheme)
    assert "PEPPOL-EN16931-CL008" not in refused_rules(document, "peppol-bis3")


@pytest.mark.parametrize(("currency", "refused"), [("XCG", False), ("CNH", False), ("ANG", True)])
def test_currencies_follow_the_3_0_21_list(currency: str, refused: bool) -> None:
    document = replace(invoice(), currency=currency)
    assert ("PEPPOL-EN16931-CL007" in refused_rules(document, "peppol-bis3")) is refused


def test_the_code_list_rules_are_peppol_only() -> None:
    document = replace(invoice(), tax_point_code="5")  # BR-CL-06 refuses it everywhere
    assert "PEPPOL-EN16931-CL006" in refused_rules(document, "peppol-bis3")
    for profile in ("en16931", "nlcius"):
        assert not [r for r in refused_rules(document, profile) if r.startswith("PEPPOL-")]
