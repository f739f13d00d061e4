"""Tests for ubl.validate: XSD + the official Schematron, scenarios, issues and bad input.

The bundles come from the session fixture ``artifacts_cache`` (installed from SHARED);
every test here validates real documents with the real stylesheets.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree
from support.shared import SHARED, require_shared

from model.findings import Finding
from ubl import artifacts
from ubl._ns import CAC, CBC, INVOICE
from ubl.errors import UblError
from ubl.validate import (
    SCENARIOS,
    ArtifactMissing,
    Report,
    Validator,
    _schematron,
    _xsd,
)
from ubl.validate._hints import HINTS
from ubl.validate._locate import element_at, line_of
from ubl.validate._scenarios import SCHEMAS

NS = {"cac": CAC, "cbc": CBC}
ROOT = Path(__file__).resolve().parents[2]
VALIDATION = SHARED / "validation"
PEPPOL_EXAMPLE = "validation/peppol-bis3/examples/base-example.xml"
SI_UBL = "validation/nlcius/tests/SI-UBL-2.0"
NLCIUS_OK = f"{SI_UBL}/SI-UBL-2.0_ok_full.xml"
PEPPOL_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
NLCIUS_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:nen.nl:nlcius:v1.0"
_ROOT = f"/*:Invoice[namespace-uri()='{INVOICE}'][1]"


def _files(folder: str, pattern: str = "*.xml") -> list[Path]:
    base = VALIDATION / folder
    return sorted(base.glob(pattern)) if base.is_dir() else []


OFFICIAL_VALID = [
    *_files("peppol-bis3/examples"),
    *_files("en16931/examples", "*.[xX][mM][lL]"),
    *_files("nlcius/tests/SI-UBL-2.0", "*_ok*.xml"),
]
STALE = {
    # A Peppol BIS document older than PEPPOL-COMMON-R049 (Swedish organisation numbers,
    # fatal since Peppol 3.0.20): the example's SE identifiers fail it.
    "en16931/examples/issue116.xml": {"PEPPOL-COMMON-R049"},
}


@pytest.fixture(scope="module")
def validator(artifacts_cache: Path) -> Validator:
    return Validator(cache=artifacts_cache)


@pytest.fixture
def peppol_example(artifacts_cache: Path) -> etree._ElementTree:
    return etree.parse(str(require_shared(PEPPOL_EXAMPLE)))


def _bytes(tree: etree._ElementTree) -> bytes:
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def _line(xml: bytes, path: str) -> int | None:
    """The source line of the element at ``path`` (from the root) in ``xml``."""
    root = etree.fromstring(xml)
    element = root if path == "." else root.find(path, NS)
    assert element is not None, path
    return element.sourceline


def _fatal_rules(report: Report, layer: str | None = None) -> set[str]:
    return {i.rule for i in report.fatal if layer is None or i.layer == layer}


def _only_issue(report: Report) -> Finding:
    assert len(report.issues) == 1, report.issues
    assert not report.valid
    return report.issues[0]


# --- official documents pass -----------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    OFFICIAL_VALID or [None],
    ids=[str(p.relative_to(VALIDATION)) for p in OFFICIAL_VALID] or ["no-shared"],
)
def test_official_valid_documents_pass(validator: Validator, path: Path | None) -> None:
    require_shared("validation")
    assert path is not None
    report = validator.validate(path)
    stale = STALE.get(str(path.relative_to(VALIDATION)), set())
    assert _fatal_rules(report) == stale, [f"{i.rule}: {i.message}" for i in report.fatal]
    assert report.source == str(path)


def test_the_customization_id_picks_the_scenario(validator: Validator) -> None:
    peppol = validator.validate(require_shared(PEPPOL_EXAMPLE))
    nlcius = validator.validate(require_shared(NLCIUS_OK))
    en16931 = validator.validate(
        require_shared("validation/en16931/examples/ubl-tc434-example1.xml")
    )
    assert (peppol.profile, nlcius.profile, en16931.profile) == ("peppol-bis3", "nlcius", "en16931")
    assert not any(i.rule == "UNKNOWN-CUSTOMIZATION-ID" for i in en16931.issues)


# --- schematron findings: rule, line, hint ----------------------------------------------------


def test_a_wrong_line_total_is_br_co_10_with_its_line_and_a_hint(
    validator: Validator, peppol_example: etree._ElementTree
) -> None:
    total = peppol_example.find("cac:LegalMonetaryTotal", NS)
    assert total is not None
    amount = total.find("cbc:LineExtensionAmount", NS)
    assert amount is not None and amount.text is not None
    amount.text = str(int(amount.text) + 1)

    xml = _bytes(peppol_example)
    report = validator.validate(xml)

    assert not report.valid
    [issue] = [i for i in report.fatal if i.rule == "BR-CO-10"]
    assert issue.layer == "schematron"
    assert issue.line == _line(xml, "cac:LegalMonetaryTotal")  # the rule's context
    assert issue.location == f"{_ROOT}/*:LegalMonetaryTotal[namespace-uri()='{CAC}'][1]"
    assert issue.message.startswith("Sum of Invoice line net amount (BT-106)")
    assert issue.hint is not None and "LineExtensionAmount" in issue.hint


def test_a_parsed_tree_is_validated_with_its_own_line_numbers(
    validator: Validator, peppol_example: etree._ElementTree
) -> None:
    assert validator.validate(peppol_example).valid
    amount = peppol_example.find("cac:LegalMonetaryTotal/cbc:PayableAmount", NS)
    assert amount is not None
    amount.text = "1.00"
    issues = [i for i in validator.validate(peppol_example).fatal if i.rule == "BR-CO-16"]
    assert [i.line for i in issues] == [amount.getparent().sourceline]


def test_a_missing_issue_date_is_an_xsd_error_at_its_line_and_the_rules_still_run(
    validator: Validator, peppol_example: etree._ElementTree
) -> None:
    issue_date = peppol_example.find("cbc:IssueDate", NS)
    assert issue_date is not None
    issue_date.getparent().remove(issue_date)
    xml = _bytes(peppol_example)

    report = validator.validate(xml, "peppol-bis3")

    xsd = [i for i in report.fatal if i.layer == "xsd"]
    assert xsd and xsd[0].line == _line(xml, "cbc:DueDate")
    assert "cbc:DueDate" in xsd[0].message  # the element the schema did not expect
    assert "BR-03" in _fatal_rules(report, "schematron")  # both layers are reported


def test_a_forced_profile_runs_that_scenario_only(
    validator: Validator, peppol_example: etree._ElementTree
) -> None:
    party = peppol_example.find("cac:AccountingCustomerParty/cac:Party", NS)
    endpoint = peppol_example.find("cac:AccountingCustomerParty/cac:Party/cbc:EndpointID", NS)
    assert party is not None and endpoint is not None
    party.remove(endpoint)
    xml = _bytes(peppol_example)

    peppol = validator.validate(xml)
    [r010] = [i for i in peppol.fatal if i.rule == "PEPPOL-EN16931-R010"]
    assert r010.hint == HINTS["PEPPOL-EN16931-R010"]
    assert r010.line == _line(xml, "cac:AccountingCustomerParty/cac:Party")

    en16931 = validator.validate(xml, "en16931")
    assert en16931.profile == "en16931"
    assert en16931.valid, en16931.fatal  # EN 16931 does not require the buyer endpoint


def test_an_unknown_profile_is_a_usage_error(validator: Validator) -> None:
    with pytest.raises(ValueError, match="unknown profile 'xrechnung'"):
        validator.validate(b"<x/>", "xrechnung")


# --- NLCIUS -----------------------------------------------------------------------------------


def test_an_nlcius_ok_file_passes(validator: Validator) -> None:
    report = validator.validate(require_shared(NLCIUS_OK))
    assert report.profile == "nlcius"
    assert report.valid


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("SI-UBL-2.0_BR-NL-1_error_empty.xml", "BR-NL-1"),
        ("SI-UBL-2.0_BR-NL-13_error_no_ordernumber.xml", "BR-NL-13"),
        ("SI-UBL-2.0_BR-S-08_error.xml", "BR-S-08"),
    ],
)
def test_an_nlcius_error_file_fails_with_its_rule(
    validator: Validator, name: str, rule: str
) -> None:
    report = validator.validate(require_shared(f"{SI_UBL}/{name}"))
    assert report.profile == "nlcius"
    assert rule in _fatal_rules(report, "schematron")


def test_an_si_ubl_assert_without_id_takes_the_id_from_its_text(validator: Validator) -> None:
    # [BII2-T10-R001] and [SI-V20-INV-R000] are SI-UBL asserts without @id.
    no_customization_id = require_shared(f"{SI_UBL}/SI-UBL-2.0_error_no_customizationid.xml")
    no_id = validator.validate(no_customization_id, "nlcius")
    [issue] = [i for i in no_id.fatal if i.rule == "BII2-T10-R001"]
    assert issue.message == "An invoice MUST have a customization identifier"

    text = require_shared(NLCIUS_OK).read_bytes()
    wrong = text.replace(NLCIUS_ID.encode(), b"urn:fdc:nen.nl:nlcius:v1.0")
    assert wrong != text
    report = validator.validate(wrong)
    assert report.profile == "nlcius"
    assert "SI-V20-INV-R000" in _fatal_rules(report)


def test_si_ubl_2_0_3_12_runs_beside_2_0_3_13(artifacts_cache: Path) -> None:
    older = Validator(cache=artifacts_cache, versions={"nlcius": "2.0.3.12"})
    assert older.validate(require_shared(NLCIUS_OK)).valid
    error = older.validate(require_shared(f"{SI_UBL}/SI-UBL-2.0_BR-NL-1_error_empty.xml"))
    assert "BR-NL-1" in _fatal_rules(error)


# --- scenario warnings and Saxon failures -----------------------------------------------------


def test_an_unknown_customization_id_is_checked_against_en16931_with_a_warning(
    validator: Validator, peppol_example: etree._ElementTree
) -> None:
    customization = peppol_example.find("cbc:CustomizationID", NS)
    assert customization is not None
    customization.text = "urn:some:unknown:id"

    xml = _bytes(peppol_example)
    report = validator.validate(xml)

    assert report.profile == "en16931"
    [warning] = [i for i in report.issues if i.rule == "UNKNOWN-CUSTOMIZATION-ID"]
    assert warning.severity == "warning"
    assert "'urn:some:unknown:id'" in warning.message
    assert warning.line == _line(xml, "cbc:CustomizationID")
    assert report.valid  # a warning does not fail the document


def test_the_unknown_customization_id_warning_says_it_is_no_official_rule_and_names_profile(
    validator: Validator, peppol_example: etree._ElementTree
) -> None:
    peppol_example.getroot().remove(peppol_example.find("cbc:CustomizationID", NS))
    [warning] = validator.validate(_bytes(peppol_example)).warnings
    assert warning.rule == "UNKNOWN-CUSTOMIZATION-ID"
    assert warning.message.startswith(
        "ledgerlink's own check, not an official Schematron rule: no CustomizationID (BT-24)"
    )
    assert warning.hint is not None and "profile=" in warning.hint  # the library's argument
    assert "--profile" not in warning.hint


def test_two_registration_names_are_a_saxon_error_not_a_crash_or_a_pass(
    validator: Validator, peppol_example: etree._ElementTree
) -> None:
    party = peppol_example.find("cac:AccountingSupplierParty/cac:Party", NS)
    assert party is not None
    legal = party.find("cac:PartyLegalEntity", NS)
    assert legal is not None
    twin = etree.fromstring(etree.tostring(legal))
    twin.find("cbc:RegistrationName", NS).text = "Another Legal Name"
    legal.addnext(twin)
    assert len(party.findall("cac:PartyLegalEntity/cbc:RegistrationName", NS)) == 2

    report = validator.validate(_bytes(peppol_example))

    assert not report.valid
    [saxon] = [i for i in report.fatal if i.rule == "SAXON-ERROR"]
    assert saxon.layer == "schematron"
    assert "CEN-EN16931-UBL.xslt" in saxon.message
    assert "more than one item" in saxon.message


def _nested(tree: etree._ElementTree, levels: int) -> etree._ElementTree:
    """``tree`` given ``levels`` nested elements inside a UBL extension's ExtensionContent."""
    ext = "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2"
    extensions = etree.Element(f"{{{ext}}}UBLExtensions")
    content = etree.SubElement(
        etree.SubElement(extensions, f"{{{ext}}}UBLExtension"), f"{{{ext}}}ExtensionContent"
    )
    for _ in range(levels):
        content = etree.SubElement(content, "{urn:example:deep}level")
    tree.getroot().insert(0, extensions)
    return tree


