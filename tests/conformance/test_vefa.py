"""The VEFA test runner itself: testSet parsing, buildconfig resolution and the expectation
semantics of anskaffelser/vefa-validator (no shared files needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conformance.vefa import Expectations, configurations, evaluate, parse_testset, run_testset
from lxml import etree

INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"

TESTSET = f"""<?xml version="1.0" encoding="UTF-8"?>
<!-- licence header -->
<testSet xmlns="http://difi.no/xsd/vefa/validator/1.0" configuration="tc434-ubl">
  <assert>
    <description>shared description</description>
    <scope>BR-01</scope>
    <scope>BR-02</scope>
  </assert>
  <test>
    <assert>
      <description>Trigger   BR-01
        twice</description>
      <error number="2">BR-01</error>
      <success>BR-02</success>
    </assert>
    <Invoice xmlns:cbc="{CBC}" xmlns="{INVOICE}">
      <cbc:ID>1</cbc:ID>
    </Invoice>
  </test>
  <test configuration="other">
    <assert><warning>BR-02</warning></assert>
    <!-- a comment before the document -->
    <ubl:Invoice xmlns:ubl="{INVOICE}"/>
  </test>
</testSet>
"""


@pytest.fixture
def testset_file(tmp_path: Path) -> Path:
    path = tmp_path / "BR-01.xml"
    path.write_text(TESTSET, encoding="utf-8")
    return path


def test_a_testset_gives_each_test_its_expectations_scope_and_document(testset_file: Path) -> None:
    testset = parse_testset(testset_file)

    assert testset.configuration == "tc434-ubl"
    first, second = testset.tests
    assert (first.index, first.description) == (1, "Trigger BR-01 twice")
    assert first.scope == {"BR-01", "BR-02"}
    assert first.expectations == Expectations(success=frozenset({"BR-02"}), error={"BR-01": 2})
    assert (second.configuration, second.description) == ("other", "shared description")
    assert second.scope == {"BR-01", "BR-02"}  # the testSet's scope applies to every test
    assert second.expectations.warning == {"BR-02": 1}


def test_the_inline_document_is_a_standalone_document_with_its_namespaces(
    testset_file: Path,
) -> None:
    first, second = parse_testset(testset_file).tests

    root = etree.fromstring(first.document)
    assert root.tag == f"{{{INVOICE}}}Invoice"
    assert root.findtext(f"{{{CBC}}}ID") == "1"
    assert first.document.startswith(b"<?xml")
    assert etree.fromstring(second.document).tag == f"{{{INVOICE}}}Invoice"


def test_a_file_that_is_no_testset_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "doc.xml"
    path.write_bytes(f'<Invoice xmlns="{INVOICE}"/>'.encode())
    with pytest.raises(ValueError, match="not a VEFA testSet"):
        parse_testset(path)


ERROR_TWICE = Expectations(error={"BR-01": 2})


@pytest.mark.parametrize(
    ("expectations", "scope", "fired", "mismatches"),
    [
        (ERROR_TWICE, {"BR-01"}, [("BR-01", "fatal")] * 2, []),
        (ERROR_TWICE, {"BR-01"}, [("BR-01", "fatal")], ["BR-01 (error) not fired 1 more time(s)"]),
        (
            ERROR_TWICE,
            {"BR-01"},
            [("BR-01", "fatal")] * 3,
            ["BR-01 fired unexpectedly as error 1 time(s)"],
        ),
        (
            ERROR_TWICE,
            {"BR-01"},
            [("BR-01", "warning")] * 2,
            [
                "BR-01 (error) not fired 2 more time(s)",
                "BR-01 fired unexpectedly as warning 2 time(s)",
            ],
        ),
        # out-of-scope firings do not count; without a scope every firing counts
        (ERROR_TWICE, {"BR-01"}, [("BR-01", "fatal")] * 2 + [("BR-99", "fatal")], []),
        (
            ERROR_TWICE,
            set(),
            [("BR-01", "fatal")] * 2 + [("BR-99", "warning")],
            ["BR-99 fired unexpectedly as warning 1 time(s)"],
        ),
        (Expectations(success=frozenset({"BR-01"})), {"BR-01"}, [], []),
        (
            Expectations(success=frozenset({"BR-01"})),
            {"BR-01"},
            [("BR-01", "warning")],
            ["BR-01 must not fire, fired 1 time(s)"],
        ),
        (Expectations(warning={"BR-01": 1}), {"BR-01"}, [("BR-01", "warning")], []),
        # SVRL fatal is a VEFA error, so Schematron never meets a <fatal> expectation
        (
            Expectations(fatal={"BR-01": 1}),
            {"BR-01"},
            [("BR-01", "fatal")],
            [
                "BR-01 (fatal) not fired 1 more time(s)",
                "BR-01 fired unexpectedly as error 1 time(s)",
            ],
        ),
        (
            Expectations(),
            {"BR-01"},
            [("BR-01", "information")],
            ["BR-01 fired unexpectedly as unknown 1 time(s)"],
        ),
    ],
    ids=[
        "error-exactly-n",
        "error-too-few",
        "error-too-many",
        "error-with-warning-flag",
        "out-of-scope-ignored",
        "no-scope-counts-all",
        "success-silent",
        "success-fired",
        "warning",
        "fatal-expectation",
        "unknown-flag",
    ],
)
def test_evaluate_follows_the_vefa_semantics(
    expectations: Expectations, scope: set[str], fired: list[tuple[str, str]], mismatches: list[str]
) -> None:
    assert evaluate(expectations, scope, fired) == mismatches


def test_run_testset_fails_a_test_whose_rules_did_not_run(testset_file: Path) -> None:
    def fire(document: bytes, configuration: str) -> list[tuple[str, str]] | str:
        if configuration == "other":
            return "rules did not run: SAXON-ERROR"
        return [("BR-01", "fatal"), ("BR-01", "fatal")]

    first, second = run_testset(parse_testset(testset_file), fire)

    assert first.passed
    assert second.mismatches == ("rules did not run: SAXON-ERROR",)
    assert str(second).startswith("BR-01.xml test 2 (shared description): rules did not run")


def test_a_buildconfig_configuration_runs_its_files_and_those_it_inherits(tmp_path: Path) -> None:
    path = tmp_path / "buildconfig.xml"
    path.write_text(
        """<buildConfigurations xmlns="http://difi.no/xsd/vefa/validator/1.0">
          <configuration><identifier>cen</identifier><file path="sch/CEN.sch"/></configuration>
          <configuration><identifier>base</identifier><file path="sch/PEPPOL.sch"/></configuration>
          <configuration><identifier>style</identifier>
            <stylesheet identifier="x" path="stylesheet/x.xslt"/></configuration>
          <configuration><identifier>full</identifier>
            <inherit>ubl-invoice-2.1</inherit><inherit>cen</inherit>
            <inherit>base</inherit><inherit>style</inherit></configuration>
        </buildConfigurations>""",
        encoding="utf-8",
    )

    assert configurations(path) == {
        "cen": ("sch/CEN.sch",),
        "base": ("sch/PEPPOL.sch",),
        "style": (),
        "full": ("sch/CEN.sch", "sch/PEPPOL.sch"),
    }
