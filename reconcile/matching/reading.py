"""A reading of one booking: what a stage proposes to apply, before the engine decides."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from reconcile.open_items import DocumentKey
from reconcile.result import Allocation, Stage, Suggestion

__all__ = ["Reading"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Reading:
    """One proposed application of a booking to documents, with its stage, reason and
    confidence. The engine applies it (a :class:`~reconcile.result.Match`) or keeps it as a
    :class:`~reconcile.result.Suggestion`."""

    allocations: tuple[Allocation, ...]
    stage: Stage
    reason: str
    confidence: float
    unapplied: Decimal = Decimal(0)
    written_off: Decimal = Decimal(0)
    ambiguous: bool = False
    """The booking's own evidence contradicts itself (several references whose documents
    the amount does not fit together): the engine applies no reading of this booking."""

    @property
    def documents(self) -> frozenset[DocumentKey]:
        """The keys of the documents it allocates to (each allocation carries one)."""
        return frozenset(
            allocation.document or (None, allocation.invoice) for allocation in self.allocations
        )

    def suggestion(self, why_not: str = "") -> Suggestion:
        reason = f"{self.reason}; {why_not}" if why_not else self.reason
        return Suggestion(
            allocations=self.allocations,
            stage=self.stage,
            reason=reason,
            confidence=self.confidence,
        )
