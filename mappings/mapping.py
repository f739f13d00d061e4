"""The loaded mapping of one system and its lookups.

Every lookup takes the source system's code and an optional ``record`` naming where the code was
seen (``"invoice INV-3 line 2"``). An unmapped code raises :class:`MissingMapping` naming the code,
that record and the file to edit - the last override file, or when there is none how to create
one (:attr:`Mapping.new_override`) - with the TOML lines to add. Never the packaged file: it is
part of the installed package, replaced on every upgrade.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping as ReadOnlyDict
from dataclasses import dataclass
from pathlib import Path

from mappings.additions import toml_lines
from mappings.errors import MissingMapping
from mappings.tables import CODE_TABLES, DEFAULT_KEYS
from mappings.vat import VatMapping

__all__ = ["Mapping", "NewOverride"]


@dataclass(frozen=True, slots=True)
class NewOverride:
    """How a user creates the first override file of a mapping that has none: ``how`` the
    instruction (the file and the settings line naming it), ``path`` the file it creates.
    The default is what is said when no caller told the connection (library use)."""

    how: str = (
        'create one and name it with mappings_override = "FILE" under [connections.NAME] '
        "in the settings file"
    )
    path: Path | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Mapping:
    """One system's tables after overrides, each already checked against its code list.

    ``system`` is the file stem (``tryton``), ``name`` how messages call the system
    (``Tryton``), ``sources`` the files read in order (packaged file first) and ``edit_path`` the
    override file a user should edit to add a mapping (None when there is none).
    ``new_override`` says, for a mapping with no override file, how to create one and name it
    in the settings (the caller that knows the connection sets it, :func:`mappings.load`).
    """

    system: str
    name: str
    sources: tuple[Path, ...]
    vat_codes: ReadOnlyDict[str, VatMapping]
    codes: ReadOnlyDict[str, ReadOnlyDict[str, str]]
    defaults: ReadOnlyDict[str, str]
    new_override: NewOverride = NewOverride()

    @property
    def edit_path(self) -> Path | None:
        """The file to edit for a missing mapping: the last override, None when there is none
        (the packaged file, ``sources[0]``, is never one to edit)."""
        return self.sources[-1] if len(self.sources) > 1 else None

    def advice(self) -> str:
        """Where a missing mapping goes, for a message (``add it under [vat] ...``): ``in
        FILE``, or how to create an override file when there is none."""
        if self.edit_path is not None:
            return f"in {self.edit_path}"
        return f"in a new mappings override file: {self.new_override.how}"

    def addition(self, missing: Iterable[tuple[str, str]]) -> str:
        """What to do for the ``(table, code)`` pairs of ``missing``: the file to edit (or
        how to create one) and, on the lines after, the TOML lines to add there."""
        lines = toml_lines(missing, self.edit_path)
        if self.edit_path is not None:
            return f"add to {self.edit_path}:\n{lines}"
        return f"no mappings override file yet: {self.new_override.how}, holding:\n{lines}"

    def _hint(self, table: str, code: str) -> str:
        """A finding's hint for one code: the file and the TOML lines (its message says how
        to create and name a new file)."""
        target = self.edit_path or self.new_override.path
        where = str(target) if target is not None else "a new mappings override file"
        return f"add to {where}:\n{toml_lines([(table, code)], self.edit_path)}"

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
                    f"{_context(record)}: add {default_key} under [defaults] "
                    f"{self.advice()}",
                    system=self.system,
                    table="defaults",
                    code=None,
                    record=record,
                    path=self.edit_path,
                    hint=self._hint("defaults", default_key),
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
            f"add it under [{table}] {self.advice()}",
            system=self.system,
            table=table,
            code=code,
            record=record,
            path=self.edit_path,
            hint=self._hint(table, code),
        )


def _context(record: str | None) -> str:
    return "" if record is None else f" ({record})"
