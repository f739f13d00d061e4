"""An emulator of a Peppol access point's REST API, in-process, on 127.0.0.1.

It speaks the API documented in :mod:`delivery.peppol_ap`, for tests and for
``ledgerlink demo``: a threaded stdlib HTTP server that keeps each document by its
idempotency key (a second POST with the key sends nothing new), counts every POST per
key (:meth:`ApEmulator.post_count`, for the exactly-once tests), and answers each
document with a scripted sequence of MLR and Invoice Response codes
(:data:`Script`: a function of the invoice number BT-1, :func:`default_script` unless
told otherwise; :meth:`ApEmulator.respond` adds one by hand), as JSON, as UBL
ApplicationResponse documents inside the JSON (base64), or as links to them
(``response_format``). Scripts follow the Peppol code rules (nothing after RE or PD, AP
only followed by PD, nothing after a final MLR): a script that breaks them is refused,
unless ``enforce_rules=False`` (to test a channel against a misbehaving access point).

Faults (:meth:`ApEmulator.fail`): answer 500, answer only after ``slow_seconds`` (a
timeout for a client that waits less), or drop the connection after receiving (a POST
is stored first, so the client does not know the document arrived).

Status callbacks: given a ``callback_url`` (and the ``callback_secret`` shared with the
receiver), the emulator POSTs a signed callback (:mod:`delivery.webhooks`) for each
answer a document gets (the scripted ones when it arrives, and each
:meth:`~ApEmulator.respond`), in order, from one background thread, as real HTTP (:mod:`delivery.ap_callbacks`). A
callback answered 409, 429 or 5xx, or not answered at all, is tried again
(``callback_attempts`` in all, the wait doubling from ``callback_backoff`` up to a
second), as access points do; every attempt is kept in :attr:`ApEmulator.callbacks`,
:meth:`~ApEmulator.replay` sends one again and
:meth:`~ApEmulator.wait_callbacks` waits until none is pending.

>>> with ApEmulator() as ap:
...     ap.url.startswith("http://127.0.0.1:")
True
"""

from __future__ import annotations

import base64
import enum
import hmac
import itertools
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final, Literal, TypeAlias
from urllib.parse import parse_qs, urlsplit

from delivery.ap_callbacks import CallbackAttempt, CallbackSender
from delivery.base import StatusReason
from delivery.responses import (
    LineIssue,
    PeppolKind,
    Response,
    check_sequence,
    to_json,
    to_ubl,
)
from model.document import Identifier

__all__ = [
    "ApEmulator",
    "CallbackAttempt",
    "Fault",
    "ResponseFormat",
    "Script",
    "Scripted",
    "StoredDocument",
    "default_script",
    "demo_script",
]

MAX_BODY: Final = 20 * 1024 * 1024
"""Larger POST bodies are answered 413."""
_CBC: Final = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"

ResponseFormat: TypeAlias = Literal["json", "ubl", "ubl-href"]
"""How answers are listed: JSON objects, UBL in the JSON (base64), or links to the UBL."""


class Fault(enum.StrEnum):
    """What :meth:`ApEmulator.fail` makes the server do instead of answering."""

    ERROR = "500"
    """Answer ``500 Internal Server Error`` without doing anything."""
    SLOW = "slow"
    """Do the work, then wait ``slow_seconds`` before answering (a client timeout)."""
    DROP = "drop"
    """Do the work (a POST is stored), then close the connection without an answer."""


@dataclass(frozen=True, slots=True)
class Scripted:
    """One scripted answer: its kind and code, the status reasons (Invoice Response), the
    description and the line issues (MLR)."""

    kind: PeppolKind
    code: str
    reasons: tuple[StatusReason, ...] = ()
    description: str | None = None
    lines: tuple[LineIssue, ...] = ()


Script: TypeAlias = Callable[[str], Sequence[Scripted]]
"""The answers for the document with invoice number BT-1, in order."""

_MLR_AB = Scripted("mlr", "AB")


def default_script(number: str) -> list[Scripted]:
    """MLR AB, Invoice Response AB, then AP: a document accepted by its buyer."""
    return [_MLR_AB, Scripted("invoice-response", "AB"), Scripted("invoice-response", "AP")]


