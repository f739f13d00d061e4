"""The MT940 field values: balances (``:60F/M:``, ``:62F/M:``) and the ``:61:`` line."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from reconcile.statements.currency import amount as parse_amount
from reconcile.statements.currency import check_currency
from reconcile.transaction import Balance

__all__ = ["StatementLine", "balance", "statement_line"]

_BALANCE = re.compile(r"([DC])(\d{6})([A-Z]{3})(\d+(?:,\d*)?)")
_LINE = re.compile(
    r"(?P<value>\d{6})(?P<entry>\d{4})?(?P<mark>R?[DC])(?P<fund>[A-Z](?=\d))?"
    r"(?P<amount>\d+(?:,\d*)?)(?P<type>[NFS][A-Z0-9 ]{3})(?P<rest>.*)",
    re.DOTALL,
)


def _date(text: str) -> date:
    return date(2000 + int(text[:2]), int(text[2:4]), int(text[4:6]))


def balance(text: str, *, intermediate: bool) -> Balance:
    """``C140219EUR662,23`` as a signed Balance; ValueError naming what is wrong."""
    match = _BALANCE.match(text.strip())
    if match is None:
        raise ValueError(f"balance {text.strip()!r} is not <D|C><YYMMDD><currency><amount>")
    mark, day, currency, value = match.groups()
    problem = check_currency(currency)
    if problem:
        raise ValueError(problem)
    sign = -1 if mark == "D" else 1
    try:
        on = _date(day)
    except ValueError:
        raise ValueError(f"balance date {day!r} is not a date") from None
    return Balance(
        amount=parse_amount(value, currency) * sign,
        currency=currency,
        on=on,
        intermediate=intermediate,
    )


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One ``:61:``: dates, signed amount, type code, references, supplementary details."""

    value_date: date
    booking_date: date
    amount: Decimal
    reversal: bool
    type_code: str
    customer_reference: str | None
    bank_reference: str | None
    supplementary: str
    """Line 2 of the ``:61:`` (the counterparty account at Rabobank, the name at SNS) and,
    for ING, what follows the bank reference (``/TRCD/00100/``)."""


def statement_line(text: str, currency: str) -> StatementLine:
    """Parse a ``:61:`` whose continuation lines are already joined with a newline (or,
    ING, with nothing); ValueError when it does not match the MT940 layout."""
    first, _, second = text.partition("\n")
    match = _LINE.fullmatch(first.rstrip())
    if match is None:
        raise ValueError(f":61: {first.strip()!r} is not an MT940 statement line")
    value_date = _date(match["value"])
    booking_date = value_date
    if match["entry"]:
        month, day = int(match["entry"][:2]), int(match["entry"][2:])
        year = value_date.year
        if value_date.month == 12 and month == 1:
            year += 1
        elif value_date.month == 1 and month == 12:
            year -= 1
        booking_date = date(year, month, day)
    mark = match["mark"]
    sign = -1 if mark in ("D", "RC") else 1
    value = parse_amount(match["amount"], currency) * sign
    rest = match["rest"]
    customer, _, bank = rest.partition("//")
    bank_reference = None
    extra = ""
    if bank:
        ref, slash, after = bank.partition("/")
        bank_reference = ref.strip()[:16] or None
        extra = (slash + after).strip()
    customer = customer.strip()
    return StatementLine(
        value_date=value_date,
        booking_date=booking_date,
        amount=value,
        reversal=mark.startswith("R"),
        type_code=match["type"].rstrip(),
        customer_reference=None if customer in ("", "NONREF") else customer,
        bank_reference=bank_reference,
        supplementary="\n".join(p for p in (extra, second.strip()) if p),
    )
