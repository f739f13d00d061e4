"""Map one CSV invoice record (see :mod:`connectors.csv_file`) to the EN 16931 model.

:func:`to_invoice` reads the record's rows (one per invoice line, BG-25) with the connection's
:class:`~connectors.csv_layout.CsvFormat`, looks every code up in the ``csv`` mapping, takes the
seller (BG-4) from the connection's settings (:func:`seller_from_settings`) and derives the
totals (BG-22) and VAT breakdown (BG-23) with :func:`model.calculation.with_totals`. Every
error names the file, the line and the column, so the row can be found and fixed.

Policies (the Tryton connector's where they apply, see :mod:`connectors.tryton_map`):

* Invoice columns hold one value per invoice: each row repeats it or leaves it empty; two
  different values are an error naming both lines.
* Credit notes: ``kind`` ``credit_note`` gives BT-3 381; an empty ``kind`` with a negative
  total makes a credit note too (as Tryton's negative total). A credit note written with
  negative amounts, as ledgers export them, has every quantity and amount negated, as EN 16931
  expects. The ``preceding_invoice`` values of its rows become BG-3.
* A line with a negative unit price (a discount line, ``1 x -5.00``) is written as ``-1 x 5.00``:
  EN 16931 forbids a negative item net price (BR-27); the line amount is the same.
* Buyer reference BT-10 (Peppol needs BT-10 or BT-13): ``buyer_reference``; with neither it
  nor an ``order_reference`` the invoice is refused, never filled from the customer code
  (as the Tryton source holds an invoice without its ``reference``: a placeholder such as
  ``"n/a"`` would hide the gap from the buyer).
* Legal registration BT-47 and electronic address BT-49: ``customer_kvk``, else the kvk, oin
  or kbo of the connection's ``[parties]`` table under the customer's VAT id or customer code;
  the address is ``customer_endpoint`` (``SCHEME:ID``), else that registration, else the VAT id
  under its EAS scheme (``<cc>_vat`` in ``[identifier_schemes]``).
* Payment means BT-81: ``payment_method`` through ``[payment_methods]``, else the mapping's
  default; BT-83 is ``payment_reference``, else the invoice number; the seller's IBAN (BT-84)
  goes with the credit transfer codes (30, 31, 42, 57, 58). A direct debit (49, 59) carries
  ``mandate_reference`` (BT-89) and ``debtor_account`` (BT-91) as BG-19, and the seller's
  ``creditor_id`` (BT-90) is a seller identifier with scheme ``SEPA``; either column with
  another code is an error (the invoice would say one thing and mean another).
* Periods: ``period_start``/``period_end`` are the invoicing period BG-14,
  ``line_period_start``/``line_period_end`` a line's period BG-26; an end before its start
  is an error naming the cell (BR-29, BR-30).
* Codes match exactly first, then without regard to case (``Stuk`` finds ``stuk``).
* Check columns (``line_amount``, ``total_without_vat``, ``total_vat``, ``total_with_vat``,
  ``amount_due``): when given they must equal what EN 16931 derives from the lines
  (:func:`model.calculation.reconcile`, ``Strategy.REFUSE``); a difference is an error naming
  the cell and the likely cause (VAT rounded per line, a line amount not rounded).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, Final

import mappings
from connectors.base import Record
from connectors.csv_layout import CsvFormat, Scope, column
from connectors.csv_settings import SellerSettings
from connectors.errors import ConfigurationError, RecordError
from model import (
    Address,
    Contact,
    CreditTransfer,
    Delivery,
    DirectDebit,
    DocumentKind,
    Identifier,
    Invoice,
    Item,
    Line,
    Note,
    Party,
    PaymentMeans,
    Period,
    PrecedingInvoice,
    Price,
    Totals,
    VatBreakdown,
)
from model.calculation import (
    Strategy,
    TotalsMismatch,
    line_net_amount,
    reconcile,
    with_totals,
)
from model.codes import eas
from model.findings import Finding

__all__ = [
    "Seller",
    "codes_of",
    "parse_endpoint",
    "seller_from_settings",
    "spelled",
    "to_invoice",
]

PartyTable = Mapping[str, Mapping[str, str]]

# [parties] identifier kinds, in order of preference, and their [identifier_schemes] key.
_LEGAL_IDS: Final = (("kvk", "kvk"), ("oin", "oin"), ("kbo", "be_enterprise"))
_KINDS: Final = {
    "invoice": DocumentKind.INVOICE,
    "factuur": DocumentKind.INVOICE,
    "380": DocumentKind.INVOICE,
    "credit_note": DocumentKind.CREDIT_NOTE,
    "creditnota": DocumentKind.CREDIT_NOTE,
    "381": DocumentKind.CREDIT_NOTE,
}
_TRANSFER_CODES: Final = frozenset({"30", "31", "42", "57", "58"})
_DIRECT_DEBIT_CODES: Final = frozenset({"49", "59"})
_TOTAL_COLUMNS: Final = {
    "without_vat": "total_without_vat",
    "vat": "total_vat",
    "with_vat": "total_with_vat",
    "payable": "amount_due",
}
_LINE_FIELD: Final = re.compile(r"lines\[(\d+)\]\.net_amount")
_ZERO: Final = Decimal("0.00")


@dataclasses.dataclass(frozen=True, slots=True)
class Seller:
    """The connection's seller party (BG-4) and the account it is paid on (BG-17)."""

    party: Party
    account: CreditTransfer | None


