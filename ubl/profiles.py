"""Writer profiles: the ids :func:`ubl.write` puts in a document and the rules it holds the
document to.

A :class:`Profile` names the CustomizationID (BT-24) and ProfileID (BT-23) the writer puts
in the document, and the official rule set the document must then pass (:mod:`ubl.rules`):

* ``peppol-bis3``: Peppol BIS Billing 3.0 = the CEN EN 16931 rules plus PEPPOL-EN16931-*,
  PEPPOL-COMMON-* and, for a Dutch seller, NL-R-*;
* ``en16931``: the CEN EN 16931 rules alone; the document keeps its own ProfileID;
* ``nlcius``: SI-UBL 2.0 (NLCIUS) = the CEN rules plus BR-NL-*. Its ProfileID is the Peppol
  billing process ``urn:fdc:peppol.eu:2017:poacc:billing:01:1.0``: all 94 SI-UBL 2.0 test
  documents of the SimplerInvoicing test set carry it, and the SI-UBL Schematron skips
  BR-NL-23 (no ProfileID) because Peppol needs the id for the SMP lookup.

Each profile also holds the document to the limits of the UBL binding (rule set
``BINDING``): what :mod:`ubl.writer` could not write without losing or changing data.

``resolve("auto", document)`` keeps the document's own ids and holds it to the rules of the
profile they name (:func:`detect`); ids of none of the three (XRechnung, EHF, ...) are held to
the EN 16931 rules. A document read from UBL without a CustomizationID breaks BR-01: that is
the document's own fault. A model a source built itself (CSV, Tryton, model JSON that states
no BT-24) has no ids to keep: :func:`for_built` writes it as :data:`AUTO_DEFAULT`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Final

from model.document import Invoice
from model.findings import Finding
from ubl._ids import (
    EN16931_CUSTOMIZATION_ID,
    NLCIUS_CUSTOMIZATION_ID,
    NLCIUS_PROFILE_ID,
    PEPPOL_BILLING,
    PEPPOL_CUSTOMIZATION_ID,
    PEPPOL_PROFILE_ID,
)
from ubl.rules import RULES, Context, Rule, RuleSet, applicable, check_rules

__all__ = [
    "AUTO_DEFAULT",
    "EN16931_CUSTOMIZATION_ID",
    "NLCIUS_CUSTOMIZATION_ID",
    "NLCIUS_PROFILE_ID",
    "PEPPOL_CUSTOMIZATION_ID",
    "PEPPOL_PROFILE_ID",
    "PROFILE_NAMES",
    "Profile",
    "Rule",
    "detect",
    "for_built",
    "resolve",
    "rules_for",
]

PEPPOL: Final = "peppol-bis3"
EN16931: Final = "en16931"
NLCIUS: Final = "nlcius"
PROFILE_NAMES: Final = (PEPPOL, EN16931, NLCIUS)
AUTO_DEFAULT: Final = PEPPOL
"""What ``auto`` writes a model as that a source built without a CustomizationID (BT-24):
Peppol BIS Billing 3.0, the profile a connection builds when it names none; it holds a Dutch
seller to the NL-R-* rules too."""

_RULE_SETS: Final[dict[str, frozenset[RuleSet]]] = {
    PEPPOL: frozenset({RuleSet.EN16931, RuleSet.PEPPOL, RuleSet.BINDING}),
    EN16931: frozenset({RuleSet.EN16931, RuleSet.BINDING}),
    NLCIUS: frozenset({RuleSet.EN16931, RuleSet.SI_UBL, RuleSet.BINDING}),
}
"""The rule sets each profile holds a document to."""


@cache
def rules_for(name: str) -> tuple[Rule, ...]:
    """The rules of the profile called ``name`` (one of :data:`PROFILE_NAMES`), in order."""
    rule_sets = _RULE_SETS.get(name, frozenset())
    return tuple(rule for rule in RULES if rule.rule_set in rule_sets)


@lru_cache(maxsize=1024)
def _applicable(name: str, present: frozenset[str]) -> tuple[Rule, ...]:
    """The rules of profile ``name`` about a document with the parts ``present``: documents
    alike (same optional groups, VAT categories, schemes, seller country) share the list."""
    return applicable(rules_for(name), present)


@dataclass(frozen=True, slots=True)
class Profile:
    """A writer profile: the ids it writes and the rules a document must pass.

    ``customization_id`` / ``profile_id`` None: keep the document's own BT-24 / BT-23.
    """

    name: str
    customization_id: str | None
    profile_id: str | None

    def check(self, document: Invoice) -> list[Finding]:
        """Every rule of this profile that ``document`` breaks, in registry order: one
        :class:`~model.findings.Finding` (layer ``profile``) per place. The calculation rules
        (BR-CO-10..17) are :func:`ubl.write`'s to add (:mod:`model.calculation`)."""
        context = Context.of(
            document,
            self.customization_id or document.customization_id,
            self.profile_id or document.profile_id,
        )
        return check_rules(_applicable(self.name, context.present), context)


_PROFILES: Final = {
    PEPPOL: Profile(PEPPOL, PEPPOL_CUSTOMIZATION_ID, PEPPOL_PROFILE_ID),
    EN16931: Profile(EN16931, EN16931_CUSTOMIZATION_ID, None),
    NLCIUS: Profile(NLCIUS, NLCIUS_CUSTOMIZATION_ID, NLCIUS_PROFILE_ID),
}


def detect(customization_id: str | None) -> str:
    """The profile whose rules apply to a CustomizationID (BT-24).

    ``peppol-bis3`` when it names the Peppol billing specification, ``nlcius`` when it names
    nlcius, ``en16931`` for anything else (XRechnung, EHF, none at all).
    """
    text = customization_id or ""
    if PEPPOL_BILLING in text:
        return PEPPOL
    if "nlcius" in text:
        return NLCIUS
    return EN16931


def resolve(name: str, document: Invoice) -> Profile:
    """The profile called ``name`` for ``document``.

    ``"auto"``: the profile of the document's own CustomizationID (:func:`detect`) with both
    ids left open, so the writer keeps the document's BT-24 and BT-23. A name of
    :data:`PROFILE_NAMES`: that profile with its own ids. Anything else: ``ValueError``.
    """
    if name == "auto":
        return Profile(detect(document.customization_id), None, None)
    try:
        return _PROFILES[name]
    except KeyError:
        choices = ", ".join(("auto", *PROFILE_NAMES))
        raise ValueError(f"unknown profile {name!r}; expected one of {choices}") from None


def for_built(name: str, document: Invoice) -> str:
    """The profile to write ``document``, a model a source built itself (not read from UBL),
    under the profile setting ``name``: ``name``, but for ``auto`` on a document that states
    no CustomizationID (BT-24), which has no ids of its own to keep, :data:`AUTO_DEFAULT`."""
    if name == "auto" and not document.customization_id:
        return AUTO_DEFAULT
    return name
