"""The loaded mapping of one system and its lookups.

Every lookup takes the source system's code and an optional ``record`` naming where the code was
seen (``"invoice INV-3 line 2"``). An unmapped code raises :class:`MissingMapping` naming the code,
that record and the file to edit: the last override file if any, else the packaged file.
"""

from __future__ import annotations

from collections.abc import Mapping as ReadOnlyDict
from dataclasses import dataclass
from pathlib import Path

from mappings.errors import MissingMapping
from mappings.tables import CODE_TABLES, DEFAULT_KEYS
from mappings.vat import VatMapping

__all__ = ["Mapping"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Mapping:
    """One system's tables after overrides, each already checked against its code list.

    ``system`` is the file stem (``tryton``), ``name`` how messages call the system
    (``Tryton``), ``sources`` the files read in order (packaged file first) and ``edit_path`` the
    file a user should edit to add a mapping.
    """

    system: str
    name: str
    sources: tuple[Path, ...]
    vat_codes: ReadOnlyDict[str, VatMapping]
    codes: ReadOnlyDict[str, ReadOnlyDict[str, str]]
    defaults: ReadOnlyDict[str, str]

    @property
    def edit_path(self) -> Path:
        """The file to edit for a missing mapping: the last override, else the packaged file."""
        return self.sources[-1]

    def vat(self, code: str, *, record: str | None = None) -> VatMapping:
        """Return the VAT category, rate and exemption (BT-151/152, BT-120/121) for a tax code."""
        try:
            return self.vat_codes[code]
        except KeyError:
            raise self._missing("vat", "VAT", "tax code", code, record) from None

    def unit(self, code: str | None, *, record: str | None = None) -> str:
        """Return the UN/ECE Rec 20 unit code (BT-130); None means the source has no unit."""
        return self._code("units", code, record)

    def payment_means(self, code: str | None, *, record: str | None = None) -> str:
        """Return the UNCL4461 payment means code (BT-81) for a payment method."""
        return self._code("payment_methods", code, record)

    def country(self, code: str | None, *, record: str | None = None) -> str:
        """Return the ISO 3166-1 alpha-2 country code; ISO codes pass through unchanged."""
        return self._code("countries", code, record, pass_valid=True)

    def currency(self, code: str | None, *, record: str | None = None) -> str:
        """Return the ISO 4217 currency code (BT-5, BT-6); ISO codes pass through unchanged."""
        return self._code("currencies", code, record, pass_valid=True)

    def scheme(self, kind: str, *, record: str | None = None) -> str:
        """Return the ICD/EAS scheme (e.g. ``0106`` for KvK) of a party identifier type."""
        return self._code("identifier_schemes", kind, record)

    def is_mapped(self, table: str, code: str) -> bool:
        """Return True if ``code`` has a mapping in ``table`` (for ``mappings check``)."""
        if table == "vat":
            return code in self.vat_codes
        spec = CODE_TABLES[table]
        if code in self.codes[table]:
            return True
        return table in {"countries", "currencies"} and spec.is_valid(code)

    def _code(
        self, table: str, code: str | None, record: str | None, *, pass_valid: bool = False
    ) -> str:
        """Look ``code`` up in a code table, falling back to ``[defaults]`` when it is None."""
        spec = CODE_TABLES[table]
        if code is None:
            default_key = next(key for key, name in DEFAULT_KEYS.items() if name == table)
            try:
                return self.defaults[default_key]
            except KeyError:
                raise MissingMapping(
                    f"no {spec.source_noun} given and no default {spec.label}"
                    f"{_context(record)}: add {default_key} under [defaults] in {self.edit_path}",
                    system=self.system,
                    table="defaults",
                    code=None,
                    record=record,
                    path=self.edit_path,
                ) from None
        mapped = self.codes[table].get(code)
        if mapped is not None:
            return mapped
        if pass_valid and spec.is_valid(code):
            return code
        raise self._missing(table, spec.label, spec.source_noun, code, record)

    def _missing(
        self, table: str, label: str, noun: str, code: str, record: str | None
    ) -> MissingMapping:
        return MissingMapping(
            f"no {label} mapping for {self.name} {noun} {code!r}{_context(record)}: "
            f"add it under [{table}] in {self.edit_path}",
            system=self.system,
            table=table,
            code=code,
            record=record,
            path=self.edit_path,
        )


def _context(record: str | None) -> str:
    return "" if record is None else f" ({record})"
