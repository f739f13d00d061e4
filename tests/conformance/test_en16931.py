"""The official EN 16931 UBL rule unit tests (CEN/TC 434, validation 1.3.16) all pass.

Every ``<test>`` of ``en16931/tests/Invoice-unit-UBL`` and ``CreditNote-unit-UBL`` (VEFA
format, configuration ``tc434-ubl``) runs against the EN 16931 CEN stylesheet of the
``en16931-ubl`` bundle, Schematron only: the inline documents are fragments. The whole
suite runs once per module; each file is one test that lists every mismatching test.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conformance.vefa import NS, Outcome, parse_testset, run_testset, schematron_firings
from lxml import etree
from support.shared import SHARED, require_shared

from ubl.validate import SCENARIOS, Validator

TESTS = SHARED / "validation/en16931/tests"
FOLDERS = ("Invoice-unit-UBL", "CreditNote-unit-UBL")
FILES = sorted(
    p for folder in FOLDERS if (TESTS / folder).is_dir() for p in (TESTS / folder).glob("*.xml")
)
ISSUE_COUNT = 1131
"""The number of tests the issue names (and README: 206 + 71 files)."""
CONFIGURATION = "tc434-ubl"


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


@pytest.fixture(scope="module")
def outcomes(artifacts_cache: Path) -> dict[Path, list[Outcome]]:
    """Every test of every file, run once: file -> one outcome per ``<test>``."""
    require_shared("validation/en16931/tests")
    fire = schematron_firings(
        Validator(cache=artifacts_cache), {CONFIGURATION: SCENARIOS["en16931"].stylesheets}
    )
    results = {}
    for path in FILES:
        testset = parse_testset(path)
        assert testset.configuration == CONFIGURATION, path
        results[path] = run_testset(testset, fire)
    return results


@pytest.mark.parametrize("path", FILES or [None], ids=[_id(p) for p in FILES] or ["no-shared"])
def test_every_test_of_the_file_passes(
    outcomes: dict[Path, list[Outcome]], path: Path | None
) -> None:
    assert path is not None
    failed = [str(outcome) for outcome in outcomes[path] if not outcome.passed]
    assert not failed, f"{len(failed)} of {len(outcomes[path])} tests fail:\n" + "\n".join(failed)


def test_every_test_found_ran(outcomes: dict[Path, list[Outcome]]) -> None:
    found = sum(len(etree.parse(path).getroot().findall(f"{{{NS}}}test")) for path in FILES)
    ran = sum(len(results) for results in outcomes.values())
    passed = sum(outcome.passed for results in outcomes.values() for outcome in results)
    summary = (
        f"EN16931 UBL unit tests: {len(FILES)} files, {found} found, {ran} ran, {passed} passed"
    )
    assert (len(FILES), found, ran) == (277, ISSUE_COUNT, ISSUE_COUNT), summary
    print(summary)
