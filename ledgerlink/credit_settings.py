"""The ``[credit]`` table of the settings file: credit limits per debtor, and from what share
of its limit a debtor is reported as near it (issue 17 section 3)::

    [credit]
    near_breach = "0.80"                    # default 0.80: 80 % of the limit

    [credit.limits]                         # "AMOUNT CURRENCY", per debtor
    "kvk:12345678" = "25000.00 EUR"         # by KvK number,
    "vat:NL001234567B01" = "5000 EUR"       # by VAT id,
    "0106:87654321" = "10000 EUR"           # or by the debtor key `ledgerlink debtors` shows

A limit keyed by an identifier applies to the debtor that carries it, whichever connection
invoices it. A debtor without one here has the limit its source gives (Tryton's
``credit_limit_amount``), pulled each sync cycle.

A connection with ``credit_hold = true`` holds, before delivery, an invoice that would take
its debtor over that limit (:func:`credit_policy`, :mod:`sync.credit_hold`)::

    [connections.shop]
    credit_hold = true
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from reconcile.credit.exposure import CreditLimit

if TYPE_CHECKING:
    from ledgerlink.settings import Settings
    from sync.credit_hold import CreditPolicy

__all__ = ["CreditSettings", "credit_policy", "parse_limit"]


def parse_limit(value: str) -> CreditLimit:
    """``"25000.00 EUR"`` -> ``CreditLimit(Decimal("25000.00"), "EUR")``."""
    parts = value.split()
    if len(parts) != 2 or len(parts[1]) != 3 or not parts[1].isalpha():
        raise ValueError(f"a limit is 'AMOUNT CURRENCY', like '25000.00 EUR', not {value!r}")
    try:
        amount = Decimal(parts[0])
    except InvalidOperation:
        raise ValueError(f"{parts[0]!r} is not an amount (in {value!r})") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"a limit is zero or more, not {parts[0]} (in {value!r})")
    return CreditLimit(amount, parts[1].upper())


class CreditSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    near_breach: Decimal = Field(
        default=Decimal("0.80"),
        gt=0,
        le=1,
        description="share of the limit from which a debtor is near it (0.80: 80 %)",
    )
    limits: dict[str, CreditLimit] = Field(
        default_factory=dict,
        description="debtor key or KIND:VALUE identifier -> 'AMOUNT CURRENCY'",
    )

    @field_validator("near_breach", mode="before")
    @classmethod
    def _share(cls, value: Any) -> Any:
        if isinstance(value, float):
            return Decimal(str(value))
        return value

    @field_validator("limits", mode="before")
    @classmethod
    def _limits(cls, value: Any) -> dict[str, CreditLimit]:
        if not isinstance(value, dict):
            raise ValueError("[credit.limits] is a table of KEY = 'AMOUNT CURRENCY'")
        limits = {}
        for key, text in value.items():
            if isinstance(text, CreditLimit):
                limits[key] = text
                continue
            if not isinstance(text, str):
                raise ValueError(f"limit of {key!r}: 'AMOUNT CURRENCY' as a string, not {text!r}")
            try:
                limits[key] = parse_limit(text)
            except ValueError as failure:
                raise ValueError(f"limit of {key!r}: {failure}") from None
        return limits


def credit_policy(settings: Settings, name: str) -> CreditPolicy | None:
    """What connection ``name``'s invoices are held against before delivery: None unless
    it has ``credit_hold = true``."""
    if not settings.connection(name).credit_hold:
        return None
    from sync.credit_hold import CreditPolicy

    return CreditPolicy(settings.credit.limits, settings.credit.near_breach)
