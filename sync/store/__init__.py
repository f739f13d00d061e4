"""The state store: what ledgerlink pulled, built, validated and delivered.

SQLAlchemy 2 Core tables (:mod:`sync.store.schema`) with Alembic migrations packaged in
``sync/store/migrations`` (no alembic.ini). SQLite in WAL mode is the embedded default
(foreign keys on, a busy timeout, synchronous FULL); PostgreSQL is reached by URL through psycopg 3.

>>> store = open_store("sqlite://")          # in memory; sqlite:///PATH or postgresql://...
>>> store.upgrade()[1] == store.head
True
>>> store.counts()["documents"]
0
>>> with store.begin() as connection:       # one transaction: committed or rolled back
...     _ = connection.execute(tenants.insert().values(key="default", name="Demo B.V."))
>>> store.counts()["tenants"]
1
>>> store.close()

Exceptions: see :mod:`sync.store.errors`.
"""

from sync.store.copy import TableCopy, copy_store
from sync.store.errors import (
    StoreError,
    StoreNotEmpty,
    StoreTooNew,
    StoreTooOld,
    StoreUnavailable,
    StoreVersionError,
)
from sync.store.keys import content_hash, idempotency_key
from sync.store.schema import (
    connections,
    cursors,
    documents,
    events,
    matches,
    metadata,
    outbox,
    payment_pushes,
    quarantine,
    statements,
    tenants,
    transactions,
)
from sync.store.store import Store, open_store
from sync.store.urls import redact

__all__ = [
    "Store",
    "StoreError",
    "StoreNotEmpty",
    "StoreTooNew",
    "StoreTooOld",
    "StoreUnavailable",
    "StoreVersionError",
    "TableCopy",
    "connections",
    "content_hash",
    "copy_store",
    "cursors",
    "documents",
    "events",
    "idempotency_key",
    "matches",
    "metadata",
    "open_store",
    "outbox",
    "payment_pushes",
    "quarantine",
    "redact",
    "statements",
    "tenants",
    "transactions",
]
