"""One source record made into a document: mapped, written as UBL, hashed and validated.

:func:`map_record` maps a record with the connector (:meth:`connectors.base.DocumentSource.document`,
or :meth:`ParsingSource.parsed` for inbound UBL) and chooses the profile to write it under
(``auto`` keeps the document's own CustomizationID, BT-24). :func:`write_validated` writes the
model as UBL, hashes the bytes (:func:`sync.store.keys.content_hash`: the writer is
deterministic, so the hash is the invoice as issued) and runs the official validation on
them, unless the hash is one the store holds already. It takes the model, not the record, so
it runs wherever the model can be sent: in this process, or in a worker of a
:class:`sync.validation.ValidationPool` (the model's dataclasses pickle). A source that
lets its records be mapped elsewhere (:class:`DetachingSource`) gives a :class:`Detached`
mapping instead, which :func:`map_written` maps, writes and validates in the worker; the
answer then carries the document's :class:`Header` and its model as JSON text, and
:attr:`Built.document` reads the model from that text only when asked. :func:`build` maps
and writes in this process without validating (migrations); :func:`validate` validates. Each
step that refuses the record says so as findings (:class:`model.findings.Finding`):

* :class:`Held`: the connector raised :class:`~connectors.errors.RecordError` (an unmapped
  code, naming the mapping file to edit; a totals mismatch; a file that cannot be read);
* :class:`Refused`: the writer refused the model (a profile or calculation rule, BR-CO-10..17);
* :class:`Written`: the UBL bytes, their hash and the findings of the validation;
* :class:`Built`: a document with its UBL, with the inbound parse report where the source
  reads UBL.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol, cast, get_args, runtime_checkable

from connectors.base import DocumentSource, Record
from connectors.errors import RecordError
from sync.store.keys import content_hash

if TYPE_CHECKING:
    from datetime import date
    from decimal import Decimal

    from model import Invoice
    from model.document import DocumentKind, Identifier
    from model.findings import Finding, Layer
    from ubl import ParseResult

__all__ = [
    "Built",
    "Detached",
    "DetachingSource",
    "Header",
    "Held",
    "Mapped",
    "ParsingSource",
    "Refused",
    "Written",
    "as_finding",
    "build",
    "built",
    "built_detached",
    "held_findings",
    "map_detached",
    "map_record",
    "map_written",
    "model_text",
    "record_data",
    "record_from",
    "validate",
    "write_hashed",
    "write_validated",
]


@runtime_checkable
class ParsingSource(Protocol):
    """A source of inbound UBL (``ubl-dir``): it gives the parse report with the model."""

    def parsed(self, record: Record) -> ParseResult: ...


class Detached(Protocol):
    """A record's mapping that runs in another process (a worker of
    :class:`sync.validation.ValidationPool`): picklable, and :meth:`document` gives there
    what the source's own :meth:`~connectors.base.DocumentSource.document` gives here."""

    def document(self) -> Invoice:
        """The invoice or credit note (BG-0); a RecordError when it cannot be mapped."""
        ...


@runtime_checkable
class DetachingSource(Protocol):
    """A source whose records can be mapped in another process
    (:class:`connectors.model_json.ModelJsonSource`)."""

    def detached(self, record: Record) -> Detached | None:
        """The mapping of ``record`` to run elsewhere, or None to map it here."""
        ...


@dataclass(frozen=True, slots=True)
class Header:
    """What the store's ``documents`` row and the outbox's envelope take of a document,
    made where the document is written (a pool's worker sends these, not the model)."""

    number: str
    """Invoice number (BT-1)."""
    kind: DocumentKind
    """Invoice or credit note (the UBL document type)."""
    type_code: str
    """Invoice type code (BT-3)."""
    issue_date: date
    """Invoice issue date (BT-2)."""
    due_date: date | None
    """Payment due date (BT-9)."""
    currency: str
    """Invoice currency code (BT-5)."""
    payable: Decimal
    """Amount due for payment (BT-115)."""
    buyer_name: str
    """Buyer name (BT-44)."""
    buyer_endpoint: Identifier | None
    """Buyer electronic address (BT-49)."""
    buyer_email: str | None
    """Buyer contact e-mail address (BT-58)."""
    seller_endpoint: Identifier | None
    """Seller electronic address (BT-34)."""
    buyer_key: str
    """The buyer's debtor key (:func:`reconcile.open_items.debtor_key` of BG-7)."""
    buyer_identifiers: tuple[str, ...]
    """The buyer's identifiers as ``kind:value`` (:func:`reconcile.debtors.identifiers_of`)."""
    buyer_accounts: tuple[str, ...]
    """The IBANs the buyer pays from by direct debit (BT-91), compact."""
    payment_reference: str | None
    """The first remittance information (BT-83), compact."""

    @classmethod
    def of(cls, document: Invoice) -> Header:
        """The header of ``document`` (BG-0)."""
        contact = document.buyer.contact
        return cls(
            document.number,
            document.kind,
            document.type_code,
            document.issue_date,
            document.due_date,
            document.currency,
            document.totals.payable,
            document.buyer.name,
            document.buyer.endpoint,
            contact.email if contact else None,
            document.seller.endpoint,
            **_receivable_columns(document),
        )


