"""Concentration risk: how much of the open receivables a few debtors hold (reference
section 7).

Only debtors that owe something count (a debtor in credit holds no risk share). The top 20 %
are the largest ``ceil(0.2 x n)`` of the ``n`` debtors that owe something; the Herfindahl-
Hirschman index is the sum of the squared shares, from ``1/n`` (spread evenly) to 1 (one
debtor holds everything).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

__all__ = ["Concentration", "concentration"]

_PLACES = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class Concentration:
    debtors: int
    """Debtors that owe something."""
    total: Decimal
    largest_share: Decimal
    top_share: Decimal
    """The share of the top 20 % of debtors, 0 to 1."""
    top_debtors: tuple[str, ...]
    hhi: Decimal
    """Sum of squared shares, 0 to 1 (multiply by 10,000 for the points scale)."""


def concentration(
    exposure: Mapping[str, Decimal], *, top: Decimal = Decimal("0.2")
) -> Concentration:
    """The concentration of ``exposure`` (debtor -> what it owes, one currency)."""
    if not Decimal("0") < top <= Decimal("1"):
        raise ValueError(f"the top share of debtors must lie in (0, 1], not {top}")
    owing = sorted(
        ((amount, debtor) for debtor, amount in exposure.items() if amount > 0),
        key=lambda pair: (-pair[0], pair[1]),
    )
    total = sum((amount for amount, _ in owing), Decimal("0"))
    if not owing:
        zero = Decimal("0")
        return Concentration(0, zero, zero, zero, (), zero)
    count = math.ceil(top * len(owing))
    leaders = owing[:count]
    return Concentration(
        debtors=len(owing),
        total=total,
        largest_share=(owing[0][0] / total).quantize(_PLACES),
        top_share=(sum((amount for amount, _ in leaders), Decimal(0)) / total).quantize(_PLACES),
        top_debtors=tuple(debtor for _, debtor in leaders),
        hhi=sum(((amount / total) ** 2 for amount, _ in owing), Decimal(0)).quantize(_PLACES),
    )
