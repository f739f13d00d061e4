"""Ageing buckets at their boundaries, credit notes negative, and the buckets adding up to
each debtor's exposure."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from reconcile.credit.ageing import Bucket, ageing, bucket_of
from reconcile.credit.exposure import exposures
from reconcile.open_items import ItemKind, OpenItem

ON = date(2026, 12, 7)


def item(
    debtor: str,
    open_: str,
    due: date | None,
    *,
    kind: ItemKind = ItemKind.INVOICE,
    issued: date = date(2026, 1, 1),
) -> OpenItem:
    return OpenItem(
        number="X", kind=kind, debtor=debtor, debtor_name=debtor, currency="EUR",
        amount=Decimal(open_), open=Decimal(open_), issue_date=issued, due_date=due,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (-5, Bucket.NOT_DUE),
        (0, Bucket.NOT_DUE),
        (1, Bucket.DAYS_1_30),
        (30, Bucket.DAYS_1_30),
        (31, Bucket.DAYS_31_60),
        (60, Bucket.DAYS_31_60),
        (61, Bucket.DAYS_61_90),
        (90, Bucket.DAYS_61_90),
        (91, Bucket.OVER_90),
    ],
)
def test_bucket_boundaries(days: int, bucket: Bucket) -> None:
    assert bucket_of(days) is bucket
    result = ageing([item("a", "10", ON - timedelta(days=days))], ON)
    assert result.rows[0].buckets[bucket] == Decimal("10")
    assert result.rows[0].total == Decimal("10")


def test_no_due_date_ages_from_issue_and_credit_notes_count_negative() -> None:
    result = ageing(
        [
            item("a", "100", None, issued=ON - timedelta(days=45)),
            item("a", "30", ON - timedelta(days=40), kind=ItemKind.CREDIT_NOTE),
            item("a", "0", ON - timedelta(days=200)),
        ],
        ON,
    )
    (row,) = result.rows
    assert row.buckets[Bucket.DAYS_31_60] == Decimal("70")
    assert row.buckets[Bucket.OVER_90] == Decimal("0")
    assert row.overdue == Decimal("70")


def test_buckets_add_up_to_exposure_per_debtor_and_in_total() -> None:
    rng = random.Random(7)
    items = [
        item(
            f"d{rng.randrange(20)}",
            f"{rng.randrange(1, 100000) / 100:.2f}",
            ON + timedelta(days=rng.randrange(-150, 40)),
            kind=ItemKind.CREDIT_NOTE if rng.random() < 0.1 else ItemKind.INVOICE,
        )
        for _ in range(500)
    ]
    result = ageing(items, ON)
    owed = {row.debtor: row.receivable for row in exposures(items)}
    assert {row.debtor: row.total for row in result.rows} == owed
    (total,) = result.totals
    assert total.total == sum(owed.values())
    for bucket in Bucket:
        assert total.buckets[bucket] == sum(row.buckets[bucket] for row in result.rows)
