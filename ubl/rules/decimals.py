"""Decimals: amounts written with more than 2 digits after the point, all profiles.

``BR-DEC-nn`` per amount; BT-110 and BT-111 are reported as ``UBL-DT-01``, since the official
BR-DEC-13/15 tests never fire (their XPath compares currencyID with a child of TaxAmount).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from decimal import Decimal
from functools import partial
from operator import is_not
from typing import Final, cast

from ubl.rules._base import Registry, RuleSet, Values, at, per, per_charge, register_rows

rules = Registry(RuleSet.EN16931)

_DECIMALS: Final[tuple[tuple[str, str, Values], ...]] = (
    ("BR-DEC-01", "Document allowance amount (BT-92)", per_charge("amount", "document", False)),
    ("BR-DEC-02", "Allowance base amount (BT-93)", per_charge("base_amount", "document", False)),
    ("BR-DEC-05", "Document charge amount (BT-99)", per_charge("amount", "document", True)),
    ("BR-DEC-06", "Charge base amount (BT-100)", per_charge("base_amount", "document", True)),
    ("BR-DEC-09", "Sum of Invoice line net amount (BT-106)", at("totals.line_net")),
    ("BR-DEC-10", "Sum of allowances on document level (BT-107)", at("totals.allowances")),
    ("BR-DEC-11", "Sum of charges on document level (BT-108)", at("totals.charges")),
    ("BR-DEC-12", "Invoice total amount without VAT (BT-109)", at("totals.without_vat")),
    ("UBL-DT-01", "Invoice total VAT amount (BT-110)", at("totals.vat")),
    ("BR-DEC-14", "Invoice total amount with VAT (BT-112)", at("totals.with_vat")),
    ("UBL-DT-01", "VAT total in accounting currency (BT-111)", at("totals.vat_in_tax_currency")),
    ("BR-DEC-16", "Paid amount (BT-113)", at("totals.prepaid")),
    ("BR-DEC-17", "Rounding amount (BT-114)", at("totals.rounding")),
    ("BR-DEC-18", "Amount due for payment (BT-115)", at("totals.payable")),
    ("BR-DEC-19", "VAT category taxable amount (BT-116)", per("vat_breakdown", "taxable_amount")),
    ("BR-DEC-20", "VAT category tax amount (BT-117)", per("vat_breakdown", "tax_amount")),
    ("BR-DEC-23", "Invoice line net amount (BT-131)", per("lines", "net_amount")),
    ("BR-DEC-24", "Line allowance amount (BT-136)", per_charge("amount", "line", False)),
    ("BR-DEC-25", "Line allowance base amount (BT-137)", per_charge("base_amount", "line", False)),
    ("BR-DEC-27", "Line charge amount (BT-141)", per_charge("amount", "line", True)),
    ("BR-DEC-28", "Line charge base amount (BT-142)", per_charge("base_amount", "line", True)),
)
"""The amounts, each under the rule that limits its decimals."""


_CENT: Final = Decimal("0.01")


def _too_precise(amount: Decimal | None) -> bool:
    """More than 2 digits after the point as the writer writes it (``format(d, "f")``).

    Exactly 2 (``same_quantum``, the common case) is decided without building ``as_tuple()``.
    """
    if amount is None or amount.same_quantum(_CENT):
        return False
    exponent = amount.as_tuple().exponent
    return isinstance(exponent, int) and exponent < -2


_GIVEN: Final = partial(is_not, None)


def _all_cents(amounts: Collection[Decimal | None]) -> bool:
    """Every amount given has exactly 2 decimals (tested without a Python call per amount)."""
    given = cast("Iterable[Decimal]", filter(_GIVEN, amounts))
    return all(map(_CENT.same_quantum, given))


def _two_decimals(rule_id: str, term: str, values: Values) -> None:
    rules.each(rule_id, values, _too_precise, f"{term} has more than 2 decimals", clean=_all_cents)


register_rows(_two_decimals, _DECIMALS)
