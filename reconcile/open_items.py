"""What a payment is matched against: an invoice or credit note with the amount still open.

Built from the EN 16931 model (:class:`model.document.Invoice`), by :func:`open_item`. The
matcher never sees the whole document, only what matching needs.
"""

from __future__ import annotations

import enum
import functools
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from model.document import Invoice, Party

__all__ = [
    "DocumentKey",
    "ItemKind",
    "OpenItem",
    "compact_reference",
    "debtor_key",
    "normalise_name",
    "open_item",
]


DocumentKey = tuple[int | None, str]
"""A document's identity in a run: (connection id, source record id). The invoice number
(BT-1) is what a reader sees, but two documents of one connection may share it (an invoice
and a later credit note, a re-issue under another source id); the key tells them apart."""


class ItemKind(enum.StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenItem:
    """One receivable document as the matcher sees it."""

    number: str
    """BT-1 Invoice number."""
    kind: ItemKind
    """BT-3 type: 381 is a credit note, every other code an invoice."""
    debtor: str
    """A stable key of the buyer (BG-7): its legal registration id (BT-47) or VAT id (BT-48)
    or endpoint id (BT-49) with scheme, else ``name:`` and the normalised name (BT-44)."""
    debtor_name: str
    """BT-44 Buyer name."""
    debtor_accounts: frozenset[str] = frozenset()
    """IBANs the debtor is known to pay from: the direct-debit account (BT-91) and any the
    store has seen the debtor pay with."""
    currency: str
    """BT-5 Invoice currency code."""
    amount: Decimal
    """BT-115 Amount due for payment, as issued: positive for an invoice, and for a credit
    note the amount it credits, as a positive number (its effect on what the debtor owes is
    negative)."""
    open: Decimal
    """What is still open of ``amount``, same sign convention (0 when settled)."""
    issue_date: date
    """BT-2 Invoice issue date."""
    due_date: date | None = None
    """BT-9 Payment due date."""
    payment_reference: str | None = None
    """BT-83 Remittance information (the structured reference the buyer should quote), compact."""
    source_id: str | None = None
    """The source system's record id (for push-back), when known."""
    connection_id: int | None = None
    """The store's connection the document comes from (None outside the store)."""
    key: DocumentKey = field(init=False, repr=False, compare=False)
    """``(connection_id, source_id)``, the number standing in for a missing source id."""

    def __post_init__(self) -> None:
        source = self.source_id if self.source_id is not None else self.number
        object.__setattr__(self, "key", (self.connection_id, source))

    @property
    def signed_open(self) -> Decimal:
        """What the debtor owes by this item: ``open`` for an invoice, ``-open`` for a credit
        note."""
        return -self.open if self.kind is ItemKind.CREDIT_NOTE else self.open


_LEGAL_FORMS = frozenset(
    {"bv", "nv", "vof", "cv", "bvba", "sprl", "srl", "sa", "gmbh", "ag", "ltd", "llc", "inc"}
)


_NOT_ALNUM = re.compile(r"[\W_]+")


@functools.lru_cache(maxsize=1 << 16)
def normalise_name(name: str) -> str:
    """A party name reduced for comparison: lower case, letters and digits only, legal forms
    (``B.V.``, ``N.V.``, ``GmbH``...) dropped: ``Koffiehuis Noord B.V.`` -> ``koffiehuis noord``."""
    words = "".join(ch if ch.isalnum() else " " for ch in name.lower().replace(".", "")).split()
    kept = [word for word in words if word not in _LEGAL_FORMS]
    return " ".join(kept or words)


_ASCII_NOT_ALNUM = str.maketrans(
    "", "", "".join(c for c in map(chr, range(128)) if not c.isalnum())
)
"""What :data:`_NOT_ALNUM` removes from an ASCII string, as a ``str.translate`` table."""


def compact_reference(value: str) -> str:
    """A payment reference without spaces, dots, dashes, ``+``, ``*`` and ``/``, upper-cased:
    ``+++010/8068/17183+++`` -> ``010806817183``, ``RF18 5390 0754 7034`` -> ``RF18539007547034``.
    (An ASCII value, nearly every one, goes through ``str.translate``, which removes the
    same characters as the regular expression at a fraction of its cost.)"""
    if value.isascii():
        return value.translate(_ASCII_NOT_ALNUM).upper()
    return _NOT_ALNUM.sub("", value).upper()


def debtor_key(buyer: Party) -> str:
    """The stable key of a buyer (BG-7): BT-47 legal registration, else BT-48 VAT id, else BT-49
    endpoint, each as ``scheme:value``; else ``name:`` and the normalised BT-44 name."""
    if buyer.legal_registration is not None:
        reg = buyer.legal_registration
        return f"{reg.scheme or 'legal'}:{compact_reference(reg.value)}"
    if buyer.vat_id:
        return f"vat:{compact_reference(buyer.vat_id)}"
    if buyer.endpoint is not None:
        return f"{buyer.endpoint.scheme or 'endpoint'}:{buyer.endpoint.value.strip().lower()}"
    return f"name:{normalise_name(buyer.name)}"


def open_item(
    invoice: Invoice,
    *,
    open: Decimal | None = None,
    source_id: str | None = None,
    connection_id: int | None = None,
) -> OpenItem:
    """The open item of an EN 16931 invoice or credit note.

    ``open`` is what is still open (default: BT-115 Amount due for payment, all of it). The
    debtor key comes from the buyer (:func:`debtor_key`), the payment reference from the first
    BT-83 Remittance information (compact), the debtor's accounts from BT-91 Debited account
    identifier of a direct debit (BG-19). BT-3 ``381`` or a UBL CreditNote is a credit note;
    its amount is kept positive (a negative BT-115 of a credit note is turned round).
    """
    kind = (
        ItemKind.CREDIT_NOTE
        if invoice.type_code == "381" or invoice.is_credit_note
        else ItemKind.INVOICE
    )
    amount = invoice.totals.payable
    if kind is ItemKind.CREDIT_NOTE:
        amount = abs(amount)
    reference = next(
        (means.remittance_info for means in invoice.payment_means if means.remittance_info), None
    )
    accounts = frozenset(
        compact_reference(means.direct_debit.debited_account)
        for means in invoice.payment_means
        if means.direct_debit is not None and means.direct_debit.debited_account
    )
    return OpenItem(
        number=invoice.number,
        kind=kind,
        debtor=debtor_key(invoice.buyer),
        debtor_name=invoice.buyer.name,
        debtor_accounts=accounts,
        currency=invoice.currency,
        amount=amount,
        open=amount if open is None else open,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        payment_reference=compact_reference(reference) if reference else None,
        source_id=source_id,
        connection_id=connection_id,
    )
