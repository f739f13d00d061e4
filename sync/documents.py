"""One source record made into a document: mapped, written as UBL, hashed and validated.

:func:`build` maps a record with the connector (:meth:`connectors.base.DocumentSource.document`),
writes it as UBL under the connection's profile (``auto`` keeps the document's own
CustomizationID, BT-24) and hashes the bytes (:func:`sync.store.keys.content_hash`: the
writer is deterministic, so the hash is the invoice as issued). :func:`validate` runs the
official validation on the bytes. Each step that refuses the record says so as findings
(:class:`model.findings.Finding`):

* :class:`Held`: the connector raised :class:`~connectors.errors.RecordError` (an unmapped
  code, naming the mapping file to edit; a totals mismatch; a file that cannot be read);
* :class:`Refused`: the writer refused the model (a profile or calculation rule, BR-CO-10..17);
* :class:`Built`: the UBL bytes, with the inbound parse report where the source reads UBL.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, get_args, runtime_checkable

from connectors.base import DocumentSource, Record
from connectors.errors import RecordError
from sync.store.keys import content_hash

if TYPE_CHECKING:
    from model import Invoice
    from model.findings import Finding, Layer
    from ubl import ParseResult

__all__ = [
    "Built",
    "Held",
    "ParsingSource",
    "Refused",
    "as_finding",
    "build",
    "held_findings",
    "record_data",
    "record_from",
    "validate",
]


@runtime_checkable
class ParsingSource(Protocol):
    """A source of inbound UBL (``ubl-dir``): it gives the parse report with the model."""

    def parsed(self, record: Record) -> ParseResult: ...


@dataclass(frozen=True, slots=True)
class Built:
    """A record written as UBL: the model, the bytes, their hash, the profile asked for and
    the parse report (None when the document was not read from UBL)."""

    document: Invoice
    ubl: bytes
    content_hash: str
    profile: str
    parse_report: tuple[Finding, ...] | None = None


@dataclass(frozen=True, slots=True)
class Held:
    """A record the connector could not map: why, and the findings (the code, the file)."""

    reason: str
    findings: tuple[Finding, ...]


@dataclass(frozen=True, slots=True)
class Refused:
    """A mapped record the writer refused under the profile: why, and the findings."""

    reason: str
    findings: tuple[Finding, ...]
    document: Invoice | None = field(default=None, repr=False)


def as_finding(item: object, layer: Layer) -> Finding:
    """``item`` (a validator Issue, a writer Breach, a Finding) as a Finding of ``layer``
    unless it names its own."""
    from model.findings import Finding, Layer

    if isinstance(item, Finding):
        return item
    own = getattr(item, "layer", None) or layer
    severity = getattr(item, "severity", "fatal")
    return Finding(
        rule=str(getattr(item, "rule", "UNKNOWN")),
        layer=own if own in get_args(Layer) else layer,
        message=str(getattr(item, "message", None) or getattr(item, "reason", None) or item),
        severity="warning" if severity == "warning" else "fatal",
        field=getattr(item, "field", None),
        location=getattr(item, "location", None),
        line=getattr(item, "line", None),
        hint=getattr(item, "hint", None),
    )


def held_findings(failure: RecordError) -> tuple[Finding, ...]:
    """The findings of a record error: the unmapped code with the mapping file to edit
    (layer ``mapping``), the calculation rules broken, else the error itself (``pull``)."""
    return _record_findings(failure)


def build(source: DocumentSource, record: Record, profile: str) -> Built | Held | Refused:
    """Map ``record``, write it as UBL under ``profile`` and hash the bytes.

    ``auto`` keeps a document's own CustomizationID (BT-24). A document read from UBL that
    states none is refused by BR-01 (its own fault); a model the source built itself (CSV,
    Tryton, model JSON without BT-24) is written as :data:`ubl.profiles.AUTO_DEFAULT`
    (:func:`ubl.profiles.for_built`). :attr:`Built.profile` stays the setting."""
    import ubl
    from ubl.profiles import for_built

    parse_report: tuple[Finding, ...] | None = None
    try:
        if isinstance(source, ParsingSource):
            result = source.parsed(record)
            document = result.document
            parse_report = tuple(as_finding(item, "parse") for item in result.report)
        else:
            document = source.document(record)
    except RecordError as failure:
        return Held(failure.reason, held_findings(failure))
    writing = profile if parse_report is not None else for_built(profile, document)
    try:
        xml = ubl.write(document, writing)
    except ubl.ProfileError as failure:
        findings = tuple(as_finding(item, "profile") for item in failure.findings)
        return Refused(f"refused by the {failure.profile} writer", findings, document)
    return Built(document, xml, content_hash(xml), profile, parse_report)


def validate(built: Built) -> tuple[Finding, ...]:
    """Every finding of the official validation (XSD + Schematron) of the built UBL, in this
    process (:func:`sync.validation.findings_of`)."""
    from sync.validation import findings_of

    return findings_of(built.ubl)


def _causes(failure: BaseException) -> Iterable[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = failure
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _record_findings(failure: RecordError) -> tuple[Finding, ...]:
    import mappings
    from model.calculation import TotalsMismatch
    from model.findings import Finding

    for cause in _causes(failure):
        if isinstance(cause, mappings.MissingMapping):
            return (cause.finding(),)
        if isinstance(cause, TotalsMismatch):
            return tuple(as_finding(item, "calculation") for item in cause.findings)
    return (Finding(rule="RECORD-ERROR", layer="pull", message=failure.reason),)


def record_data(record: Record) -> dict[str, Any]:
    """``record`` as JSON data (``quarantine.record``), to rebuild it after a fix."""
    import json

    return {
        "id": record.id,
        "updated_at": record.updated_at.isoformat(),
        "data": json.loads(json.dumps(dict(record.data), default=str)),
    }


def record_from(data: dict[str, Any]) -> Record:
    """The record :func:`record_data` stored."""
    from datetime import datetime

    return Record(
        id=str(data["id"]),
        updated_at=datetime.fromisoformat(str(data["updated_at"])),
        data=dict(data.get("data") or {}),
    )