def test_101_levels_inside_extension_content_are_validated_not_a_saxon_error(
    validator: Validator, peppol_example: etree._ElementTree
) -> None:
    # The JDK parser inside Saxon stops at 100 levels by default; lxml takes 2048.
    report = validator.validate(_bytes(_nested(peppol_example, 101)))
    rules = {issue.rule for issue in report.issues}
    assert "SAXON-ERROR" not in rules and "VALIDATOR-LIMIT" not in rules
    assert "UBL-CR-001" in rules  # the official rules ran: "should not include extensions"


def test_a_tree_nested_deeper_than_saxon_takes_is_a_validator_limit_with_its_depth(
    validator: Validator, peppol_example: etree._ElementTree
) -> None:
    # A tree is handed over as it is built, so it can be deeper than lxml parses a file.
    report = validator.validate(_nested(peppol_example, 2100))
    [limit] = [issue for issue in report.issues if issue.layer == "schematron"]
    assert (limit.rule, limit.severity) == ("VALIDATOR-LIMIT", "fatal")
    assert limit.message.startswith(
        "the document is nested 2104 levels deep, deeper than the Schematron engine (Saxon) "
        "can process"
    )
    assert "limit of the validator, not a broken rule" in limit.message
    assert not report.valid


# --- the Schematron layer alone (rule unit tests on fragments) --------------------------------

