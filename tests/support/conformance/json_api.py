"""A reference JSON API and its connector: connectors/http.py in the conformance suite's terms.

:class:`InvoiceApi` is a real HTTP server on a loopback port, shaped like the REST APIs of
accounting SaaS products:

* ``POST /oauth/token`` - the OAuth2 refresh-token grant; each grant issues a new access token.
* ``GET /invoices?limit=N&after=<ISO time>&after_id=<id>`` - bearer token required (401
  otherwise), the invoices after ``(after, after_id)`` in ``(updated_at, id)`` order,
  ``{"invoices": [{"id", "updated_at", "document"}]}`` with the document in model JSON
  (:mod:`model.jsonio`). Ids are opaque text, ordered as text (never all digits).

:class:`JsonApiConnector` is built the way an HTTP connector of ledgerlink is:
:class:`~connectors.http.HttpClient` (retries, Retry-After) with
:class:`~connectors.http.OAuth2RefreshAuth` (one refresh on a 401), pages by
:func:`~connectors.base.keyset_pages`, documents read by :func:`model.jsonio.from_data`. It
lives in the tests, not in the product: it shows that the generic HTTP client keeps the
suite's promises for any connector built on it, and it is the template for the next one.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from connectors.base import (
    Capability,
    Cursor,
    DocumentRef,
    Page,
    Payment,
    Record,
    RecordKey,
    StatusUpdate,
    Stream,
    keyset_pages,
)
from connectors.errors import ConfigurationError, RecordError
from connectors.http import HttpClient, OAuth2RefreshAuth, RetryPolicy
from connectors.secrets import MemorySecretStore

if TYPE_CHECKING:
    from model import Invoice

__all__ = ["CLIENT_ID", "CLIENT_SECRET", "REFRESH_TOKEN", "InvoiceApi", "JsonApiConnector"]

CLIENT_ID = "ledgerlink"
CLIENT_SECRET = "api-client-s3cret"
REFRESH_TOKEN = "api-refresh-token"
TOKEN_PATH = "/oauth/token"
INVOICES_PATH = "/invoices"


@dataclass(frozen=True, slots=True)
class ApiInvoice:
    """One invoice as the API stores it."""

    id: str
    updated_at: datetime
    document: dict[str, Any]


class InvoiceApi:
    """The API server; see the module docstring. ``put`` and ``revoke_access_tokens`` change
    what it holds and accepts, as its users and its token expiry would."""

    def __init__(self) -> None:
        self.invoices: dict[str, ApiInvoice] = {}
        self._access_tokens: set[str] = set()
        self._issued = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.01,), daemon=True
        )
        self._thread.start()

    def put(self, invoice_id: str, document: dict[str, Any], updated_at: datetime) -> None:
        if invoice_id.isdigit():
            raise ValueError(f"invoice ids are text, not numbers: {invoice_id!r}")
        with self._lock:
            self.invoices[invoice_id] = ApiInvoice(invoice_id, updated_at, document)

    def revoke_access_tokens(self) -> None:
        """Every access token issued so far expires; refreshing keeps working."""
        with self._lock:
            self._access_tokens.clear()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _grant(self, form: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        expected = {
            "grant_type": ["refresh_token"],
            "refresh_token": [REFRESH_TOKEN],
            "client_id": [CLIENT_ID],
            "client_secret": [CLIENT_SECRET],
        }
        if form != expected:
            return 400, {"error": "invalid_grant"}
        with self._lock:
            self._issued += 1
            token = f"api-access-token-{self._issued}"
            self._access_tokens.add(token)
        return 200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600}

    def _page(self, authorization: str, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        scheme, _, token = authorization.partition(" ")
        with self._lock:
            if scheme != "Bearer" or token not in self._access_tokens:
                return 401, {"error": "invalid_token"}
            stored = sorted(self.invoices.values(), key=lambda item: (item.updated_at, item.id))
        limit = int(query["limit"][0])
        if "after" in query:
            bound = (datetime.fromisoformat(query["after"][0]), query.get("after_id", [""])[0])
            stored = [item for item in stored if (item.updated_at, item.id) > bound]
        rows = [
            {"id": item.id, "updated_at": item.updated_at.isoformat(), "document": item.document}
            for item in stored[:limit]
        ]
        return 200, {"invoices": rows}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = urllib.parse.parse_qs(self.rfile.read(length).decode())
                if self.path == TOKEN_PATH:
                    self._reply(*api._grant(form))
                else:
                    self._reply(404, {"error": "not found"})

            def do_GET(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                if url.path == INVOICES_PATH:
                    query = urllib.parse.parse_qs(url.query)
                    self._reply(*api._page(self.headers.get("Authorization", ""), query))
                else:
                    self._reply(404, {"error": "not found"})

            def _reply(self, status: int, body: dict[str, Any]) -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                if status == 401:
                    self.send_header("WWW-Authenticate", 'Bearer error="invalid_token"')
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        return Handler


class JsonApiConnector:
    """The ``invoices`` of an :class:`InvoiceApi` at ``url``; see the module docstring."""

    def __init__(
        self,
        url: str,
        *,
        page_size: int = 100,
        retry: RetryPolicy | None = None,
        name: str = "json-api",
    ) -> None:
        self._name = name
        self._page_size = page_size
        store = MemorySecretStore({"oauth2.refresh_token": SecretStr(REFRESH_TOKEN)})
        auth = OAuth2RefreshAuth(
            token_url=f"{url}{TOKEN_PATH}",
            client_id=CLIENT_ID,
            client_secret=SecretStr(CLIENT_SECRET),
            store=store,
        )
        self._http = HttpClient(url, auth=auth, retry=retry)

    def __enter__(self) -> JsonApiConnector:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._http.close()

    @property
    def name(self) -> str:
        return self._name

    @property
    def capabilities(self) -> frozenset[Capability]:
        return frozenset({Capability.PULL_INVOICES})

    def pull(self, stream: Stream, cursor: Cursor | None) -> Iterator[Page]:
        if stream is not Stream.INVOICES:
            raise ConfigurationError(f"{self._name}: only the invoices stream, not {stream}")
        return keyset_pages(self._fetch, cursor, page_size=self._page_size)

    def document(self, record: Record) -> Invoice:
        from model.jsonio import JsonModelError, from_data

        try:
            return from_data(record.data["document"], source=f"{self._name} invoice {record.id}")
        except JsonModelError as failure:
            raise RecordError(record.id, str(failure)) from None

    def push_status(self, document_ref: DocumentRef, status: StatusUpdate) -> None:
        raise ConfigurationError(f"{self._name}: read-only")

    def push_payment(self, document_ref: DocumentRef, payment: Payment) -> None:
        raise ConfigurationError(f"{self._name}: read-only")

    def _fetch(self, after: RecordKey | None, limit: int) -> list[Record]:
        params: dict[str, str | int] = {"limit": limit}
        if after is not None:
            kind, number, text = after.id
            params["after"] = after.updated_at.isoformat()
            params["after_id"] = text if kind == 1 else (str(number) if kind == 0 else "")
        rows = self._http.get(INVOICES_PATH, params=params).json()["invoices"]
        return [
            Record(
                id=row["id"],
                updated_at=datetime.fromisoformat(row["updated_at"]),
                data={"number": row["document"].get("number"), "document": row["document"]},
            )
            for row in rows
        ]
