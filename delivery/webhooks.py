"""The access point's status callbacks (webhooks): their format, their signature, parsing.

Instead of waiting to be polled (:meth:`delivery.peppol_ap.PeppolApChannel.poll`), an
access point can POST each new answer to a document (a Peppol MLR or Invoice Response)
to ``/webhooks/<channel>`` of the daemon's HTTP server (:mod:`ledgerlink.daemon_http`),
where ``<channel>`` is the name of its ``[channels.NAME]`` table.

The body is one JSON object (UTF-8)::

    {
      "event_id": "evt-000042",                 required: unique per callback; a repeat is a replay
      "idempotency_key": "3f1c...",             the Idempotency-Key the document was sent with,
      "remote_id": "doc-000007",                and/or the access point's document id (one at least)
      "at": "2026-03-01T10:15:00Z",             required: when the access point sent the callback
      "response": {                             required: the answer, as GET .../responses lists it
        "id": "doc-000007-r2",                  the answer's own id (the same one polling sees)
        "type": "invoice-response",             "mlr" (MLR 3) or "invoice-response" (Invoice Response 3)
        "code": "AP",                           MLR AB/AP/RE, Invoice Response AB/IP/UQ/CA/RE/AP/PD
        "document_id": "INV-2026-001",          the invoice number (BT-1)
        "issued": "2026-03-01T10:14:58Z",
        "reasons": [{"list_id": "OPStatusReason", "code": "REF", "text": "..."}],
        "description": null,
        "lines": [{"line_id": "...", "reason": "BV", "description": "..."}]
      }
    }

``response`` is the JSON answer of the access point API (:func:`delivery.responses.from_json`),
so an answer that arrives both by callback and by polling carries the same ``id`` and is
recorded once.

The signature: ``X-Ledgerlink-Signature: sha256=<hex>``, the HMAC-SHA256 of the raw body
bytes with the secret shared with the access point, in lower-case hex (:func:`sign`);
:func:`verify` compares in constant time. The secret is named in the channel's settings
(``webhook_secret_env``, an environment variable, :func:`webhook_secrets`) and never
written to the settings file, the store, a log line, a response or a metric.

>>> body = b'{"event_id": "e1"}'
>>> header = sign("s3cret", body)
>>> header.startswith("sha256=") and verify("s3cret", body, header)
True
>>> verify("s3cret", body + b" ", header), verify("other", body, header), verify("s3cret", body, None)
(False, False, False)
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from delivery.channel import ChannelRefused, StatusEvent
from delivery.responses import Response, ResponseError, from_json, to_json
from delivery.states import DeliveryState, response_state

__all__ = [
    "MAX_CALLBACK_BYTES",
    "SIGNATURE_HEADER",
    "Callback",
    "CallbackError",
    "callback_body",
    "parse_callback",
    "sign",
    "verify",
    "webhook_secrets",
]

SIGNATURE_HEADER: Final = "X-Ledgerlink-Signature"
"""The header that carries ``sha256=<hex>``."""
MAX_CALLBACK_BYTES: Final = 1024 * 1024
"""A callback body is one answer: larger bodies are refused unread (HTTP 413)."""
_PREFIX: Final = "sha256="


class CallbackError(ValueError):
    """A callback body that is not the format above; the message names the field."""


@dataclass(frozen=True, slots=True)
class Callback:
    """One parsed callback: who it is about (``idempotency_key`` and/or ``remote_id``),
    its ``event_id``, when it was sent (``at``), and the answer as a status event
    (``status``; its ``state`` is the one the answer leads a ``sent`` document to: the
    store recomputes it from the document's current state)."""

    event_id: str
    idempotency_key: str | None
    remote_id: str | None
    at: datetime
    status: StatusEvent

    @property
    def document(self) -> str:
        """How the callback names its document, for messages."""
        if self.idempotency_key is not None:
            return f"idempotency key {self.idempotency_key}"
        return f"remote id {self.remote_id}"


def _digest(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes) -> str:
    """The ``X-Ledgerlink-Signature`` value of ``body``: ``sha256=`` and the hex HMAC-SHA256."""
    return _PREFIX + _digest(secret, body)


def verify(secret: str, body: bytes, signature_header: str | None) -> bool:
    """True when ``signature_header`` is ``sign(secret, body)`` (compared in constant time);
    False for a missing, malformed or wrong one."""
    if not signature_header or not secret:
        return False
    given = signature_header.strip()
    if not given.lower().startswith(_PREFIX):
        return False
    expected = _digest(secret, body).encode("ascii")
    return hmac.compare_digest(expected, given[len(_PREFIX) :].lower().encode("utf-8", "replace"))


def _text(data: Mapping[str, Any], key: str, *, required: bool) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise CallbackError(f"callback: {key!r} must be a non-empty string")
    return value


def _time(data: Mapping[str, Any], key: str) -> datetime:
    text = _text(data, key, required=True)
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError:
        raise CallbackError(f"callback: {key!r} {text!r} is no ISO 8601 time") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def parse_callback(body: bytes) -> Callback:
    """The :class:`Callback` of a body in the format above; :class:`CallbackError` naming
    the field for anything else (not JSON, not an object, a field missing or wrong, an
    unknown code)."""
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise CallbackError("callback: the body is not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise CallbackError(
            f"callback: the body is no JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    if not isinstance(data, Mapping):
        raise CallbackError("callback: the body must be a JSON object")
    event_id = _text(data, "event_id", required=True)
    key = _text(data, "idempotency_key", required=False)
    remote_id = _text(data, "remote_id", required=False)
    if key is None and remote_id is None:
        raise CallbackError("callback: 'idempotency_key' or 'remote_id' is required")
    at = _time(data, "at")
    if "response" not in data:
        raise CallbackError("callback: 'response' is required")
    try:
        response = from_json(data["response"], "callback: response")
    except ResponseError as exc:
        raise CallbackError(str(exc)) from None
    findings = tuple(line.finding() for line in response.lines)
    status = StatusEvent(
        state=response_state(DeliveryState.SENT, response.kind, response.code, response.reasons),
        kind=response.kind,
        code=response.code,
        reasons=response.reasons,
        message=response.summary(),
        at=response.issued,
        findings=findings,
        response_id=response.id,
    )
    return Callback(
        event_id=str(event_id), idempotency_key=key, remote_id=remote_id, at=at, status=status
    )


def callback_body(
    event_id: str,
    response: Response,
    *,
    idempotency_key: str | None = None,
    remote_id: str | None = None,
    at: datetime | None = None,
) -> bytes:
    """The body of the callback that reports ``response`` (what an access point, or
    :mod:`delivery.ap_emulator`, POSTs; :func:`parse_callback` reads it back)."""
    moment = (at or datetime.now(UTC)).astimezone(UTC)
    data = {
        "event_id": event_id,
        "idempotency_key": idempotency_key,
        "remote_id": remote_id,
        "at": moment.isoformat().replace("+00:00", "Z"),
        "response": to_json(response),
    }
    return json.dumps(data, sort_keys=True).encode("utf-8")


def webhook_secrets(
    channels: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The webhook secret of each access point channel of ``channels`` (name to settings
    model) that names one (``webhook_secret_env``), read from ``environ`` (default
    ``os.environ``). An unset variable is a :class:`~delivery.base.ChannelRefused` naming
    the variable, never a value. Channels without a secret take no callbacks (404)."""
    import os

    from delivery.settings import PeppolApSettings

    env = os.environ if environ is None else environ
    secrets: dict[str, str] = {}
    for name, settings in channels.items():
        if not isinstance(settings, PeppolApSettings) or settings.webhook_secret_env is None:
            continue
        value = env.get(settings.webhook_secret_env)
        if not value:
            raise ChannelRefused(
                f"environment variable {settings.webhook_secret_env} (the webhook secret) "
                "is not set",
                channel=name,
            )
        secrets[name] = value
    return secrets
