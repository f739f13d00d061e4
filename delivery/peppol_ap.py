"""The Peppol access point channel (``type = "peppol-ap"``): a generic REST API over HTTP.

Access point providers put a REST API in front of the Peppol four-corner network: the
sender (corner 1) hands its document to its access point (corner 2), which delivers it
to the receiver's access point (corner 3); the answers come back as Peppol MLR (from
corner 3, technical) and Invoice Response (from the buyer, corner 4) messages. This
channel speaks the API below, modelled on such providers; the emulator in
:mod:`delivery.ap_emulator` implements it.

The API (``{url}`` is the channel's ``url``; every request carries
``Authorization: Bearer <token>`` when ``token_env`` is set; errors are JSON
``{"error": "..."}``):

``POST {url}/documents``
    Body: the UBL document (``Content-Type: application/xml``). Headers:
    ``Idempotency-Key: K`` (required), ``X-Peppol-Receiver: scheme:value`` (the buyer's
    BT-49, required), ``X-Peppol-Sender: scheme:value`` (the seller's BT-34, optional).
    Answer ``202 {"id": ID, "status": "sent", "idempotency_key": K}``. The same key
    again answers ``200`` with the same id and sends nothing new; the same key with
    other bytes answers ``409``. ``400`` (no key, no receiver, not XML), ``401``/``403``
    (credentials), ``413`` (too large), ``422`` (receiver unknown on the network).
``GET {url}/documents?idempotency_key=K``
    ``200`` with the document object (``id``, ``status``, ``idempotency_key``,
    ``number``, ``receiver``, ``received_at``), or ``404`` when no document has that key.
``GET {url}/documents/{id}``
    ``200`` with the document object, or ``404``.
``GET {url}/documents/{id}/responses``
    ``200`` with the list of the answers so far, oldest first. Each item is one of:
    a JSON answer ``{"id", "type": "mlr" | "invoice-response", "code", "document_id",
    "issued", "reasons": [{"list_id", "code", "text"}], "description", "lines":
    [{"line_id", "reason", "description"}]}``; a UBL ApplicationResponse in the JSON,
    ``{"id", "content_type": "application/xml", "content_base64": "..."}``; or a link
    to it, ``{"id", "content_type": "application/xml", "href": "/documents/{id}/responses/{rid}"}``
    (a path under ``{url}``, like every path here).
``GET {url}/documents/{id}/responses/{rid}``
    ``200`` with the UBL ApplicationResponse (``Content-Type: application/xml``).

How the channel uses it: :meth:`PeppolApChannel.send` POSTs (retried on failures, 5xx
and 429 within the budget, which is safe because the server deduplicates by key) and
returns the state ``sent``; a 4xx is :class:`~delivery.base.ChannelRefused`, a spent
budget :class:`~delivery.base.ChannelUnavailable`. :meth:`~PeppolApChannel.lookup`
resolves a crash between send and record by the key. :meth:`~PeppolApChannel.poll`
reads every answer (JSON or UBL) and folds them under the Peppol code rules
(:func:`delivery.responses.status_events`): an answer that breaks them, or cannot be
read, is a finding on its event, never an exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import quote

import httpx

from delivery._http import RestClient
from delivery.base import (
    ChannelRefused,
    ChannelUnavailable,
    DeliveryState,
    Envelope,
    Receipt,
    StatusEvent,
)
from delivery.responses import (
    Response,
    ResponseError,
    decode_base64,
    from_json,
    from_ubl,
    status_events,
)
from model.document import Identifier

__all__ = ["PeppolApChannel", "participant"]

_XML_TYPES: Final = ("application/xml", "text/xml")


def participant(identifier: Identifier) -> str:
    """A Peppol participant id as the API's headers carry it: ``scheme:value`` (EAS code)."""
    return f"{identifier.scheme}:{identifier.value}"


def _error_text(answer: httpx.Response) -> str:
    try:
        body = answer.json()
    except ValueError:
        body = None
    if isinstance(body, Mapping) and isinstance(body.get("error"), str):
        return str(body["error"])[:300]
    return answer.reason_phrase or "no reason given"


