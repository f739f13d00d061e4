"""Peppol answers to a sent document: MLR 3 and Invoice Response 3, as JSON and as UBL.

A :class:`Response` is one answer: a Message Level Response (``mlr``, Peppol BIS MLR 3,
the receiving access point's technical verdict: AB, AP, RE with line responses) or an
Invoice Response (``invoice-response``, Peppol BIS Invoice Response 3, the buyer's
business decision: AB, IP, UQ, CA, RE, AP, PD with status reasons). Both travel as UBL
2.1 ``ApplicationResponse`` documents (:func:`to_ubl`, :func:`from_ubl`, read with the
hardened parser of :mod:`ubl._xml`: no DTD, no entities, no network) or as the JSON
objects an access point's REST API gives (:func:`to_json`, :func:`from_json`).

:func:`status_events` turns the answers to one document, in the order they came, into
:class:`~delivery.base.StatusEvent` objects under the code rules (see
:func:`delivery.base.response_state`; and an MLR ends with AP or RE: nothing follows
them in the MLR flow). An answer that breaks the rules, or cannot be read, becomes an
event with a ``delivery`` finding and ``breaks_rules`` set; the state does not move and
the rest goes on.

>>> answers = [Response(kind="mlr", code="AB", id="r1", document_id="INV-1"),
...            Response(kind="invoice-response", code="AP", id="r2", document_id="INV-1"),
...            Response(kind="invoice-response", code="UQ", id="r3", document_id="INV-1")]
>>> [(e.state.value, e.code, e.breaks_rules) for e in status_events(answers)]
[('delivered', 'AB', False), ('accepted', 'AP', False), ('accepted', 'UQ', True)]
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any, Final, Literal, TypeAlias, cast

from lxml import etree

from delivery.base import (
    INVOICE_RESPONSE_CODES,
    MLR_CODES,
    MLR_STATUS_REASONS,
    OP_STATUS_ACTIONS,
    OP_STATUS_REASONS,
    DeliveryState,
    StatusEvent,
    StatusReason,
    TransitionRefused,
    response_state,
)
from model.document import Identifier
from model.findings import Finding

__all__ = [
    "APPLICATION_RESPONSE",
    "CUSTOMIZATION_IDS",
    "PROFILE_IDS",
    "RULE_RESPONSE_ORDER",
    "RULE_RESPONSE_UNREADABLE",
    "LineIssue",
    "PeppolKind",
    "Response",
    "ResponseError",
    "check_sequence",
    "decode_base64",
    "from_json",
    "from_ubl",
    "status_events",
    "to_json",
    "to_ubl",
]

PeppolKind: TypeAlias = Literal["mlr", "invoice-response"]

APPLICATION_RESPONSE: Final = "urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2"
_CAC: Final = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
_CBC: Final = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
_NSMAP: Final = {None: APPLICATION_RESPONSE, "cac": _CAC, "cbc": _CBC}

CUSTOMIZATION_IDS: Final[Mapping[PeppolKind, str]] = {
    "invoice-response": "urn:fdc:peppol.eu:poacc:trns:invoice_response:3",
    "mlr": "urn:fdc:peppol.eu:poacc:trns:mlr:3",
}
"""``cbc:CustomizationID`` per kind (Peppol BIS Invoice Response 3, MLR 3)."""

PROFILE_IDS: Final[Mapping[PeppolKind, str]] = {
    "invoice-response": "urn:fdc:peppol.eu:poacc:bis:invoice_response:3",
    "mlr": "urn:fdc:peppol.eu:poacc:bis:mlr:3",
}
"""``cbc:ProfileID`` per kind."""

RULE_RESPONSE_ORDER: Final = "DELIVERY-RESPONSE-ORDER"
"""Finding rule: an answer the Peppol code rules do not allow at that point."""
RULE_RESPONSE_UNREADABLE: Final = "DELIVERY-RESPONSE-UNREADABLE"
"""Finding rule: an answer that is no MLR or Invoice Response we can read."""

_REASON_LISTS: Final[Mapping[str, Mapping[str, str]]] = {
    "OPStatusReason": OP_STATUS_REASONS,
    "OPStatusAction": OP_STATUS_ACTIONS,
}
_RULE_IN_TEXT: Final = re.compile(r"^\s*\[?([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+)\]?")


class ResponseError(ValueError):
    """An answer that cannot be read as an MLR or Invoice Response; says where and why."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LineIssue:
    """One ``cac:LineResponse`` of an MLR: ``line_id`` is the XPath of the offending element
    (or ``NA``), ``reason`` BV (business rule, fatal), BW (business rule, warning) or SV
    (syntax), ``description`` what is wrong (often starting with the rule id)."""

    line_id: str
    reason: str
    description: str

    def finding(self) -> Finding:
        """This issue as a ``delivery`` finding (fatal unless BW)."""
        match = _RULE_IN_TEXT.match(self.description)
        rule = match.group(1) if match else f"MLR-{self.reason}"
        return Finding(
            rule=rule,
            layer="delivery",
            severity="warning" if self.reason == "BW" else "fatal",
            message=f"the receiving access point reports: {self.description}",
            location=None if self.line_id == "NA" else self.line_id,
            hint="correct the document and issue it anew (a credit note for the rejected one "
            "is not needed: an MLR rejection means it never reached the buyer)",
        )


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Response:
    """One MLR or Invoice Response for the document ``document_id`` (its BT-1, or the
    access point's message id for an MLR). ``id``: the response's own id (``cbc:ID``).
    ``issued``: when it was issued. ``reasons``: Invoice Response clarifications
    (``OPStatusReason``/``OPStatusAction``). ``description``: the response text (mandatory
    for an MLR RE). ``lines``: an MLR's line responses. ``sender``/``receiver``: the
    endpoint ids (scheme = EAS code) of the party answering and the one answered."""

    kind: PeppolKind
    code: str
    id: str
    document_id: str
    issued: datetime = field(default_factory=_now)
    reasons: tuple[StatusReason, ...] = ()
    description: str | None = None
    lines: tuple[LineIssue, ...] = ()
    sender: Identifier | None = None
    receiver: Identifier | None = None

    def __post_init__(self) -> None:
        codes = MLR_CODES if self.kind == "mlr" else INVOICE_RESPONSE_CODES
        if self.kind not in CUSTOMIZATION_IDS:
            raise ResponseError(f"unknown response kind {self.kind!r}")
        if self.code not in codes:
            raise ResponseError(
                f"{self.label()} code {self.code!r} is not one of {', '.join(codes)}"
            )
        for reason in self.reasons:
            known = _REASON_LISTS.get(reason.list_id or "")
            if known is not None and reason.code not in known:
                raise ResponseError(f"{reason.list_id} has no code {reason.code!r}")
        for line in self.lines:
            if line.reason not in MLR_STATUS_REASONS:
                raise ResponseError(f"MLR status reason {line.reason!r} is not BV, BW or SV")
        if self.kind == "mlr" and self.code == "RE" and not self.description:
            raise ResponseError("an MLR rejection (RE) needs a description")

    def label(self) -> str:
        """``MLR`` or ``Invoice Response``."""
        return "MLR" if self.kind == "mlr" else "Invoice Response"

    def summary(self) -> str:
        """One readable line: kind, code and name, reasons, description."""
        names = MLR_CODES if self.kind == "mlr" else INVOICE_RESPONSE_CODES
        parts = [f"{self.label()} {self.code} ({names[self.code]}) for {self.document_id}"]
        for reason in self.reasons:
            text = f": {reason.text}" if reason.text else ""
            parts.append(f"{reason.code}{text}")
        if self.description:
            parts.append(self.description)
        if self.lines:
            parts.append(f"{len(self.lines)} line response(s)")
        return "; ".join(parts)


