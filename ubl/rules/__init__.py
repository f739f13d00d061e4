"""The model-level form of the official rules :func:`ubl.write` refuses a model by.

Each FATAL official rule that the model alone decides has a check here, under its official id
and naming the model field: EN 16931 (CEN 1.3.16) core ``BR-nn``/``BR-CO-nn`` (:mod:`.core`),
the VAT category rules (:mod:`.vat`), the decimals ``BR-DEC-nn`` (:mod:`.decimals`), the code
lists ``BR-CL-nn`` (:mod:`.codelists`), the UBL rules ``UBL-SR``/``UBL-CR`` the model's tuples
could break (:mod:`.syntax`), Peppol BIS 3.0.21 (:mod:`.peppol`) with its code-list rules
``PEPPOL-EN16931-CLnnn`` (:mod:`.peppol_codes`) and the Dutch rules of Peppol
and SI-UBL 2.0.3.13 (:mod:`.nl`). Each check mirrors the official XPath on what
:mod:`ubl.writer` writes (a blank string writes no element; BT-14 alone writes order id "NA"),
so it fires only where the official validation fires: a valid document is never refused.
A rule about an optional part of the document names it as ``needs`` and is skipped without
it, which with the quick tests of :mod:`ubl.rules._base` keeps a check of a 10-line invoice
near 50 µs. What a family deliberately leaves out is in its docstring.

:data:`RULES` holds every rule in a fixed order (the order of the families above), each
tagged with its :class:`RuleSet`; :mod:`ubl.profiles` decides which rule sets a profile holds a
document to. Run the :func:`applicable` ones with :func:`check_rules` on a :meth:`Context.of`
the document: it gives one :class:`model.findings.Finding` (layer ``profile``) per place.
"""

from __future__ import annotations

from typing import Final

from ubl.rules import codelists, core, decimals, nl, peppol, peppol_codes, syntax, vat
from ubl.rules._base import Context, Rule, RuleSet, applicable, check_rules
from ubl.rules.codelists import CODE_LIST_NOTES

__all__ = [
    "CODE_LIST_NOTES",
    "RULES",
    "Context",
    "Rule",
    "RuleSet",
    "applicable",
    "check_rules",
]

RULES: Final[tuple[Rule, ...]] = (
    *core.rules,
    *vat.rules,
    *decimals.rules,
    *codelists.rules,
    *syntax.rules,
    *peppol.rules,
    *peppol_codes.rules,
    *nl.rules,
)
"""Every rule, in the order :meth:`ubl.profiles.Profile.check` reports them."""