class PeppolApChannel:
    """Delivers over Peppol through an access point's REST API at ``url``."""

    kind: Final = "peppol-ap"

    def __init__(
        self,
        name: str,
        url: str,
        *,
        token: str | None = None,
        timeout: float = 10.0,
        attempts: int = 4,
        backoff: float = 0.5,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._name = name
        self.url = url
        self._http = RestClient(
            name,
            url,
            token=token,
            timeout=timeout,
            attempts=attempts,
            backoff=backoff,
            transport=transport,
        )
        self._returned: dict[str, int] = {}

    @property
    def name(self) -> str:
        return self._name

    def __repr__(self) -> str:
        return f"PeppolApChannel({self._name!r}, {self.url!r})"

    def accepts(self, envelope: Envelope) -> bool:
        """Only a buyer with an electronic address (BT-49) and its scheme can be reached."""
        endpoint = envelope.buyer_endpoint
        return endpoint is not None and bool(endpoint.scheme) and bool(endpoint.value)

    def _refused(self, answer: httpx.Response, doing: str) -> ChannelRefused:
        return ChannelRefused(
            f"the access point refused {doing}: HTTP {answer.status_code}: {_error_text(answer)}",
            channel=self._name,
        )

    def _receipt(self, body: Any, doing: str) -> Receipt:
        if not isinstance(body, Mapping) or not isinstance(body.get("id"), str):
            raise ChannelUnavailable(
                f"the access point's answer to {doing} has no document id", channel=self._name
            )
        state = DeliveryState.DELIVERED if body.get("status") == "delivered" else DeliveryState.SENT
        return Receipt(remote_id=body["id"], state=state)

    def send(self, envelope: Envelope) -> Receipt:
        """POST the UBL with its idempotency key; the state reached is ``sent``."""
        if envelope.buyer_endpoint is None or not self.accepts(envelope):
            raise ChannelRefused(
                f"{envelope.number} has no buyer electronic address (BT-49) with a scheme",
                channel=self._name,
            )
        headers = {
            "Content-Type": "application/xml",
            "Idempotency-Key": envelope.idempotency_key,
            "X-Peppol-Receiver": participant(envelope.buyer_endpoint),
        }
        if envelope.seller_endpoint is not None and envelope.seller_endpoint.scheme:
            headers["X-Peppol-Sender"] = participant(envelope.seller_endpoint)
        doing = f"sending {envelope.number}"
        answer = self._http.request(
            "POST", "/documents", idempotent=True, content=envelope.ubl, headers=headers
        )
        if answer.status_code in (200, 201, 202):
            return self._receipt(self._http.json(answer), doing)
        raise self._refused(answer, doing)

    def lookup(self, envelope: Envelope) -> Receipt | None:
        """The document the access point holds under this idempotency key, or None."""
        doing = f"the lookup of {envelope.number}"
        answer = self._http.request(
            "GET",
            "/documents",
            idempotent=True,
            params={"idempotency_key": envelope.idempotency_key},
        )
        if answer.status_code == 404:
            return None
        if answer.status_code == 200:
            return self._receipt(self._http.json(answer), doing)
        raise self._refused(answer, doing)

    def _fetch_ubl(self, href: str, source: str) -> bytes:
        answer = self._http.request(
            "GET", href, idempotent=True, headers={"Accept": "application/xml"}
        )
        if answer.status_code != 200:
            raise ResponseError(f"{source}: HTTP {answer.status_code} for {href}")
        if answer.headers.get("content-type", "").split(";")[0].strip() not in _XML_TYPES:
            raise ResponseError(f"{source}: {href} is no XML document")
        return answer.content

    def _response(self, item: Any, source: str) -> Response | ResponseError:
        try:
            if isinstance(item, Mapping) and "content_base64" in item:
                text = item["content_base64"]
                if not isinstance(text, str):
                    raise ResponseError(f"{source}: content_base64 must be a string")
                data = decode_base64(text, source)
                return from_ubl(data, source)
            if isinstance(item, Mapping) and "href" in item:
                href = item["href"]
                if not isinstance(href, str) or not href.startswith("/"):
                    raise ResponseError(f"{source}: href must be a path on the access point")
                return from_ubl(self._fetch_ubl(href, source), source)
            return from_json(item, source)
        except ResponseError as exc:
            return exc

    def poll(self, envelope: Envelope, remote_id: str) -> list[StatusEvent]:
        """The answers not returned before by this object, as status events (read in full
        and folded under the code rules each time, so the states are those of the whole
        sequence)."""
        doing = f"the status request of {envelope.number}"
        path = f"/documents/{quote(remote_id, safe='')}/responses"
        answer = self._http.request("GET", path, idempotent=True)
        if answer.status_code != 200:
            raise self._refused(answer, doing)
        items = self._http.json(answer)
        if not isinstance(items, list):
            raise ChannelUnavailable(
                f"the answer to {doing} is no list of responses", channel=self._name
            )
        responses = [
            self._response(item, f"response {i + 1} of {envelope.number} ({remote_id})")
            for i, item in enumerate(items)
        ]
        events = status_events(responses, DeliveryState.SENT)
        seen = self._returned.get(remote_id, 0)
        self._returned[remote_id] = len(events)
        return events[seen:]

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.close()