def parse_endpoint(text: str) -> Identifier:
    """An electronic address written ``SCHEME:ID`` (``0106:12345678``); ValueError otherwise."""
    scheme, _, value = text.partition(":")
    scheme, value = scheme.strip(), value.strip()
    if not value or not eas.is_valid(scheme):
        raise ValueError(
            f"{text!r} is not SCHEME:ID with an EAS scheme (e.g. 0106:12345678 for a KvK "
            "number, 9944:NL000099998B57 for a Dutch VAT id)"
        )
    return Identifier(value=value, scheme=scheme)


def seller_from_settings(settings: SellerSettings, mapping: mappings.Mapping) -> Seller:
    """The seller of a CSV connection; a ConfigurationError when it has no BT-34."""
    try:
        legal = _legal_registration(settings.model_dump(), mapping)
        endpoint = parse_endpoint(settings.endpoint) if settings.endpoint else None
        endpoint = endpoint or legal or _vat_endpoint(settings.vat, mapping)
    except (ValueError, mappings.MappingError) as failure:
        raise ConfigurationError(f"seller: {failure}") from None
    if endpoint is None:
        raise ConfigurationError(
            "seller: give kvk, oin, kbo, vat or endpoint: the seller needs an electronic "
            "address (BT-34)"
        )
    contact = (
        Contact(name=settings.contact, phone=settings.phone, email=settings.email)
        if settings.contact or settings.phone or settings.email
        else None
    )
    party = Party(
        name=settings.name,
        trading_name=settings.trading_name,
        legal_registration=legal,
        vat_id=settings.vat,
        endpoint=endpoint,
        address=Address(
            line1=settings.street,
            line2=settings.street2,
            city=settings.city,
            postal_code=settings.postcode,
            country=settings.country,
        ),
        contact=contact,
        identifiers=(
            (Identifier(value=settings.creditor_id, scheme="SEPA"),) if settings.creditor_id else ()
        ),
    )
    account = (
        CreditTransfer(
            account_id=settings.iban, account_name=settings.account_name, provider=settings.bic
        )
        if settings.iban
        else None
    )
    return Seller(party=party, account=account)