def _receivable_columns(document: Invoice) -> dict[str, Any]:
    """The ``documents`` columns receivables read instead of the model (revision 0008),
    made where the header is: :func:`sync.receivables.buyer_columns`."""
    from sync.receivables import buyer_columns

    columns = buyer_columns(document)
    return {
        "buyer_key": columns["buyer_key"],
        "buyer_identifiers": tuple(columns["buyer_identifiers"]),
        "buyer_accounts": tuple(columns["buyer_accounts"]),
        "payment_reference": columns["payment_reference"],
    }


def model_text(document: Invoice) -> str:
    """``document`` as the JSON text of ``documents.model`` (:func:`model.jsonio.to_data`)."""
    import json

    from model.jsonio import to_data

    return json.dumps(to_data(document))


@dataclass(frozen=True, slots=True)
class Built:
    """A record written as UBL: its header, the bytes, their hash, the profile asked for,
    the parse report (None when the document was not read from UBL), the model as JSON
    text and the model itself (:attr:`document`, read from the text when the process that
    wrote it kept it: a pool's worker)."""

    header: Header
    ubl: bytes
    content_hash: str
    profile: str
    parse_report: tuple[Finding, ...] | None = None
    model: str | None = field(default=None, compare=False, repr=False)
    """The document as JSON text (:func:`model_text`, for ``documents.model``) when the
    writer made it already, else None (made when the row is written)."""
    held: Invoice | None = field(default=None, compare=False, repr=False)
    """The model (BG-0) when this process has it; else :attr:`document` reads it from
    :attr:`model` on first use."""

    @property
    def document(self) -> Invoice:
        """The invoice or credit note (BG-0)."""
        if self.held is None:
            import json

            from model.jsonio import from_data

            assert self.model is not None, "a document without its model holds its JSON text"
            object.__setattr__(self, "held", from_data(json.loads(self.model)))
        assert self.held is not None
        return self.held

    @property
    def model_json(self) -> str:
        """:attr:`model`, made now when the writer did not."""
        return model_text(self.document) if self.model is None else self.model


@dataclass(frozen=True, slots=True)
class Mapped:
    """A record mapped to the model: the document (BG-0), the profile to write it under
    (``writing``: the setting, or for a model the source built itself under ``auto``
    :data:`ubl.profiles.AUTO_DEFAULT`), the profile setting, and the parse report (None
    when the document was not read from UBL)."""

    document: Invoice
    writing: str
    profile: str
    parse_report: tuple[Finding, ...] | None = None


@dataclass(frozen=True, slots=True)
class Written:
    """A model written as UBL: the bytes, their content hash and the findings of the
    official validation (XSD + Schematron; empty when it was not validated: its hash is
    one the store holds, so the document is unchanged)."""

    ubl: bytes
    content_hash: str
    findings: tuple[Finding, ...] = ()
    model: str | None = field(default=None, repr=False)
    """The model as JSON text (:func:`model_text`) for the store's ``documents.model``,
    made beside the UBL (in the worker, with a pool); None when the document was not
    validated (unchanged: no row is written for it) and not mapped where it was written."""
    header: Header | None = field(default=None, compare=False, repr=False)
    """The document's header, when the process that wrote it also mapped the record (a
    :class:`Detached` mapping, :func:`map_written`); None when the caller holds the model."""


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


