"""The open items of a run, indexed by reference, invoice number, debtor, account, name and
amount, with the amounts still open as the run applies matches.

Every lookup is a dictionary access: the matcher never scans all open items for a booking.
The only per-debtor work is over one debtor's own items (the combination search).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from reconcile.open_items import ItemKind, OpenItem, compact_reference, normalise_name
from reconcile.result import Allocation

__all__ = ["MIN_DIGIT_KEY", "Book", "digit_key", "number_key"]

MIN_DIGIT_KEY = 5
"""An invoice number is also found by its digits alone when it has at least this many."""

_NON_DIGIT = re.compile(r"\D")


def number_key(value: str) -> str:
    """An invoice number (BT-1) as letters and digits, upper case: ``inv-2026/0842`` ->
    ``INV20260842``."""
    return compact_reference(value)


def digit_key(value: str) -> str | None:
    """The digits of an invoice number, when there are at least :data:`MIN_DIGIT_KEY`:
    ``INV-2026-0842`` -> ``20260842``. Leading zeros are kept."""
    digits = _NON_DIGIT.sub("", value)
    return digits if len(digits) >= MIN_DIGIT_KEY else None


class Book:
    """The open items and what is still open of each, for one run of the matcher."""

    def __init__(self, items: Iterable[OpenItem]) -> None:
        self.items: dict[str, OpenItem] = {}
        self.open: dict[str, Decimal] = {}
        self.by_reference: dict[str, list[str]] = defaultdict(list)
        self.by_number: dict[str, list[str]] = defaultdict(list)
        self.by_debtor: dict[str, list[str]] = defaultdict(list)
        self.by_account: dict[str, set[str]] = defaultdict(set)
        self.by_name: dict[str, set[str]] = defaultdict(set)
        self.by_amount: dict[Decimal, list[str]] = defaultdict(list)
        for item in items:
            self.add(item)

    def add(self, item: OpenItem) -> None:
        if item.number in self.items:
            raise ValueError(f"open item {item.number}: the number is given twice")
        self.items[item.number] = item
        self.open[item.number] = item.open
        if item.payment_reference:  # compact, as OpenItem says
            self.by_reference[item.payment_reference].append(item.number)
        full = number_key(item.number)
        if full:
            self.by_number[full].append(item.number)
        digits = digit_key(full)
        if digits and digits != full:
            self.by_number[digits].append(item.number)
        self.by_debtor[item.debtor].append(item.number)
        if item.debtor_accounts:
            for account in item.debtor_accounts:
                self.by_account[compact_reference(account)].add(item.debtor)
        name = normalise_name(item.debtor_name)
        if name:
            self.by_name[name].add(item.debtor)
        if item.kind is ItemKind.INVOICE and item.open > 0:
            self.by_amount[item.open].append(item.number)

    def signed_open(self, number: str) -> Decimal:
        """What the debtor still owes by this document (negative for a credit note)."""
        item = self.items[number]
        value = self.open[number]
        return -value if item.kind is ItemKind.CREDIT_NOTE else value

    def is_open(self, number: str) -> bool:
        return self.open[number] > 0

    def apply(self, allocations: Iterable[Allocation]) -> None:
        """Reduce each document's signed open amount by its allocation (a negative one
        re-opens, or consumes a credit note)."""
        for allocation in allocations:
            item = self.items[allocation.invoice]
            if item.kind is ItemKind.CREDIT_NOTE:
                self.open[item.number] += allocation.amount
            else:
                self.open[item.number] -= allocation.amount

    def learn_account(self, account: str, debtor: str) -> None:
        """An account seen paying a document of ``debtor`` (in this run or a prior one)."""
        self.by_account[compact_reference(account)].add(debtor)

    def debtor_items(self, debtor: str, currency: str) -> list[OpenItem]:
        """The debtor's documents still open in ``currency``, oldest due first."""
        numbers = self.by_debtor.get(debtor, ())
        found = [
            self.items[n]
            for n in numbers
            if self.open[n] > 0 and self.items[n].currency == currency
        ]
        found.sort(key=lambda item: (item.due_date or item.issue_date, item.number))
        return found

    def with_amount(self, amount: Decimal, currency: str) -> list[OpenItem]:
        """Invoices whose open amount is exactly ``amount`` now."""
        return [
            self.items[n]
            for n in self.by_amount.get(amount, ())
            if self.open[n] == amount and self.items[n].currency == currency
        ]
