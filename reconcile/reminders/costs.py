"""Collection costs: the Dutch WIK staffel and the B2B fixed compensation, from
``data/collection_costs.toml``.

* WIK (Besluit vergoeding voor buitengerechtelijke incassokosten, Stb. 2012, 141, art. 2):
  a percentage per band of the principal (hoofdsom; for an invoice the open part of BT-115
  Amount due for payment), at least the minimum and at most the maximum, increased by a VAT
  percentage for a creditor who cannot reclaim VAT (art. 2 lid 3).
* B2B (art. 6:96 lid 4 BW, Directive 2011/7/EU art. 6): a fixed amount per late invoice.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from reconcile.reminders._data import DataError, Fields, packaged, read_toml

__all__ = ["Band", "CollectionCosts", "collection_costs", "load_collection_costs"]

_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Band:
    """A part of the principal and its percentage; ``size`` ``None`` is the remainder."""

    size: Decimal | None
    percent: Decimal


@dataclass(frozen=True, slots=True)
class CollectionCosts:
    """The WIK staffel and the B2B fixed compensation, with their validity."""

    bands: tuple[Band, ...]
    minimum: Decimal
    maximum: Decimal
    wik_valid_from: date
    wik_source: str
    fixed_compensation: Decimal
    fixed_valid_from: date
    fixed_source: str
    path: Path

    def wik(self, principal: Decimal, *, vat_percent: Decimal = Decimal(0), on: date) -> Decimal:
        """The WIK costs on ``principal`` (the staffel, the minimum and the maximum), plus
        ``vat_percent`` of them, rounded to the cent."""
        if on < self.wik_valid_from:
            raise DataError(
                f"{self.path}: the WIK staffel applies from {self.wik_valid_from.isoformat()}, "
                f"not on {on.isoformat()}"
            )
        rest, cost = principal, Decimal(0)
        for band in self.bands:
            part = rest if band.size is None else min(rest, band.size)
            part = max(part, Decimal(0))
            cost += part * band.percent / 100
            rest -= part
        cost = max(self.minimum, min(cost, self.maximum))
        cost += cost * vat_percent / 100
        return cost.quantize(_CENT, ROUND_HALF_UP)

    def fixed(self, *, on: date) -> Decimal:
        """The B2B fixed compensation per late invoice."""
        if on < self.fixed_valid_from:
            raise DataError(
                f"{self.path}: the fixed compensation applies from "
                f"{self.fixed_valid_from.isoformat()}, not on {on.isoformat()}"
            )
        return self.fixed_compensation.quantize(_CENT)


def load_collection_costs(path: Path) -> CollectionCosts:
    """Read and check a collection-costs file (see the packaged one for the format)."""
    top = Fields(read_toml(path), path)
    top.unknown({"wik", "b2b"})
    wik = Fields(top.table.get("wik"), path, "wik")
    wik.unknown({"source", "valid_from", "minimum", "maximum", "band"})
    bands: list[Band] = []
    band_fields = wik.tables("band")
    for number, fields in enumerate(band_fields, 1):
        fields.unknown({"size", "percent"})
        size = fields.decimal("size", required=number < len(band_fields), minimum=0)
        if size is not None and number == len(band_fields):
            raise fields.error("size", "the last band is the remainder: leave out its size")
        if size is not None and size <= 0:
            raise fields.error("size", f"must be more than 0, not {size}")
        bands.append(Band(size=size, percent=fields.amount("percent")))
    minimum, maximum = wik.amount("minimum"), wik.amount("maximum")
    if maximum < minimum:
        raise wik.error("maximum", f"{maximum} is below the minimum {minimum}")
    b2b = Fields(top.table.get("b2b"), path, "b2b")
    b2b.unknown({"source", "valid_from", "fixed_compensation"})
    wik_from, b2b_from = wik.day("valid_from"), b2b.day("valid_from")
    assert wik_from is not None and b2b_from is not None
    return CollectionCosts(
        bands=tuple(bands),
        minimum=minimum,
        maximum=maximum,
        wik_valid_from=wik_from,
        wik_source=wik.text("source"),
        fixed_compensation=b2b.amount("fixed_compensation"),
        fixed_valid_from=b2b_from,
        fixed_source=b2b.text("source"),
        path=path,
    )


@functools.cache
def collection_costs() -> CollectionCosts:
    """The packaged ``data/collection_costs.toml`` (read once per process)."""
    return load_collection_costs(packaged("collection_costs.toml"))
