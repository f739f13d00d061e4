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

from reconcile.open_items import (
    DocumentKey,
    ItemKind,
    OpenItem,
    compact_reference,
    normalise_name,
)
from reconcile.result import Allocation

__all__ = ["MIN_DIGIT_KEY", "Book", "allocate", "digit_key", "number_key"]

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


def allocate(item: OpenItem, amount: Decimal) -> Allocation:
    """The allocation of ``amount`` to ``item``, carrying its number and its key."""
    return Allocation(invoice=item.number, document=item.key, amount=amount)


class Book:
    """The open items and what is still open of each, for one run of the matcher.

    Documents are keyed by :attr:`OpenItem.key` (connection, source id): two may share an
    invoice number. ``settled`` items are known (a reversal may re-open them) but not
    indexed: no stage finds them until a reversal re-opens one.
    """

    def __init__(self, items: Iterable[OpenItem], settled: Iterable[OpenItem] = ()) -> None:
        self.items: dict[DocumentKey, OpenItem] = {}
        self.open: dict[DocumentKey, Decimal] = {}
        self.by_reference: dict[str, list[DocumentKey]] = defaultdict(list)
        self.by_number: dict[str, list[DocumentKey]] = defaultdict(list)
        self.by_debtor: dict[str, list[DocumentKey]] = defaultdict(list)
        self.by_account: dict[str, set[str]] = defaultdict(set)
        self.by_name: dict[str, set[str]] = defaultdict(set)
        self.by_amount: dict[Decimal, list[DocumentKey]] = defaultdict(list)
        self.shared: dict[str, list[DocumentKey]] = {}
        """Documents whose numbers (as :func:`number_key`) are the same, by that number;
        only numbers that more than one document has."""
        self.settled_by_reference: dict[str, list[DocumentKey]] = defaultdict(list)
        self.settled_by_number: dict[str, list[DocumentKey]] = defaultdict(list)
        """The settled items by reference and number, for a reversal naming one."""
        self._unindexed: set[DocumentKey] = set()
        for item in items:
            self.add(item)
        for item in settled:
            self.add(item, index=False)

    def add(self, item: OpenItem, *, index: bool = True) -> None:
        key = item.key
        if key in self.items:
            raise ValueError(f"open item {item.number}: source record {key[1]!r} is given twice")
        self.items[key] = item
        self.open[key] = item.open
        if index:
            self._index(item)
        else:
            self._unindexed.add(key)
            if item.payment_reference:
                self.settled_by_reference[item.payment_reference].append(key)
            full = number_key(item.number)
            if full:
                self.settled_by_number[full].append(key)
            digits = digit_key(full)
            if digits and digits != full:
                self.settled_by_number[digits].append(key)

    def _index(self, item: OpenItem) -> None:
        key = item.key
        if item.payment_reference:  # compact, as OpenItem says
            self.by_reference[item.payment_reference].append(key)
        full = number_key(item.number)
        if full:
            namesakes = self.by_number[full]
            if namesakes and (same := [k for k in namesakes if self._full(k) == full]):
                self.shared.setdefault(full, same).append(key)
            namesakes.append(key)
        digits = digit_key(full)
        if digits and digits != full:
            self.by_number[digits].append(key)
        self.by_debtor[item.debtor].append(key)
        if item.debtor_accounts:
            for account in item.debtor_accounts:
                self.by_account[compact_reference(account)].add(item.debtor)
        name = normalise_name(item.debtor_name)
        if name:
            self.by_name[name].add(item.debtor)
        if item.kind is ItemKind.INVOICE and item.open > 0:
            self.by_amount[item.open].append(key)

    def _full(self, key: DocumentKey) -> str:
        return number_key(self.items[key].number)

    def namesakes(self, key: DocumentKey) -> list[DocumentKey]:
        """The other documents whose number is the same as this one's."""
        return [k for k in self.shared.get(self._full(key), ()) if k != key]

    def label(self, key: DocumentKey) -> str:
        """How a document is named to a reader: its number, or ``NUMBER@SOURCE_ID`` when
        another document has the same number."""
        item = self.items[key]
        if self.shared and self._full(key) in self.shared:
            return f"{item.number}@{key[1]}"
        return item.number

    def labelled_open(self) -> dict[str, Decimal]:
        """Each document's open amount under its :meth:`label`."""
        if not self.shared:
            return {self.items[key].number: value for key, value in self.open.items()}
        return {self.label(key): value for key, value in self.open.items()}

    def resolve(self, allocation: Allocation) -> DocumentKey | None:
        """The key of an allocation's document: its own, else the one document with that
        number; None when it is not in the book (or the number is not unique)."""
        if allocation.document is not None:
            return allocation.document if allocation.document in self.items else None
        full = number_key(allocation.invoice)
        found = {
            k: None
            for k in (*self.by_number.get(full, ()), *self.settled_by_number.get(full, ()))
            if self.items[k].number == allocation.invoice
        }
        return next(iter(found)) if len(found) == 1 else None

    def signed_open(self, key: DocumentKey) -> Decimal:
        """What the debtor still owes by this document (negative for a credit note)."""
        item = self.items[key]
        value = self.open[key]
        return -value if item.kind is ItemKind.CREDIT_NOTE else value

    def is_open(self, key: DocumentKey) -> bool:
        return self.open[key] > 0

    def apply(self, allocations: Iterable[Allocation]) -> None:
        """Reduce each document's signed open amount by its allocation (a negative one
        re-opens, or consumes a credit note). A settled document re-opened is indexed."""
        for allocation in allocations:
            key = self.resolve(allocation)
            if key is None:
                raise KeyError(f"no document {allocation.invoice} in the book")
            item = self.items[key]
            if item.kind is ItemKind.CREDIT_NOTE:
                self.open[key] += allocation.amount
            else:
                self.open[key] -= allocation.amount
            if key in self._unindexed and self.open[key] > 0:
                self._unindexed.discard(key)
                self._index(item)

    def learn_account(self, account: str, debtor: str) -> None:
        """An account seen paying a document of ``debtor`` (in this run or a prior one)."""
        self.by_account[compact_reference(account)].add(debtor)

    def debtor_items(self, debtor: str, currency: str) -> list[OpenItem]:
        """The debtor's documents still open in ``currency``, oldest due first."""
        keys = self.by_debtor.get(debtor, ())
        found = [
            self.items[k] for k in keys if self.open[k] > 0 and self.items[k].currency == currency
        ]
        found.sort(key=lambda item: (item.due_date or item.issue_date, item.number))
        return found

    def with_amount(self, amount: Decimal, currency: str) -> list[OpenItem]:
        """Invoices whose open amount is exactly ``amount`` now."""
        return [
            self.items[k]
            for k in self.by_amount.get(amount, ())
            if self.open[k] == amount and self.items[k].currency == currency
        ]
