"""Which schema and which official Schematron stylesheets check a document.

As in the KoSIT validator, the document's CustomizationID (BT-24) picks the scenario:

=========================================================  ==========================
CustomizationID                                            runs
=========================================================  ==========================
contains ``urn:fdc:peppol.eu:2017:poacc:billing:3.0``      XSD + CEN + PEPPOL (peppol-bis3)
contains ``nlcius``                                        XSD + SI-UBL (nlcius)
``urn:cen.eu:en16931:2017``                                XSD + CEN (en16931)
anything else, or none                                     XSD + CEN, and a warning
=========================================================  ==========================

Every file lives in an artifact bundle installed by :mod:`ubl.artifacts`; its path inside
the bundle comes from the bundle's manifest entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Final

from ubl._ids import EN16931_CUSTOMIZATION_ID, PEPPOL_BILLING

__all__ = [
    "AUTO",
    "PROFILES",
    "SCENARIOS",
    "SCHEMAS",
    "Artifact",
    "Scenario",
    "scenario_for",
]

XSD_BUNDLE: Final = "ubl-2.1-xsd"
EN16931_BUNDLE: Final = "en16931-ubl"
PEPPOL_BUNDLE: Final = "peppol-bis3"
NLCIUS_BUNDLE: Final = "nlcius"
AUTO: Final = "auto"


@dataclass(frozen=True, slots=True)
class Artifact:
    """A file inside an artifact bundle: ``pattern`` is its path in the bundle, a glob where
    versions name the file differently (SI-UBL 2.0.3.12 ships ``.xsl``, 2.0.3.13 ``.xslt``).
    """

    bundle: str
    pattern: str

    def path_among(self, paths: Iterable[str]) -> str | None:
        """The one path of ``paths`` (a bundle version's files) this artifact is, if any."""
        found = [path for path in paths if fnmatchcase(path, self.pattern)]
        return found[0] if len(found) == 1 else None


@dataclass(frozen=True, slots=True)
class Scenario:
    """A named validation: the profile it reports and the stylesheets it runs, in order."""

    profile: str
    stylesheets: tuple[Artifact, ...]


SCHEMAS: Final = {
    "Invoice": Artifact(XSD_BUNDLE, "xsdrt/maindoc/UBL-Invoice-2.1.xsd"),
    "CreditNote": Artifact(XSD_BUNDLE, "xsdrt/maindoc/UBL-CreditNote-2.1.xsd"),
}
"""The UBL 2.1 runtime schema of each root element."""

_CEN: Final = Artifact(EN16931_BUNDLE, "xslt/EN16931-UBL-validation.xslt")
_PEPPOL_CEN: Final = Artifact(PEPPOL_BUNDLE, "xslt/CEN-EN16931-UBL.xslt")
_PEPPOL: Final = Artifact(PEPPOL_BUNDLE, "xslt/PEPPOL-EN16931-UBL.xslt")
_SI_UBL: Final = Artifact(NLCIUS_BUNDLE, "xslt/si-ubl-*.xsl*")

SCENARIOS: Final = {
    "peppol-bis3": Scenario("peppol-bis3", (_PEPPOL_CEN, _PEPPOL)),
    "nlcius": Scenario("nlcius", (_SI_UBL,)),
    "en16931": Scenario("en16931", (_CEN,)),
}
PROFILES: Final = (AUTO, *SCENARIOS)
"""The values ``profile=`` accepts."""


def scenario_for(customization_id: str | None) -> tuple[Scenario, bool]:
    """The scenario of a CustomizationID (BT-24), and whether the id is one we know.

    An unknown id (or none) is checked against EN 16931 alone.
    """
    text = (customization_id or "").strip()
    if PEPPOL_BILLING in text:
        return SCENARIOS["peppol-bis3"], True
    if "nlcius" in text:
        return SCENARIOS["nlcius"], True
    return SCENARIOS["en16931"], text == EN16931_CUSTOMIZATION_ID
