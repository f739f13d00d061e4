"""Keys computed from a document, the same in every process and on every database."""

from __future__ import annotations

import hashlib
import json

__all__ = ["content_hash", "idempotency_key"]


def content_hash(ubl: bytes) -> str:
    """SHA-256 (hex) of a document's canonical UBL bytes: ``documents.content_hash``."""
    return hashlib.sha256(ubl).hexdigest()


def idempotency_key(connection: str, source_id: str, content_hash: str) -> str:
    """The outbox key of one delivery: SHA-256 (hex) of connection, source record and hash.

    Hashed from a JSON array, so no choice of ids can make two different triples collide
    by concatenation, and the key is a 64-character token a channel can pass on
    (an HTTP ``Idempotency-Key`` header, a file name).

    >>> idempotency_key("shop", "INV-1", "ab") == idempotency_key("shop", "INV-1", "ab")
    True
    >>> idempotency_key("a:b", "c", "d") != idempotency_key("a", "b:c", "d")
    True
    """
    triple = json.dumps([connection, source_id, content_hash], ensure_ascii=False)
    return hashlib.sha256(triple.encode("utf-8")).hexdigest()
