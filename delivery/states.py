"""The delivery state machine and the Peppol response codes that move it.

One state machine serves every channel (:class:`DeliveryState`)::

    queued -> sent -> delivered -> accepted -> paid
       |        |          \\-> rejected
       |        \\-> failed      (the channel gave up on a sent document)
       |-> delivered            (a channel that knows at once, as the directory)
       |-> failed               (ChannelRefused, or ChannelUnavailable past the budget)
       \\-> in-doubt             (a crash between send and record, the channel cannot be asked)
    in-doubt -> queued | sent | delivered | failed   (``ledgerlink outbox resolve``)
    failed -> queued                                  (an explicit retry by the user)

The answers of a Peppol receiver move the state too, under the code rules of Peppol
BIS Invoice Response 3 (OP-BR111) and MLR 3 (:func:`response_state`): an MLR
(``mlr``, the receiving access point's technical verdict) AB or AP -> delivered, RE ->
rejected; an Invoice Response (``invoice-response``, the buyer's business decision)
AB/IP/UQ/CA -> delivered (the code is kept on the event: UQ and CA pause reminders), RE
-> rejected, AP -> accepted, PD -> paid, PD with status reason PPD (partially paid) ->
accepted. Nothing follows RE or PD (rejected and paid are final), AP is only followed
by PD, and AB/IP/UQ/CA never move a state backwards.

>>> transition(DeliveryState.QUEUED, DeliveryState.SENT)
<DeliveryState.SENT: 'sent'>
>>> response_state(DeliveryState.SENT, "invoice-response", "AP")
<DeliveryState.ACCEPTED: 'accepted'>
>>> allowed(DeliveryState.ACCEPTED, DeliveryState.DELIVERED, kind="invoice-response", code="UQ")
False
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Final, Literal, NamedTuple, TypeAlias

__all__ = [
    "FINAL_STATES",
    "INVOICE_RESPONSE_CODES",
    "MLR_CODES",
    "MLR_STATUS_REASONS",
    "OP_STATUS_ACTIONS",
    "OP_STATUS_REASONS",
    "DeliveryState",
    "ResponseKind",
    "StatusReason",
    "TransitionRefused",
    "allowed",
    "is_partial_payment",
    "response_state",
    "transition",
]


class DeliveryState(enum.StrEnum):
    """Where a document stands on its way to the buyer; the same for every channel."""

    QUEUED = "queued"
    """In the outbox, not sent yet (or sent and known not to have arrived)."""
    SENT = "sent"
    """Handed to a channel that answers later (the access point)."""
    DELIVERED = "delivered"
    """Arrived: written to the folder, or acknowledged by the receiver (MLR/IR AB, IP, UQ, CA)."""
    ACCEPTED = "accepted"
    """The buyer approved it (Invoice Response AP), or announced a partial payment (PD + PPD)."""
    REJECTED = "rejected"
    """The receiver (MLR RE) or the buyer (Invoice Response RE) refused it. Final."""
    PAID = "paid"
    """The buyer announced full payment (Invoice Response PD). Final; the bank line confirms it."""
    FAILED = "failed"
    """The channel refused it, or stayed unavailable past the retry budget; the reason is kept."""
    IN_DOUBT = "in-doubt"
    """A crash came between send and record and the channel cannot be asked (SMTP)."""


FINAL_STATES: Final = frozenset({DeliveryState.REJECTED, DeliveryState.PAID})
"""Nothing follows RE or PD (OP-BR111): no response and no channel move leaves these."""

_S = DeliveryState
_CHANNEL_MOVES: Final[Mapping[DeliveryState, frozenset[DeliveryState]]] = {
    _S.QUEUED: frozenset({_S.SENT, _S.DELIVERED, _S.FAILED, _S.IN_DOUBT}),
    _S.SENT: frozenset({_S.DELIVERED, _S.ACCEPTED, _S.REJECTED, _S.PAID, _S.FAILED}),
    _S.DELIVERED: frozenset({_S.ACCEPTED, _S.REJECTED, _S.PAID}),
    _S.ACCEPTED: frozenset({_S.PAID}),
    _S.REJECTED: frozenset(),
    _S.PAID: frozenset(),
    _S.FAILED: frozenset({_S.QUEUED}),
    _S.IN_DOUBT: frozenset({_S.QUEUED, _S.SENT, _S.DELIVERED, _S.FAILED}),
}

ResponseKind: TypeAlias = Literal["mlr", "invoice-response", "channel"]
"""Who spoke: ``mlr`` (Peppol MLR 3, the receiving access point), ``invoice-response``
(Peppol Invoice Response 3, the buyer) or ``channel`` (the channel's own event: written,
sent, refused, given up)."""

MLR_CODES: Final[Mapping[str, str]] = {
    "AB": "Message acknowledgement",
    "AP": "Accepted",
    "RE": "Rejected",
}
"""``cac:DocumentResponse/cac:Response/cbc:ResponseCode`` of an MLR (UNCL4343 subset)."""

INVOICE_RESPONSE_CODES: Final[Mapping[str, str]] = {
    "AB": "Message acknowledgement",
    "IP": "In process",
    "UQ": "Under query",
    "CA": "Conditionally accepted",
    "RE": "Rejected",
    "AP": "Accepted",
    "PD": "Paid",
}
"""Invoice Response status codes, code list UNCL4343-T111."""

OP_STATUS_REASONS: Final[Mapping[str, str]] = {
    "NON": "No issue",
    "REF": "References incorrect",
    "LEG": "Legal information incorrect",
    "REC": "Receiver unknown",
    "QUA": "Item quality insufficient",
    "DEL": "Delivery issues",
    "PRI": "Prices incorrect",
    "QTY": "Quantity incorrect",
    "ITM": "Items incorrect",
    "PAY": "Payment terms incorrect",
    "UNR": "Not recognized",
    "FIN": "Finance terms incorrect",
    "PPD": "Partially paid",
    "OTH": "Other",
}
"""Invoice Response clarification reasons (``cbc:StatusReasonCode/@listID = OPStatusReason``)."""

OP_STATUS_ACTIONS: Final[Mapping[str, str]] = {
    "NOA": "No action required",
    "PIN": "Provide information",
    "NIN": "Issue new invoice",
    "CNF": "Credit fully",
    "CNP": "Credit partially",
    "CNA": "Credit the amount",
    "OTH": "Other",
}
"""Invoice Response clarification actions (``listID = OPStatusAction``)."""

MLR_STATUS_REASONS: Final[Mapping[str, str]] = {
    "BV": "Business rule violation, fatal",
    "BW": "Business rule violation, warning",
    "SV": "Syntax violation",
}
"""MLR line response reasons (``cac:LineResponse/cac:Response/cac:Status/cbc:StatusReasonCode``)."""


class StatusReason(NamedTuple):
    """One status reason of a response: its list (``OPStatusReason``, ``OPStatusAction``,
    ``StatusReason`` for MLR), its code and the receiver's text (or None)."""

    list_id: str | None
    code: str
    text: str | None = None


