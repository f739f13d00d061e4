"""Cursors and pages: records sharing one updated_at are never lost and never repeated."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.base import (
    Capability,
    Connector,
    Cursor,
    Record,
    RecordKey,
    keyset_pages,
    select_after,
)

BASE = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def record(record_id: str, seconds: int) -> Record:
    return Record(id=record_id, updated_at=BASE + timedelta(seconds=seconds), data={"n": record_id})


def in_stream_order(records: list[Record]) -> list[Record]:
    return sorted(records, key=lambda item: item.key)


class Source:
    """A source that answers keyset queries, like ``WHERE (write_date, id) > ? LIMIT ?``."""

    def __init__(self, records: list[Record]) -> None:
        self.records = in_stream_order(records)
        self.queries = 0

    def fetch(self, after: RecordKey | None, limit: int) -> list[Record]:
        self.queries += 1
        return [item for item in self.records if after is None or item.key > after][:limit]


# Many records on few timestamps: most pages split a group sharing one updated_at.
ids = st.one_of(st.integers(1, 500).map(str), st.text("abcXYZ-", min_size=1, max_size=4))
streams = st.lists(
    st.tuples(ids, st.integers(0, 3)), min_size=1, max_size=40, unique_by=lambda pair: pair[0]
).map(lambda pairs: [record(record_id, seconds) for record_id, seconds in pairs])


@given(records=streams, page_size=st.integers(1, 6), lag=st.sampled_from([0, 1, 5]), data=st.data())
def test_resume_from_any_page_yields_every_record_exactly_once(
    records: list[Record], page_size: int, lag: int, data: st.DataObject
) -> None:
    source = Source(records)
    first_run: list[Record] = []
    cursor: Cursor | None = None
    stop_after = data.draw(st.integers(0, len(records)), label="pages before the stop")
    for number, page in enumerate(
        keyset_pages(source.fetch, None, page_size=page_size, lag=timedelta(seconds=lag))
    ):
        if number == stop_after:
            break
        first_run.extend(page.records)
        cursor = page.next_cursor
    second_run = [
        item
        for page in keyset_pages(source.fetch, cursor, page_size=page_size)
        for item in page.records
    ]
    handed_out = [item.id for item in first_run + second_run]
    assert handed_out == [item.id for item in source.records]


@given(records=streams, lag=st.sampled_from([0, 1, 5]), data=st.data())
def test_cursor_at_any_record_selects_exactly_the_records_after_it(
    records: list[Record], lag: int, data: st.DataObject
) -> None:
    ordered = in_stream_order(records)
    position = data.draw(st.integers(0, len(ordered) - 1), label="position")
    last_seen = ordered[position]
    cursor = Cursor(
        value=last_seen.updated_at.isoformat(),
        tie_breaker=last_seen.id,
        lag=timedelta(seconds=lag),
    )
    source = Source(records)
    resumed = [
        item for page in keyset_pages(source.fetch, cursor, page_size=3) for item in page.records
    ]
    assert resumed == ordered[position + 1 :]
    assert select_after(data.draw(st.permutations(records)), cursor) == tuple(
        ordered[position + 1 :]
    )


@given(records=streams, cuts=st.lists(st.integers(0, 40), max_size=6))
def test_overlapping_pages_filtered_by_the_cursor_hand_out_each_record_once(
    records: list[Record], cuts: list[int]
) -> None:
    """Pages that overlap (a lagged re-query returns seen records) still give each once."""
    ordered = in_stream_order(records)
    handed_out: list[Record] = []
    cursor: Cursor | None = None
    bounds = sorted({0, len(ordered), *(min(cut, len(ordered)) for cut in cuts)})
    for start, end in itertools.pairwise(bounds):
        page = ordered[max(0, start - 2) : end]  # two records of overlap with the last page
        for item in select_after(page, cursor):
            handed_out.append(item)
            cursor = item_cursor(cursor, item)
    assert handed_out == ordered


def item_cursor(cursor: Cursor | None, item: Record) -> Cursor:
    if cursor is None:
        return Cursor(value=item.updated_at.isoformat(), tie_breaker=item.id)
    return cursor.advance(item)


def test_a_page_stuck_inside_one_timestamp_does_not_loop_with_a_lag() -> None:
    records = [record(str(number), 0) for number in range(1, 21)]
    source = Source(records)
    cursor = Cursor(value=BASE.isoformat(), tie_breaker="10", lag=timedelta(minutes=5))
    pages = list(keyset_pages(source.fetch, cursor, page_size=4))
    assert [item.id for page in pages for item in page.records] == [str(n) for n in range(11, 21)]
    assert pages[-1].next_cursor == Cursor(
        value=BASE.isoformat(), tie_breaker="20", lag=timedelta(minutes=5)
    )
    assert source.queries == 6  # 20 records from the lagged start, 4 a page: no re-query loop


def test_numeric_ids_order_by_number_and_text_ids_after_them() -> None:
    records = [record("10", 0), record("9", 0), record("b", 0), record("a", 0)]
    assert [item.id for item in select_after(records, None)] == ["9", "10", "a", "b"]


def test_cursor_orders_by_time_then_tie_breaker_and_advance_never_goes_back() -> None:
    early = Cursor(value=BASE.isoformat(), tie_breaker="2")
    later_id = Cursor(value=BASE.isoformat(), tie_breaker="10")
    later_time = Cursor(value=(BASE + timedelta(seconds=1)).isoformat(), tie_breaker="1")
    assert early < later_id < later_time
    assert later_time >= later_id >= early
    assert later_time.advance(record("99", 0)) is later_time
    assert early.advance(record("3", 0)) == Cursor(value=BASE.isoformat(), tie_breaker="3")


def test_naive_and_offset_timestamps_compare_as_utc() -> None:
    naive = Record(id="1", updated_at=datetime(2026, 1, 1, 12, 0))
    offset = Record(
        id="1", updated_at=datetime(2026, 1, 1, 13, 0, tzinfo=timezone(timedelta(hours=1)))
    )
    assert naive.key == offset.key
    cursor = Cursor(value="2026-01-01T12:00:00", tie_breaker="1")
    assert select_after([naive, record("2", 0)], cursor) == (record("2", 0),)


def test_start_cursor_includes_records_changed_at_the_start_moment() -> None:
    records = [record("5", -1), record("3", 0), record("4", 1)]
    assert [item.id for item in select_after(records, Cursor.start(BASE))] == ["3", "4"]


def test_duplicate_ids_in_one_fetch_are_handed_out_once() -> None:
    assert select_after([record("1", 0), record("1", 0), record("2", 0)], None) == (
        record("1", 0),
        record("2", 0),
    )


def test_opaque_cursor_has_no_stream_position() -> None:
    token = Cursor(value="page-token-abc")
    assert token.updated_at is None
    with pytest.raises(ValueError, match="opaque cursor"):
        select_after([record("1", 0)], token)


def test_a_class_with_the_protocol_members_is_a_connector() -> None:
    class Files:
        name = "files"
        capabilities = frozenset({Capability.PULL_INVOICES})

        def pull(self, stream: object, cursor: object) -> object:
            return iter(())

        def push_status(self, document_ref: object, status: object) -> None:
            return None

        def push_payment(self, document_ref: object, payment: object) -> None:
            return None

    assert isinstance(Files(), Connector)
    assert not isinstance(object(), Connector)


def test_the_package_names_its_public_surface() -> None:
    import connectors
    from connectors import base, errors

    assert set(connectors.__all__) >= {*base.__all__, *errors.__all__, "ConnectorType", "register"}
    for name in connectors.__all__:
        assert getattr(connectors, name) is not None, name
