"""Concentration: the top 20 % share and the Herfindahl index."""

from __future__ import annotations

from decimal import Decimal

import pytest

from reconcile.credit.concentration import concentration


def test_even_spread_and_one_giant() -> None:
    even = concentration({f"d{i}": Decimal("100") for i in range(10)})
    assert (even.debtors, even.top_share, even.hhi) == (10, Decimal("0.2"), Decimal("0.1"))
    giant = concentration({"big": Decimal("900"), "a": Decimal("50"), "b": Decimal("50")})
    # Top 20 % of 3 debtors is ceil(0.6) = 1 debtor; HHI = 0.81 + 0.0025 + 0.0025.
    assert giant.top_debtors == ("big",)
    assert (giant.largest_share, giant.top_share, giant.hhi) == (
        Decimal("0.9"),
        Decimal("0.9"),
        Decimal("0.815"),
    )


def test_debtors_in_credit_hold_no_share() -> None:
    result = concentration({"a": Decimal("300"), "b": Decimal("100"), "c": Decimal("-50")})
    assert (result.debtors, result.total, result.hhi) == (2, Decimal("400"), Decimal("0.625"))
    assert concentration({"c": Decimal("-1")}).debtors == 0


def test_top_share_must_be_a_share() -> None:
    with pytest.raises(ValueError, match="top share"):
        concentration({}, top=Decimal("0"))