def to_invoice(
    record: Record,
    *,
    csv_format: CsvFormat,
    seller: Seller,
    parties: PartyTable,
    mapping: mappings.Mapping,
) -> Invoice:
    """The EN 16931 invoice or credit note of one CSV invoice record.

    Raises :class:`RecordError` (record id and reason: file, line, column and what is wrong)
    for a row the reader could not use, a missing or malformed value, an unmapped code and a
    check column that disagrees with the EN 16931 calculation.
    """
    data = record.data
    if data.get("error"):
        raise RecordError(record.id, str(data["error"]))
    try:
        return _Builder(
            number=str(data["number"]),
            file=str(data["file"]),
            rows=data["rows"],
            fmt=csv_format,
            seller=seller,
            parties=parties,
            mapping=mapping,
        ).invoice()
    except (_CsvError, mappings.MissingMapping) as failure:
        raise RecordError(record.id, str(failure)) from failure


class _CsvError(ValueError):
    """A value of the export that cannot make a valid document; the message says where."""


@dataclasses.dataclass(frozen=True, slots=True)
class _Line:
    """A built line with where it came from and the line amount the export states."""

    line: Line
    row: int
    stated: Decimal | None
    vat: mappings.VatMapping


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class _Builder:
    number: str
    file: str
    rows: Sequence[Mapping[str, Any]]
    fmt: CsvFormat
    seller: Seller
    parties: PartyTable
    mapping: mappings.Mapping

    # -- reading cells -------------------------------------------------------------------------

    def _where(self, line: int, name: str | None = None) -> str:
        cell = f"{self.file}:{line}"
        return cell if name is None else f"{cell}, column {self.fmt.label(name)}"

    def _fail(self, line: int, name: str | None, problem: str) -> _CsvError:
        return _CsvError(f"{self._where(line, name)}: {problem}")

    def _header(self, name: str) -> tuple[str, int] | None:
        """An invoice column's one value and the first line holding it, or None."""
        assert column(name).scope is Scope.INVOICE
        found: tuple[str, int] | None = None
        for row in self.rows:
            value = row.get(name)
            if value is None:
                continue
            if found is None:
                found = (str(value), int(row["line"]))
            elif value != found[0]:
                raise self._fail(
                    int(row["line"]),
                    name,
                    f"{value!r} differs from {found[0]!r} on line {found[1]}: an invoice "
                    "column holds one value for all rows of the invoice",
                )
        return found

    def _text(self, name: str) -> str | None:
        found = self._header(name)
        return None if found is None else found[0]

    def _required_text(self, name: str) -> tuple[str, int]:
        found = self._header(name)
        if found is None:
            raise self._fail(self._first_line, name, "is empty on every row of the invoice")
        return found

    def _date(self, name: str, *, required: bool = False) -> date | None:
        found = self._required_text(name) if required else self._header(name)
        if found is None:
            return None
        try:
            return self.fmt.parse_date(found[0])
        except ValueError as failure:
            raise self._fail(found[1], name, str(failure)) from None

    def _amount(self, name: str) -> tuple[Decimal, int] | None:
        found = self._header(name)
        if found is None:
            return None
        try:
            return self.fmt.parse_decimal(found[0]), found[1]
        except ValueError as failure:
            raise self._fail(found[1], name, str(failure)) from None

    def _cell(self, row: Mapping[str, Any], name: str) -> str | None:
        value = row.get(name)
        return None if value is None else str(value)

    def _cell_decimal(self, row: Mapping[str, Any], name: str, *, required: bool) -> Decimal | None:
        line = int(row["line"])
        value = self._cell(row, name)
        if value is None:
            if required:
                raise self._fail(line, name, "is empty")
            return None
        try:
            return self.fmt.parse_decimal(value)
        except ValueError as failure:
            raise self._fail(line, name, str(failure)) from None

    def _cell_date(self, row: Mapping[str, Any], name: str) -> date | None:
        value = self._cell(row, name)
        if value is None:
            return None
        try:
            return self.fmt.parse_date(value)
        except ValueError as failure:
            raise self._fail(int(row["line"]), name, str(failure)) from None

    def _code(self, table: str, code: str | None) -> str | None:
        return None if code is None else spelled(self.mapping, table, code)

    def _mapped(self, table: str, code: str | None, where: str) -> str:
        """``code`` through the mapping's ``table``; a _CsvError naming ``where`` when unmapped."""
        lookups = {
            "units": self.mapping.unit,
            "payment_methods": self.mapping.payment_means,
            "countries": self.mapping.country,
            "currencies": self.mapping.currency,
        }
        try:
            return lookups[table](self._code(table, code))
        except mappings.MissingMapping as failure:
            raise _CsvError(f"{where}: {failure}") from None

    @property
    def _first_line(self) -> int:
        return int(self.rows[0]["line"])

    # -- the document --------------------------------------------------------------------------

    def invoice(self) -> Invoice:
        """BT-1..BT-22, the parties, payment means, lines, and derived BG-22/BG-23."""
        self._check_rows()
        lines = self._lines()
        total = sum((built.line.net_amount for built in lines), _ZERO)
        kind = self._kind()
        credit = kind is DocumentKind.CREDIT_NOTE or (kind is None and total < 0)
        sign = Decimal(-1) if credit and total < 0 else Decimal(1)
        if sign < 0:
            lines = [self._negated(built) for built in lines]
        paid = self._amount("paid_amount")
        placeholder = Totals(
            line_net=_ZERO,
            without_vat=_ZERO,
            with_vat=_ZERO,
            payable=_ZERO,
            prepaid=None if paid is None else paid[0] * sign,
        )
        issue_date = self._date("issue_date", required=True)
        assert issue_date is not None
        payment_means = self._payment_means()
        document = Invoice(
            kind=DocumentKind.CREDIT_NOTE if credit else DocumentKind.INVOICE,
            number=self.number,
            issue_date=issue_date,
            type_code="381" if credit else "380",
            currency=self._mapped("currencies", self._text("currency"), self._record("currency")),
            due_date=self._date("due_date"),
            buyer_reference=self._buyer_reference(),
            project_reference=self._text("project_reference"),
            contract_reference=self._text("contract_reference"),
            order_reference=self._text("order_reference"),
            payment_terms=self._text("payment_terms"),
            notes=tuple(Note(text=text) for text in [self._text("note")] if text),
            preceding_invoices=self._preceding(),
            seller=self.seller.party,
            buyer=self._buyer(),
            delivery=self._delivery(),
            invoice_period=self._invoice_period(),
            payment_means=(payment_means,),
            totals=placeholder,
            vat_breakdown=self._exemptions(lines),
            lines=tuple(built.line for built in lines),
        )
        derived = with_totals(document)
        self._check_stated(derived, lines, sign)
        return derived

    def _check_rows(self) -> None:
        """The reader's row errors, and every ``updated_at`` a valid time."""
        for row in self.rows:
            line = int(row["line"])
            if row.get("error"):
                raise self._fail(line, None, str(row["error"]))
            moment = self._cell(row, "updated_at")
            if moment is not None:
                try:
                    self.fmt.parse_moment(moment)
                except ValueError as failure:
                    raise self._fail(line, "updated_at", str(failure)) from None

    def _record(self, name: str) -> str:
        """Where a mapped invoice column was read, for MissingMapping messages."""
        found = self._header(name)
        return self._where(self._first_line if found is None else found[1], name)

    def _kind(self) -> DocumentKind | None:
        found = self._header("kind")
        if found is None:
            return None
        kind = _KINDS.get(found[0].strip().casefold())
        if kind is None:
            raise self._fail(
                found[1],
                "kind",
                f"{found[0]!r} is not invoice or credit_note (nor factuur, creditnota, 380, 381)",
            )
        return kind

    def _buyer_reference(self) -> str | None:
        reference = self._text("buyer_reference")
        if reference or self._text("order_reference"):
            return reference
        raise self._fail(
            self._first_line,
            None,
            f"give {self.fmt.label('buyer_reference')} or {self.fmt.label('order_reference')}: "
            "Peppol needs a buyer reference or a "
            "purchase order reference (PEPPOL-EN16931-R003)",
        )

    def _preceding(self) -> tuple[PrecedingInvoice, ...]:
        """BG-3: the distinct ``preceding_invoice`` values, in row order."""
        numbers = (self._cell(row, "preceding_invoice") for row in self.rows)
        return tuple(PrecedingInvoice(number=n) for n in dict.fromkeys(numbers) if n)

    def _delivery(self) -> Delivery | None:
        """BG-13: actual delivery date BT-72 and deliver-to country BT-80, when given."""
        day = self._date("delivery_date")
        country = self._text("delivery_country")
        if day is None and country is None:
            return None
        address = (
            None
            if country is None
            else Address(
                country=self._mapped("countries", country, self._record("delivery_country"))
            )
        )
        return Delivery(date=day, address=address)

    def _buyer(self) -> Party:
        """BG-7 from the customer columns and the connection's ``[parties]`` table."""
        name, line = self._required_text("customer_name")
        vat_id = self._text("customer_vat")
        vat_id = vat_id.replace(" ", "").upper() if vat_id else None
        code = self._text("customer_code")
        known = (vat_id and self.parties.get(vat_id)) or self.parties.get(code or "", {})
        kvk = self._text("customer_kvk")
        legal = (
            Identifier(value=kvk, scheme=self.mapping.scheme("kvk"))
            if kvk
            else _legal_registration(known, self.mapping)
        )
        endpoint = self._endpoint(legal, vat_id)
        if endpoint is None:
            raise self._fail(
                line,
                None,
                f"the customer {name!r} has no electronic address (BT-49): give "
                f"{self.fmt.label('customer_endpoint')}, {self.fmt.label('customer_kvk')} or "
                f"{self.fmt.label('customer_vat')}, or its kvk/oin in the connection's "
                "[parties] table",
            )
        contact_name, email = self._text("customer_contact"), self._text("customer_email")
        return Party(
            name=name,
            vat_id=vat_id,
            legal_registration=legal,
            endpoint=endpoint,
            address=Address(
                line1=self._text("customer_street"),
                line2=self._text("customer_street2"),
                city=self._text("customer_city"),
                postal_code=self._text("customer_postcode"),
                country=self._mapped(
                    "countries", self._text("customer_country"), self._record("customer_country")
                ),
            ),
            contact=Contact(name=contact_name, email=email) if contact_name or email else None,
        )

    def _endpoint(self, legal: Identifier | None, vat_id: str | None) -> Identifier | None:
        found = self._header("customer_endpoint")
        if found is not None:
            try:
                return parse_endpoint(found[0])
            except ValueError as failure:
                raise self._fail(found[1], "customer_endpoint", str(failure)) from None
        try:
            return legal or _vat_endpoint(vat_id, self.mapping)
        except mappings.MissingMapping as failure:
            raise _CsvError(f"{self._record('customer_vat')}: {failure}") from None

    def _payment_means(self) -> PaymentMeans:
        code = self._mapped(
            "payment_methods", self._text("payment_method"), self._record("payment_method")
        )
        account = self.seller.account if code in _TRANSFER_CODES else None
        return PaymentMeans(
            code=code,
            remittance_info=self._text("payment_reference") or self.number,
            credit_transfer=account,
            direct_debit=self._direct_debit(code),
        )

    def _direct_debit(self, code: str) -> DirectDebit | None:
        """BG-19 from ``mandate_reference`` (BT-89) and ``debtor_account`` (BT-91), for the
        direct debit codes 49 and 59 only."""
        mandate = self._header("mandate_reference")
        account = self._header("debtor_account")
        if code not in _DIRECT_DEBIT_CODES:
            for name, found in (("mandate_reference", mandate), ("debtor_account", account)):
                if found is not None:
                    raise self._fail(
                        found[1],
                        name,
                        f"is for a direct debit (payment means 49 or 59), but the invoice's "
                        f"payment means is {code}: set payment_method to a direct debit code, "
                        "or leave the column empty",
                    )
            return None
        if mandate is None and account is None:
            return None
        return DirectDebit(
            mandate=None if mandate is None else mandate[0],
            debited_account=None if account is None else account[0].replace(" ", "").upper(),
        )

    def _invoice_period(self) -> Period | None:
        """BG-14 from ``period_start`` (BT-73) and ``period_end`` (BT-74)."""
        start, end = self._date("period_start"), self._date("period_end")
        if start is None and end is None:
            return None
        if start is not None and end is not None and end < start:
            line = self._header("period_end")
            assert line is not None
            raise self._fail(line[1], "period_end", f"{end} is before period_start {start} (BR-29)")
        return Period(start=start, end=end)

    def _line_period(self, row: Mapping[str, Any], line: int) -> Period | None:
        """BG-26 from ``line_period_start`` (BT-134) and ``line_period_end`` (BT-135)."""
        start = self._cell_date(row, "line_period_start")
        end = self._cell_date(row, "line_period_end")
        if start is None and end is None:
            return None
        if start is not None and end is not None and end < start:
            raise self._fail(
                line, "line_period_end", f"{end} is before line_period_start {start} (BR-30)"
            )
        return Period(start=start, end=end)

    def _lines(self) -> list[_Line]:
        """BG-25, one per row in row order; BT-131 derived by PEPPOL-EN16931-R120."""
        built: list[_Line] = []
        seen_ids: dict[str, int] = {}
        for index, row in enumerate(self.rows, 1):
            line = int(row["line"])
            line_id = self._cell(row, "line_id") or str(index)
            if line_id in seen_ids:
                raise self._fail(
                    line,
                    "line_id",
                    f"{line_id!r} is also the id of the row on line "
                    f"{seen_ids[line_id]}: line ids are unique within an invoice",
                )
            seen_ids[line_id] = line
            built.append(self._line(row, line, line_id))
        return built

    def _line(self, row: Mapping[str, Any], line: int, line_id: str) -> _Line:
        description = self._cell(row, "description")
        if description is None:
            raise self._fail(line, "description", "is empty: every line needs an item name")
        quantity = self._cell_decimal(row, "quantity", required=True)
        price = self._cell_decimal(row, "unit_price", required=True)
        assert quantity is not None and price is not None
        if price < 0:  # BR-27: no negative price; the discount goes into the quantity
            quantity, price = -quantity, -price
        vat_code = self._cell(row, "vat_code")
        if vat_code is None:
            raise self._fail(line, "vat_code", "is empty: every line needs a VAT code")
        try:
            vat = self.mapping.vat(self._code("vat", vat_code) or vat_code)
        except mappings.MissingMapping as failure:
            raise self._fail(line, "vat_code", str(failure)) from None
        unit = self._mapped("units", self._cell(row, "unit"), self._where(line, "unit"))
        draft = Line(
            id=line_id,
            note=self._cell(row, "line_note"),
            period=self._line_period(row, line),
            quantity=quantity,
            unit=unit,
            net_amount=_ZERO,
            price=Price(net=price),
            item=Item(
                name=description,
                seller_id=self._cell(row, "item_code"),
                vat_category=vat.category,
                vat_rate=vat.rate,
            ),
        )
        stated = self._cell_decimal(row, "line_amount", required=False)
        return _Line(
            dataclasses.replace(draft, net_amount=line_net_amount(draft)), line, stated, vat
        )

    def _negated(self, built: _Line) -> _Line:
        line = built.line
        return dataclasses.replace(
            built,
            line=dataclasses.replace(line, quantity=-line.quantity, net_amount=-line.net_amount),
            stated=None if built.stated is None else -built.stated,
        )

    def _exemptions(self, lines: Sequence[_Line]) -> tuple[VatBreakdown, ...]:
        """The exemption reasons (BT-120/BT-121) of the lines' mapped VAT codes, per category."""
        groups: dict[tuple[str, Decimal | None], VatBreakdown] = {}
        for built in lines:
            vat = built.vat
            if vat.exemption_code is None and vat.exemption_reason is None:
                continue
            groups.setdefault(
                (vat.category, vat.rate),
                VatBreakdown(
                    taxable_amount=_ZERO,
                    tax_amount=_ZERO,
                    category=vat.category,
                    rate=vat.rate,
                    exemption_reason=vat.exemption_reason,
                    exemption_code=vat.exemption_code,
                ),
            )
        return tuple(groups.values())

    def _check_stated(self, derived: Invoice, lines: Sequence[_Line], sign: Decimal) -> None:
        """The check columns against the derived figures; a _CsvError naming each cell."""
        stated_totals: dict[str, Decimal] = {}
        where: dict[str, int] = {}
        for field, name in _TOTAL_COLUMNS.items():
            found = self._amount(name)
            if found is not None:
                stated_totals[field] = found[0] * sign
                where[field] = found[1]
        if not stated_totals and all(built.stated is None for built in lines):
            return
        stated = dataclasses.replace(
            derived,
            lines=tuple(
                built.line
                if built.stated is None
                else dataclasses.replace(built.line, net_amount=built.stated)
                for built in lines
            ),
            totals=dataclasses.replace(derived.totals, **stated_totals),
        )
        try:
            reconcile(stated, Strategy.REFUSE)
        except TotalsMismatch as mismatch:
            reversed_note = " (the export's signs reversed: a credit note)" if sign < 0 else ""
            problems = [
                self._explain(finding, lines, where) + reversed_note
                for finding in mismatch.findings
            ]
            raise _CsvError("; ".join(problems)) from None

    def _explain(self, finding: Finding, lines: Sequence[_Line], where: Mapping[str, int]) -> str:
        """A discrepancy of the calculation, named by the CSV cell that states the figure."""
        path = finding.field or ""
        matched = _LINE_FIELD.match(path)
        if matched:
            built = lines[int(matched.group(1))]
            return f"{self._where(built.row, 'line_amount')}: {finding.message}"
        for field, name in _TOTAL_COLUMNS.items():
            if path.startswith(f"totals.{field} ") and field in where:
                return f"{self._where(where[field], name)}: {finding.message}"
        return f"{self._where(self._first_line)}: {finding.message}"


