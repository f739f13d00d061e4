"""What goes into a channel and what comes back: envelopes, receipts, status events, errors.

A channel (:class:`Channel`) gets an :class:`Envelope` and answers with a
:class:`Receipt` (the state reached, ``sent`` or ``delivered``) or one of the errors:
:class:`ChannelUnavailable` (transient, the document stays queued and is retried
within a budget), :class:`ChannelRefused` (permanent, the document becomes failed),
:class:`OutcomeUnknown` (the send may have happened: resolve it as after a crash) and,
from :meth:`Channel.lookup`, :class:`CannotAsk`. No error message ever holds a secret.
:func:`send_batch` sends several envelopes, through the channel's own ``send_batch``
where it has one; :func:`can_ask` tells whether a channel's lookup can answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

from delivery.states import DeliveryState, ResponseKind, StatusReason
from model.document import DocumentKind, Identifier, Invoice
from model.findings import Finding

__all__ = [
    "CannotAsk",
    "Channel",
    "ChannelError",
    "ChannelRefused",
    "ChannelUnavailable",
    "Envelope",
    "OutcomeUnknown",
    "Receipt",
    "StatusEvent",
    "can_ask",
    "safe_file_name",
    "send_batch",
]

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
    method of its own does the batch its way (the directory channel fsyncs each file but
    its folder once per batch); any other is sent one by one."""
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
