"""What a parse returns: the model and the report of content EN 16931 does not cover."""

from __future__ import annotations

from dataclasses import dataclass

from model.document import Invoice
from model.findings import Finding

__all__ = ["ParseResult"]


@dataclass(frozen=True, slots=True)
class ParseResult:
    """The parsed model (BG-0), the report of uncovered content, and the source name.

    ``report`` holds one :class:`~model.findings.Finding` per element or attribute the
    EN 16931 binding does not map: layer ``parse``, severity ``warning``, ``location`` its
    path (``/Invoice/cbc:UBLVersionID``, ``.../cbc:ID/@schemeID``), ``line`` its line and a
    rule id saying what was done with it (see :mod:`ubl.parser._engine`).
    """

    document: Invoice
    report: tuple[Finding, ...]
    source: str  # file name or "<bytes>"
