"""Connectors to accounting systems: pull records by cursor, push status and payments.

:mod:`connectors.base` holds the protocol, streams, records and cursors;
:mod:`connectors.errors` the exception tree; :mod:`connectors.registry` the connector
registry (``connector = "..."`` kinds, registered as ``ledgerlink.connectors`` entry points);
:mod:`connectors.http` the shared HTTP helper (retries, rate limits, call budget, OAuth2
refresh); :mod:`connectors.secrets` the secret stores. One module per system with its
settings model and its registration: ``tryton.py`` (settings in ``tryton_settings.py``),
``csv_file.py``, ``model_json.py``, ``ubl_dir.py``.

The names below are the public surface; each is importable from here or from its module.
The connector modules themselves load only when a connection of their kind is opened.
"""

from connectors.base import (
    Capability,
    CodeSource,
    Connector,
    Cursor,
    DocumentRef,
    DocumentSource,
    DocumentStatus,
    Page,
    Payment,
    Record,
    RecordKey,
    StatusUpdate,
    Stream,
    keyset_pages,
    record_key,
    select_after,
)
from connectors.errors import (
    ConfigurationError,
    ConnectorError,
    OutcomeUnknown,
    RecordError,
    TransientError,
)
from connectors.registry import (
    ENTRY_POINT_GROUP,
    ConnectionContext,
    ConnectorType,
    connector_type,
    known_kinds,
    register,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "Capability",
    "CodeSource",
    "ConfigurationError",
    "ConnectionContext",
    "Connector",
    "ConnectorError",
    "ConnectorType",
    "Cursor",
    "DocumentRef",
    "DocumentSource",
    "DocumentStatus",
    "OutcomeUnknown",
    "Page",
    "Payment",
    "Record",
    "RecordError",
    "RecordKey",
    "StatusUpdate",
    "Stream",
    "TransientError",
    "connector_type",
    "keyset_pages",
    "known_kinds",
    "record_key",
    "register",
    "select_after",
]
