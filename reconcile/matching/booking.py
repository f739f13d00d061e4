"""One booking as the stages see it: its transaction, its key and the debtors it points to."""

from __future__ import annotations

from dataclasses import dataclass, field

from reconcile.matching.book import Book
from reconcile.open_items import compact_reference, normalise_name
from reconcile.transaction import Transaction

__all__ = ["Booking", "identify"]


@dataclass(slots=True)
class Booking:
    """A booking (or batch child) under its statement key (the parent's for a child)."""

    key: str
    transaction: Transaction
    debtors: dict[str, str] = field(default_factory=dict)
    """The debtors the payer is known as, each with how (``IBAN NL91...``, ``name ...``)."""
    by_account: bool = False
    """True when the debtors come from the payer's account, not from a name."""

    def confirmed(self, debtor: str) -> bool:
        """True when the payer is known to be ``debtor`` (by account or name)."""
        return debtor in self.debtors

    def conflicts(self, debtor: str) -> bool:
        """True when the payer is known, and known as somebody else than ``debtor``."""
        return bool(self.debtors) and debtor not in self.debtors


def identify(book: Book, key: str, transaction: Transaction) -> Booking:
    """The debtors a booking points to: the ultimate debtor's name (an agent paying on a
    debtor's behalf) first, then the payer's account (BT-91 of a direct debit, or an account
    seen paying before), then the payer's name."""
    booking = Booking(key=key, transaction=transaction)
    if transaction.ultimate_debtor:
        name = normalise_name(transaction.ultimate_debtor)
        for debtor in book.by_name.get(name, ()):
            booking.debtors[debtor] = f"ultimate debtor {transaction.ultimate_debtor}"
        if booking.debtors:
            return booking
    party = transaction.counterparty
    if party is not None and party.iban:
        for debtor in book.by_account.get(compact_reference(party.iban), ()):
            booking.debtors[debtor] = f"account {party.iban}"
        if booking.debtors:
            booking.by_account = True
            return booking
    if party is not None and party.name:
        for debtor in book.by_name.get(normalise_name(party.name), ()):
            booking.debtors[debtor] = f"name {party.name}"
    return booking
