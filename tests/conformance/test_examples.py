"""Every official example, test file and snippet validates clean (no fatal issue) with
``ubl.validate.validate`` (scenario by CustomizationID), except the documents listed in
:data:`KNOWN_FAILURES`, which fail exactly the rules listed there for the reason given.

Most of ``en16931/tests/testfiles`` are Swedish Peppol BIS documents (CustomizationID
``...poacc:billing:3.0``), so the Peppol 3.0.21 rules run on them, and their placeholder
identifiers fail the check-digit rules.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import pytest
from support.shared import SHARED, require_shared

from ubl.validate import validate

VALIDATION = SHARED / "validation"
FOLDERS: Final = (
    "en16931/examples",
    "en16931/tests/testfiles",
    "peppol-bis3/examples",  # with national/GR and national/NO
    "peppol-bis3/tests/snippets",
)
DOCUMENTS = sorted(
    path
    for folder in FOLDERS
    if (VALIDATION / folder).is_dir()
    for path in (VALIDATION / folder).rglob("*")
    if path.is_file() and path.suffix.lower() == ".xml"
)

_SE_ORGNR = (
    "placeholder Swedish organisation numbers (schemeID 0007, e.g. 9876543210, 1234567890) "
    "fail the Luhn check digit of PEPPOL-COMMON-R049 (fatal)"
)
_SE_LEGAL = (
    "the Swedish seller's cac:PartyLegalEntity/cbc:CompanyID is a placeholder that fails "
    "the Luhn check digit of SE-R-013 (fatal)"
)
_GLN = (
    "placeholder GLNs (schemeID 0088, e.g. 9876543210987, 1230123456789) fail the GS1 check "
    "digit of PEPPOL-COMMON-R040 (fatal)"
)
_GR_ORDER = (
    "Peppol 3.0.19 national example: cac:AdditionalDocumentReference comes after "
    "cac:AccountingCustomerParty, against the UBL 2.1 element order (XSD)"
)

R049: Final = {"PEPPOL-COMMON-R049": _SE_ORGNR}
R049_SE: Final = {**R049, "SE-R-013": _SE_LEGAL}
R040_R049_SE: Final = {**R049_SE, "PEPPOL-COMMON-R040": _GLN}
_TESTFILES = "en16931/tests/testfiles"
KNOWN_FAILURES: Final[dict[str, dict[str, str]]] = {
    "en16931/examples/issue116.xml": R049,
    f"{_TESTFILES}/BIS_Billing_30-DataIT.xml": R049_SE,
    f"{_TESTFILES}/BIS_Billing_30-Elhandel.xml": {**R049, "PEPPOL-COMMON-R040": _GLN},
    f"{_TESTFILES}/BIS_Billing_30-Elnat.xml": R049,
    f"{_TESTFILES}/BIS_Billing_30-Factoring.xml": R049_SE,
    f"{_TESTFILES}/BIS_Billing_30-Forskott_(ej moms).xml": R049_SE,
    f"{_TESTFILES}/BIS_Billing_30-Forskott_slutreglering.xml": R049_SE,
    f"{_TESTFILES}/BIS_Billing_30-Hyrbil.xml": R049_SE,
    f"{_TESTFILES}/BIS_Billing_30-Inkopskort.xml": R049_SE,
    f"{_TESTFILES}/BIS_Billing_30-Kreditering_(urspr_faktura).xml": R040_R049_SE,
    f"{_TESTFILES}/BIS_Billing_30-Kreditering_med_kreditnota.xml": R040_R049_SE,
    f"{_TESTFILES}/BIS_Billing_30-Kreditering_med_negativ_faktura.xml": R040_R049_SE,
    f"{_TESTFILES}/BIS_Billing_30-OmvandSkattskyldighet.xml": R049_SE,
    f"{_TESTFILES}/BIS_Billing_30-Rabatter_och_avgifter.xml": R040_R049_SE,
    f"{_TESTFILES}/BIS_Billing_30-Rantefaktura_Enkel.xml": R049_SE,
    f"{_TESTFILES}/BIS_Billing_30-Rantefaktura_Saml.xml": R049_SE,
    f"{_TESTFILES}/BIS_Billing_30-Resor_Bokning.xml": R049_SE,
    f"{_TESTFILES}/BIS_Billing_30-Resor_Taxi.xml": R049,
    f"{_TESTFILES}/BIS_Billing_30-Telefoni.xml": R049,
    f"{_TESTFILES}/BIS_Billing_30-Tjanster_Bevakning.xml": R040_R049_SE,
    f"{_TESTFILES}/BIS_Billing_30-Tjanster_Kopiering.xml": R049,
    f"{_TESTFILES}/BIS_Billing_30-Valutor i faktura.xml": R049_SE,
    f"{_TESTFILES}/CreditNote-Max_content.xml": R049_SE,
    f"{_TESTFILES}/CreditNote-Min_content_with_VAT.xml": R049,
    f"{_TESTFILES}/CreditNote-Min_content_without_VAT.xml": R049_SE,
    f"{_TESTFILES}/Invoice-Max_content.xml": R049_SE,
    f"{_TESTFILES}/Invoice-Min_content_with_VAT.xml": R049,
    f"{_TESTFILES}/Invoice-Min_content_without_VAT.xml": R049_SE,
    "peppol-bis3/examples/national/GR/GR-base-example-correct.xml": {
        "SCHEMAV_ELEMENT_CONTENT": _GR_ORDER
    },
    "peppol-bis3/examples/national/GR/GR-base-example-TaxRepresentative.xml": {
        "SCHEMAV_ELEMENT_CONTENT": _GR_ORDER,
        "BR-06": (
            "the seller party has no cac:PartyLegalEntity, so no seller name (BT-27, "
            "cbc:RegistrationName)"
        ),
    },
}
"""Document (under SHARED/validation) -> each fatal rule it fails in the shipped rule
versions -> why."""


def _name(path: Path) -> str:
    return path.relative_to(VALIDATION).as_posix()


@pytest.mark.parametrize(
    "path", DOCUMENTS or [None], ids=[_name(p) for p in DOCUMENTS] or ["no-shared"]
)
def test_the_document_validates_clean_unless_known(
    artifacts_cache: Path, path: Path | None
) -> None:
    assert path is not None
    report = validate(path)
    fatal = {issue.rule for issue in report.fatal}
    known = KNOWN_FAILURES.get(_name(path), {})
    details = "\n".join(f"{i.layer} {i.rule} line {i.line}: {i.message}" for i in report.fatal)
    assert fatal == set(known), f"{report.profile}: expected {sorted(known)}, got:\n{details}"


def test_every_known_failure_names_a_document() -> None:
    require_shared("validation")
    names = {_name(path) for path in DOCUMENTS}
    assert set(KNOWN_FAILURES) <= names, set(KNOWN_FAILURES) - names
    print(f"examples: {len(DOCUMENTS)} documents, {len(DOCUMENTS) - len(KNOWN_FAILURES)} clean")