FRAGMENT = f"""<Invoice xmlns="{INVOICE}" xmlns:cbc="{CBC}">
  <cbc:CustomizationID>{PEPPOL_ID}</cbc:CustomizationID>
</Invoice>""".encode()


def _rules(issues: list[Finding]) -> set[str]:
    return {issue.rule for issue in issues}


def test_schematron_runs_the_given_stylesheets_only_and_no_xsd(validator: Validator) -> None:
    [cen, peppol] = SCENARIOS["peppol-bis3"].stylesheets

    both = validator.schematron(FRAGMENT, (cen, peppol))
    only_peppol = validator.schematron(FRAGMENT, (peppol,))
    only_cen = validator.schematron(FRAGMENT, (cen,))

    assert {"BR-02", "PEPPOL-EN16931-R001"} <= _rules(both)  # no invoice number, no ProfileID
    assert {i.layer for i in both} == {"schematron"}  # the fragment is not XSD-valid: unchecked
    assert "PEPPOL-EN16931-R001" in _rules(only_peppol)
    assert not {rule for rule in _rules(only_peppol) if rule.startswith("BR-")}
    assert _rules(only_cen) | _rules(only_peppol) == _rules(both)
    br_02 = next(i for i in both if i.rule == "BR-02")
    assert (br_02.severity, br_02.line) == ("fatal", 1)


