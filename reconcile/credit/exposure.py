"""Exposure, limit and utilisation per debtor (issue 17 section 3, reference section 7).

Exposure is the open receivable of a debtor net of its unapplied credits (the signed open
amount of every invoice and credit note, BT-115 less what was paid), optionally plus orders
confirmed but not yet invoiced. Utilisation is exposure / limit. A debtor is *near* its limit
from ``near`` (80 % by default) and in *breach* above it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from reconcile.open_items import OpenItem

__all__ = ["NEAR_BREACH", "Alert", "CreditLimit", "Exposure", "exposures"]

NEAR_BREACH = Decimal("0.80")
"""Utilisation from which a debtor is reported as near its limit, unless told otherwise."""

_CENT = Decimal("0.01")


class Alert(enum.StrEnum):
    NONE = "none"
    NEAR = "near"
    """Utilisation at or above the near-breach share, and not above the limit."""
    BREACH = "breach"
    """Exposure above the limit."""


@dataclass(frozen=True, slots=True)
class CreditLimit:
    """The most a debtor may owe, in one currency (configured, or pulled from the source,
    for example Tryton's ``credit_limit_amount``)."""

    amount: Decimal
    currency: str
    source: str = "settings"
    """Where the limit comes from: ``settings`` (configured), or ``connection:NAME`` for a
    limit pulled from that connection's source."""

    def __post_init__(self) -> None:
        if self.amount < 0:
            raise ValueError(f"a credit limit cannot be negative: {self.amount} {self.currency}")


@dataclass(frozen=True, slots=True)
class Exposure:
    """What one debtor owes in one currency, and how that compares with its limit."""

    debtor: str
    currency: str
    receivable: Decimal
    """Open invoices less open credit notes (may be negative: a credit in the debtor's favour)."""
    uninvoiced: Decimal = Decimal("0")
    """Orders confirmed but not yet invoiced, when the source gives them."""
    limit: Decimal | None = None
    """The limit in this currency; ``None`` when the debtor has none in it."""
    near: Decimal = NEAR_BREACH
    limit_source: str | None = None
    """:attr:`CreditLimit.source` of the limit; ``None`` without one."""

    @property
    def total(self) -> Decimal:
        """Receivable plus uninvoiced orders: what the limit is checked against."""
        return self.receivable + self.uninvoiced

    @property
    def utilisation(self) -> Decimal | None:
        """``total / limit`` as a percentage rounded to cents (``None`` without a positive limit)."""
        if self.limit is None or self.limit == 0:
            return None
        return (self.total / self.limit * 100).quantize(_CENT)

    @property
    def headroom(self) -> Decimal | None:
        """What the debtor may still be invoiced before the limit is passed (never negative)."""
        if self.limit is None:
            return None
        return max(self.limit - self.total, Decimal("0"))

    @property
    def alert(self) -> Alert:
        if self.limit is None:
            return Alert.NONE
        if self.total > self.limit:
            return Alert.BREACH
        if self.total > 0 and self.total >= self.limit * self.near:
            return Alert.NEAR
        return Alert.NONE

    def would_breach(self, amount: Decimal) -> bool:
        """Whether invoicing ``amount`` more would take the debtor over its limit: the check
        that holds an invoice before delivery."""
        return self.limit is not None and self.total + amount > self.limit


def exposures(
    items: Iterable[OpenItem],
    limits: Mapping[str, CreditLimit] | None = None,
    *,
    uninvoiced: Mapping[tuple[str, str], Decimal] | None = None,
    near: Decimal = NEAR_BREACH,
) -> list[Exposure]:
    """One :class:`Exposure` per debtor and currency, sorted by debtor then currency.

    ``limits`` maps a debtor key to its limit; it applies to the exposure in the limit's
    currency only (amounts in other currencies are shown, not converted). ``uninvoiced`` maps
    ``(debtor, currency)`` to orders not yet invoiced. A debtor with a limit and nothing open
    still gets a row, so that its headroom shows.
    """
    if not Decimal("0") < near <= Decimal("1"):
        raise ValueError(f"the near-breach share must lie in (0, 1], not {near}")
    limits = limits or {}
    uninvoiced = uninvoiced or {}
    receivable: dict[tuple[str, str], Decimal] = {}
    for item in items:
        key = (item.debtor, item.currency)
        receivable[key] = receivable.get(key, Decimal("0")) + item.signed_open
    keys = set(receivable) | set(uninvoiced)
    keys |= {(debtor, limit.currency) for debtor, limit in limits.items()}
    rows = []
    for debtor, currency in sorted(keys):
        limit = limits.get(debtor)
        applies = limit is not None and limit.currency == currency
        rows.append(
            Exposure(
                debtor=debtor,
                currency=currency,
                receivable=receivable.get((debtor, currency), Decimal("0")),
                uninvoiced=uninvoiced.get((debtor, currency), Decimal("0")),
                limit=limit.amount if limit is not None and applies else None,
                near=near,
                limit_source=limit.source if limit is not None and applies else None,
            )
        )
    return rows