# -- JSON -------------------------------------------------------------------------------


def to_json(response: Response) -> dict[str, Any]:
    """The JSON object of ``response`` (the access point API's ``type``/``code`` form)."""
    return {
        "id": response.id,
        "type": response.kind,
        "code": response.code,
        "document_id": response.document_id,
        "issued": response.issued.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "reasons": [
            {"list_id": r.list_id, "code": r.code, "text": r.text} for r in response.reasons
        ],
        "description": response.description,
        "lines": [
            {"line_id": line.line_id, "reason": line.reason, "description": line.description}
            for line in response.lines
        ],
    }


def _str(data: Mapping[str, Any], key: str, source: str, *, required: bool = True) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise ResponseError(f"{source}: {key!r} must be a non-empty string")
    return value


def from_json(data: Any, source: str = "response") -> Response:
    """The :class:`Response` of a JSON object; :class:`ResponseError` naming the field."""
    if not isinstance(data, Mapping):
        raise ResponseError(f"{source}: expected a JSON object")
    kind = _str(data, "type", source)
    if kind not in CUSTOMIZATION_IDS:
        raise ResponseError(f"{source}: 'type' must be 'mlr' or 'invoice-response', not {kind!r}")
    issued_text = _str(data, "issued", source, required=False)
    try:
        issued = datetime.fromisoformat(issued_text) if issued_text else _now()
    except ValueError:
        raise ResponseError(f"{source}: 'issued' {issued_text!r} is no ISO 8601 time") from None
    if issued.tzinfo is None:
        issued = issued.replace(tzinfo=UTC)
    reasons: list[StatusReason] = []
    for i, item in enumerate(data.get("reasons") or ()):
        if not isinstance(item, Mapping):
            raise ResponseError(f"{source}: reasons[{i}] must be an object")
        code = _str(item, "code", f"{source} reasons[{i}]")
        reasons.append(
            StatusReason(
                _str(item, "list_id", source, required=False),
                cast(str, code),
                _str(item, "text", source, required=False),
            )
        )
    lines: list[LineIssue] = []
    for i, item in enumerate(data.get("lines") or ()):
        if not isinstance(item, Mapping):
            raise ResponseError(f"{source}: lines[{i}] must be an object")
        where = f"{source} lines[{i}]"
        lines.append(
            LineIssue(
                line_id=cast(str, _str(item, "line_id", where)),
                reason=cast(str, _str(item, "reason", where)),
                description=cast(str, _str(item, "description", where)),
            )
        )
    return Response(
        kind=cast(PeppolKind, kind),
        code=cast(str, _str(data, "code", source)),
        id=cast(str, _str(data, "id", source)),
        document_id=cast(str, _str(data, "document_id", source)),
        issued=issued,
        reasons=tuple(reasons),
        description=_str(data, "description", source, required=False),
        lines=tuple(lines),
    )