def test_schematron_finds_what_validate_finds_in_the_rules_layer(validator: Validator) -> None:
    report = validator.validate(FRAGMENT, "peppol-bis3")
    issues = validator.schematron(FRAGMENT, SCENARIOS["peppol-bis3"].stylesheets)
    assert tuple(issues) == tuple(i for i in report.issues if i.layer == "schematron")
    assert any(i.layer == "xsd" for i in report.issues)


def test_schematron_reports_bad_input_and_saxon_errors_as_issues(
    validator: Validator, peppol_example: etree._ElementTree, capfd: pytest.CaptureFixture[str]
) -> None:
    [issue] = validator.schematron(b"<Invoice", SCENARIOS["en16931"].stylesheets)
    assert (issue.layer, issue.rule) == ("input", "XML-SYNTAX")

    legal = peppol_example.find("cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity", NS)
    assert legal is not None
    legal.addnext(etree.fromstring(etree.tostring(legal)))  # two RegistrationName: XPTY0004
    issues = validator.schematron(_bytes(peppol_example), SCENARIOS["en16931"].stylesheets)
    [saxon] = [i for i in issues if i.rule == "SAXON-ERROR"]
    assert saxon.severity == "fatal" and "more than one item" in saxon.message
    # where the stylesheet stopped, from the diagnostic Saxon writes to standard error (the
    # file named is the one compiled: the CEN rules are shared with the peppol-bis3 copy) ...
    where = re.search(
        r"\[Type error .* on line (\d+) column \d+ of (\S*EN16931-UBL\S*\.xslt)", saxon.message
    )
    assert where is not None
    # ... which is kept off the terminal
    assert "XPTY0004" not in capfd.readouterr().err

    # The line is the one Saxon gives for that file as published.
    cache = validator.cache
    assert cache is not None
    [published] = [path for path in _stylesheets(cache) if path.name == where.group(2)]
    official = (
        _schematron._processor()
        .new_xslt30_processor()
        .compile_stylesheet(stylesheet_file=str(published))
    )
    node = _schematron._processor().parse_xml(xml_text=_bytes(peppol_example).decode("utf-8"))
    with pytest.raises(Exception, match="more than one item"):
        official.transform_to_string(xdm_node=node)
    assert f"on line {where.group(1)} column" in capfd.readouterr().err


def test_schematron_reuses_the_compiled_stylesheets(validator: Validator) -> None:
    stylesheets = SCENARIOS["en16931"].stylesheets
    validator.schematron(FRAGMENT, stylesheets)
    compiled = _schematron.compilations()
    validator.validate(FRAGMENT, "en16931")
    Validator(cache=validator.cache).schematron(FRAGMENT, stylesheets)
    assert _schematron.compilations() == compiled


def test_the_same_stylesheet_in_two_bundles_is_compiled_once(validator: Validator) -> None:
    # peppol-bis3 ships the CEN rules of en16931-ubl 1.3.16 under another name and header.
    [peppol_cen, _] = SCENARIOS["peppol-bis3"].stylesheets
    [cen] = SCENARIOS["en16931"].stylesheets
    cache = validator.cache
    assert cache is not None
    paths = [validator._file(artifact, cache) for artifact in (peppol_cen, cen)]
    assert paths[0].read_bytes() != paths[1].read_bytes()
    assert _schematron._executable(paths[0]) is _schematron._executable(paths[1])
    assert validator.schematron(FRAGMENT, [cen]) == validator.schematron(FRAGMENT, [peppol_cen])