def map_record(
    source: DocumentSource, record: Record, profile: str, *, parsing: bool | None = None
) -> Mapped | Held:
    """Map ``record`` with ``source`` and choose the profile to write it under.

    ``parsing``: whether ``source`` is a :class:`ParsingSource`, when the caller knows it
    already (a page's records share their source: the protocol check, which inspects the
    class's attributes, is then made once per page, not per record).

    ``auto`` keeps a document's own CustomizationID (BT-24). A document read from UBL that
    states none is refused by BR-01 when written (its own fault); a model the source built
    itself (CSV, Tryton, model JSON without BT-24) is written as
    :data:`ubl.profiles.AUTO_DEFAULT` (:func:`ubl.profiles.for_built`)."""
    from ubl.profiles import for_built

    try:
        if parsing if parsing is not None else isinstance(source, ParsingSource):
            result = cast(ParsingSource, source).parsed(record)
            parse_report = tuple(as_finding(item, "parse") for item in result.report)
            return Mapped(result.document, profile, profile, parse_report)
        document = source.document(record)
    except RecordError as failure:
        return Held(failure.reason, held_findings(failure))
    return Mapped(document, for_built(profile, document), profile)


def write_hashed(document: Invoice, writing: str) -> Written | Refused:
    """``document`` written as UBL under ``writing`` and hashed, not validated (no
    findings), or the writer's :class:`Refused` without the document."""
    import ubl

    try:
        xml = ubl.write(document, writing)
    except ubl.ProfileError as failure:
        findings = tuple(as_finding(item, "profile") for item in failure.findings)
        return Refused(f"refused by the {failure.profile} writer", findings)
    return Written(xml, content_hash(xml))


def write_validated(
    document: Invoice, writing: str, known: Collection[str] = ()
) -> Written | Refused:
    """``document`` written as UBL under ``writing``, hashed and validated (every finding
    of :func:`sync.validation.findings_of`), unless its hash is in ``known`` (hashes the
    store holds: the document is unchanged, validating it again would find nothing new).

    The writer's refusal is a :class:`Refused` without the document (the caller holds it:
    :func:`built`). The same model gives the same outcome in every process."""
    from sync.validation import findings_of

    written = write_hashed(document, writing)
    if isinstance(written, Refused) or written.content_hash in known:
        return written
    return Written(
        written.ubl, written.content_hash, findings_of(written.ubl), model_text(document)
    )


def map_detached(detached: Detached, profile: str) -> Mapped | Held:
    """A :class:`Detached` mapping run where it was sent, the profile chosen as
    :func:`map_record` chooses it; :class:`Held` as :func:`map_record` holds a record."""
    from ubl.profiles import for_built

    try:
        document = detached.document()
    except RecordError as failure:
        return Held(failure.reason, held_findings(failure))
    return Mapped(document, for_built(profile, document), profile)


def map_written(
    detached: Detached, profile: str, known: Collection[str] = ()
) -> Written | Refused | Held:
    """A :class:`Detached` mapping run (:func:`map_detached`), then written and validated
    as :func:`write_validated` does: the :class:`Written` with the document's
    :class:`Header` (the caller has no model), the writer's :class:`Refused`, or the
    record :class:`Held`."""
    mapped = map_detached(detached, profile)
    if isinstance(mapped, Held):
        return mapped
    written = write_validated(mapped.document, mapped.writing, known)
    if isinstance(written, Refused):
        return written
    return replace(written, header=Header.of(mapped.document))


def built_detached(written: Written | Refused, profile: str) -> Built | Refused:
    """What a record mapped and written elsewhere (:func:`map_written`, under the setting
    ``profile``) became: its :class:`Built` document, or the writer's :class:`Refused`."""
    if isinstance(written, Refused):
        return written
    assert written.header is not None, "a detached mapping's answer holds its header"
    return Built(written.header, written.ubl, written.content_hash, profile, None, written.model)


def built(mapped: Mapped, written: Written | Refused) -> Built | Refused:
    """What ``mapped`` became once written: its :class:`Built` document, or the writer's
    :class:`Refused` with the document."""
    if isinstance(written, Refused):
        return replace(written, document=mapped.document)
    return Built(
        Header.of(mapped.document),
        written.ubl,
        written.content_hash,
        mapped.profile,
        mapped.parse_report,
        written.model,
        mapped.document,
    )


def build(source: DocumentSource, record: Record, profile: str) -> Built | Held | Refused:
    """Map ``record`` (:func:`map_record`), write it as UBL under ``profile`` and hash the
    bytes, in this process, without validating. :attr:`Built.profile` stays the setting."""
    mapped = map_record(source, record, profile)
    if isinstance(mapped, Held):
        return mapped
    return built(mapped, write_hashed(mapped.document, mapped.writing))


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
