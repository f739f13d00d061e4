"""What a parse returns: the model and the report of content EN 16931 does not cover."""

from __future__ import annotations

from dataclasses import dataclass

from model.document import (
    Invoice,
)


@dataclass(frozen=True, slots=True)
class ReportEntry:
    """Content of the document that EN 16931 does not cover, with where it was."""

    path: str  # e.g. "/Invoice/cbc:UBLVersionID" or ".../cbc:ID/@schemeID"
    line: int | None
    message: str


@dataclass(frozen=True, slots=True)
class ParseResult:
    """The parsed model, the report of uncovered content, and the source name."""

    document: Invoice
    report: tuple[ReportEntry, ...]
    source: str  # file name or "<bytes>"
