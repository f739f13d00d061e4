"""The Tryton connector: pulls invoices, parties and payments over JSON-RPC.

Streams, as raw :class:`~connectors.base.Record` data (mapping to EN 16931 is done later):

* ``invoices``: posted customer invoices and credit notes, ``account.invoice`` with type
  ``out`` and state ``posted`` or ``paid``. Tryton has no document-type field: a credit
  note has a negative ``total_amount`` (and a CN- number). ``lines`` and ``taxes`` hold
  the invoice lines (with their taxes and UN/ECE unit and tax codes) and the tax summary.
* ``parties``: ``party.party`` with ``addresses``, ``identifiers`` and
  ``contact_mechanisms``.
* ``payments``: the ``account.move.line`` records Tryton's pay wizard books as an
  invoice's payment lines (``invoice_payment`` set). The demo pays through that wizard;
  ``account.payment`` is not used.

Pushes: a status becomes an ``ir.note`` on the invoice and the UBL its ``<number>.xml``
attachment; a payment goes through the pay wizard (``account.invoice.pay``), partial
payments leaving the rest open, so ``amount_to_pay`` drops by the amount paid. Pushed
twice, a payment is booked once. Writes are sent once (:mod:`connectors._tryton_rpc`): a
failure after a write may have reached Tryton raises :class:`~connectors.errors.OutcomeUnknown`,
and pushing the same status or payment again later books nothing twice.

Records are ordered by ``(write_date, id)``; a record never written since its creation
has no ``write_date`` and is placed at its ``create_date``. Every fetch merges the two
keyset queries, so :func:`~connectors.base.keyset_pages` neither loses nor repeats
records that share one timestamp.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from connectors._tryton_rpc import TrytonRpc, WizardStep
from connectors.base import (
    Capability,
    Cursor,
    DocumentRef,
    Page,
    Payment,
    Record,
    RecordKey,
    StatusUpdate,
    Stream,
    keyset_pages,
)
from connectors.errors import ConfigurationError, RecordError
from connectors.http import HttpClient

if TYPE_CHECKING:  # mapping to the model loads only when documents are asked for
    import mappings
    from connectors.tryton_credit import PartyLimit
    from connectors.tryton_paid import SourcePayment
    from model import Invoice

__all__ = ["TrytonConnector"]

log = logging.getLogger(__name__)

_TIMESTAMPS = ("create_date", "write_date")


@dataclass(frozen=True, slots=True)
class _Expansion:
    """A field holding ids of ``model`` records, replaced by those records' ``fields``."""

    field: str
    model: str
    fields: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _StreamQuery:
    """What to read from Tryton for one stream."""

    model: str
    domain: tuple[Any, ...]
    fields: tuple[str, ...]
    expansions: tuple[_Expansion, ...] = ()


_UNECE_TAX = ("name", "description", "rate", "unece_code", "unece_category_code")

_QUERIES: dict[Stream, _StreamQuery] = {
    Stream.INVOICES: _StreamQuery(
        model="account.invoice",
        domain=(("type", "=", "out"), ("state", "in", ["posted", "paid"])),
        fields=(
            "number",
            "type",
            "state",
            "invoice_date",
            "reference",
            "description",
            "comment",
            "currency.code",
            "company.party.name",
            "tax_identifier.code",
            "party.name",
            "party.code",
            "party_tax_identifier.code",
            "invoice_address.full_address",
            "invoice_address.street",
            "invoice_address.postal_code",
            "invoice_address.city",
            "invoice_address.country.code",
            "payment_term.name",
            "payment_term.description",
            "customer_payment_reference",
            "untaxed_amount",
            "tax_amount",
            "total_amount",
            "amount_to_pay",
            "lines",
            "taxes",
            "payment_lines",
            "lines_to_pay.maturity_date",
            *_TIMESTAMPS,
        ),
        expansions=(
            _Expansion(
                "lines",
                "account.invoice.line",
                (
                    "sequence",
                    "type",
                    "product.name",
                    "product.code",
                    "description",
                    "quantity",
                    "unit.name",
                    "unit.unece_code",
                    "unit_price",
                    "amount",
                    "origin.invoice.number",
                    *(f"taxes.{name}" for name in _UNECE_TAX),
                ),
            ),
            _Expansion(
                "taxes",
                "account.invoice.tax",
                ("description", "base", "amount", *(f"tax.{name}" for name in _UNECE_TAX)),
            ),
        ),
    ),
    Stream.PARTIES: _StreamQuery(
        model="party.party",
        domain=(),
        fields=("name", "code", "addresses", "identifiers", "contact_mechanisms", *_TIMESTAMPS),
        expansions=(
            _Expansion(
                "addresses",
                "party.address",
                ("party_name", "street", "postal_code", "city", "country.code", "invoice"),
            ),
            _Expansion("identifiers", "party.identifier", ("type", "code")),
            _Expansion("contact_mechanisms", "party.contact_mechanism", ("type", "value", "name")),
        ),
    ),
    Stream.PAYMENTS: _StreamQuery(
        model="account.move.line",
        domain=(("invoice_payment", "!=", None),),
        fields=(
            "date",
            "debit",
            "credit",
            "amount_second_currency",
            "second_currency.code",
            "description",
            "party.name",
            "invoice_payment",
            "invoice_payment.number",
            "reconciliation",
            "move.number",
            "move.journal.name",
            *_TIMESTAMPS,
        ),
    ),
}