def demo_script(number: str) -> list[Scripted]:
    """A rule on the number's digits (their sum modulo 6) so that a batch shows every fate:
    paid; accepted; under query (reference wrong); partially paid; rejected by the buyer
    (issue a new invoice); rejected by the receiving access point (a business rule)."""
    fate = sum(int(c) for c in number if c.isdigit()) % 6
    ab = Scripted("invoice-response", "AB")
    if fate == 0:
        return [_MLR_AB, ab, Scripted("invoice-response", "AP"), Scripted("invoice-response", "PD")]
    if fate == 1:
        return [_MLR_AB, ab, Scripted("invoice-response", "AP")]
    if fate == 2:
        reason = StatusReason("OPStatusReason", "REF", "purchase order number unknown to us")
        action = StatusReason("OPStatusAction", "PIN", "send the order number")
        return [_MLR_AB, ab, Scripted("invoice-response", "UQ", (reason, action))]
    if fate == 3:
        partial = StatusReason("OPStatusReason", "PPD", "half paid, rest after delivery")
        return [
            _MLR_AB,
            Scripted("invoice-response", "AP"),
            Scripted("invoice-response", "PD", (partial,)),
        ]
    if fate == 4:
        reason = StatusReason("OPStatusReason", "PRI", "prices differ from the contract")
        action = StatusReason("OPStatusAction", "NIN", "issue a new invoice")
        return [_MLR_AB, ab, Scripted("invoice-response", "RE", (reason, action))]
    issue = LineIssue(
        line_id="/Invoice/cac:AccountingCustomerParty",
        reason="BV",
        description="[PEPPOL-EN16931-R010] Buyer electronic address MUST be provided",
    )
    return [
        Scripted("mlr", "RE", description="Rejected by the receiving access point", lines=(issue,))
    ]


@dataclass
class StoredDocument:
    """A document the emulator holds: its id, key, invoice number, receiver and sender
    (``scheme:value``), the bytes, when it arrived, and its answers so far."""

    id: str
    idempotency_key: str
    number: str
    receiver: str
    sender: str | None
    ubl: bytes
    received_at: datetime
    responses: list[Response] = field(default_factory=list)
    released: int = 0

    def as_json(self) -> dict[str, Any]:
        """The API's document object."""
        return {
            "id": self.id,
            "status": "sent",
            "idempotency_key": self.idempotency_key,
            "number": self.number,
            "receiver": self.receiver,
            "received_at": self.received_at.isoformat().replace("+00:00", "Z"),
        }


@dataclass
class _FaultRule:
    fault: Fault
    remaining: int | None  # None: for ever
    method: str | None
    path_prefix: str


def _identifier(text: str | None) -> Identifier | None:
    if not text or ":" not in text:
        return None
    scheme, value = text.split(":", 1)
    return Identifier(value=value, scheme=scheme)


