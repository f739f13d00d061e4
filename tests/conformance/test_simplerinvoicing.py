"""The SimplerInvoicing test set (2021) by its file-name convention, with full validation.

``SI-UBL-2.0/``: ``SI-UBL-2.0_<RULE>_<ok|error|warning>_<desc>.xml`` or
``SI-UBL-2.0_<ok|error|warning>_<desc>.xml``, validated with
``ubl.validate.validate(path, profile="nlcius")`` (XSD + SI-UBL 2.0.3.13):

* ``ok``: no fatal issue;
* ``error``: the named rule fires as fatal (no rule named: some fatal issue);
* ``warning``: the named rule fires as a warning (none named: some warning), and nothing is
  fatal.

``Peppol-BIS-3/Invoice/``: ``PB3_<RULE>_[<desc>_]<ok|error|warning>.xml``, the Peppol NL
rules, validated by CustomizationID (XSD + CEN + PEPPOL 3.0.21).

SI-UBL 2.0.3.13 splits some rules into one assert per location, ``BR-NL-27-1`` .. ``-4``
(their text still reads ``[BR-NL-27]``): ``RULE-<n>`` counts as ``RULE`` firing.

The set is from 2021 and the rules from 2026: :data:`STALE` lists the files whose
expectation the shipped rules no longer meet, each with its reason; the failing files must
be exactly those. :data:`NOT_COVERED` names the folders this test cannot run, and why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pytest
from support.shared import SHARED, require_shared

from ubl.artifacts import load_manifest
from ubl.validate import Report, validate

TESTS = SHARED / "validation/nlcius/tests"
SI_UBL = "SI-UBL-2.0"
PEPPOL = "Peppol-BIS-3/Invoice"
NAMES: Final = {
    SI_UBL: re.compile(
        r"SI-UBL-2\.0_(?:(?P<rule>[^_]+)_)??(?P<expect>ok|error|warning)(_.*)?\.xml"
    ),
    PEPPOL: re.compile(r"PB3_(?P<rule>[^_]+)_(?:.*_)?(?P<expect>ok|error|warning)\.xml"),
}
PROFILES: Final = {SI_UBL: "nlcius", PEPPOL: "auto"}

NOT_COVERED: Final = {
    "si-ubl-2.0-ext-gaccount": (
        "needs si-ubl-2.0-ext-gaccount-1.0.2.12.xsl (G-account extension), which no pinned "
        "artifact bundle provides"
    ),
    "general": (
        "SI-UBL 1.x version-routing tests (SI-UBL 1.1 / 1.1.3 documents, pre-EN 16931); no "
        "SI-UBL 1.x rules are shipped"
    ),
}
"""Folders of nlcius/tests this test does not run -> why."""

_SAXON_ON_TWO_NAMES = (
    "two cac:PartyLegalEntity/cbc:RegistrationName make the official SI-UBL 2.0.3.13 XSLT "
    "stop with XPTY0004 (normalize-space() of two items) before {rule} can fire; the "
    "document is rejected with a fatal SAXON-ERROR instead"
)
_BR_NL_34_IDS = (
    "the SI-UBL 2.0.3.13 asserts for BR-NL-34 (charge reason code) carry the ids "
    "BR-NL-32-1..3 (their text reads [BR-NL-34]), so BR-NL-34 never fires by id; "
    "BR-NL-32-1 fires as a warning instead"
)


@dataclass(frozen=True, slots=True)
class Stale:
    """Why a file's expectation no longer holds, and the rule that fires in its place with
    the expected severity (None: the document is valid)."""

    reason: str
    instead: str | None


STALE: Final = {
    f"{SI_UBL}/SI-UBL-2.0_BR-NL-7_error_381_invoice.xml": Stale(
        "BR-NL-7 now allows type code 381 (380, 381, 384, 389); an Invoice with 381 is "
        "rejected by BR-NL-8 (381 must use the CreditNote scheme) instead",
        "BR-NL-8",
    ),
    f"{SI_UBL}/SI-UBL-2.0_BR-NL-34_warning_reasoncode.xml": Stale(_BR_NL_34_IDS, "BR-NL-32-1"),
    f"{SI_UBL}/SI-UBL-2.0_BR-NL-34_warning_reasoncode_line.xml": Stale(_BR_NL_34_IDS, "BR-NL-32-1"),
    f"{SI_UBL}/SI-UBL-2.0_UBL-SR-09_error_multiple_legalentity_registrationname.xml": Stale(
        _SAXON_ON_TWO_NAMES.format(rule="UBL-SR-09"), "SAXON-ERROR"
    ),
    f"{SI_UBL}/SI-UBL-2.0_UBL-SR-15_error_multiple_legalentity_registrationname.xml": Stale(
        _SAXON_ON_TWO_NAMES.format(rule="UBL-SR-15"), "SAXON-ERROR"
    ),
    f"{PEPPOL}/PB3_NL-R-002_error.xml": Stale(
        "Peppol 3.0.21 applies NL-R-002 when the supplier's postal address country is NL "
        "($supplierCountryIsNL); this supplier has an NL VAT number but a BE address, so the "
        "missing street, city and post code are no longer checked and the document is valid",
        None,
    ),
}
"""Files (under nlcius/tests) whose 2021 expectation the shipped rules do not meet."""


@dataclass(frozen=True, slots=True)
class Case:
    """One file and what its name expects."""

    folder: str
    path: Path
    rule: str | None
    expect: str

    @property
    def name(self) -> str:
        return f"{self.folder}/{self.path.name}"


def _cases() -> list[Case]:
    cases = []
    for folder, pattern in NAMES.items():
        base = TESTS / folder
        for path in sorted(base.glob("*.xml")) if base.is_dir() else []:
            match = pattern.fullmatch(path.name)
            if match is None:
                raise ValueError(f"{path} does not follow the file-name convention")
            cases.append(Case(folder, path, match["rule"], match["expect"]))
    return cases


CASES = _cases()


def _fired(report: Report, rule: str | None, severity: str) -> bool:
    """Whether ``rule`` (or, if None, any rule) fired with ``severity``."""
    return any(
        issue.severity == severity
        and (rule is None or re.fullmatch(rf"{re.escape(rule)}(-[0-9]+)?", issue.rule))
        for issue in report.issues
    )


def _meets(case: Case, report: Report) -> bool:
    if case.expect == "ok":
        return report.valid
    if case.expect == "error":
        return _fired(report, case.rule, "fatal")
    return report.valid and _fired(report, case.rule, "warning")


@pytest.mark.parametrize("case", CASES or [None], ids=[c.name for c in CASES] or ["no-shared"])
def test_the_file_meets_its_name_unless_stale(artifacts_cache: Path, case: Case | None) -> None:
    assert case is not None
    report = validate(case.path, profile=PROFILES[case.folder])
    issues = "\n".join(f"{i.severity} {i.rule}: {i.message}" for i in report.issues)
    stale = STALE.get(case.name)
    if stale is not None:
        assert not _meets(case, report), f"listed stale but passes: {stale.reason}"
        if stale.instead is None:
            assert report.valid, issues
        else:
            severity = "warning" if case.expect == "warning" else "fatal"
            assert _fired(report, stale.instead, severity), issues
    else:
        assert _meets(case, report), f"expected {case.expect} {case.rule or ''}, got:\n{issues}"


def test_the_set_is_covered_except_the_folders_named() -> None:
    require_shared("validation/nlcius/tests")
    folders = {path.parent.relative_to(TESTS).as_posix() for path in TESTS.rglob("*.xml")}
    assert folders == set(NAMES) | set(NOT_COVERED)
    assert set(STALE) <= {case.name for case in CASES}
    counts = {e: sum(c.expect == e for c in CASES) for e in ("ok", "error", "warning")}
    assert sum(counts.values()) == 95 + 9, counts  # README: SI-UBL-2.0 95 files, Peppol 9
    print(f"SimplerInvoicing: {counts}, {len(STALE)} stale")


def test_no_bundle_ships_the_gaccount_rules() -> None:
    """When a bundle ships the G-account XSL, its folder must be covered instead."""
    paths = [file.path for bundle in load_manifest().bundles for file in bundle.files]
    assert not [path for path in paths if "gaccount" in path]
