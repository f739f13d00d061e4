"""What matching finds: matches applied automatically, and unmatched bookings with suggestions.

These are the types the matcher (:mod:`reconcile.matching`) returns and the sync engine stores
as events and pushes back to the source. A match never holds an ambiguous case: where two
readings are possible the booking stays unmatched and both are suggestions.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal

from reconcile.open_items import DocumentKey
from reconcile.transaction import Transaction

__all__ = ["Allocation", "Match", "Stage", "Suggestion", "Unmatched"]


class Stage(enum.StrEnum):
    """Which matching stage found a match (issue 16, section 2), in the order they run."""

    REFERENCE = "reference"
    """A structured reference (RF, betalingskenmerk, OGM) that validates and is open."""
    NEAR_REFERENCE = "near_reference"
    """A reference one wrong digit away from exactly one open reference, exact amount."""
    INVOICE_NUMBER = "invoice_number"
    """The invoice number (BT-1) in the text or the EndToEndId, with an amount check."""
    DEBTOR_AMOUNT = "debtor_amount"
    """The debtor known by IBAN or name, with the exact amount of one item or a combination."""
    TOLERANCE = "tolerance"
    """Within the configured underpayment tolerance."""
    REVERSAL = "reversal"
    """A reversal or return that undoes an earlier match."""
    MANUAL = "manual"
    """Applied by hand (``ledgerlink reconcile confirm``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Allocation:
    """The part of one booking applied to one document."""

    invoice: str
    """BT-1 number of the document, as shown (two documents may share one)."""
    amount: Decimal
    """The signed reduction of the document's open amount: positive for a payment of an
    invoice, negative for a credit note consumed or a reversal that re-opens."""
    document: DocumentKey | None = None
    """Which document (:attr:`reconcile.open_items.OpenItem.key`). The matcher always sets
    it; None (an allocation made elsewhere) means the one document with that number."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Match:
    """One booking (or one batch child) applied to one or more documents."""

    bank_reference: str
    """The booking's identity in messages and JSON: camt ``AcctSvcrRef``, MT940 the bank
    reference; a batch child is filed under its parent's."""
    transaction: Transaction
    allocations: tuple[Allocation, ...]
    stage: Stage
    reason: str
    """Why, in words a credit manager reads (``RF18 5390 0754 7034 is invoice 2026-0842``)."""
    confidence: float
    """0..1; a match below the policy's threshold is not applied but suggested."""
    unapplied: Decimal = Decimal(0)
    """Surplus of an over-payment, kept as a credit of the debtor."""
    written_off: Decimal = Decimal(0)
    """A shortfall written off under the tolerance policy. It is part of the allocations (they
    are what the documents' open amounts fall by), not money received."""
    reverses: str | None = None
    """For stage ``reversal``: the bank reference of the match this booking undoes, when it
    was found (a reversal found only by its reference re-opens the document without it)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Suggestion:
    """A reading of an unmatched booking that was not applied, with why not."""

    allocations: tuple[Allocation, ...]
    stage: Stage
    reason: str
    confidence: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Unmatched:
    """A booking left for a person, with the best suggestions first (possibly none)."""

    bank_reference: str
    transaction: Transaction
    suggestions: tuple[Suggestion, ...] = ()