_CAPABILITIES = frozenset(
    {
        Capability.PULL_INVOICES,
        Capability.PULL_PARTIES,
        Capability.PULL_PAYMENTS,
        Capability.PUSH_STATUS,
        Capability.PUSH_PAYMENT,
    }
)


class TrytonConnector:
    """A connection to one Tryton database; see the module docstring for the streams."""

    def __init__(
        self,
        url: str,
        database: str,
        username: str,
        password: SecretStr,
        *,
        page_size: int = 100,
        name: str = "tryton",
        http: HttpClient | None = None,
        parties: Mapping[str, Mapping[str, str]] | None = None,
        mapping: mappings.Mapping | None = None,
    ) -> None:
        if page_size < 1:
            raise ValueError(f"page_size must be at least 1, not {page_size}")
        self._name = name
        self._parties = dict(parties or {})
        self._mapping = mapping
        self._page_size = page_size
        self._company: dict[str, Any] | None = None
        self._payment_method_id: int | None = None
        self._http = http or HttpClient(url.rstrip("/"))
        self.rpc = TrytonRpc(self._http, database=database, username=username, password=password)

    def __repr__(self) -> str:
        return f"TrytonConnector(name={self._name!r}, {self.rpc!r})"

    def __enter__(self) -> TrytonConnector:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    @property
    def name(self) -> str:
        return self._name

    @property
    def capabilities(self) -> frozenset[Capability]:
        return _CAPABILITIES

    def pull(self, stream: Stream, cursor: Cursor | None) -> Iterator[Page]:
        """Records of ``stream`` after ``cursor``, ``page_size`` at a time."""
        query = _QUERIES[stream]

        def fetch(after: RecordKey | None, limit: int) -> list[Record]:
            return self._fetch(query, after, limit)

        return keyset_pages(fetch, cursor, page_size=self._page_size)

    def document(self, record: Record) -> Invoice:
        """The EN 16931 invoice or credit note of an ``invoices`` record (see
        :mod:`connectors.tryton_map`), through the connector's mapping (default: the packaged
        ``mappings/tryton.toml``) and ``parties`` table; a RecordError when it cannot be."""
        from connectors.tryton_map import to_invoice

        return to_invoice(
            record, company=self.company_party(), parties=self._parties, mapping=self.mapping
        )

    @property
    def mapping(self) -> mappings.Mapping:
        """The mapping given when the connection opened, else ``mappings/tryton.toml``."""
        if self._mapping is None:
            import mappings

            self._mapping = mappings.load("tryton")
        return self._mapping

    def codes(self, record: Record) -> Iterator[tuple[str, str, str]]:
        """Every code of an ``invoices`` record that goes through ``mappings/tryton.toml``
        (see :func:`connectors.tryton_map.codes_of`)."""
        from connectors.tryton_map import codes_of

        return codes_of(record)

    def credit_limits(self) -> list[PartyLimit]:
        """Each party's ``credit_limit_amount``: see :mod:`connectors.tryton_credit`."""
        from connectors.tryton_credit import credit_limits

        return credit_limits(self.rpc, parties=self._parties, mapping=self.mapping)

    def push_status(self, document_ref: DocumentRef, status: StatusUpdate) -> None:
        """Record ``status`` on the invoice as an ``ir.note``, with the UBL as an attachment.

        The note reads ``ledgerlink: <status>: <message>``; an identical note already on
        the invoice is not written again. The UBL (when given) is the ``ir.attachment``
        ``<number>.xml`` of the invoice: pushed again, the one attachment's data is
        replaced by the newest UBL, so repeated pushes never duplicate it.
        """
        invoice = self._invoice(document_ref, ("number",))
        resource = f"account.invoice,{invoice['id']}"
        message = f"ledgerlink: {status.status.value}"
        if status.message:
            message += f": {status.message}"
        record_id = document_ref.record_id
        notes = [("resource", "=", resource), ("message", "=", message)]
        if not self.rpc.search("ir.note", notes, limit=1):
            self.rpc.model(
                "ir.note",
                "create",
                [{"resource": resource, "message": message}],
                record_id=record_id,
            )
        if status.ubl is None:
            return
        name = f"{invoice['number'] or document_ref.number}.xml"
        existing = self.rpc.search(
            "ir.attachment", [("resource", "=", resource), ("name", "=", name)], limit=1
        )
        if existing:
            self.rpc.model(
                "ir.attachment", "write", existing, {"data": status.ubl}, record_id=record_id
            )
        else:
            self.rpc.model(
                "ir.attachment",
                "create",
                [{"resource": resource, "name": name, "type": "data", "data": status.ubl}],
                record_id=record_id,
            )

    def push_payment(self, document_ref: DocumentRef, payment: Payment) -> None:
        """Register ``payment`` on the invoice with Tryton's pay wizard, once.

        A payment already booked on the invoice is not booked again: the invoice's payment
        lines (``account.move.line`` with ``invoice_payment`` = the invoice) are searched
        first for one with the same reference (the description the pay wizard writes on its
        move; no reference matches an empty description), date and amount, and when there is
        one nothing is booked. So a push that failed with
        :class:`~connectors.errors.OutcomeUnknown` (the pay step may have been carried out) is
        resolved by pushing the same payment again. Two payments with the same date, amount
        and reference are one payment to ledgerlink: the reference tells them apart.

        A payment below the amount to pay is booked as a partial payment (the wizard's
        ``partial`` choice), leaving the rest open; the exact amount to pay settles the
        invoice, which becomes ``paid``. The first invoice payment method of the company
        is used. A :class:`RecordError` is raised, before anything is booked, for an
        invoice that is not posted (draft, already paid, cancelled), a payment in
        another currency, a payment that is not positive, and an overpayment (more than
        ``amount_to_pay``): Tryton would offer to book the excess as an overpayment or
        write-off, which is an accounting decision ledgerlink does not take.
        """
        from connectors.tryton_settle import exact

        record_id = document_ref.record_id
        invoice = self._invoice(
            document_ref, ("number", "state", "amount_to_pay", "currency.code", "currency.digits")
        )
        number = invoice["number"] or document_ref.number
        currency = (invoice.get("currency.") or {}).get("code")
        if payment.currency != currency:
            raise RecordError(
                record_id,
                f"payment in {payment.currency} for invoice {number} in {currency}",
            )
        if payment.amount <= 0:
            raise RecordError(record_id, f"payment amount {payment.amount} is not positive")
        payment = exact(document_ref, invoice, payment)
        if self._payment_booked(invoice["id"], payment):
            log.info(
                "payment %s of %s on %s is already booked on invoice %s; nothing booked",
                payment.reference or "(no reference)",
                payment.amount,
                payment.paid_on,
                number,
            )
            return
        if invoice["state"] == "paid":
            raise RecordError(record_id, f"invoice {number} is already paid")
        if invoice["state"] != "posted":
            raise RecordError(
                record_id, f"invoice {number} is {invoice['state']}, not posted: cannot pay it"
            )
        to_pay: Decimal = invoice["amount_to_pay"]
        if payment.amount > to_pay:
            raise RecordError(
                record_id,
                f"payment of {payment.amount} exceeds the {to_pay} left to pay on {number}",
            )
        method = self._payment_method()
        start = {
            "amount": payment.amount,
            "payment_method": method,
            "date": payment.paid_on,
            "description": payment.reference or "",
        }
        self.rpc.run_wizard(
            "account.invoice.pay",
            ("account.invoice", invoice["id"]),
            (
                WizardStep("choice", lambda form: {**form, **start}),  # books a full payment
                WizardStep("pay", lambda form: {**form, "type": "partial"}),  # books the rest
            ),
            record_id=record_id,
        )

    def settle_payment(
        self, document_ref: DocumentRef, payment: Payment, written_off: Decimal
    ) -> None:
        """Book ``payment`` and write off the ``written_off`` shortfall with the company's
        first write-off method, settling the invoice, once (:mod:`connectors.tryton_settle`).

        Refused (:class:`RecordError`, nothing booked) unless ``payment.amount +
        written_off`` is the invoice's ``amount_to_pay``, and when Tryton has no write-off
        method (Accounting > Configuration > Write-off Methods)."""
        from connectors.tryton_settle import exact, write_off_steps
        from connectors.tryton_settle import invoice as read_invoice

        record_id = document_ref.record_id
        row = read_invoice(self.rpc, document_ref)
        number = row["number"] or document_ref.number
        payment = exact(document_ref, row, payment)
        written_off = exact(document_ref, row, replace(payment, amount=written_off)).amount
        if self._payment_booked(row["id"], payment):
            return
        if row["state"] != "posted":
            raise RecordError(record_id, f"invoice {number} is {row['state']}, not posted")
        if payment.amount <= 0 or written_off <= 0:
            raise RecordError(record_id, f"{payment.amount} with {written_off} written off")
        if payment.amount + written_off != row["amount_to_pay"]:
            raise RecordError(
                record_id,
                f"{payment.amount} paid and {written_off} written off is not the "
                f"{row['amount_to_pay']} left to pay on {number}",
            )
        methods = self.rpc.search(
            "account.move.reconcile.write_off", [("company", "=", row["company"])], limit=1
        )
        if not methods:
            raise RecordError(
                record_id,
                f"the Tryton database has no write-off method: write off {written_off} on "
                f"{number} in Tryton, or create one (Accounting > Configuration > Write-off)",
            )
        self.rpc.run_wizard(
            "account.invoice.pay",
            ("account.invoice", row["id"]),
            write_off_steps(payment, self._payment_method(), methods[0]),
            record_id=record_id,
        )

    def reverse_payment(
        self, document_ref: DocumentRef, payment: Payment, original: str | None = None
    ) -> None:
        """Book the return of ``payment.amount`` on the invoice (its reversal's date and bank
        reference), taking back the payment line of bank reference ``original``,
        re-opening the invoice, once: see :mod:`connectors.tryton_settle`."""
        from connectors.tryton_settle import reverse_payment

        reverse_payment(self.rpc, document_ref, payment, self._payment_method(), original)

    def reversal_booked(self, document_ref: DocumentRef, payment: Payment) -> bool:
        """Whether the reversal ``payment`` is booked on the invoice already."""
        from connectors.tryton_settle import reversal_booked

        return reversal_booked(self.rpc, document_ref, payment)

    def apply_credit(self, credit: DocumentRef, target: DocumentRef, payment: Payment) -> None:
        """Consume the credit note ``credit`` (``payment.amount``, all of it) against the
        invoice ``target``, once: see :mod:`connectors.tryton_settle`."""
        from connectors.tryton_settle import apply_credit

        apply_credit(self.rpc, credit, target, payment)

    def credit_applied(self, credit: DocumentRef, target: DocumentRef, payment: Payment) -> bool:
        """Whether the credit note is consumed against ``target`` already."""
        from connectors.tryton_settle import credit_applied

        return credit_applied(self.rpc, credit, target)

    def payment_booked(self, document_ref: DocumentRef, payment: Payment) -> bool:
        """Whether ``payment`` is booked on the invoice already (a payment line with its
        reference, date and amount): what the sync engine asks after a crash between a
        push and its record (:class:`sync.payment_push.PaymentLookup`)."""
        invoice = self._invoice(document_ref, ("number",))
        return self._payment_booked(invoice["id"], payment)

    def paid_at_source(self, refs: Sequence[DocumentRef]) -> dict[str, list[SourcePayment]]:
        """Each invoice's payment lines in Tryton, by record id, for the store to learn the
        payments booked there (:mod:`connectors.tryton_paid`)."""
        from connectors.tryton_paid import paid_at_source

        return paid_at_source(self.rpc, refs)

    def _payment_booked(self, invoice_id: int, payment: Payment) -> bool:
        """Whether a payment line of the invoice has ``payment``'s reference, date and amount."""
        from connectors.tryton_paid import payment_lines

        reference = payment.reference or None
        return any(
            (line.paid_on, line.reference, line.amount)
            == (payment.paid_on, reference, payment.amount)
            for line in payment_lines(self.rpc, [invoice_id]).get(invoice_id, [])
        )

    def _invoice(self, document_ref: DocumentRef, fields: Sequence[str]) -> dict[str, Any]:
        """The customer invoice ``document_ref`` points to, or a RecordError."""
        record_id = document_ref.record_id
        rows = (
            self.rpc.search_read(
                "account.invoice",
                [("id", "=", int(record_id)), ("type", "=", "out")],
                limit=1,
                fields=fields,
            )
            if record_id.isdigit()
            else []
        )
        if not rows:
            raise RecordError(
                record_id, f"no customer invoice {document_ref.number} with id {record_id!r}"
            )
        return rows[0]

    def _payment_method(self) -> int:
        """The id of the first invoice payment method; a ConfigurationError when none."""
        if self._payment_method_id is None:
            ids = self.rpc.search("account.invoice.payment.method", [], limit=1)
            if not ids:
                raise ConfigurationError(
                    "the Tryton database has no invoice payment method: create one "
                    "(Accounting > Configuration > Payment Methods) to push payments"
                )
            self._payment_method_id = ids[0]
        return self._payment_method_id

    def company_party(self) -> dict[str, Any]:
        """The company's party (seller, BG-4), read once per connector.

        ``party.party`` fields as in the ``parties`` stream (``addresses``, ``identifiers``,
        ``contact_mechanisms``), plus ``iban``: the first IBAN of the company's bank
        accounts (BT-84), or None.
        """
        if self._company is None:
            (company,) = self.rpc.search_read("company.company", [], limit=1, fields=("party",))
            query = _QUERIES[Stream.PARTIES]
            rows = self.rpc.read(query.model, [company["party"]], query.fields)
            self._expand(query.expansions, rows)
            ibans = self.rpc.search_read(
                "bank.account.number",
                [("type", "=", "iban"), ("account.owners", "=", company["party"])],
                limit=1,
                fields=("number",),
            )
            self._company = {**rows[0], "iban": ibans[0]["number"] if ibans else None}
        return self._company

    def _fetch(self, query: _StreamQuery, after: RecordKey | None, limit: int) -> list[Record]:
        """Up to ``limit`` records after ``after`` in ``(write_date or create_date, id)`` order.

        Written records and never-written ones are two keyset queries, merged.
        """
        rows: list[dict[str, Any]] = []
        for timestamp, presence in (("write_date", "!="), ("create_date", "=")):
            domain = [*query.domain, ("write_date", presence, None)]
            if after is not None:
                domain.append(_after_domain(timestamp, after))
            rows += self.rpc.search_read(
                query.model,
                domain,
                limit=limit,
                order=((timestamp, "ASC"), ("id", "ASC")),
                fields=query.fields,
            )
        rows.sort(key=lambda row: _record(row).key)
        del rows[limit:]
        self._expand(query.expansions, rows)
        return [_record(row) for row in rows]

    def _expand(self, expansions: Sequence[_Expansion], rows: list[dict[str, Any]]) -> None:
        """Replace each expansion's id lists in ``rows`` by the records they point to."""
        for expansion in expansions:
            ids = [child for row in rows for child in row.get(expansion.field) or ()]
            children = {
                child["id"]: child
                for child in self.rpc.read(expansion.model, ids, expansion.fields)
            }
            for row in rows:
                row[expansion.field] = [children[child] for child in row.get(expansion.field) or ()]


def _after_domain(timestamp: str, after: RecordKey) -> list[Any]:
    """Tryton domain for ``(timestamp, id) > after``; naive UTC as Tryton stores it."""
    moment = after.updated_at.astimezone(dt.UTC).replace(tzinfo=None)
    kind, number, _text = after.id
    last_id = number if kind == 0 else -1
    return [
        "OR",
        [(timestamp, ">", moment)],
        [(timestamp, "=", moment), ("id", ">", last_id)],
    ]


def _record(row: dict[str, Any]) -> Record:
    updated: dt.datetime = row.get("write_date") or row["create_date"]
    return Record(id=str(row["id"]), updated_at=updated.replace(tzinfo=dt.UTC), data=row)
