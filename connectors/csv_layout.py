"""The CSV layout: which columns an export may have, and how its values are written.

One row per invoice line (BG-25). The invoice columns (``Scope.INVOICE``: number, dates,
customer, references, totals) repeat on every row of the invoice, or are left empty on all
but one of its rows; two different values on rows of one invoice are an error. The rows of an
invoice are found by its number (BT-1) and need not be consecutive. ``docs/csv-layout.md``
documents every column with its EN 16931 term; :data:`COLUMNS` is the one list both the reader
and that page follow.

A :class:`CsvFormat` holds what differs between exports: the delimiter, the decimal separator,
the date format, the encoding and a rename table (our column name -> the export's header).
Numbers are refused rather than guessed: a thousands separator, an exponent (``1e3``), a
currency sign or a space inside a number is an error, as is a date in another format.
Header names match without regard to case and surrounding spaces.
"""

from __future__ import annotations

import codecs
import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Final

__all__ = [
    "COLUMNS",
    "Column",
    "CsvFormat",
    "HeaderError",
    "Scope",
    "column",
    "strptime_format",
]


class Scope(enum.Enum):
    """Where a column's value belongs."""

    INVOICE = "invoice"  # one value per invoice: repeated on its rows, or left empty
    LINE = "line"  # one value per row (invoice line)


@dataclass(frozen=True, slots=True)
class Column:
    """One documented column: our name, its EN 16931 term, whether it must be there."""

    name: str
    term: str  # "BT-1", or "" for a column with no business term of its own
    title: str
    scope: Scope
    required: bool = False


def _invoice(name: str, term: str, title: str, *, required: bool = False) -> Column:
    return Column(name, term, title, Scope.INVOICE, required)


def _line(name: str, term: str, title: str, *, required: bool = False) -> Column:
    return Column(name, term, title, Scope.LINE, required)


COLUMNS: Final[tuple[Column, ...]] = (
    _invoice("number", "BT-1", "Invoice number; groups the rows of one invoice", required=True),
    _invoice("kind", "BT-3", "invoice (380) or credit_note (381); empty: by the sign"),
    _invoice("issue_date", "BT-2", "Invoice issue date", required=True),
    _invoice("due_date", "BT-9", "Payment due date"),
    _invoice("currency", "BT-5", "Invoice currency code (mapped; default [defaults] currency)"),
    _invoice("buyer_reference", "BT-10", "Buyer reference"),
    _invoice("order_reference", "BT-13", "Purchase order reference"),
    _invoice("contract_reference", "BT-12", "Contract reference"),
    _invoice("project_reference", "BT-11", "Project reference"),
    _invoice("delivery_date", "BT-72", "Actual delivery date"),
    _invoice("delivery_country", "BT-80", "Deliver-to country code (mapped)"),
    _invoice("period_start", "BT-73", "Invoicing period start date"),
    _invoice("period_end", "BT-74", "Invoicing period end date"),
    _invoice("payment_terms", "BT-20", "Payment terms"),
    _invoice("payment_method", "BT-81", "Payment means (mapped; default [defaults])"),
    _invoice("payment_reference", "BT-83", "Remittance information; default: the number"),
    _invoice("mandate_reference", "BT-89", "Direct debit mandate reference"),
    _invoice("debtor_account", "BT-91", "Direct debit: the buyer's account debited (IBAN)"),
    _invoice("note", "BT-22", "Invoice note"),
    _invoice("paid_amount", "BT-113", "Amount already paid"),
    _invoice("total_without_vat", "BT-109", "Check: invoice total without VAT"),
    _invoice("total_vat", "BT-110", "Check: invoice total VAT amount"),
    _invoice("total_with_vat", "BT-112", "Check: invoice total with VAT"),
    _invoice("amount_due", "BT-115", "Check: amount due for payment"),
    _invoice("customer_code", "", "Customer code: [parties] key; BT-10 when no reference"),
    _invoice("customer_name", "BT-44", "Buyer name", required=True),
    _invoice("customer_vat", "BT-48", "Buyer VAT identifier"),
    _invoice("customer_kvk", "BT-47", "Buyer legal registration: KvK number (scheme 0106)"),
    _invoice("customer_endpoint", "BT-49", "Buyer electronic address, SCHEME:ID"),
    _invoice("customer_street", "BT-50", "Buyer address line 1"),
    _invoice("customer_street2", "BT-51", "Buyer address line 2"),
    _invoice("customer_city", "BT-52", "Buyer city"),
    _invoice("customer_postcode", "BT-53", "Buyer post code"),
    _invoice("customer_country", "BT-55", "Buyer country code (mapped)"),
    _invoice("customer_contact", "BT-56", "Buyer contact point"),
    _invoice("customer_email", "BT-58", "Buyer contact email address"),
    _invoice("updated_at", "", "Last change (ISO 8601, or a date); default: when the file changed"),
    _line("preceding_invoice", "BT-25", "Preceding invoice number (credit notes)"),
    _line("line_id", "BT-126", "Invoice line identifier; default: 1, 2, ... in row order"),
    _line("item_code", "BT-155", "Item seller's identifier"),
    _line("description", "BT-153", "Item name", required=True),
    _line("line_note", "BT-127", "Invoice line note"),
    _line("line_period_start", "BT-134", "Invoice line period start date"),
    _line("line_period_end", "BT-135", "Invoice line period end date"),
    _line("quantity", "BT-129", "Invoiced quantity", required=True),
    _line("unit", "BT-130", "Unit of measure (mapped; default [defaults] unit)"),
    _line("unit_price", "BT-146", "Item net price", required=True),
    _line("vat_code", "BT-151", "VAT code (mapped to category BT-151, rate BT-152)", required=True),
    _line("line_amount", "BT-131", "Check: invoice line net amount"),
)
"""Every column the reader knows, in the order the documentation lists them."""

