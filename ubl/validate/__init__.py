"""Validate UBL 2.1 Invoices and CreditNotes: the UBL 2.1 XSD plus the official Schematron
(EN 16931, Peppol BIS Billing 3.0, NLCIUS / SI-UBL 2.0), as CI and the sync engine need it::

    from ubl.validate import validate

    report = validate("invoice.xml")        # bytes, a path, or a parsed lxml tree
    if not report.valid:
        for finding in report.fatal:     # model.findings.Finding
            print(finding.line, finding.rule, finding.message, finding.hint)

The document's CustomizationID (BT-24) picks the scenario (``profile="auto"``):

* Peppol BIS Billing 3.0: XSD + CEN + PEPPOL rules (bundle ``peppol-bis3``);
* NLCIUS: XSD + SI-UBL 2.0 (bundle ``nlcius``);
* EN 16931: XSD + CEN (bundle ``en16931-ubl``);
* any other id: XSD + CEN, and a warning ``UNKNOWN-CUSTOMIZATION-ID`` naming it (a check
  of ledgerlink's own, not an official rule; its message says so).

``profile="peppol-bis3" | "nlcius" | "en16931"`` forces a scenario. The schemas and
stylesheets come from the artifact bundles of :mod:`ubl.artifacts`; they are loaded and
compiled once per process.

``Validator().schematron(source, SCENARIOS["en16931"].stylesheets)`` runs chosen stylesheets
only (no XSD, no scenario choice): for rule unit tests on fragments, such as the official
VEFA test sets.

Every problem is a :class:`model.findings.Finding` in ``report.issues``: layer ``input``,
``xsd`` or ``schematron``, ``location`` an XPath, ``line``, ``message`` and ``hint``.

Errors: nothing about the document raises. Input that is no XML document we may read (not
XML, empty, binary, a DOCTYPE, over the size limit, unreadable) is one ``input`` finding, and
so is an XML document that is no UBL Invoice or CreditNote (``UBL-ROOT``; the report's
``profile`` is None). A Saxon runtime error is a fatal ``SAXON-ERROR`` finding; a document
nested deeper than Saxon can process is a fatal ``VALIDATOR-LIMIT`` finding. A bundle that is not installed raises
:class:`ArtifactMissing` (a :class:`ubl.errors.UblError`) whose message gives the install
command; an unknown ``profile`` raises ``ValueError``.
"""

from __future__ import annotations

import threading

from model.findings import Finding
from ubl.artifacts import ArtifactMissing
from ubl.validate._hints import COMMAND_LINE_HINTS
from ubl.validate._report import Report
from ubl.validate._scenarios import PROFILES, SCENARIOS, Artifact, Scenario, scenario_for
from ubl.validate._source import DEFAULT_MAX_BYTES, Source
from ubl.validate._validator import DOCUMENT_TYPES, Validator

__all__ = [
    "COMMAND_LINE_HINTS",
    "DEFAULT_MAX_BYTES",
    "DOCUMENT_TYPES",
    "PROFILES",
    "SCENARIOS",
    "Artifact",
    "ArtifactMissing",
    "Finding",
    "Report",
    "Scenario",
    "Source",
    "Validator",
    "default_validator",
    "scenario_for",
    "validate",
]

_default: Validator | None = None
_default_lock = threading.Lock()


def default_validator() -> Validator:
    """The process's shared Validator (default cache and bundle versions)."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Validator()
    return _default


def validate(source: Source, profile: str = "auto", *, document_type: str | None = None) -> Report:
    """Validate one document with the shared default :class:`Validator`; see
    :meth:`Validator.validate`."""
    return default_validator().validate(source, profile, document_type=document_type)