class ApEmulator:
    """The emulated access point; start it with :meth:`start` or ``with``."""

    def __init__(
        self,
        *,
        token: str | None = None,
        script: Script = default_script,
        response_format: ResponseFormat = "json",
        release: Literal["all", "one-per-poll"] = "all",
        enforce_rules: bool = True,
        slow_seconds: float = 2.0,
        unknown_receivers: Sequence[str] = (),
        callback_url: str | None = None,
        callback_secret: str | None = None,
        callback_attempts: int = 6,
        callback_backoff: float = 0.05,
    ) -> None:
        self.token = token
        self.script = script
        self.response_format: ResponseFormat = response_format
        self.release = release
        self.enforce_rules = enforce_rules
        self.slow_seconds = slow_seconds
        self.unknown_receivers = frozenset(unknown_receivers)
        self.callbacks_out = CallbackSender(
            callback_url, callback_secret, attempts=callback_attempts, backoff=callback_backoff
        )
        """The status callbacks (:mod:`delivery.ap_callbacks`): where, signed how, sent."""
        self.posts: Counter[str] = Counter()
        """Every POST received per idempotency key (also those that sent nothing new)."""
        self.errors: list[str] = []
        """What went wrong inside the emulator (a script that breaks the rules)."""
        self._documents: dict[str, StoredDocument] = {}
        self._by_id: dict[str, StoredDocument] = {}
        self._faults: list[_FaultRule] = []
        self._ids = itertools.count(1)
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle ---------------------------------------------------------------------

    def start(self) -> ApEmulator:
        """Listen on a free port of 127.0.0.1, serving from a daemon thread."""
        if self._server is None:
            server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
            server.daemon_threads = True
            self._server = server
            self._thread = threading.Thread(
                target=server.serve_forever, args=(0.05,), name="ap-emulator", daemon=True
            )
            self._thread.start()
            self.callbacks_out.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.callbacks_out.stop()

    def __enter__(self) -> ApEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (the channel's ``url``)."""
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # -- control ------------------------------------------------------------------------

    def fail(
        self,
        fault: Fault,
        *,
        times: int | None = 1,
        method: str | None = None,
        path_prefix: str = "/",
    ) -> None:
        """Answer the next ``times`` requests (``None``: all of them) matching ``method`` and
        ``path_prefix`` with ``fault``."""
        with self._lock:
            self._faults.append(_FaultRule(fault, times, method, path_prefix))

    def heal(self) -> None:
        """Forget every fault."""
        with self._lock:
            self._faults.clear()

    def post_count(self, idempotency_key: str) -> int:
        """How many POSTs carried ``idempotency_key``."""
        with self._lock:
            return self.posts[idempotency_key]

    def stored(self, idempotency_key: str) -> StoredDocument | None:
        """The document held under ``idempotency_key``."""
        with self._lock:
            return self._documents.get(idempotency_key)

    @property
    def documents(self) -> list[StoredDocument]:
        """Every document held, in arrival order (each key once)."""
        with self._lock:
            return list(self._documents.values())

    def respond(
        self,
        document_id: str,
        kind: PeppolKind,
        code: str,
        reasons: Sequence[StatusReason] = (),
        *,
        description: str | None = None,
        lines: Sequence[LineIssue] = (),
    ) -> Response:
        """Add an answer to document ``document_id``; refused (TransitionRefused) when it breaks
        the code rules and they are enforced."""
        with self._lock:
            document = self._by_id[document_id]
            scripted = Scripted(kind, code, tuple(reasons), description, tuple(lines))
            response = self._make(document, scripted, len(document.responses) + 1)
            if self.enforce_rules:
                check_sequence([*document.responses, response])
            document.responses.append(response)
            self.callbacks_out.call_back(document, [response])
            return response

    @property
    def callbacks(self) -> list[CallbackAttempt]:
        """Every callback POST made, in order (also the failed and retried ones)."""
        return self.callbacks_out.callbacks

    def replay(self, event_id: str) -> None:
        """Send the callback ``event_id`` again, byte for byte (a replay)."""
        self.callbacks_out.replay(event_id)

    def wait_callbacks(self, timeout: float = 10.0) -> bool:
        """Wait until every callback is done (answered, or given up); False on timeout."""
        return self.callbacks_out.wait(timeout)

    # -- the work -----------------------------------------------------------------------

    def _make(self, document: StoredDocument, scripted: Scripted, index: int) -> Response:
        return Response(
            kind=scripted.kind,
            code=scripted.code,
            id=f"{document.id}-r{index}",
            document_id=document.number,
            issued=document.received_at + timedelta(seconds=index),
            reasons=scripted.reasons,
            description=scripted.description,
            lines=scripted.lines,
            sender=_identifier(document.receiver),
            receiver=_identifier(document.sender),
        )

    def _fault_for(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for rule in self._faults:
                if (rule.method is None or rule.method == method) and path.startswith(
                    rule.path_prefix
                ):
                    if rule.remaining is not None:
                        rule.remaining -= 1
                        if rule.remaining <= 0:
                            self._faults.remove(rule)
                    return rule.fault
        return None

    @staticmethod
    def _again(existing: StoredDocument, body: bytes) -> tuple[int, dict[str, Any]]:
        if existing.ubl != body:
            return 409, {"error": "another document was sent under this idempotency key"}
        return 200, existing.as_json()

    def _store(
        self, key: str, receiver: str, sender: str | None, body: bytes
    ) -> tuple[int, dict[str, Any]]:
        from ubl._xml import load
        from ubl.errors import InputError

        with self._lock:
            self.posts[key] += 1
            existing = self._documents.get(key)
            if existing is not None:
                return self._again(existing, body)
        try:
            root = load(body, "request body").getroot()
        except InputError as exc:
            return 400, {"error": f"the body is no XML document: {exc.message}"}
        number_element = root.find(f"{{{_CBC}}}ID")
        number = (number_element.text or "").strip() if number_element is not None else ""
        if not number:
            return 400, {"error": "the document has no cbc:ID (BT-1)"}
        if receiver in self.unknown_receivers:
            return 422, {"error": f"receiver {receiver} is not registered on the Peppol network"}
        with self._lock:
            existing = self._documents.get(key)  # a concurrent POST with the same key
            if existing is not None:
                return self._again(existing, body)
            document = StoredDocument(
                id=f"doc-{next(self._ids):06d}",
                idempotency_key=key,
                number=number,
                receiver=receiver,
                sender=sender,
                ubl=body,
                received_at=datetime.now(UTC).replace(microsecond=0),
            )
            answers = [
                self._make(document, scripted, index)
                for index, scripted in enumerate(self.script(number), start=1)
            ]
            if self.enforce_rules:
                try:
                    check_sequence(answers)
                except ValueError as exc:
                    self.errors.append(f"script for {number} breaks the Peppol rules: {exc}")
                    return 500, {"error": "the emulator's script breaks the Peppol rules"}
            document.responses = answers
            self._documents[key] = document
            self._by_id[document.id] = document
            self.callbacks_out.call_back(document, answers)
            return 202, document.as_json()

    def _responses(self, document: StoredDocument) -> list[dict[str, Any]]:
        with self._lock:
            if self.release == "one-per-poll":
                document.released = min(document.released + 1, len(document.responses))
            else:
                document.released = len(document.responses)
            visible = document.responses[: document.released]
        items: list[dict[str, Any]] = []
        for response in visible:
            if self.response_format == "json":
                items.append(to_json(response))
            elif self.response_format == "ubl":
                items.append(
                    {
                        "id": response.id,
                        "content_type": "application/xml",
                        "content_base64": base64.b64encode(to_ubl(response)).decode("ascii"),
                    }
                )
            else:
                items.append(
                    {
                        "id": response.id,
                        "content_type": "application/xml",
                        "href": f"/documents/{document.id}/responses/{response.id}",
                    }
                )
        return items

    def _authorised(self, header: str | None) -> bool:
        if self.token is None:
            return True
        expected = f"Bearer {self.token}".encode()
        return header is not None and hmac.compare_digest(header.encode(), expected)


def _handler_for(emulator: ApEmulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "ledgerlink-ap-emulator"
        disable_nagle_algorithm = True  # headers and body go out as two writes: without
        # TCP_NODELAY each answer waits for the client's delayed ACK (about 40 ms)

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def _send(self, status: int, body: Any, content_type: str = "application/json") -> None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _drop(self) -> None:
            self.close_connection = True

        def _handle(self, method: str) -> None:
            parts = urlsplit(self.path)
            path = parts.path.rstrip("/") or "/"
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self.close_connection = True
                self._send(413, {"error": f"the body is over {MAX_BODY} bytes"})
                return
            body = self.rfile.read(length) if length else b""
            fault = emulator._fault_for(method, path)
            if fault is Fault.ERROR:
                self._send(500, {"error": "internal error (emulated)"})
                return
            if not emulator._authorised(self.headers.get("Authorization")):
                self._send(401, {"error": "missing or wrong bearer token"})
                return
            status, answer, content_type = self._route(method, path, parts.query, body)
            if fault is Fault.DROP:
                self._drop()
                return
            if fault is Fault.SLOW:
                time.sleep(emulator.slow_seconds)
            self._send(status, answer, content_type)

        def _route(self, method: str, path: str, query: str, body: bytes) -> tuple[int, Any, str]:
            segments = [s for s in path.split("/") if s]
            json_type = "application/json"
            if method == "POST" and segments == ["documents"]:
                key = self.headers.get("Idempotency-Key")
                receiver = self.headers.get("X-Peppol-Receiver")
                if not key:
                    return 400, {"error": "the Idempotency-Key header is required"}, json_type
                if not receiver or ":" not in receiver:
                    return 400, {"error": "X-Peppol-Receiver must be scheme:value"}, json_type
                status, answer = emulator._store(
                    key, receiver, self.headers.get("X-Peppol-Sender"), body
                )
                return status, answer, json_type
            if method != "GET" or not segments or segments[0] != "documents":
                return 404, {"error": f"no such resource: {method} {path}"}, json_type
            if len(segments) == 1:
                keys = parse_qs(query).get("idempotency_key")
                if not keys:
                    return 400, {"error": "idempotency_key is required"}, json_type
                found = emulator.stored(keys[0])
                if found is None:
                    return 404, {"error": "no document with that idempotency key"}, json_type
                return 200, found.as_json(), json_type
            with emulator._lock:
                document = emulator._by_id.get(segments[1])
            if document is None:
                return 404, {"error": f"no document {segments[1]}"}, json_type
            if len(segments) == 2:
                return 200, document.as_json(), json_type
            if segments[2] == "responses" and len(segments) == 3:
                return 200, emulator._responses(document), json_type
            if segments[2] == "responses" and len(segments) == 4:
                with emulator._lock:
                    wanted = [r for r in document.responses if r.id == segments[3]]
                if not wanted:
                    return 404, {"error": f"no response {segments[3]}"}, json_type
                return 200, to_ubl(wanted[0]), "application/xml"
            return 404, {"error": f"no such resource: GET {path}"}, json_type

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

    return Handler
