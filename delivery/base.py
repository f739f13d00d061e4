"""The interface of every delivery channel, in one place: states, envelopes, receipts, errors, settings.

The names live in three modules, each with one job, and are all importable from here:

* :mod:`delivery.states` - the state machine (:class:`DeliveryState`,
  :func:`transition`, :func:`allowed`) and the Peppol response codes that move it
  (:func:`response_state`, MLR 3 and Invoice Response 3, OP-BR111);
* :mod:`delivery.channel` - what goes in and comes back: :class:`Envelope`,
  :class:`Receipt`, :class:`StatusEvent`, the errors (:class:`ChannelUnavailable`,
  :class:`ChannelRefused`, :class:`OutcomeUnknown`, :class:`CannotAsk`), the
  :class:`Channel` protocol, :func:`send_batch` and :func:`can_ask`;
* :mod:`delivery.settings` - the ``[channels.NAME]`` settings models
  (:class:`DirectorySettings`, :class:`PeppolApSettings`, :class:`SmtpSettings`,
  told apart by ``type``) and :func:`open_channel`.

>>> transition(DeliveryState.QUEUED, DeliveryState.SENT)
<DeliveryState.SENT: 'sent'>
"""

from __future__ import annotations

from delivery.channel import (
    CannotAsk,
    Channel,
    ChannelError,
    ChannelRefused,
    ChannelUnavailable,
    Envelope,
    OutcomeUnknown,
    Receipt,
    StatusEvent,
    can_ask,
    safe_file_name,
    send_batch,
)
from delivery.settings import (
    ChannelSettings,
    DirectorySettings,
    PeppolApSettings,
    SmtpSettings,
    open_channel,
    parse_channel_settings,
)
from delivery.states import (
    FINAL_STATES,
    INVOICE_RESPONSE_CODES,
    MLR_CODES,
    MLR_STATUS_REASONS,
    OP_STATUS_ACTIONS,
    OP_STATUS_REASONS,
    DeliveryState,
    ResponseKind,
    StatusReason,
    TransitionRefused,
    allowed,
    is_partial_payment,
    response_state,
    transition,
)

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
