"""The settings of a CSV connection: where the exports are, how they are written, the seller.

Read from the connector-specific keys of a ``[connections.<name>]`` table (see
``docs/csv-layout.md``)::

    [connections.shop]
    connector = "csv"
    path = "exports"              # a .csv file or a folder of them, relative to the settings file
    delimiter = ";"               # default ","
    decimal_separator = ","       # default "."
    date_format = "dd-mm-yyyy"    # or "%d-%m-%Y"; default ISO "yyyy-mm-dd"
    encoding = "cp1252"           # default "utf-8-sig" (UTF-8, with or without a BOM)

    [connections.shop.columns]    # our column name = "the export's header"
    number = "Factuurnummer"

    [connections.shop.seller]     # BG-4: a CSV export does not hold the seller
    name = "Lindeboom Kantoorartikelen B.V."
    vat = "NL000099998B57"
    kvk = "34567890"
    ...

Unknown keys are refused (a misspelt ``delimeter`` must not silently fall back to ``,``);
``connector``, ``parties`` and ``mappings_override`` are every connection's keys, read by
:mod:`ledgerlink.connections`. ``page_size`` (invoices per page, default 100) and
``max_bytes`` (default 64 MiB: a larger export is not read, its record fails naming the
file, its size and the limit) complete them.
Every problem is a :class:`~connectors.errors.ConfigurationError` naming the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from connectors.csv_layout import DEFAULT_DATE_FORMAT, CsvFormat
from connectors.errors import ConfigurationError
from connectors.settings_errors import SettingsProblems, validated
from model.codes import iso3166

__all__ = ["CsvSettings", "SellerSettings", "csv_settings"]


class SellerSettings(BaseModel):
    """The seller (BG-4) of every invoice of the connection, and where it is paid (BG-17).

    The legal registration BT-30 is the first of ``kvk`` (0106), ``oin`` (0190), ``kbo``
    (0208); the electronic address BT-34 is ``endpoint`` (``SCHEME:ID``), else that legal
    registration, else the VAT id under its EAS scheme.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, description="BT-27 seller name")
    trading_name: str | None = Field(default=None, description="BT-28 trading name")
    vat: str | None = Field(default=None, description="BT-31 VAT identifier")
    kvk: str | None = Field(default=None, description="BT-30 KvK number (0106)")
    oin: str | None = Field(default=None, description="BT-30 OIN (0190)")
    kbo: str | None = Field(default=None, description="BT-30 Belgian enterprise number (0208)")
    endpoint: str | None = Field(default=None, description="BT-34 electronic address SCHEME:ID")
    street: str | None = Field(default=None, description="BT-35 address line 1")
    street2: str | None = Field(default=None, description="BT-36 address line 2")
    city: str | None = Field(default=None, description="BT-37 city")
    postcode: str | None = Field(default=None, description="BT-38 post code")
    country: str = Field(description="BT-40 country code (ISO 3166-1 alpha-2)")
    iban: str | None = Field(default=None, description="BT-84 payment account (IBAN)")
    bic: str | None = Field(default=None, description="BT-86 payment service provider (BIC)")
    account_name: str | None = Field(default=None, description="BT-85 payment account name")
    creditor_id: str | None = Field(
        default=None, description="BT-90 SEPA creditor identifier (direct debit)"
    )
    contact: str | None = Field(default=None, description="BT-41 contact point")
    phone: str | None = Field(default=None, description="BT-42 contact telephone number")
    email: str | None = Field(default=None, description="BT-43 contact email address")

    @field_validator("country")
    @classmethod
    def _iso_country(cls, value: str) -> str:
        if not iso3166.is_valid(value):
            raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code")
        return value

    @field_validator("iban", "vat", "creditor_id")
    @classmethod
    def _no_spaces(cls, value: str | None) -> str | None:
        return None if value is None else value.replace(" ", "").upper()


DEFAULT_MAX_BYTES = 64 * 1024 * 1024
"""A larger export is one failing record (split it, or raise ``max_bytes``): every pull
holds a file's rows in memory."""


class CsvSettings(BaseModel):
    """The connector-specific keys of a CSV connection; see the module docstring."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field(min_length=1, description="a .csv file or a folder of them")
    delimiter: str = ","
    decimal_separator: Literal[".", ","] = "."
    date_format: str = DEFAULT_DATE_FORMAT
    encoding: str = "utf-8-sig"
    columns: dict[str, str] = Field(default_factory=dict, description="our name -> header")
    seller: SellerSettings
    page_size: int = Field(default=100, ge=1)
    max_bytes: int = Field(default=DEFAULT_MAX_BYTES, ge=1, description="larger files fail")

    def csv_format(self) -> CsvFormat:
        """How the exports are written; a ConfigurationError for a bad combination."""
        try:
            return CsvFormat(
                delimiter=self.delimiter,
                decimal_separator=self.decimal_separator,
                date_format=self.date_format,
                encoding=self.encoding,
                renames=dict(self.columns),
            )
        except ValueError as failure:
            raise ConfigurationError(str(failure)) from None


def csv_settings(options: Mapping[str, Any]) -> tuple[CsvSettings, CsvFormat]:
    """The checked settings and format of a CSV connection's own keys.

    Raises :class:`ConfigurationError` listing every problem in plain words
    (``seller.name: required, but not set``; ``page_size: must be a whole number, not true``).
    """
    try:
        settings = validated(CsvSettings, options)
    except SettingsProblems as failure:
        raise ConfigurationError(str(failure)) from None
    return settings, settings.csv_format()