_BY_NAME: Final = {column.name: column for column in COLUMNS}

DEFAULT_DATE_FORMAT: Final = "%Y-%m-%d"
_DATE_TOKENS: Final = (("yyyy", "%Y"), ("yy", "%y"), ("mm", "%m"), ("dd", "%d"))
_YEAR_DIRECTIVE: Final = re.compile(r"(?<!%)(?:%%)*%[Yy]")


def column(name: str) -> Column:
    """The documented column called ``name`` (KeyError for an unknown name)."""
    return _BY_NAME[name]


class HeaderError(ValueError):
    """A header row the layout cannot use (a required column missing, a column twice)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CsvFormat:
    """How one connection's exports are written; see the module docstring."""

    delimiter: str = ","
    decimal_separator: str = "."
    date_format: str = DEFAULT_DATE_FORMAT
    encoding: str = "utf-8-sig"
    renames: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.delimiter) != 1 or self.delimiter in '\r\n"':
            raise ValueError(f"delimiter must be one character, not {self.delimiter!r}")
        if self.decimal_separator not in (".", ","):
            raise ValueError(
                f'decimal_separator must be "." or ",", not {self.decimal_separator!r}'
            )
        try:
            codecs.lookup(self.encoding)
        except LookupError:
            raise ValueError(f"encoding {self.encoding!r} is not known to Python") from None
        object.__setattr__(self, "date_format", strptime_format(self.date_format))
        unknown = sorted(set(self.renames) - set(_BY_NAME))
        if unknown:
            raise ValueError(
                f"columns: {', '.join(unknown)} not a documented column "
                f"(known: {', '.join(_BY_NAME)})"
            )
        headers: dict[str, str] = {}
        for name, header in self.renames.items():
            if not isinstance(header, str) or not header.strip():
                raise ValueError(f"columns: {name} must name a header, not {header!r}")
            other = headers.setdefault(_fold(header), name)
            if other != name:
                raise ValueError(f"columns: {other} and {name} both name the header {header!r}")

    def label(self, name: str) -> str:
        """How messages name a column: ``"Prijs" (unit_price, BT-146)`` when renamed."""
        term = column(name).term
        ours = f"{name}, {term}" if term else name
        header = self.renames.get(name)
        return f'"{header}" ({ours})' if header else f"{name} ({term})" if term else name

    def header_index(self, cells: Sequence[str]) -> dict[str, int]:
        """Our column name -> position, from the export's header row.

        A header named in the rename table is that column; a header equal to one of our
        names is that column unless the rename table gives it another header; any other
        header is not read. Raises :class:`HeaderError` for a column found twice or a
        required column missing.
        """
        by_header = {_fold(header): name for name, header in self.renames.items()}
        for known in _BY_NAME:
            if known not in self.renames:
                by_header.setdefault(known, known)
        index: dict[str, int] = {}
        for position, cell in enumerate(cells):
            name = by_header.get(_fold(cell))
            if name is None:
                continue
            if name in index:
                raise HeaderError(
                    f"columns {index[name] + 1} and {position + 1} are both {self.label(name)}"
                )
            index[name] = position
        missing = [c.name for c in COLUMNS if c.required and c.name not in index]
        if missing:
            found = ", ".join(repr(cell) for cell in cells)
            raise HeaderError(
                f"the header has no {', '.join(self.label(name) for name in missing)} "
                f"(header: {found}); rename columns under [connections.<name>.columns] "
                f'as our_name = "Their Header"'
            )
        return index

    def parse_decimal(self, text: str) -> Decimal:
        """A number written with this format's decimal separator; ValueError otherwise."""
        value = text.strip()
        separator = self.decimal_separator
        other = "," if separator == "." else "."
        pattern = rf"[+-]?[0-9]+(?:{re.escape(separator)}[0-9]+)?"
        if re.fullmatch(pattern, value):
            return Decimal(value.replace(",", "."))
        example = f"1234{separator}50"
        if other in value and re.fullmatch(r"[+-]?[0-9.,]+", value):
            problem = (
                f"has {other!r} but the decimal separator is {separator!r}: thousands "
                "separators are not accepted (set decimal_separator if the export uses "
                f"{other!r})"
            )
        elif re.fullmatch(r"[+-]?[0-9.,]*[eE][+-]?[0-9]+", value):
            problem = "is written with an exponent"
        else:
            problem = "is not a decimal number"
        raise ValueError(f"{text!r} {problem}; write digits with {separator!r}, e.g. {example}")

    def parse_date(self, text: str) -> date:
        """A date in this format's date format; ValueError otherwise."""
        try:
            return datetime.strptime(text.strip(), self.date_format).date()
        except ValueError:
            sample = date(2026, 1, 31).strftime(self.date_format)
            raise ValueError(
                f"{text!r} is not a date in the format {self.date_format!r} (e.g. {sample})"
            ) from None

    def parse_moment(self, text: str) -> datetime:
        """An ``updated_at`` value: ISO 8601 (naive means UTC), or a date (midnight UTC)."""
        value = text.strip()
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            try:
                day = self.parse_date(value)
            except ValueError:
                raise ValueError(
                    f"{text!r} is neither an ISO 8601 time (2026-01-31T09:30:00) nor a date "
                    f"in the format {self.date_format!r}"
                ) from None
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def strptime_format(text: str) -> str:
    """A :func:`~datetime.datetime.strptime` format from ``%d-%m-%Y`` or ``dd-mm-yyyy``.

    Raises ValueError unless the format writes and reads back a day, month and year.
    """
    fmt = text
    if "%" not in fmt:
        for token, directive in _DATE_TOKENS:
            fmt = re.sub(token, directive, fmt, flags=re.IGNORECASE)
    probe = date(2026, 1, 31)
    try:
        if not _YEAR_DIRECTIVE.search(fmt):
            raise ValueError  # and strptime of a day without a year is deprecated (3.13+)
        if datetime.strptime(probe.strftime(fmt), fmt).date() != probe:
            raise ValueError
    except ValueError:
        raise ValueError(
            f"date_format {text!r} does not hold a day, month and year "
            '(e.g. "%d-%m-%Y" or "dd-mm-yyyy")'
        ) from None
    return fmt


def _fold(header: str) -> str:
    return header.strip().casefold()
