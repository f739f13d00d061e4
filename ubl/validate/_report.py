"""The validation report: one :class:`model.findings.Finding` per problem, grouped in a
:class:`Report`.

The validator's findings have layer ``input`` (the bytes are no XML document we may read),
``xsd`` (the UBL 2.1 schema) or ``schematron`` (the official business rules, and the few
checks of ledgerlink's own made beside them); ``location`` is an XPath to the node
concerned, ``line`` its 1-based line and ``hint`` a short fix where one is known. A
validator finding has no ``field`` (model path): it is about XML, not about the model.

``Report.to_dict()`` is the per-document JSON object of ``ledgerlink validate --format json``::

    {"path": str, "valid": bool, "profile": str | null,
     "issues": [{"layer", "rule", "severity", "location", "line", "message", "hint"}]}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, TypeAlias

from model.findings import Finding

__all__ = ["ISSUE_KEYS", "IssueDict", "Report", "ReportDict", "issue_dict"]

IssueDict: TypeAlias = dict[str, str | int | None]
ReportDict: TypeAlias = dict[str, str | bool | list[IssueDict] | None]

ISSUE_KEYS: Final = ("layer", "rule", "severity", "location", "line", "message", "hint")
"""The keys of a finding in the validator's JSON, in their order (the documented format:
:data:`model.findings.FINDING_KEYS` without ``field``, which a validator finding never has)."""


def issue_dict(finding: Finding) -> IssueDict:
    """The JSON object of one finding in a validation report: the keys of :data:`ISSUE_KEYS`."""
    data = finding.to_dict()
    return {key: data[key] for key in ISSUE_KEYS}


@dataclass(frozen=True, slots=True)
class Report:
    """Every finding about one document (``source``: its path, ``<bytes>`` or ``-`` for
    standard input).

    ``profile`` is the scenario the document was checked under (``peppol-bis3``,
    ``nlcius``, ``en16931``), the one asked for when the input could not be read, or None
    when the document is no UBL Invoice or CreditNote (no scenario applies to it).
    ``issues`` holds the findings, in the order the layers found them.
    """

    source: str
    profile: str | None
    issues: tuple[Finding, ...]

    @property
    def valid(self) -> bool:
        """True when no finding is fatal (warnings do not fail a document)."""
        return not any(finding.fatal for finding in self.issues)

    @property
    def fatal(self) -> tuple[Finding, ...]:
        return tuple(finding for finding in self.issues if finding.fatal)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(finding for finding in self.issues if not finding.fatal)

    def to_dict(self) -> ReportDict:
        """The document's JSON object: ``{"path", "valid", "profile", "issues"}``."""
        return {
            "path": self.source,
            "valid": self.valid,
            "profile": self.profile,
            "issues": [issue_dict(finding) for finding in self.issues],
        }
