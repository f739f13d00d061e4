"""The interface of every delivery channel: states, envelopes, receipts, status events, errors, settings.

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

A channel (:class:`Channel`) gets an :class:`Envelope` and answers with a
:class:`Receipt` (the state reached, ``sent`` or ``delivered``) or one of the errors:
:class:`ChannelUnavailable` (transient, the document stays queued and is retried
within a budget), :class:`ChannelRefused` (permanent, the document becomes failed),
:class:`OutcomeUnknown` (the send may have happened: resolve it as after a crash) and,
from :meth:`Channel.lookup`, :class:`CannotAsk`. No error message ever holds a secret.

Channels are declared in the settings file (``[channels.NAME]``, one of
:class:`DirectorySettings`, :class:`PeppolApSettings`, :class:`SmtpSettings`, told
apart by ``type``); :func:`open_channel` makes the channel. Secrets are named, never
written: ``password_env`` and ``token_env`` name environment variables.

>>> transition(DeliveryState.QUEUED, DeliveryState.SENT)
<DeliveryState.SENT: 'sent'>
>>> response_state(DeliveryState.SENT, "invoice-response", "AP")
<DeliveryState.ACCEPTED: 'accepted'>
>>> allowed(DeliveryState.ACCEPTED, DeliveryState.DELIVERED, kind="invoice-response", code="UQ")
False
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import (
    Annotated,
    Any,
    Final,
    Literal,
    NamedTuple,
    Protocol,
    TypeAlias,
    runtime_checkable,
)

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from model.document import DocumentKind, Identifier, Invoice
from model.findings import Finding

__all__ = [
    "FINAL_STATES",
    "INVOICE_RESPONSE_CODES",
    "MLR_CODES",
    "MLR_STATUS_REASONS",
    "OP_STATUS_ACTIONS",
    "OP_STATUS_REASONS",
    "CannotAsk",
    "Channel",
    "ChannelError",
    "ChannelRefused",
    "ChannelSettings",
    "ChannelUnavailable",
    "DeliveryState",
    "DirectorySettings",
    "Envelope",
    "OutcomeUnknown",
    "PeppolApSettings",
    "Receipt",
    "ResponseKind",
    "SmtpSettings",
    "StatusEvent",
    "StatusReason",
    "TransitionRefused",
    "allowed",
    "can_ask",
    "is_partial_payment",
    "open_channel",
    "parse_channel_settings",
    "response_state",
    "safe_file_name",
    "send_batch",
    "transition",
]


# -- states ---------------------------------------------------------------------------


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


# -- what goes in, what comes back -----------------------------------------------------

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def safe_file_name(number: str, suffix: str = ".xml") -> str:
    """A file name for invoice ``number`` (BT-1) that is safe on every file system:
    runs of characters other than letters, digits, ``.``, ``_`` and ``-`` become ``_``.

    >>> safe_file_name("2026/0042")
    '2026_0042.xml'
    """
    stem = _UNSAFE_NAME.sub("_", number).strip("._") or "document"
    return stem + suffix


@dataclass(frozen=True, slots=True, kw_only=True)
class Envelope:
    """Everything a channel needs to send one document.

    ``idempotency_key``: the outbox key (connection, source record, content hash); a
    channel sends at most once per key. ``number``: the invoice number (BT-1).
    ``ubl``: the validated UBL bytes, sent as they are. ``file_name``: a bare file name
    (no folder). ``buyer_endpoint``: the buyer's electronic address (BT-49, with its EAS
    scheme BT-49-1); ``buyer_email``: where e-mail goes (the buyer contact e-mail BT-58,
    or a contact e-mail from the source); ``seller_endpoint``: the seller's electronic
    address (BT-34), the sender on Peppol.
    """

    idempotency_key: str
    connection: str
    number: str
    kind: DocumentKind
    ubl: bytes
    file_name: str
    buyer_endpoint: Identifier | None = None
    buyer_email: str | None = None
    seller_endpoint: Identifier | None = None

    def __post_init__(self) -> None:
        if not self.idempotency_key:
            raise ValueError("an envelope needs an idempotency key")
        if (
            not self.file_name
            or self.file_name in (".", "..")
            or re.search(r"[/\\\0]", self.file_name)
        ):
            raise ValueError(f"file name {self.file_name!r} must be a bare file name")

    @classmethod
    def for_invoice(
        cls,
        invoice: Invoice,
        ubl: bytes,
        *,
        idempotency_key: str,
        connection: str,
        buyer_email: str | None = None,
    ) -> Envelope:
        """The envelope of ``invoice`` written as ``ubl``: number BT-1, the buyer's BT-49,
        the buyer contact e-mail BT-58 (unless ``buyer_email`` is given), the seller's
        BT-34, and the file name ``<number>.xml`` (:func:`safe_file_name`)."""
        contact = invoice.buyer.contact
        return cls(
            idempotency_key=idempotency_key,
            connection=connection,
            number=invoice.number,
            kind=invoice.kind,
            ubl=ubl,
            file_name=safe_file_name(invoice.number),
            buyer_endpoint=invoice.buyer.endpoint,
            buyer_email=buyer_email or (contact.email if contact else None),
            seller_endpoint=invoice.seller.endpoint,
        )


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusEvent:
    """One status change a channel reports for a sent document.

    ``state``: the state after this event. ``kind``/``code``: the Peppol response that
    caused it (MLR AB/AP/RE, Invoice Response AB/IP/UQ/CA/RE/AP/PD) or ``channel`` with
    no code. ``reasons``: the response's status reasons. ``message``: one readable line.
    ``at``: when the receiver issued it (UTC). ``findings``: layer ``delivery``, e.g. the
    line responses of an MLR rejection, or the rule a response broke. ``response_id``:
    the receiver's id of the response, unique per document, so a caller that polls again
    after a restart can skip what it already recorded. ``breaks_rules``: the response
    breaks the Peppol code rules (e.g. UQ after AP); it is reported with a finding and
    ``state`` is the unchanged one: record it, do not move the document.
    """

    state: DeliveryState
    kind: ResponseKind = "channel"
    code: str | None = None
    reasons: tuple[StatusReason, ...] = ()
    message: str = ""
    at: datetime = field(default_factory=_now)
    findings: tuple[Finding, ...] = ()
    response_id: str | None = None
    breaks_rules: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Receipt:
    """A channel's answer to a send or a lookup.

    ``remote_id``: the channel's own id for the document (the access point's document
    id; None where the channel has none). ``state``: ``sent`` (answers come later, by
    :meth:`Channel.poll`) or ``delivered``. ``events``: status events that came with the
    answer (often none).
    """

    remote_id: str | None
    state: DeliveryState
    events: tuple[StatusEvent, ...] = ()

    def __post_init__(self) -> None:
        if self.state not in (DeliveryState.SENT, DeliveryState.DELIVERED):
            raise ValueError(f"a receipt reaches sent or delivered, not {self.state}")


# -- errors ----------------------------------------------------------------------------


class ChannelError(Exception):
    """A channel could not do what was asked. ``channel``: its name. Never holds a secret."""

    def __init__(self, message: str, *, channel: str = "") -> None:
        super().__init__(f"channel {channel}: {message}" if channel else message)
        self.channel = channel
        self.reason = message


class ChannelUnavailable(ChannelError):
    """Transient (a 5xx, a timeout, a refused connection, a full disk): the document stays
    queued and is retried within the budget."""


class ChannelRefused(ChannelError):
    """Permanent (a 4xx, a bad address): the document becomes failed with this reason."""


class OutcomeUnknown(ChannelError):
    """The send may or may not have gone through (an SMTP connection lost after the message
    data was handed over): do not retry blindly; treat it as a crash between send and
    record (ask :meth:`Channel.lookup`; where that raises CannotAsk, the document is in-doubt)."""


class CannotAsk(ChannelError):
    """The channel cannot tell whether a key was sent (SMTP); the document becomes in-doubt."""


# -- the channel -----------------------------------------------------------------------


@runtime_checkable
class Channel(Protocol):
    """A way to deliver a document. ``name``: the settings name (``[channels.NAME]``);
    ``kind``: its ``type`` (``directory``, ``peppol-ap``, ``smtp``)."""

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> str: ...

    def accepts(self, envelope: Envelope) -> bool:
        """True when this channel can carry the envelope (Peppol: the buyer has BT-49; e-mail:
        an address is known). A connection uses the first of its channels that accepts."""
        ...

    def send(self, envelope: Envelope) -> Receipt:
        """Send once. Raises ChannelUnavailable (retry later) or ChannelRefused (give up)."""
        ...

    def lookup(self, envelope: Envelope) -> Receipt | None:
        """After a crash between send and record: the Receipt when this idempotency key was
        sent, None when it surely was not; CannotAsk where the channel cannot tell."""
        ...

    def poll(self, envelope: Envelope, remote_id: str) -> list[StatusEvent]:
        """The status events not returned before by this channel object (after a restart: all
        of them; skip the recorded ones by ``response_id``). Empty where there are none."""
        ...

    def close(self) -> None:
        """Release connections; the channel is not used afterwards."""
        ...


def can_ask(channel: Channel) -> bool:
    """True when :meth:`Channel.lookup` can tell whether a key was sent (the channel's
    ``askable`` attribute, default True; SMTP says False). The outbox sends to a channel
    that cannot be asked one document at a time, so that a crash leaves at most one
    document in-doubt."""
    return bool(getattr(channel, "askable", True))


def send_batch(channel: Channel, envelopes: Sequence[Envelope]) -> list[Receipt | ChannelError]:
    """Send each envelope once, in order: per envelope its Receipt, or the ChannelError its
    send raised (one failure never stops the others). A channel with a ``send_batch``
    method of its own does the batch its way (the directory channel makes the whole
    batch durable with one fsync of its folder); any other is sent one by one."""
    own = getattr(channel, "send_batch", None)
    if own is not None:
        results: list[Receipt | ChannelError] = own(envelopes)
        if len(results) != len(envelopes):
            raise RuntimeError(
                f"channel {channel.name}: send_batch gave {len(results)} results "
                f"for {len(envelopes)} envelopes"
            )
        return results
    results = []
    for envelope in envelopes:
        try:
            results.append(channel.send(envelope))
        except ChannelError as failure:
            results.append(failure)
    return results


# -- settings --------------------------------------------------------------------------

_SECRET_KEYS: Final = frozenset({"password", "token", "secret", "api_key", "apikey"})


class _ChannelSettingsBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _no_secret_values(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            for key in data:
                if str(key).lower() in _SECRET_KEYS:
                    raise ValueError(
                        f"{key!r} holds a secret: name an environment variable with "
                        f"'{key}_env' instead of writing the secret into the settings"
                    )
        return data


class DirectorySettings(_ChannelSettingsBase):
    """``type = "directory"``: drop each document as ``<path>/<file name>`` (relative to
    the settings file's folder)."""

    type: Literal["directory"]
    path: Path


class PeppolApSettings(_ChannelSettingsBase):
    """``type = "peppol-ap"``: a Peppol access point's REST API at ``url`` (see
    :mod:`delivery.peppol_ap`), bearer token from the variable ``token_env``."""

    type: Literal["peppol-ap"]
    url: str = Field(pattern=r"^https?://[^\s/]+", description="the API's base URL, http(s)")
    token_env: str | None = None
    timeout: float = Field(10.0, gt=0, description="seconds per request")
    attempts: int = Field(4, ge=1, le=20, description="tries per request on 5xx and timeouts")
    backoff: float = Field(
        0.5, ge=0, description="seconds before the first retry, doubled each time"
    )


class SmtpSettings(_ChannelSettingsBase):
    """``type = "smtp"``: e-mail the UBL as an attachment. ``from`` is the sender,
    ``to`` (optional) overrides the buyer's address, ``bcc`` gets a copy of each. The
    password comes from the variable ``password_env``; ``ca_file`` (relative to the
    settings file's folder) trusts a private CA for STARTTLS."""

    type: Literal["smtp"]
    host: str
    port: int = Field(587, ge=1, le=65535)
    starttls: bool = True
    username: str | None = None
    password_env: str | None = None
    sender: str = Field(alias="from")
    to: str | None = None
    bcc: tuple[str, ...] = ()
    ca_file: Path | None = Field(
        None,
        description="PEM file of the CA that signed the server's certificate (a private relay)",
    )
    timeout: float = Field(30.0, gt=0, description="seconds per SMTP conversation step")


ChannelSettings: TypeAlias = Annotated[
    DirectorySettings | PeppolApSettings | SmtpSettings, Field(discriminator="type")
]
"""One ``[channels.NAME]`` table of the settings file, told apart by ``type``."""

_ADAPTER: TypeAdapter[DirectorySettings | PeppolApSettings | SmtpSettings] = TypeAdapter(
    ChannelSettings
)


def parse_channel_settings(
    data: Mapping[str, Any],
) -> DirectorySettings | PeppolApSettings | SmtpSettings:
    """The settings model of one ``[channels.NAME]`` table; pydantic's ValidationError
    names the wrong key."""
    return _ADAPTER.validate_python(dict(data))


def open_channel(
    name: str,
    settings: DirectorySettings | PeppolApSettings | SmtpSettings,
    *,
    base_dir: Path,
    environ: Mapping[str, str] | None = None,
) -> Channel:
    """The channel ``name`` declared by ``settings``; a relative directory path is taken
    from ``base_dir`` (the settings file's folder). ``environ`` (default ``os.environ``)
    resolves ``token_env`` / ``password_env``; a named variable that is unset is a
    :class:`ChannelRefused` naming the variable (never its value)."""
    import os

    env = os.environ if environ is None else environ

    def secret(variable: str | None) -> str | None:
        if variable is None:
            return None
        value = env.get(variable)
        if value is None:
            raise ChannelRefused(f"environment variable {variable} is not set", channel=name)
        return value

    if isinstance(settings, DirectorySettings):
        from delivery.directory import DirectoryChannel

        path = settings.path if settings.path.is_absolute() else base_dir / settings.path
        return DirectoryChannel(name, path)
    if isinstance(settings, PeppolApSettings):
        token = secret(settings.token_env)
        from delivery.peppol_ap import PeppolApChannel

        return PeppolApChannel(
            name,
            settings.url,
            token=token,
            timeout=settings.timeout,
            attempts=settings.attempts,
            backoff=settings.backoff,
        )
    password = secret(settings.password_env)
    from delivery.smtp import SmtpChannel

    ca_file = settings.ca_file
    if ca_file is not None and not ca_file.is_absolute():
        ca_file = base_dir / ca_file
    return SmtpChannel(name, settings, password=password, ca_file=ca_file)
