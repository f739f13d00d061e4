"""The official Peppol BIS Billing 3.0 rule unit tests pass, except the stale ones listed.

Every ``<test>`` of ``peppol-bis3/tests/unit-UBL-*`` (VEFA format) runs the stylesheets its
configuration names in ``buildconfig.xml`` (``peppolbis-en16931-base-3.0-ubl``: the PEPPOL
rules; ``peppolbis-en16931-01-3.0-ubl-invoice``: CEN + PEPPOL), from the ``peppol-bis3``
bundle, Schematron only (the inline documents are fragments).

The tests are from Peppol 3.0.19, the rules from 3.0.21. :data:`STALE` lists each test
whose expectation the newer rules changed, with the reason read from the rule in
``peppol-bis3/sch/PEPPOL-EN16931-UBL.sch``; the set of failing tests must be exactly that
list, so an entry that starts passing fails too.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from conformance.vefa import (
    NS,
    Outcome,
    configurations,
    parse_testset,
    run_testset,
    schematron_firings,
)
from lxml import etree
from support.shared import SHARED, require_shared

from ubl.validate import SCENARIOS, Artifact, Validator

TESTS = SHARED / "validation/peppol-bis3/tests"
FILES = sorted(TESTS.glob("unit-UBL-*/*.xml")) if TESTS.is_dir() else []

_DK_R_003 = (
    "DK-R-003 (UNSPSC ItemClassificationCode listVersionID must be 19.05.01 or 26.08.01) is "
    'flag="fatal" in 3.0.21 (PEPPOL-EN16931-UBL.sch, Danish line rules); the 3.0.19 test '
    "still expects a warning, and it fires as an error"
)
STALE: dict[tuple[str, int], str] = {
    ("unit-UBL-DK/DK_Validation_DKR003.xml", 10): _DK_R_003,
    ("unit-UBL-DK/DK_Validation_DKR003.xml", 11): _DK_R_003,
    ("unit-UBL-DK/DK_Validation_DKR003.xml", 12): _DK_R_003,
}
"""(file under tests/, 1-based test index) -> why its 3.0.19 expectation no longer holds."""


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def _stylesheets_by_configuration() -> dict[str, Sequence[Artifact]]:
    """Each UBL configuration of buildconfig.xml -> the bundle stylesheets compiled from its
    .sch files (``sch/X.sch`` is ``xslt/X.xslt`` in the ``peppol-bis3`` bundle)."""
    by_stem = {Path(a.pattern).stem: a for a in SCENARIOS["peppol-bis3"].stylesheets}
    return {
        name: tuple(by_stem[Path(sch).stem] for sch in files)
        for name, files in configurations(TESTS / "buildconfig.xml").items()
        if files and all(Path(sch).stem in by_stem for sch in files)
    }


@pytest.fixture(scope="module")
def outcomes(artifacts_cache: Path) -> dict[Path, list[Outcome]]:
    """Every test of every file, run once: file -> one outcome per ``<test>``."""
    require_shared("validation/peppol-bis3/tests/buildconfig.xml")
    fire = schematron_firings(Validator(cache=artifacts_cache), _stylesheets_by_configuration())
    return {path: run_testset(parse_testset(path), fire) for path in FILES}


def test_the_configurations_map_to_the_bundle_stylesheets() -> None:
    require_shared("validation/peppol-bis3/tests/buildconfig.xml")
    [cen, peppol] = SCENARIOS["peppol-bis3"].stylesheets
    stylesheets = _stylesheets_by_configuration()
    assert stylesheets["peppolbis-en16931-base-3.0-ubl"] == (peppol,)
    assert stylesheets["peppolbis-en16931-01-3.0-ubl-invoice"] == (cen, peppol)
    used = {parse_testset(path).configuration for path in FILES}
    assert used <= set(stylesheets), used - set(stylesheets)


@pytest.mark.parametrize("path", FILES or [None], ids=[_id(p) for p in FILES] or ["no-shared"])
def test_every_test_of_the_file_passes_unless_stale(
    outcomes: dict[Path, list[Outcome]], path: Path | None
) -> None:
    assert path is not None
    name = _id(path) + path.suffix
    stale = {index: reason for (file, index), reason in STALE.items() if file == name}
    failed = {o.index: o for o in outcomes[path] if not o.passed}
    unexpected = [str(o) for index, o in failed.items() if index not in stale]
    now_passing = [
        f"test {index} is listed stale but passes: {why}"
        for index, why in stale.items()
        if index not in failed
    ]
    assert not unexpected + now_passing, "\n".join(unexpected + now_passing)


def test_every_test_found_ran_and_every_stale_entry_names_one(
    outcomes: dict[Path, list[Outcome]],
) -> None:
    found = sum(len(etree.parse(path).getroot().findall(f"{{{NS}}}test")) for path in FILES)
    ran = sum(len(results) for results in outcomes.values())
    tests = {(_id(o.path) + o.path.suffix, o.index) for r in outcomes.values() for o in r}
    assert set(STALE) <= tests, set(STALE) - tests
    passed = sum(o.passed for results in outcomes.values() for o in results)
    summary = (
        f"Peppol UBL unit tests: {len(FILES)} files, {found} found, {ran} ran, "
        f"{passed} passed, {len(STALE)} stale"
    )
    assert (len(FILES), found, passed) == (144, ran, ran - len(STALE)), summary
    print(summary)