# -- UBL ApplicationResponse -------------------------------------------------------------


def _sub(parent: etree._Element, ns: str, local: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ns}}}{local}")
    if text is not None:
        element.text = text
    return element


def _party(parent: etree._Element, local: str, endpoint: Identifier | None) -> None:
    party = _sub(parent, _CAC, local)
    ident = endpoint or Identifier(value="unknown", scheme="0088")
    endpoint_id = _sub(party, _CBC, "EndpointID", ident.value)
    endpoint_id.set("schemeID", ident.scheme or "0088")


def to_ubl(response: Response) -> bytes:
    """``response`` as a UBL 2.1 ApplicationResponse with the Peppol CustomizationID and
    ProfileID of its kind (UTF-8, with an XML declaration). Peppol requires both parties'
    EndpointID: a sender or receiver that is not known is written as ``0088:unknown``."""
    root = etree.Element(f"{{{APPLICATION_RESPONSE}}}ApplicationResponse", nsmap=cast(Any, _NSMAP))
    _sub(root, _CBC, "CustomizationID", CUSTOMIZATION_IDS[response.kind])
    _sub(root, _CBC, "ProfileID", PROFILE_IDS[response.kind])
    _sub(root, _CBC, "ID", response.id)
    issued = response.issued.astimezone(UTC)
    _sub(root, _CBC, "IssueDate", issued.date().isoformat())
    _sub(root, _CBC, "IssueTime", issued.time().replace(microsecond=0).isoformat() + "Z")
    _party(root, "SenderParty", response.sender)
    _party(root, "ReceiverParty", response.receiver)
    document = _sub(root, _CAC, "DocumentResponse")
    answer = _sub(document, _CAC, "Response")
    _sub(answer, _CBC, "ResponseCode", response.code)
    if response.description:
        _sub(answer, _CBC, "Description", response.description)
    if response.kind == "invoice-response":
        _sub(answer, _CBC, "EffectiveDate", issued.date().isoformat())
    for reason in response.reasons:
        status = _sub(answer, _CAC, "Status")
        code = _sub(status, _CBC, "StatusReasonCode", reason.code)
        if reason.list_id:
            code.set("listID", reason.list_id)
        if reason.text:
            _sub(status, _CBC, "StatusReason", reason.text)
    reference = _sub(document, _CAC, "DocumentReference")
    _sub(reference, _CBC, "ID", response.document_id)
    if response.kind == "invoice-response":
        _sub(reference, _CBC, "DocumentTypeCode", "380")
    for line in response.lines:
        line_response = _sub(document, _CAC, "LineResponse")
        _sub(_sub(line_response, _CAC, "LineReference"), _CBC, "LineID", line.line_id)
        line_answer = _sub(line_response, _CAC, "Response")
        _sub(line_answer, _CBC, "Description", line.description)
        _sub(_sub(line_answer, _CAC, "Status"), _CBC, "StatusReasonCode", line.reason)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _text(element: etree._Element, path: str) -> str | None:
    found = element.find(path, {"cac": _CAC, "cbc": _CBC})
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def from_ubl(data: bytes, source: str = "response") -> Response:
    """The :class:`Response` of a UBL ApplicationResponse (MLR 3 or Invoice Response 3, told
    apart by CustomizationID); :class:`ResponseError` naming what is missing or wrong."""
    from ubl._xml import load
    from ubl.errors import InputError

    try:
        root = load(data, source).getroot()
    except InputError as exc:
        raise ResponseError(str(exc)) from None
    if root.tag != f"{{{APPLICATION_RESPONSE}}}ApplicationResponse":
        raise ResponseError(f"{source}: root element {root.tag} is no ApplicationResponse")
    customization = _text(root, "cbc:CustomizationID")
    kinds = {value: key for key, value in CUSTOMIZATION_IDS.items()}
    if customization not in kinds:
        raise ResponseError(
            f"{source}: CustomizationID {customization!r} is neither Invoice Response 3 nor MLR 3"
        )
    kind = kinds[customization]
    response_id = _text(root, "cbc:ID")
    code = _text(root, "cac:DocumentResponse/cac:Response/cbc:ResponseCode")
    document_id = _text(root, "cac:DocumentResponse/cac:DocumentReference/cbc:ID")
    for name, value in (
        ("cbc:ID", response_id),
        ("ResponseCode", code),
        ("DocumentReference/ID", document_id),
    ):
        if value is None:
            raise ResponseError(f"{source}: {name} is missing")
    issue_date = _text(root, "cbc:IssueDate")
    issue_time = _text(root, "cbc:IssueTime")
    try:
        day = date.fromisoformat(issue_date or "")
        clock = time.fromisoformat(issue_time.replace("Z", "+00:00")) if issue_time else time()
    except ValueError:
        raise ResponseError(
            f"{source}: IssueDate/IssueTime {issue_date} {issue_time} unreadable"
        ) from None
    issued = datetime.combine(day, clock)
    issued = issued.replace(tzinfo=UTC) if issued.tzinfo is None else issued.astimezone(UTC)
    ns = {"cac": _CAC, "cbc": _CBC}
    answer = root.find("cac:DocumentResponse/cac:Response", ns)
    reasons: list[StatusReason] = []
    if answer is not None:
        for status in answer.findall("cac:Status", ns):
            reason_code = status.find("cbc:StatusReasonCode", ns)
            if reason_code is None or not (reason_code.text or "").strip():
                continue
            reasons.append(
                StatusReason(
                    reason_code.get("listID"),
                    (reason_code.text or "").strip(),
                    _text(status, "cbc:StatusReason"),
                )
            )
    lines = []
    for line in root.findall("cac:DocumentResponse/cac:LineResponse", ns):
        lines.append(
            LineIssue(
                line_id=_text(line, "cac:LineReference/cbc:LineID") or "NA",
                reason=_text(line, "cac:Response/cac:Status/cbc:StatusReasonCode") or "BV",
                description=_text(line, "cac:Response/cbc:Description") or "(no description)",
            )
        )

    def endpoint(path: str) -> Identifier | None:
        element = root.find(path, ns)
        if element is None or not (element.text or "").strip():
            return None
        return Identifier(value=(element.text or "").strip(), scheme=element.get("schemeID"))

    return Response(
        kind=kind,
        code=cast(str, code),
        id=cast(str, response_id),
        document_id=cast(str, document_id),
        issued=issued,
        reasons=tuple(reasons),
        description=_text(root, "cac:DocumentResponse/cac:Response/cbc:Description"),
        lines=tuple(lines),
        sender=endpoint("cac:SenderParty/cbc:EndpointID"),
        receiver=endpoint("cac:ReceiverParty/cbc:EndpointID"),
    )


