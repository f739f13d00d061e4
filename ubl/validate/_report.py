"""The validation report: one :class:`Issue` per finding, grouped in a :class:`Report`.

``Report.to_dict()`` is the per-document JSON object of ``ledgerlink validate --format json``::

    {"path": str, "valid": bool, "profile": str,
     "issues": [{"layer", "rule", "severity", "location", "line", "message", "hint"}]}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

__all__ = ["Issue", "IssueDict", "Layer", "Report", "ReportDict", "Severity"]

Layer: TypeAlias = Literal["xsd", "schematron", "input"]
Severity: TypeAlias = Literal["fatal", "warning"]
IssueDict: TypeAlias = dict[str, str | int | None]
ReportDict: TypeAlias = dict[str, str | bool | list[IssueDict]]


@dataclass(frozen=True, slots=True)
class Issue:
    """One finding about a document.

    ``layer``: ``input`` (the bytes are no XML document we may read), ``xsd`` (UBL 2.1
    schema) or ``schematron`` (the official business rules). ``rule``: the rule id
    (``BR-CO-10``), the lxml schema error type (``SCHEMAV_ELEMENT_CONTENT``) or one of our
    own (``SAXON-ERROR``, ``UNKNOWN-CUSTOMIZATION-ID``, ...). ``location``: an XPath to the
    node concerned; ``line``: its 1-based line in the document, where known. ``hint``: a
    short fix for the most common rules.
    """

    layer: Layer
    rule: str
    severity: Severity
    location: str | None
    line: int | None
    message: str
    hint: str | None = None

    def to_dict(self) -> IssueDict:
        """The JSON object of this issue (``hint`` is null when there is none)."""
        return {
            "layer": self.layer,
            "rule": self.rule,
            "severity": self.severity,
            "location": self.location,
            "line": self.line,
            "message": self.message,
            "hint": self.hint,
        }


@dataclass(frozen=True, slots=True)
class Report:
    """Every issue found in one document (``source``: its path, or ``<bytes>``).

    ``profile`` is the scenario the document was checked under (``peppol-bis3``,
    ``nlcius``, ``en16931``), or the one asked for when the input could not be read.
    """

    source: str
    profile: str
    issues: tuple[Issue, ...]

    @property
    def valid(self) -> bool:
        """True when no issue is fatal (warnings do not fail a document)."""
        return not any(issue.severity == "fatal" for issue in self.issues)

    @property
    def fatal(self) -> tuple[Issue, ...]:
        return tuple(issue for issue in self.issues if issue.severity == "fatal")

    @property
    def warnings(self) -> tuple[Issue, ...]:
        return tuple(issue for issue in self.issues if issue.severity == "warning")

    def to_dict(self) -> ReportDict:
        """The document's JSON object: ``{"path", "valid", "profile", "issues"}``."""
        return {
            "path": self.source,
            "valid": self.valid,
            "profile": self.profile,
            "issues": [issue.to_dict() for issue in self.issues],
        }
