"""A bank transaction as the store keeps it: its identity, and its JSON form and back.

The identity decides what "imported twice" means (``transactions.identity``, unique):

* ``account``: the statement's own account (compact IBAN, or the bank's account id);
* ``bank reference``: the bank's own reference of the booking (camt ``AcctSvcrRef``,
  MT940 the ``:61:`` bank reference), ``NONREF`` and ``NOTPROVIDED`` counting as none;
* ``booking date``, ``amount`` and ``currency``, since banks reuse references (an MT940
  sequence number that restarts each day, one reference for every entry of a batch file)
  and some give none at all;
* the ``occurrence``: the position of the booking among the bookings of its statement
  that share all of the above (1 for the first, 2 for a second identical one). This is
  the entry position, but counted only among look-alikes, so a booking keeps its identity
  when the same day is delivered again in an overlapping statement (an MT940 interim
  statement and the final one of that day, a camt.053 for the week after the day's),
  where its absolute entry number differs. Two truly identical bookings on one day (two
  transfers of 10.00 from the same payer, no bank reference) stay two.

The key is the SHA-256 of the JSON array of those parts, so no choice of values can make
two different identities collide by concatenation.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from reconcile.transaction import Counterparty, Transaction

__all__ = ["NO_REFERENCE", "account_key", "from_data", "identities", "reference_of", "to_data"]

NO_REFERENCE = frozenset({"", "NONREF", "NOTPROVIDED", "NONE"})
"""What banks write where a booking has no reference of their own."""


_IBAN_LIKE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{8,30}")


def account_key(value: str) -> str:
    """An account as statements and the ``accounts`` setting name it: an IBAN compact
    (spaces dropped, upper case) after its check digits are checked; anything else (a
    bank's account id) as given. A wrong IBAN is a ValueError saying so.

    >>> account_key("nl91 abna 0417 1643 00")
    'NL91ABNA0417164300'
    >>> account_key("1234567")
    '1234567'
    """
    from stdnum import iban
    from stdnum.exceptions import ValidationError

    compact = iban.compact(value)
    if not _IBAN_LIKE.fullmatch(compact):
        if not value.strip():
            raise ValueError("an account must not be empty")
        return value.strip()
    try:
        return str(iban.validate(compact))
    except ValidationError as failure:
        raise ValueError(f"{value!r} is not a valid IBAN: {failure}") from None


def reference_of(transaction: Transaction) -> str | None:
    """The booking's bank reference, or None when the bank gave none (``NONREF``)."""
    reference = (transaction.bank_reference or "").strip()
    return None if reference.upper() in NO_REFERENCE else reference


def identities(account: str, bookings: Iterable[Transaction]) -> Iterator[str]:
    """The identity of each of a statement's ``bookings``, in order (see the module)."""
    seen: Counter[tuple[str, ...]] = Counter()
    for booking in bookings:
        parts = (
            account,
            reference_of(booking) or "",
            booking.booking_date.isoformat(),
            str(booking.amount),
            booking.currency,
        )
        seen[parts] += 1
        key = json.dumps([*parts, seen[parts]], ensure_ascii=False)
        yield hashlib.sha256(key.encode("utf-8")).hexdigest()


def to_data(transaction: Transaction) -> dict[str, Any]:
    """The transaction as JSON (amounts as strings, dates ISO 8601), children included."""
    party = transaction.counterparty
    return {
        "booking_date": transaction.booking_date.isoformat(),
        "value_date": transaction.value_date.isoformat() if transaction.value_date else None,
        "amount": str(transaction.amount),
        "currency": transaction.currency,
        "counterparty": None
        if party is None
        else {"name": party.name, "iban": party.iban, "bic": party.bic},
        "ultimate_debtor": transaction.ultimate_debtor,
        "structured_reference": transaction.structured_reference,
        "text": transaction.text,
        "end_to_end_id": transaction.end_to_end_id,
        "bank_reference": transaction.bank_reference,
        "bank_code": transaction.bank_code,
        "reversal": transaction.reversal,
        "return_reason": transaction.return_reason,
        "amount_given": transaction.amount_given,
        "children": [to_data(child) for child in transaction.children],
        "entry": transaction.entry,
        "structured_references": list(transaction.structured_references),
        "additional_info": transaction.additional_info,
        "mandate_id": transaction.mandate_id,
        "creditor_id": transaction.creditor_id,
        "line": transaction.line,
    }


def from_data(data: Mapping[str, Any]) -> Transaction:
    """The transaction :func:`to_data` wrote, exactly."""
    party = data.get("counterparty")
    value_date = data.get("value_date")
    return Transaction(
        booking_date=date.fromisoformat(data["booking_date"]),
        value_date=date.fromisoformat(value_date) if value_date else None,
        amount=Decimal(data["amount"]),
        currency=data["currency"],
        counterparty=None
        if party is None
        else Counterparty(name=party.get("name"), iban=party.get("iban"), bic=party.get("bic")),
        ultimate_debtor=data.get("ultimate_debtor"),
        structured_reference=data.get("structured_reference"),
        text=data.get("text") or "",
        end_to_end_id=data.get("end_to_end_id"),
        bank_reference=data.get("bank_reference"),
        bank_code=data.get("bank_code"),
        reversal=bool(data.get("reversal")),
        return_reason=data.get("return_reason"),
        amount_given=bool(data.get("amount_given", True)),
        children=tuple(from_data(child) for child in data.get("children") or ()),
        entry=int(data.get("entry") or 0),
        structured_references=tuple(data.get("structured_references") or ()),
        additional_info=data.get("additional_info") or "",
        mandate_id=data.get("mandate_id"),
        creditor_id=data.get("creditor_id"),
        line=data.get("line"),
    )
