"""Map one raw Tryton invoice record (see :mod:`connectors.tryton`) to the EN 16931 model.

:func:`to_invoice` takes the record, the company party (:meth:`TrytonConnector.company_party`),
the connection's ``[parties]`` table and the ``tryton`` mapping, and returns a
:class:`model.Invoice` whose figures are Tryton's own, checked with
:func:`model.calculation.reconcile` (``Strategy.REFUSE``): a disagreement is an error, never
shipped.

Policies, where Tryton holds no direct equivalent:

* Credit notes: Tryton has no document type; a negative ``total_amount`` makes a
  ``credit_note`` with type code 381 (BT-3), and every quantity, amount and total changes sign
  as EN 16931 expects. The invoices the lines credit (``origin``) become BG-3.
* Buyer reference BT-10 (Peppol needs BT-10 or BT-13, and Tryton holds no BT-13): the
  invoice's ``reference`` (the customer's own reference, e.g. their PO number). Without one the
  record is held (:class:`~connectors.errors.RecordError` naming BT-10 and the Tryton field
  ``reference`` to fill), the policy of every source (the CSV source holds its invoice the
  same way): neither the party code (ours, not the buyer's reference) nor a placeholder such as
  ``"n/a"`` is written, as either would hide the gap from the buyer.
* Legal registration BT-30/BT-47 and endpoints BT-34/BT-49: Tryton has no KvK identifier type,
  so they come from the connection's ``[parties]`` table: the company's under ``company``, a
  customer's under its VAT id or party code. The endpoint is that legal id (KvK 0106, OIN 0190,
  KBO 0208) when known, else the VAT id under its EAS scheme (``<cc>_vat`` in
  ``[identifier_schemes]``, e.g. 9944 for NL).
* Paid amount BT-113: not set. A document is the invoice as issued: BT-113 holds advance
  payments only, which Tryton does not record, so the amount due BT-115 is the invoice total.
  Payments booked after issue (``amount_to_pay`` dropping) travel as the ``payments`` stream
  and never change the document or its bytes.
* Payment means BT-81: the record's ``payment_method.`` name when present, else the mapping's
  default; the IBAN BT-84 is the company's first IBAN; remittance information BT-83 is the
  customer payment reference, else the invoice number.

Every failure caused by the record's data (an unmapped code, missing identifiers, totals that do
not add up) raises :class:`~connectors.errors.RecordError` so the caller quarantines the record.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import mappings
from connectors.base import Record
from connectors.errors import RecordError
from model import (
    Address,
    CreditTransfer,
    DocumentKind,
    Identifier,
    Invoice,
    Item,
    Line,
    Party,
    PaymentMeans,
    PrecedingInvoice,
    Price,
    Totals,
    VatBreakdown,
)
from model.calculation import Strategy, TotalsMismatch, reconcile

__all__ = ["codes_of", "to_invoice"]

PartyTable = Mapping[str, Mapping[str, str]]

# [parties] identifier kinds, in order of preference, and their [identifier_schemes] key.
_LEGAL_IDS = (("kvk", "kvk"), ("oin", "oin"), ("kbo", "be_enterprise"))


def to_invoice(
    record: Record,
    *,
    company: Record | Mapping[str, Any],
    parties: PartyTable,
    mapping: mappings.Mapping,
) -> Invoice:
    """The EN 16931 invoice or credit note of one Tryton ``account.invoice`` record.

    Raises :class:`RecordError` (record id and reason) for a missing mapping, missing party data
    or figures that break the EN 16931 calculation rules.
    """
    company_data = company.data if isinstance(company, Record) else company
    try:
        document = _Builder(record.data, company_data, parties, mapping).invoice()
        reconcile(document, Strategy.REFUSE)
    except (mappings.MissingMapping, TotalsMismatch, _DataError) as failure:
        raise RecordError(record.id, str(failure)) from failure
    return document


def codes_of(record: Record) -> Iterator[tuple[str, str, str]]:
    """``(mapping table, code, where)`` for every code of one Tryton invoice record that
    goes through ``mappings/tryton.toml``: currency, country, payment method, and each line's
    tax names and unit."""
    data = record.data
    number = str(data.get("number") or f"record {record.id}")
    candidates: list[tuple[str, Any, str]] = [
        ("currencies", _nested(data, "currency.", "code"), number),
        ("countries", _nested(data.get("invoice_address.") or {}, "country.", "code"), number),
        ("payment_methods", _nested(data, "payment_method.", "name"), number),
    ]
    for index, line in enumerate(data.get("lines") or (), 1):
        where = f"{number} line {index}"
        candidates += [("vat", tax.get("name"), where) for tax in line.get("taxes.") or ()]
        candidates.append(("units", _nested(line, "unit.", "name"), where))
    for table, code, where in candidates:
        if code:
            yield table, str(code), where


class _DataError(ValueError):
    """The record lacks data a valid document needs."""


@dataclasses.dataclass(frozen=True, slots=True)
class _Builder:
    data: Mapping[str, Any]
    company: Mapping[str, Any]
    parties: PartyTable
    mapping: mappings.Mapping

    @property
    def number(self) -> str:
        return str(self.data["number"])

    @property
    def sign(self) -> Decimal:
        """-1 for a credit note (negative total), so its figures become positive."""
        return Decimal(-1) if self.data["total_amount"] < 0 else Decimal(1)

    def invoice(self) -> Invoice:
        """BT-1..BT-20, the parties, payment means, lines, VAT breakdown and totals."""
        credit = self.sign < 0
        payment_term = self.data.get("payment_term.") or {}
        return Invoice(
            kind=DocumentKind.CREDIT_NOTE if credit else DocumentKind.INVOICE,
            number=self.number,
            issue_date=self.data["invoice_date"],
            type_code="381" if credit else "380",
            currency=self.mapping.currency(
                _nested(self.data, "currency.", "code"), record=self._where()
            ),
            due_date=_due_date(self.data.get("lines_to_pay.") or ()),
            buyer_reference=self._buyer_reference(),
            payment_terms=payment_term.get("description") or payment_term.get("name"),
            preceding_invoices=self._preceding() if credit else (),
            seller=self._seller(),
            buyer=self._buyer(),
            payment_means=(self._payment_means(),),
            totals=self._totals(),
            vat_breakdown=self._breakdown(),
            lines=tuple(
                self._line(index, line) for index, line in enumerate(self.data["lines"], 1)
            ),
        )

    def _buyer_reference(self) -> str:
        """BT-10: the invoice's ``reference``; a missing one holds the record."""
        reference = str(self.data.get("reference") or "").strip()
        if not reference:
            raise _DataError(
                f"{self._where()} has no buyer reference (BT-10): fill the Tryton invoice "
                "field `reference` with the customer's reference (their purchase order "
                "number); Peppol needs a buyer reference or an order reference BT-13 "
                "(PEPPOL-EN16931-R003)"
            )
        return reference

    def _where(self, detail: str = "") -> str:
        return f"invoice {self.number}{detail}"

    def _amount(self, value: Decimal) -> Decimal:
        return Decimal(value) * self.sign

    def _seller(self) -> Party:
        """BG-4 from the company party; BT-31 from the invoice's tax identifier."""
        vat_id = _nested(self.data, "tax_identifier.", "code") or _vat_of(self.company)
        address = _first_address(self.company.get("addresses") or ())
        if address is None:
            raise _DataError(f"the company {self.company.get('name')!r} has no address")
        return self._party(
            name=str(self.company["name"]),
            vat_id=vat_id,
            identifiers=self.parties.get("company", {}),
            address=self._address(address),
        )

    def _buyer(self) -> Party:
        """BG-7 from the invoice's party, tax identifier and invoice address."""
        party = self.data.get("party.") or {}
        vat_id = _nested(self.data, "party_tax_identifier.", "code")
        known = (vat_id and self.parties.get(vat_id)) or self.parties.get(
            str(party.get("code")), {}
        )
        return self._party(
            name=str(party.get("name") or ""),
            vat_id=vat_id,
            identifiers=known,
            address=self._address(self.data.get("invoice_address.") or {}),
        )

    def _party(
        self, *, name: str, vat_id: str | None, identifiers: Mapping[str, str], address: Address
    ) -> Party:
        legal = self._legal_registration(identifiers)
        endpoint = legal or self._vat_endpoint(vat_id)
        if endpoint is None:
            raise _DataError(
                f"{name!r} has no VAT id and no KvK/OIN in the connection's [parties] table, "
                "so it has no electronic address (BT-34/BT-49)"
            )
        return Party(
            name=name,
            vat_id=vat_id,
            legal_registration=legal,
            endpoint=endpoint,
            address=address,
        )

    def _legal_registration(self, identifiers: Mapping[str, str]) -> Identifier | None:
        """BT-30/BT-47: the first of KvK, OIN, KBO given for the party in ``[parties]``."""
        for key, kind in _LEGAL_IDS:
            value = identifiers.get(key)
            if value:
                return Identifier(value=value, scheme=self.mapping.scheme(kind))
        return None

    def _vat_endpoint(self, vat_id: str | None) -> Identifier | None:
        """The VAT id under its EAS scheme (``<cc>_vat``), e.g. 9944 for a Dutch VAT id."""
        if not vat_id:
            return None
        kind = f"{vat_id[:2].lower()}_vat"
        return Identifier(value=vat_id, scheme=self.mapping.scheme(kind, record=self._where()))

    def _address(self, address: Mapping[str, Any]) -> Address:
        """BG-5/BG-8 from a ``party.address`` (``street`` may hold several lines)."""
        street = str(address.get("street") or "")
        street_lines: list[str | None] = [part.strip() for part in street.splitlines()]
        street_lines = [part for part in street_lines if part] + [None, None]
        return Address(
            line1=street_lines[0],
            line2=street_lines[1],
            city=address.get("city") or None,
            postal_code=address.get("postal_code") or None,
            country=self.mapping.country(
                _nested(address, "country.", "code"), record=self._where(" address")
            ),
        )

    def _payment_means(self) -> PaymentMeans:
        method = _nested(self.data, "payment_method.", "name")
        iban = self.company.get("iban")
        return PaymentMeans(
            code=self.mapping.payment_means(method, record=self._where()),
            remittance_info=self.data.get("customer_payment_reference") or self.number,
            credit_transfer=CreditTransfer(account_id=str(iban).replace(" ", "")) if iban else None,
        )

    def _preceding(self) -> tuple[PrecedingInvoice, ...]:
        """BG-3: the invoices the credit note's lines come from, in line order."""
        numbers = (
            _nested(line.get("origin.") or {}, "invoice.", "number") for line in self.data["lines"]
        )
        return tuple(PrecedingInvoice(number=n) for n in dict.fromkeys(numbers) if n)

    def _line(self, index: int, line: Mapping[str, Any]) -> Line:
        """BG-25: quantity BT-129, unit BT-130, net amount BT-131, price BT-146, item BG-31."""
        where = self._where(f" line {index}")
        taxes: Sequence[Mapping[str, Any]] = line.get("taxes.") or ()
        if len(taxes) != 1:
            raise _DataError(f"line {index} has {len(taxes)} taxes; EN 16931 needs exactly one")
        vat = self.mapping.vat(str(taxes[0]["name"]), record=where)
        product = line.get("product.") or {}
        description = line.get("description") or None
        name = product.get("name") or description
        if not name:
            raise _DataError(f"line {index} has neither a product nor a description")
        return Line(
            id=str(line.get("sequence") or index),
            note=description if product.get("name") else None,
            quantity=Decimal(str(line["quantity"])) * self.sign,
            unit=self.mapping.unit(_nested(line, "unit.", "name"), record=where),
            net_amount=self._amount(line["amount"]),
            price=Price(net=Decimal(line["unit_price"])),
            item=Item(
                name=str(name),
                seller_id=product.get("code") or None,
                vat_category=vat.category,
                vat_rate=vat.rate,
            ),
        )

    def _breakdown(self) -> tuple[VatBreakdown, ...]:
        """BG-23 from the invoice's tax summary, one entry per mapped category and rate."""
        sums: dict[tuple[str, Decimal | None], list[Decimal]] = {}
        mapped: dict[tuple[str, Decimal | None], mappings.VatMapping] = {}
        for tax in self.data.get("taxes") or ():
            vat = self.mapping.vat(str(_nested(tax, "tax.", "name")), record=self._where())
            key = (vat.category, vat.rate)
            mapped[key] = vat
            base, amount = sums.setdefault(key, [Decimal(0), Decimal(0)])
            sums[key] = [base + self._amount(tax["base"]), amount + self._amount(tax["amount"])]
        return tuple(
            VatBreakdown(
                taxable_amount=base,
                tax_amount=amount,
                category=mapped[key].category,
                rate=mapped[key].rate,
                exemption_reason=mapped[key].exemption_reason,
                exemption_code=mapped[key].exemption_code,
            )
            for key, (base, amount) in sums.items()
        )

    def _totals(self) -> Totals:
        """BG-22 from Tryton's own figures as issued: no paid amount BT-113, so the amount
        due BT-115 is the total with VAT BT-112 (``amount_to_pay`` is not read)."""
        with_vat = self._amount(self.data["total_amount"])
        return Totals(
            line_net=sum((self._amount(line["amount"]) for line in self.data["lines"]), Decimal(0)),
            without_vat=self._amount(self.data["untaxed_amount"]),
            vat=self._amount(self.data["tax_amount"]),
            with_vat=with_vat,
            prepaid=None,
            payable=with_vat,
        )


def _nested(data: Mapping[str, Any], key: str, field: str) -> Any:
    """``data[key][field]`` for Tryton's dotted reads (``"currency."``), None when unset."""
    related = data.get(key)
    return related.get(field) if related else None


def _due_date(lines_to_pay: Iterable[Mapping[str, Any]]) -> date | None:
    """BT-9: the earliest maturity date of the invoice's receivable lines."""
    dates = [line["maturity_date"] for line in lines_to_pay if line.get("maturity_date")]
    return min(dates, default=None)


def _vat_of(party: Mapping[str, Any]) -> str | None:
    """The party's first ``eu_vat`` identifier."""
    for identifier in party.get("identifiers") or ():
        if identifier.get("type") == "eu_vat":
            return str(identifier["code"])
    return None


def _first_address(addresses: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The party's invoice address, else its first address."""
    invoice = [address for address in addresses if address.get("invoice")]
    return next(iter(invoice or addresses), None)