def _stylesheets(cache: Path) -> list[Path]:
    return sorted(path for path in cache.rglob("*") if path.suffix in {".xsl", ".xslt"})


def test_untraced_leaves_out_each_fired_rule_and_keeps_every_line(artifacts_cache: Path) -> None:
    stylesheets = _stylesheets(artifacts_cache)
    assert len(stylesheets) >= 5  # CEN twice, PEPPOL, SI-UBL 2.0.3.13 and 2.0.3.12
    for path in stylesheets:
        text = path.read_text(encoding="utf-8")
        untraced = _schematron.untraced(text)
        assert "<svrl:fired-rule" in text and "<svrl:fired-rule" not in untraced, path.name
        assert untraced.splitlines()[:100] == text.splitlines()[:100]  # the header is as it was
        assert untraced.count("\n") == text.count("\n"), path.name
        etree.fromstring(untraced.encode("utf-8"))  # still well-formed


def test_untraced_keeps_a_fired_rule_it_does_not_recognise() -> None:
    stylesheet = (
        '<xsl:template match="x"><svrl:fired-rule context="x"/></xsl:template>\n'
        '<xsl:template match="y"><svrl:fired-rule><xsl:attribute name="context">y'
        "</xsl:attribute></svrl:fired-rule></xsl:template>"
    )
    assert _schematron.untraced(stylesheet) == stylesheet
    attribute_with_gt = "<a><svrl:fired-rule context=\"x[. > 1]\"\n  id='r' /></a>"
    assert _schematron.untraced(attribute_with_gt) == "<a>\n</a>"


_TINY_SCHEMATRON = """<?xml version="1.0" encoding="{encoding}"?>
<!-- caf\u00e9: not ASCII -->
<xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="2.0"
    xmlns:svrl="http://purl.oclc.org/dsdl/svrl">
  <xsl:template match="/">
    <svrl:schematron-output>
      <svrl:fired-rule context="/"/>
      <svrl:failed-assert id="TINY-1"><svrl:text>always</svrl:text></svrl:failed-assert>
    </svrl:schematron-output>
  </xsl:template>
</xsl:stylesheet>
"""


@pytest.mark.parametrize(("encoding", "traced"), [("UTF-8", False), ("ISO-8859-1", True)])
def test_a_stylesheet_that_is_not_utf8_is_compiled_as_published(
    tmp_path: Path, encoding: str, traced: bool
) -> None:
    path = tmp_path / f"tiny-{encoding}.xsl"
    path.write_bytes(_TINY_SCHEMATRON.format(encoding=encoding).encode(encoding))
    executable = _schematron._compile(path)
    node = _schematron._processor().parse_xml(xml_text="<x/>")
    svrl = executable.transform_to_string(xdm_node=node)
    assert "TINY-1" in svrl
    assert ("fired-rule" in svrl) is traced


def _findings(svrl: str) -> list[bytes]:
    """Every failed assert and successful report of an SVRL result, in order, serialised."""
    report = etree.fromstring(svrl.encode("utf-8"))
    svrl_ns = "{http://purl.oclc.org/dsdl/svrl}"
    found = report.iter(f"{svrl_ns}failed-assert", f"{svrl_ns}successful-report")
    return [etree.tostring(element) for element in found]


def test_the_compiled_stylesheets_find_what_the_official_ones_find(
    validator: Validator, peppol_example: etree._ElementTree
) -> None:
    line = peppol_example.find("cac:InvoiceLine/cbc:LineExtensionAmount", NS)
    assert line is not None and line.text is not None
    line.text = str(int(line.text) + 1)  # PEPPOL-EN16931-R120, and BR-CO-10 for the total
    errors = _files(SI_UBL, "*_error*")[::3]  # a third of them: a dozen rules
    documents = [_bytes(peppol_example), *(path.read_bytes() for path in errors)]
    cache = validator.cache
    assert cache is not None
    stylesheets = {validator._file(a, cache) for s in SCENARIOS.values() for a in s.stylesheets}
    older = Validator(cache=cache, versions={"nlcius": "2.0.3.12"})
    stylesheets |= {older._file(a, cache) for a in SCENARIOS["nlcius"].stylesheets}
    processor = _schematron._processor()
    for path in sorted(stylesheets):
        official = processor.new_xslt30_processor().compile_stylesheet(stylesheet_file=str(path))
        ours = _schematron._executable(path)
        findings = 0
        for document in documents:
            node = processor.parse_xml(xml_text=document.decode("utf-8"), encoding="UTF-8")
            expected = official.transform_to_string(xdm_node=node)
            svrl = ours.transform_to_string(xdm_node=node)
            assert "fired-rule" in expected and "fired-rule" not in svrl
            assert _findings(svrl) == _findings(expected), path.name
            findings += len(_findings(svrl))
        assert findings > 0, f"{path.name} found nothing: the comparison proves nothing"