def spelled(mapping: mappings.Mapping, table: str, code: str) -> str:
    """``code`` as ``mapping``'s ``table`` spells it: exact, then upper-case (``nl``), then
    without regard to case (``Stuk`` for ``stuk``); ``code`` itself when it is not mapped."""
    for candidate in (code, code.upper()):
        if mapping.is_mapped(table, candidate):
            return candidate
    keys = mapping.vat_codes if table == "vat" else mapping.codes[table]
    folded = code.casefold()
    return next((key for key in keys if key.casefold() == folded), code)


# mapping table -> the columns whose values it maps
_CODE_COLUMNS: Final = {
    "currencies": ("currency",),
    "countries": ("customer_country", "delivery_country"),
    "payment_methods": ("payment_method",),
    "vat": ("vat_code",),
    "units": ("unit",),
}


def codes_of(record: Record, mapping: mappings.Mapping) -> Iterator[tuple[str, str, str]]:
    """``(table, code, where)`` for every mapped code an invoice record's rows hold, spelled as
    the mapping spells it (see :func:`spelled`); ``where`` is ``file:line``. For listing the
    codes a connection needs (``ledgerlink mappings check``)."""
    file = record.data.get("file", record.id)
    for row in record.data.get("rows") or ():
        for table, names in _CODE_COLUMNS.items():
            for name in names:
                code = row.get(name)
                if code is not None:
                    yield table, spelled(mapping, table, str(code)), f"{file}:{row['line']}"


def _legal_registration(
    identifiers: Mapping[str, Any], mapping: mappings.Mapping
) -> Identifier | None:
    """BT-30/BT-47: the first of KvK, OIN, KBO given."""
    for key, kind in _LEGAL_IDS:
        value = identifiers.get(key)
        if value:
            return Identifier(value=str(value), scheme=mapping.scheme(kind))
    return None


def _vat_endpoint(vat_id: str | None, mapping: mappings.Mapping) -> Identifier | None:
    """The VAT id under its EAS scheme (``<cc>_vat``), e.g. 9944 for a Dutch VAT id."""
    if not vat_id:
        return None
    kind = f"{vat_id[:2].lower()}_vat"
    return Identifier(value=vat_id, scheme=mapping.scheme(kind))
