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

import functools
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

    The answer for each value is kept (a statement names the same payers over and over;
    the IBAN check costs tens of microseconds).

    >>> account_key("nl91 abna 0417 1643 00")
    'NL91ABNA0417164300'
    >>> account_key("1234567")
    '1234567'
    """
    key, problem = _account_key(value)
    if problem is not None:
        raise ValueError(problem)
    return key


@functools.lru_cache(maxsize=1 << 16)
def _account_key(value: str) -> tuple[str, str | None]:
    """:func:`account_key` as ``(key, None)``, or ``("", message)`` for a wrong account."""
    from stdnum import iban
    from stdnum.exceptions import ValidationError

    compact = iban.compact(value)
    if not _IBAN_LIKE.fullmatch(compact):
        if not value.strip():
            return "", "an account must not be empty"
        return value.strip(), None
    try:
        return str(iban.validate(compact)), None
    except ValidationError as failure:
        return "", f"{value!r} is not a valid IBAN: {failure}"


def reference_of(transaction: Transaction) -> str | None:
    """The booking's bank reference, or None when the bank gave none (``NONREF``)."""
    reference = (transaction.bank_reference or "").strip()
    return None if reference.upper() in NO_REFERENCE else reference


_json_string = json.encoder.encode_basestring
"""A string as ``json.dumps(..., ensure_ascii=False)`` writes it (the identity's parts)."""


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
        key = f"[{', '.join(map(_json_string, parts))}, {seen[parts]}]"
        yield hashlib.sha256(key.encode("utf-8")).hexdigest()


_OPTIONAL = (
    "ultimate_debtor",
    "structured_reference",
    "end_to_end_id",
    "bank_reference",
    "bank_code",
    "return_reason",
    "mandate_id",
    "creditor_id",
    "line",
)
"""Fields :func:`to_data` writes only when they are not None (what :func:`from_data` reads
a missing key as)."""


def to_data(transaction: Transaction) -> dict[str, Any]:
    """The transaction as JSON (amounts as strings, dates ISO 8601), children included.

    A field at its default (None; ``""``, ``()``, False, 0; ``amount_given`` True) is left
    out, which halves what the store holds and parses per booking; :func:`from_data` reads
    a missing key as that default."""
    data: dict[str, Any] = {
        "booking_date": transaction.booking_date.isoformat(),
        "amount": str(transaction.amount),
        "currency": transaction.currency,
    }
    if transaction.value_date:
        data["value_date"] = transaction.value_date.isoformat()
    party = transaction.counterparty
    if party is not None:
        data["counterparty"] = {
            key: value
            for key, value in (("name", party.name), ("iban", party.iban), ("bic", party.bic))
            if value is not None
        }
    for name in _OPTIONAL:
        value = getattr(transaction, name)
        if value is not None:
            data[name] = value
    if transaction.text:
        data["text"] = transaction.text
    if transaction.additional_info:
        data["additional_info"] = transaction.additional_info
    if transaction.reversal:
        data["reversal"] = True
    if not transaction.amount_given:
        data["amount_given"] = False
    if transaction.children:
        data["children"] = [to_data(child) for child in transaction.children]
    if transaction.entry:
        data["entry"] = transaction.entry
    if transaction.structured_references:
        data["structured_references"] = list(transaction.structured_references)
    return data


_day = functools.lru_cache(maxsize=1024)(date.fromisoformat)
"""A statement's bookings share a few dates: each is parsed once."""


def from_data(data: Mapping[str, Any]) -> Transaction:
    """The transaction :func:`to_data` wrote, exactly (a missing key is its default)."""
    get = data.get
    party = get("counterparty")
    value_date = get("value_date")
    children = get("children")
    references = get("structured_references")
    return Transaction(
        booking_date=_day(data["booking_date"]),
        value_date=_day(value_date) if value_date else None,
        amount=Decimal(data["amount"]),
        currency=data["currency"],
        counterparty=None
        if party is None
        else Counterparty(name=party.get("name"), iban=party.get("iban"), bic=party.get("bic")),
        ultimate_debtor=get("ultimate_debtor"),
        structured_reference=get("structured_reference"),
        text=get("text") or "",
        end_to_end_id=get("end_to_end_id"),
        bank_reference=get("bank_reference"),
        bank_code=get("bank_code"),
        reversal=bool(get("reversal")),
        return_reason=get("return_reason"),
        amount_given=bool(get("amount_given", True)),
        children=tuple(map(from_data, children)) if children else (),
        entry=int(get("entry") or 0),
        structured_references=tuple(references) if references else (),
        additional_info=get("additional_info") or "",
        mandate_id=get("mandate_id"),
        creditor_id=get("creditor_id"),
        line=get("line"),
    )