def test_compiled_says_whether_a_scenarios_stylesheets_are_compiled_here(
    validator: Validator, tmp_path: Path
) -> None:
    validator.validate(SHARED / PEPPOL_EXAMPLE)
    assert validator.compiled("peppol-bis3")
    assert validator.compiled("en16931")  # the same CEN rules, compiled once for both
    assert not Validator(cache=tmp_path).compiled("peppol-bis3")  # nothing installed there


def test_load_schemas_loads_both_ubl_schemas_without_starting_saxon(
    validator: Validator, tmp_path: Path
) -> None:
    validator.load_schemas()
    cache = validator.cache
    assert cache is not None
    loaded = {validator._file(artifact, cache) for artifact in SCHEMAS.values()}
    assert {path.name for path in loaded} == {"UBL-Invoice-2.1.xsd", "UBL-CreditNote-2.1.xsd"}
    assert loaded <= set(_xsd._SCHEMAS)
    # A process that loaded them may still fork: no runtime thread was started.
    code = (
        "import os; from ubl.validate import Validator; Validator().load_schemas(); "
        "print(len(os.listdir('/proc/self/task')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.strip() == "1"
    with pytest.raises(ArtifactMissing, match=r"ledgerlink artifacts install ubl-2.1-xsd"):
        Validator(cache=tmp_path).load_schemas()


def test_schematron_raises_for_a_bundle_that_is_not_installed(tmp_path: Path) -> None:
    with pytest.raises(ArtifactMissing, match=r"ledgerlink artifacts install en16931-ubl"):
        Validator(cache=tmp_path).schematron(FRAGMENT, SCENARIOS["en16931"].stylesheets)


# --- bad input: one clear issue, never an exception ---------------------------------------------


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE Invoice [<!ENTITY secret SYSTEM "file://%s">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&secret;</Invoice>"""
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&lol2;</Invoice>"""


@pytest.mark.parametrize(
    ("data", "rule"),
    [
        (b"this is not XML", "XML-SYNTAX"),
        (b"<Invoice", "XML-SYNTAX"),
        (b"", "INPUT-EMPTY"),
        (b"  \n", "INPUT-EMPTY"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "INPUT-BINARY"),
        (BILLION_LAUGHS, "XML-DOCTYPE"),
    ],
    ids=["text", "truncated", "empty", "blank", "binary", "billion-laughs"],
)
def test_unreadable_input_is_one_input_issue(validator: Validator, data: bytes, rule: str) -> None:
    issue = _only_issue(validator.validate(data))
    assert (issue.layer, issue.rule, issue.severity) == ("input", rule, "fatal")


def test_external_entities_are_refused_unread(validator: Validator, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    report = validator.validate(XXE % str(secret).encode())
    issue = _only_issue(report)
    assert (issue.layer, issue.rule, issue.line) == ("input", "XML-DOCTYPE", 2)
    assert "TOP-SECRET-VALUE" not in json.dumps(report.to_dict())


def test_a_200_mb_file_is_refused_before_it_is_read(validator: Validator, tmp_path: Path) -> None:
    huge = tmp_path / "huge.xml"
    with huge.open("wb") as file:  # sparse: quick to make, 200 MB to stat
        file.write(b"<Invoice>")
        file.truncate(200 * 1024 * 1024)
    issue = _only_issue(validator.validate(huge))
    assert (issue.layer, issue.rule) == ("input", "INPUT-TOO-LARGE")
    assert "209,715,200 bytes" in issue.message


def test_the_size_limit_is_a_setting(artifacts_cache: Path) -> None:
    small = Validator(cache=artifacts_cache, max_bytes=1000)
    xml = require_shared(PEPPOL_EXAMPLE).read_bytes()
    assert _only_issue(small.validate(xml)).rule == "INPUT-TOO-LARGE"


def test_a_missing_file_is_an_input_issue(validator: Validator, tmp_path: Path) -> None:
    report = validator.validate(tmp_path / "nowhere.xml")
    assert _only_issue(report).rule == "INPUT-UNREADABLE"
    assert report.source == str(tmp_path / "nowhere.xml")


def test_a_credit_note_checked_against_the_invoice_schema_is_one_xsd_issue(
    validator: Validator,
) -> None:
    credit_note = require_shared("validation/peppol-bis3/examples/base-creditnote-correction.xml")
    assert validator.validate(credit_note).valid  # by default the root picks the schema

    issue = _only_issue(validator.validate(credit_note, document_type="invoice"))
    assert (issue.layer, issue.rule) == ("xsd", "UBL-DOCUMENT-TYPE")
    assert issue.message == (
        "root element CreditNote: this is a UBL CreditNote, validated against the Invoice schema"
    )
    assert validator.validate(credit_note, document_type="creditnote").valid


@pytest.mark.parametrize(
    ("document", "found"),
    [
        (
            b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.02'>"
            b"<BkToCstmrStmt/></Document>",
            "root element Document (namespace urn:iso:std:iso:20022:tech:xsd:camt.053.001.02)",
        ),
        (
            b"<Order xmlns='urn:oasis:names:specification:ubl:schema:xsd:Order-2'/>",
            "a UBL Order",
        ),
        (b"<Order xmlns='urn:x'/>", "root element Order (namespace urn:x)"),
    ],
)
@pytest.mark.parametrize("profile", ["auto", "peppol-bis3"])
def test_a_document_that_is_not_an_invoice_or_credit_note_has_no_profile_and_one_input_finding(
    validator: Validator, document: bytes, found: str, profile: str
) -> None:
    report = validator.validate(document, profile)
    assert report.profile is None and report.to_dict()["profile"] is None
    issue = _only_issue(report)
    assert (issue.layer, issue.rule, issue.line, issue.severity) == (
        "input",
        "UBL-ROOT",
        1,
        "fatal",
    )
    assert issue.message.startswith(f"{found} is no UBL 2.1 Invoice or CreditNote")
    assert "only Invoice and CreditNote documents are validated" in issue.message


# --- installation and reuse -------------------------------------------------------------------


def test_a_missing_bundle_raises_with_the_install_command(tmp_path: Path) -> None:
    xml = require_shared(PEPPOL_EXAMPLE).read_bytes()
    with pytest.raises(
        ArtifactMissing, match=r"run `ledgerlink artifacts install ubl-2\.1-xsd"
    ) as e:
        Validator(cache=tmp_path).validate(xml)
    assert isinstance(e.value, UblError)


def test_a_missing_stylesheet_bundle_raises_too(tmp_path: Path) -> None:
    artifacts.install(["ubl-2.1-xsd"], source_dir=require_shared("validation"), cache=tmp_path)
    xml = require_shared(PEPPOL_EXAMPLE).read_bytes()
    with pytest.raises(ArtifactMissing, match=r"ledgerlink artifacts install peppol-bis3"):
        Validator(cache=tmp_path).validate(xml)


def test_schemas_and_stylesheets_are_compiled_once_and_reused(artifacts_cache: Path) -> None:
    xml = require_shared(PEPPOL_EXAMPLE).read_bytes()
    first = Validator(cache=artifacts_cache)
    assert first.validate(xml).valid
    compiled = _schematron.compilations()
    schemas = dict(_xsd._SCHEMAS)

    second = Validator(cache=artifacts_cache)
    for _ in range(3):
        assert second.validate(xml).valid
        assert first.validate(xml).valid

    assert _schematron.compilations() == compiled
    assert schemas == _xsd._SCHEMAS


# --- the report -------------------------------------------------------------------------------


def test_the_report_has_the_json_shape_of_the_cli(
    validator: Validator, peppol_example: etree._ElementTree
) -> None:
    peppol_example.getroot().remove(peppol_example.find("cbc:IssueDate", NS))
    data = json.loads(json.dumps(validator.validate(_bytes(peppol_example)).to_dict()))
    assert set(data) == {"path", "valid", "profile", "issues"}
    assert (data["path"], data["valid"], data["profile"]) == ("<bytes>", False, "peppol-bis3")
    keys = {"layer", "rule", "severity", "location", "line", "message", "hint"}
    assert data["issues"] and all(set(issue) == keys for issue in data["issues"])
    assert {issue["layer"] for issue in data["issues"]} == {"xsd", "schematron"}


def test_report_splits_fatal_issues_from_warnings() -> None:
    warning = Finding(
        rule="BR-NL-19", layer="schematron", severity="warning", message="not recommended"
    )
    fatal = Finding(
        rule="SCHEMAV_ELEMENT_CONTENT", layer="xsd", location="/*/cbc:X", line=3, message="x"
    )
    assert Report("a.xml", "nlcius", (warning,)).valid
    report = Report("a.xml", "nlcius", (warning, fatal))
    assert (report.valid, report.fatal, report.warnings) == (False, (fatal,), (warning,))


# --- locations ----------------------------------------------------------------------------------

LOCATED = b"""<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:ID>1</cbc:ID>
  <cac:InvoiceLine><cbc:ID>1</cbc:ID></cac:InvoiceLine>
  <cac:InvoiceLine>
    <cbc:ID>2</cbc:ID>
    <cbc:InvoicedQuantity unitCode="C62">1</cbc:InvoicedQuantity>
  </cac:InvoiceLine>
</Invoice>"""
_LINE_2 = f"{_ROOT}/*:InvoiceLine[namespace-uri()='{CAC}'][2]"


@pytest.mark.parametrize(
    ("location", "line"),
    [
        (_ROOT, 3),  # libxml2 numbers an element by the line where its start tag ends
        (f"{_LINE_2}/*:InvoicedQuantity[namespace-uri()='{CBC}'][1]", 8),
        (f"/Q{{{INVOICE}}}Invoice[1]/Q{{{CAC}}}InvoiceLine[2]/Q{{{CBC}}}ID[1]", 7),
        ("/Invoice/cac:InvoiceLine[2]/cbc:InvoicedQuantity/@unitCode", 8),
        ("/*/cac:InvoiceLine/cbc:ID", 5),
        (f"{_ROOT}/*:InvoiceLine[namespace-uri()='{CAC}'][3]", None),
        ("/Invoice/cac:Nothing", None),
        ("not a path", None),
        ("", None),
    ],
)
def test_locations_translate_to_source_lines(location: str, line: int | None) -> None:
    root = etree.fromstring(LOCATED)
    assert line_of(root, location) == line


def test_a_location_in_another_namespace_does_not_match() -> None:
    root = etree.fromstring(LOCATED)
    assert element_at(root, f"/*:Invoice[namespace-uri()='{CAC}'][1]") is None


def test_fd2_capture_takes_what_is_written_to_descriptor_2_and_restores_it(
    capfd: pytest.CaptureFixture[str],
) -> None:
    import os

    from ubl.validate._stderr import Fd2Capture

    capture = Fd2Capture()
    with capture:
        os.write(2, b"from native code\n")
    os.write(2, b"after\n")
    assert capture.text == "from native code\n"
    assert capfd.readouterr().err == "after\n"
    with capture:  # reused: each block starts empty
        pass
    assert capture.text == ""
    with capture:
        os.write(2, b"not Saxon's\n")
    capture.pass_on()
    assert capfd.readouterr().err == "not Saxon's\n"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork() here")
def test_fd2_capture_in_a_forked_child_does_not_share_the_parents_spool(
    capfd: pytest.CaptureFixture[str],
) -> None:
    # --jobs forks workers from a process that has validated already: a child capturing
    # while the parent captures must not see (or truncate) the parent's text.
    from ubl.validate._stderr import Fd2Capture

    capture = Fd2Capture()
    with capture:  # the parent's spool exists before the fork
        os.write(2, b"before\n")
    inside_read, inside_write = os.pipe()  # child -> parent: "I am inside my capture"
    done_read, done_write = os.pipe()  # parent -> child: "I have captured mine"
    pid = os.fork()
    if pid == 0:  # the child: write inside a capture, then hold it open until told
        with capture:
            os.write(2, b"child\n")
            os.write(inside_write, b"x")
            os.read(done_read, 1)
        os._exit(0 if capture.text == "child\n" else 1)
    os.read(inside_read, 1)
    with capture:
        os.write(2, b"parent\n")
    os.write(done_write, b"x")
    _, status = os.waitpid(pid, 0)
    assert capture.text == "parent\n"
    assert os.waitstatus_to_exitcode(status) == 0
    capfd.readouterr()


def test_validating_imports_neither_the_writer_nor_the_parser_nor_the_model_rules() -> None:
    # `ledgerlink validate` starts a process per run: only the validator is imported (and
    # the finding type from the model, not its document classes), and `ubl.validate` stays the function even after its
    # submodules were imported.
    code = (
        "import sys, ubl, ubl.validate._validator; "
        "print(callable(ubl.validate), sorted(m for m in ('ubl.writer', 'ubl.parser', "
        "'ubl.profiles', 'model.document', 'model.calculation', 'model.codes', 'model.jsonio', "
        "'model.findings') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.strip() == "True ['model.findings']"


def test_the_lazy_names_of_ubl_are_the_parser_and_profile_objects() -> None:
    import ubl
    from ubl import parser, profiles

    assert ubl.parse is parser.parse_document
    assert ubl.ParseResult is parser.ParseResult
    assert (ubl.detect, ubl.Profile) == (profiles.detect, profiles.Profile)
    assert ubl.PROFILE_NAMES == profiles.PROFILE_NAMES
    assert set(ubl.__all__) <= set(dir(ubl))
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = ubl.nothing  # type: ignore[attr-defined]
