"""The settings of a Tryton connection and the connector's registration.

Read from the connector's own keys of a ``[connections.<name>]`` table::

    [connections.demo]
    connector = "tryton"
    url = "http://127.0.0.1:8000"
    database = "demo"
    username = "admin"
    password_env = "TRYTON_PASSWORD"   # or password_file = "tryton.secret"
    page_size = 100                    # records per JSON-RPC search, default 100

Unknown keys are refused; ``password_env`` / ``password_file`` refer to the secret
``password`` (:data:`CONNECTOR` declares it), which is read when the connection opens. :data:`CONNECTOR` is what the ``ledgerlink.connectors`` entry point
``tryton`` names; it opens a :class:`~connectors.tryton.TrytonConnector` with the
connection's ``[parties]`` table and ``mappings/tryton.toml`` (plus ``mappings_override``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from connectors.registry import ConnectionContext, ConnectorType

if TYPE_CHECKING:
    from connectors.base import Connector

__all__ = ["CONNECTOR", "TrytonSettings"]


class TrytonSettings(BaseModel):
    """The connector-specific keys of a Tryton connection; see the module docstring."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(min_length=1, description="the Tryton server, http(s)://host:port")
    database: str = Field(min_length=1, description="the Tryton database name")
    username: str = Field(min_length=1, description="the Tryton user")
    page_size: int = Field(default=100, ge=1, description="records per search")


def _open(settings: TrytonSettings, context: ConnectionContext) -> Connector:
    from connectors.tryton import TrytonConnector

    return TrytonConnector(
        settings.url,
        settings.database,
        settings.username,
        password=context.secret("password"),
        page_size=settings.page_size,
        name=context.name,
        parties=context.parties,
        mapping=context.mapping(),
    )


CONNECTOR: ConnectorType[TrytonSettings] = ConnectorType(
    kind="tryton",
    settings=TrytonSettings,
    open=_open,
    mapping="tryton",
    secrets=("password",),
    summary="Tryton over JSON-RPC: invoices, parties, payments; pushes status and payments",
)
