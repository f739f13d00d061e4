"""The policy a run of the matcher follows: tolerance, write-off and the auto-apply threshold."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

__all__ = ["MatchPolicy"]

_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True, kw_only=True)
class MatchPolicy:
    """How far the matcher may go on its own.

    A shortfall (an underpayment, typically bank costs) is accepted when it is at most
    ``tolerance_amount`` or at most ``tolerance_percent`` of what was due, whichever is
    larger; both 0 (the default) means no tolerance. The accepted shortfall is written off
    (``write_off=True``: the document closes, the match records ``written_off``) or stays
    open on the document (``write_off=False``). A reading whose confidence is below
    ``auto_apply`` is never applied: it becomes a suggestion of the unmatched booking.
    """

    tolerance_amount: Decimal = Decimal(0)
    tolerance_percent: Decimal = Decimal(0)
    write_off: bool = False
    auto_apply: float = 0.8
    max_combination: int = 4
    """The largest number of a debtor's open items one payment is matched against by amount."""
    max_suggestions: int = 3

    def __post_init__(self) -> None:
        if self.tolerance_amount < 0 or self.tolerance_percent < 0:
            raise ValueError("tolerance must not be negative")
        if not 0 <= self.auto_apply <= 1:
            raise ValueError("auto_apply must lie between 0 and 1")
        if not 1 <= self.max_combination <= 6:
            raise ValueError("max_combination must lie between 1 and 6")

    def tolerance(self, due: Decimal) -> Decimal:
        """The largest shortfall accepted on ``due``."""
        percent = (due * self.tolerance_percent / 100).quantize(_CENT)
        return max(self.tolerance_amount, percent)
