"""Reversals and returns: a booking the bank marks as reversed (camt ``RvslInd``, MT940
``RC``/``RD``) or returned (a return reason such as ``MD06``, ``AC04``), with a negative
amount, undoes the earlier match of the payment it reverses and re-opens the documents.

The earlier match is found among the matches of this run and the prior matches passed in,
by the payer's EndToEndId, else the structured reference, else the payer's account, each
with the same amount. Exactly one found: its allocations are undone (confidence 0.95).
None found: a reference or invoice number in the booking naming a document that has been
paid by at least this much re-opens it (0.85). Anything else stays unmatched.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from reconcile.matching.book import Book, allocate
from reconcile.matching.booking import Booking
from reconcile.matching.reading import Reading
from reconcile.matching.tokens import number_keys, reference_candidates
from reconcile.open_items import DocumentKey, ItemKind, compact_reference
from reconcile.result import Allocation, Match, Stage
from reconcile.transaction import Transaction

__all__ = ["History", "is_reversal", "readings"]


def is_reversal(transaction: Transaction) -> bool:
    """A debit the bank marks as the reversal or return of an incoming payment."""
    return transaction.amount < 0 and (
        transaction.reversal or transaction.return_reason is not None
    )


class History:
    """The matches a reversal may undo, indexed by EndToEndId, reference and account."""

    def __init__(self, prior: Iterable[Match] = ()) -> None:
        self.matches: list[Match] = []
        self.reversed: set[int] = set()
        self._by_key: dict[tuple[str, str], list[int]] = defaultdict(list)
        for match in prior:
            if match.stage is Stage.REVERSAL:
                self._undone(match)
            else:
                self.add(match)

    def _undone(self, reversal: Match) -> None:
        """Mark the prior match a prior reversal undid (the one whose allocations it takes
        back), so that a later return of a new payment is not taken for it."""
        taken = {(a.document, a.invoice, -a.amount) for a in reversal.allocations}
        found = [
            position
            for position, original in self.originals(reversal.transaction)
            if {(a.document, a.invoice, a.amount) for a in original.allocations} == taken
        ]
        if found:
            self.reversed.add(found[-1])

    def add(self, match: Match) -> None:
        if match.stage is Stage.REVERSAL:
            return
        position = len(self.matches)
        self.matches.append(match)
        for key in _keys(match.transaction):
            self._by_key[key].append(position)

    def originals(self, transaction: Transaction) -> list[tuple[int, Match]]:
        """The not yet reversed matches of a payment of ``-transaction.amount`` that shares
        the most specific key with ``transaction``."""
        for key in _keys(transaction):
            found = [
                (p, self.matches[p])
                for p in self._by_key.get(key, ())
                if p not in self.reversed
                and self.matches[p].transaction.amount == -transaction.amount
            ]
            if found:
                return found
        return []


def _keys(transaction: Transaction) -> list[tuple[str, str]]:
    keys = []
    if transaction.end_to_end_id:
        keys.append(("e2e", transaction.end_to_end_id))
    if transaction.structured_reference:
        keys.append(("ref", compact_reference(transaction.structured_reference)))
    party = transaction.counterparty
    if party is not None and party.iban:
        keys.append(("iban", compact_reference(party.iban)))
    return keys


def readings(book: Book, booking: Booking, history: History) -> list[tuple[Reading, int | None]]:
    """The readings of a reversal, each with the position of the match it undoes."""
    tx = booking.transaction
    originals = history.originals(tx)
    if originals:
        found: list[tuple[Reading, int | None]] = []
        for position, original in originals:
            allocations = tuple(
                Allocation(invoice=a.invoice, document=key, amount=-a.amount)
                for a in original.allocations
                if (key := book.resolve(a)) is not None
            )
            if not allocations:
                continue  # the documents it paid are not among the open items given
            found.append(
                (
                    Reading(
                        allocations=allocations,
                        stage=Stage.REVERSAL,
                        reason=_why(tx, f"undoes {original.bank_reference}"),
                        confidence=0.95 if len(originals) == 1 else 0.5,
                    ),
                    position,
                )
            )
        return found
    return [(r, None) for r in _by_reference(book, booking)]


def _by_reference(book: Book, booking: Booking) -> list[Reading]:
    tx = booking.transaction
    paid = -tx.amount
    keys: dict[DocumentKey, None] = {}
    for candidate in reference_candidates(tx):
        keys.update(dict.fromkeys(book.by_reference.get(candidate.value, ())))
        keys.update(dict.fromkeys(book.settled_by_reference.get(candidate.value, ())))
    for number in number_keys(tx):
        keys.update(dict.fromkeys(book.by_number.get(number, ())))
        keys.update(dict.fromkeys(book.settled_by_number.get(number, ())))
    found = []
    for key in keys:
        item = book.items[key]
        if item.kind is not ItemKind.INVOICE or item.currency != tx.currency:
            continue
        if item.amount - book.open[key] < paid:
            continue
        label = book.label(key)
        found.append(
            Reading(
                allocations=(allocate(item, tx.amount),),
                stage=Stage.REVERSAL,
                reason=_why(tx, f"re-opens {label}, named in the booking, paid {paid} or more"),
                confidence=0.85,
            )
        )
    if len(found) > 1:
        return [
            Reading(allocations=r.allocations, stage=r.stage, reason=r.reason, confidence=0.5)
            for r in found
        ]
    return found


def _why(tx: Transaction, what: str) -> str:
    kind = f"return ({tx.return_reason})" if tx.return_reason else "reversal"
    return f"{kind} of {-tx.amount}: {what}"
