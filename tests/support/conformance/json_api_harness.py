"""The conformance harness of the reference JSON API connector (:mod:`.json_api`)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from connectors.base import Stream
from connectors.http import RetryPolicy
from support.fault_proxy import Exchange
from support.shared import REPO_ROOT

from .harness import BadRecord, Behaviour, HttpSide, Source
from .json_api import TOKEN_PATH, InvoiceApi, JsonApiConnector

__all__ = ["JsonApiHarness", "start_json_api"]

START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def model_documents() -> Iterator[dict[str, Any]]:
    """The model-JSON fixtures, decoded, one after the other."""
    for path in sorted((REPO_ROOT / "fixtures").glob("*.json")):
        yield json.loads(path.read_text(encoding="utf-8"))


class _ApiSide:
    def __init__(self, api: InvoiceApi) -> None:
        self._api = api

    @property
    def upstream_url(self) -> str:
        return self._api.url

    def is_auth_request(self, exchange: Exchange) -> bool:
        return exchange.path.split("?")[0] == TOKEN_PATH

    def expire_credentials(self) -> None:
        self._api.revoke_access_tokens()


class JsonApiHarness:
    """An :class:`InvoiceApi` holding two invoices, an hour apart, to start with."""

    name = "json-api"
    stream = Stream.INVOICES
    not_applicable: Mapping[Behaviour, str] = {}

    def __init__(self, api: InvoiceApi) -> None:
        self.api = api
        self.http: HttpSide = _ApiSide(api)
        self._documents = model_documents()
        self._moment = START
        for _ in range(2):
            self._add(self._next_moment())

    @contextmanager
    def connect(
        self, *, page_size: int, retry: RetryPolicy, url: str | None = None
    ) -> Iterator[Source]:
        with JsonApiConnector(url or self.api.url, page_size=page_size, retry=retry) as source:
            yield source

    def record_ids(self) -> set[str]:
        return set(self.api.invoices)

    def seed_shared_timestamp(self, count: int) -> list[str]:
        moment = self._next_moment()
        return [self._add(moment) for _ in range(count)]

    def touch(self, record_id: str) -> None:
        stored = self.api.invoices[record_id]
        document = {**stored.document, "payment_terms": "Changed by its user: 14 days"}
        self.api.put(record_id, document, datetime.now(UTC))

    def add_bad_record(self) -> BadRecord:
        document = copy.deepcopy(next(self._documents))
        document["lines"][0]["price"]["net"] = 12.5  # JSON number: money must be a string
        record_id = self._add(self._next_moment(), document)
        return BadRecord(record_id, (f"invoice {record_id}", "[lines[0].price.net]", "BT-146"))

    def _next_moment(self) -> datetime:
        self._moment += timedelta(hours=1)
        return self._moment

    def _add(self, moment: datetime, document: dict[str, Any] | None = None) -> str:
        record_id = f"inv-{len(self.api.invoices) + 1:04d}"
        self.api.put(record_id, document or next(self._documents), moment)
        return record_id


@contextmanager
def start_json_api(request: pytest.FixtureRequest, workdir: Path) -> Iterator[JsonApiHarness]:
    api = InvoiceApi()
    try:
        yield JsonApiHarness(api)
    finally:
        api.close()