def decode_base64(text: str, source: str) -> bytes:
    """The bytes of base64 ``text``; ResponseError when it is not base64."""
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        raise ResponseError(f"{source}: content_base64 is not base64") from None


# -- the rules over a sequence ------------------------------------------------------------


def _step(state: DeliveryState, mlr_closed: bool, response: Response) -> DeliveryState:
    if response.kind == "mlr" and mlr_closed:
        raise TransitionRefused(
            f"MLR {response.code} after a final MLR (AP or RE): nothing follows them"
        )
    return response_state(state, response.kind, response.code, response.reasons)


def status_events(
    responses: Iterable[Response | ResponseError],
    start: DeliveryState = DeliveryState.SENT,
) -> list[StatusEvent]:
    """One :class:`StatusEvent` per answer, in order, from a document in ``start``.

    An answer the rules refuse, or a :class:`ResponseError` in the list (an answer that
    could not be read), gives an event with ``breaks_rules`` and a warning finding; the
    state stays where it was.
    """
    state = start
    mlr_closed = False
    events: list[StatusEvent] = []
    for response in responses:
        if isinstance(response, ResponseError):
            finding = Finding(
                rule=RULE_RESPONSE_UNREADABLE,
                layer="delivery",
                severity="warning",
                message=str(response),
                hint="ask the access point provider; the document's state is unchanged",
            )
            events.append(
                StatusEvent(
                    state=state,
                    message=f"unreadable answer: {response}",
                    findings=(finding,),
                    breaks_rules=True,
                )
            )
            continue
        findings = tuple(line.finding() for line in response.lines)
        common: dict[str, Any] = dict(
            kind=response.kind,
            code=response.code,
            reasons=response.reasons,
            at=response.issued,
            response_id=response.id,
        )
        try:
            new = _step(state, mlr_closed, response)
        except TransitionRefused as exc:
            finding = Finding(
                rule=RULE_RESPONSE_ORDER,
                layer="delivery",
                severity="warning",
                message=f"{response.summary()}: ignored, {exc}",
                hint="the receiver broke the Peppol response rules; the state is unchanged",
            )
            events.append(
                StatusEvent(
                    state=state,
                    message=response.summary(),
                    findings=(*findings, finding),
                    breaks_rules=True,
                    **common,
                )
            )
            continue
        if response.kind == "mlr" and response.code in ("AP", "RE"):
            mlr_closed = True
        state = new
        events.append(
            StatusEvent(state=new, message=response.summary(), findings=findings, **common)
        )
    return events


def check_sequence(
    responses: Sequence[Response], start: DeliveryState = DeliveryState.SENT
) -> None:
    """Raise :class:`TransitionRefused` at the first answer the code rules refuse."""
    state, mlr_closed = start, False
    for response in responses:
        state = _step(state, mlr_closed, response)
        mlr_closed = mlr_closed or (response.kind == "mlr" and response.code in ("AP", "RE"))
