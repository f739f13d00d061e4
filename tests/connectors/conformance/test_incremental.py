"""Every connector: an incremental pull resumes from a cursor with no loss and no duplicates,
also when many records share one update time, and a changed record comes back once.

The source holds a few records at distinct times plus SHARED_COUNT records the harness
seeded with one update time, more than a page holds: with pages of 1 to 3 records, runs
stop and resume inside that group.
"""

from __future__ import annotations

import pytest
from support.conformance.harness import Behaviour, ConnectorHarness, require
from support.conformance.suite import SharedGroup, one_page_per_run, records_of

from connectors.http import RetryPolicy


@pytest.mark.parametrize("page_size", [1, 2, 3])
def test_resuming_after_every_page_yields_each_record_once(
    harness: ConnectorHarness, shared_group: SharedGroup, retry: RetryPolicy, page_size: int
) -> None:
    require(harness, Behaviour.RESUME)
    runs = list(one_page_per_run(harness, page_size=page_size, retry=retry))
    pulled = records_of(page for _cursor, page in runs)
    ids = [record.id for record in pulled]

    assert len(ids) == len(set(ids)), "a record was handed out twice"
    assert set(ids) == harness.record_ids(), "a record was lost"
    assert all(1 <= len(page.records) <= page_size for _cursor, page in runs)
    assert [record.key for record in pulled] == sorted(record.key for record in pulled)

    shared = [record for record in pulled if record.id in shared_group.ids]
    assert len(shared) == len(shared_group.ids)
    (moment,) = {record.updated_at for record in shared}  # the harness seeded one timestamp
    resumed_inside = [
        cursor
        for cursor, page in runs
        if cursor is not None
        and cursor.updated_at == moment
        and any(record.updated_at == moment for record in page.records)
    ]
    assert resumed_inside, "no run resumed between two records of the shared timestamp"


def test_a_changed_record_comes_back_once_and_nothing_else(
    harness: ConnectorHarness, shared_group: SharedGroup, retry: RetryPolicy
) -> None:
    require(harness, Behaviour.RESUME)
    with harness.connect(page_size=3, retry=retry) as source:
        end = list(source.pull(harness.stream, None))[-1].next_cursor
        assert records_of(source.pull(harness.stream, end)) == []

        target = min(harness.record_ids() - set(shared_group.ids))
        harness.touch(target)
        again = records_of(source.pull(harness.stream, end))

    assert [record.id for record in again] == [target]
    assert again[0].key > end.key