class TransitionRefused(ValueError):
    """A move the state machine or the Peppol code rules do not allow; the message says which."""


def is_partial_payment(reasons: Iterable[StatusReason]) -> bool:
    """True when the reasons carry PPD (partially paid), which turns PD into a non-final step."""
    return any(reason.code == "PPD" for reason in reasons)


def response_state(
    current: DeliveryState,
    kind: ResponseKind,
    code: str,
    reasons: Iterable[StatusReason] = (),
) -> DeliveryState:
    """The state a Peppol response moves a document in ``current`` to.

    Raises :class:`TransitionRefused` when the code is unknown for ``kind``, when the
    document was never sent (``queued``, ``failed``, ``in-doubt``), or when the code
    rules forbid it: nothing after RE or PD (``rejected``, ``paid``), and after AP
    (``accepted``) only an Invoice Response PD. An MLR AB or AP arriving after the buyer
    already accepted keeps ``accepted`` (the technical answer came late; no step back).
    AB/IP/UQ/CA on a delivered document keep it ``delivered``.
    """
    if kind == "channel":
        raise TransitionRefused("a channel event has no Peppol response code")
    codes = MLR_CODES if kind == "mlr" else INVOICE_RESPONSE_CODES
    what = "MLR" if kind == "mlr" else "Invoice Response"
    if code not in codes:
        raise TransitionRefused(f"unknown {what} code {code!r}; expected one of {', '.join(codes)}")
    if current in FINAL_STATES:
        raise TransitionRefused(
            f"{what} {code} after the document was {current}: nothing may follow RE or PD"
        )
    if current not in (_S.SENT, _S.DELIVERED, _S.ACCEPTED):
        raise TransitionRefused(f"{what} {code} for a document that is {current}, not sent")
    if kind == "mlr":
        target = _S.REJECTED if code == "RE" else _S.DELIVERED
    elif code == "RE":
        target = _S.REJECTED
    elif code == "AP":
        target = _S.ACCEPTED
    elif code == "PD":
        target = _S.ACCEPTED if is_partial_payment(reasons) else _S.PAID
    else:  # AB, IP, UQ, CA
        target = _S.DELIVERED
    if current == _S.ACCEPTED:
        if kind == "invoice-response" and code == "PD":
            return target
        if kind == "mlr" and code in ("AB", "AP"):
            return _S.ACCEPTED
        raise TransitionRefused(
            f"{what} {code} after the document was accepted: AP may only be followed by PD"
        )
    return target


def allowed(
    current: DeliveryState,
    new: DeliveryState,
    *,
    kind: ResponseKind = "channel",
    code: str | None = None,
    reasons: Iterable[StatusReason] = (),
) -> bool:
    """True when :func:`transition` accepts the move (the same arguments)."""
    try:
        transition(current, new, kind=kind, code=code, reasons=reasons)
    except TransitionRefused:
        return False
    return True


def transition(
    current: DeliveryState,
    new: DeliveryState,
    *,
    kind: ResponseKind = "channel",
    code: str | None = None,
    reasons: Iterable[StatusReason] = (),
) -> DeliveryState:
    """``new`` when the move from ``current`` is allowed; :class:`TransitionRefused` otherwise.

    A channel event (``kind="channel"``, no code) follows the moves in the module
    docstring and always changes the state. A Peppol response (``kind`` ``mlr`` or
    ``invoice-response`` with its ``code`` and ``reasons``) must lead to exactly the
    state :func:`response_state` gives, which may be the current one (UQ on a delivered
    document, PD + PPD on an accepted one).
    """
    current, new = DeliveryState(current), DeliveryState(new)
    if kind == "channel":
        if code is not None:
            raise TransitionRefused(f"a channel event carries no response code (got {code!r})")
        if new not in _CHANNEL_MOVES[current]:
            raise TransitionRefused(f"a document that is {current} cannot become {new}")
        return new
    expected = response_state(current, kind, code or "", reasons)
    if expected != new:
        raise TransitionRefused(
            f"{'MLR' if kind == 'mlr' else 'Invoice Response'} {code} moves a {current}"
            f" document to {expected}, not {new}"
        )
    return new
