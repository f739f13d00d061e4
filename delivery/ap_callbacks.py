"""The access-point emulator's status callbacks: signed POSTs to a receiver, retried as
access points retry them.

:class:`CallbackSender` sends one signed callback (:mod:`delivery.webhooks`) per answer
from one background thread, in order. A callback answered 409, 429 or 5xx, or not
answered at all, is tried again (``attempts`` in all, the wait doubling from
``backoff`` up to a second); every attempt is kept in :attr:`CallbackSender.callbacks`,
:meth:`~CallbackSender.replay` sends one again byte for byte, and
:meth:`~CallbackSender.wait` waits until none is pending.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from delivery.webhooks import SIGNATURE_HEADER, callback_body, sign

if TYPE_CHECKING:
    from delivery.responses import Response

__all__ = ["CallbackAttempt", "CallbackSender"]


@dataclass(frozen=True, slots=True)
class CallbackAttempt:
    """One POST of a status callback: its event id, the document's idempotency key, the
    answer's id, and the HTTP status it got (None: no answer, the connection failed)."""

    event_id: str
    idempotency_key: str
    response_id: str
    status: int | None


@dataclass(frozen=True, slots=True)
class _Outgoing:
    event_id: str
    idempotency_key: str
    response_id: str
    body: bytes


_MAX_CALLBACK_WAIT: Final = 1.0
"""Seconds: the longest wait between two tries of a callback."""
_RETRIED_CALLBACK: Final = frozenset({409, 429})
"""Besides 5xx, the callback answers that are tried again (the receiver is not ready)."""


class CallbackSender:
    """Sends the callbacks of one emulator to ``url`` (None: nowhere), signed with
    ``secret`` (None: unsigned, to test a refusal)."""

    def __init__(
        self, url: str | None, secret: str | None, *, attempts: int, backoff: float
    ) -> None:
        self.url = url
        """Where status callbacks go (``http://host:port/webhooks/<channel>``)."""
        self.secret = secret
        self.attempts = attempts
        self.backoff = backoff
        self.callbacks: list[CallbackAttempt] = []
        """Every callback POST made, in order (also the failed and retried ones)."""
        self._lock = threading.Lock()
        self._outgoing: queue.Queue[_Outgoing | None] = queue.Queue()
        self._sent_bodies: dict[str, _Outgoing] = {}
        self._pending = 0
        self._idle = threading.Condition()
        self._events = itertools.count(1)
        self._sender: threading.Thread | None = None

    def start(self) -> None:
        if self._sender is None:
            self._sender = threading.Thread(
                target=self._send_callbacks, name="ap-emulator-callbacks", daemon=True
            )
            self._sender.start()

    def stop(self) -> None:
        if self._sender is not None:
            self._outgoing.put(None)
            self._sender.join(timeout=5)
            self._sender = None

    def call_back(self, document: Any, responses: Sequence[Response]) -> None:
        """Queue one callback per answer of ``document`` (a stored document of the
        emulator: its ``idempotency_key`` and ``id``)."""
        if self.url is None:
            return
        for response in responses:
            event_id = f"evt-{next(self._events):06d}"
            body = callback_body(
                event_id,
                response,
                idempotency_key=document.idempotency_key,
                remote_id=document.id,
            )
            outgoing = _Outgoing(event_id, document.idempotency_key, response.id, body)
            with self._lock:
                self._sent_bodies[event_id] = outgoing
            self._enqueue(outgoing)

    def replay(self, event_id: str) -> None:
        """Send the callback ``event_id`` again, byte for byte (a replay)."""
        with self._lock:
            outgoing = self._sent_bodies[event_id]
        self._enqueue(outgoing)

    def wait(self, timeout: float = 10.0) -> bool:
        """Wait until every callback is done (answered, or given up); False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout=timeout)

    def _enqueue(self, outgoing: _Outgoing) -> None:
        with self._idle:
            self._pending += 1
        self._outgoing.put(outgoing)

    def _post_callback(self, client: Any, outgoing: _Outgoing) -> None:
        import httpx

        headers = {"Content-Type": "application/json"}
        if self.secret is not None:
            headers[SIGNATURE_HEADER] = sign(self.secret, outgoing.body)
        wait = self.backoff
        for attempt in range(1, max(1, self.attempts) + 1):
            url = self.url
            if url is None:
                return
            status: int | None
            try:
                status = client.post(url, content=outgoing.body, headers=headers).status_code
            except httpx.HTTPError:
                status = None
            with self._lock:
                self.callbacks.append(
                    CallbackAttempt(
                        outgoing.event_id, outgoing.idempotency_key, outgoing.response_id, status
                    )
                )
            if status is not None and status < 500 and status not in _RETRIED_CALLBACK:
                return
            if attempt < self.attempts:
                time.sleep(wait)
                wait = min(wait * 2, _MAX_CALLBACK_WAIT)

    def _send_callbacks(self) -> None:
        import httpx

        with httpx.Client(timeout=5.0) as client:
            while (outgoing := self._outgoing.get()) is not None:
                try:
                    self._post_callback(client, outgoing)
                finally:
                    with self._idle:
                        self._pending -= 1
                        self._idle.notify_all()
