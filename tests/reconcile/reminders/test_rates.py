"""The rate tables' loader: the packaged files tile without gaps, and a file that does not is
refused with the file, the period and the field named."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from reconcile.reminders import DataError, load_rates, rates

HEAD = 'name = "test rente"\nlaw = "art. 0"\nday_count = "actual/365"\ncompounding = "yearly"\n'


def _period(start: str, end: str | None, rate: str = '"4"') -> str:
    to = f"to = {end}\n" if end else ""
    return f'[[period]]\nfrom = {start}\n{to}rate = {rate}\nstatus = "src"\nsource = "x"\n'


def _load(tmp_path: Path, *periods: str, head: str = HEAD) -> object:
    path = tmp_path / "rates.toml"
    path.write_text(head + "".join(periods), encoding="utf-8")
    return load_rates(path)


@pytest.mark.parametrize("kind", ["statutory", "commercial"])
def test_the_packaged_tables_tile_and_stay_open_at_the_end(kind: str) -> None:
    table = rates(kind)
    for before, after in zip(table.periods, table.periods[1:], strict=False):
        assert before.end is not None
        assert after.start == before.end + timedelta(days=1)
    assert table.periods[-1].end is None
    assert table.compounding == "yearly"
    assert table.day_count == "actual/365"


def test_a_good_file_loads(tmp_path: Path) -> None:
    table = _load(tmp_path, _period("2020-01-01", "2020-06-30"), _period("2020-07-01", None))
    assert [p.start for p in table.periods] == [date(2020, 1, 1), date(2020, 7, 1)]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("periods", "message"),
    [
        (
            [_period("2020-01-01", "2020-06-30"), _period("2020-07-02", None)],
            r"period 2: field 'from': 2020-07-02 leaves a gap after 2020-06-30 \(expected 2020-07-01\)",
        ),
        (
            [_period("2020-01-01", "2020-06-30"), _period("2020-06-30", None)],
            r"period 2: field 'from': 2020-06-30 overlaps the period before",
        ),
        (
            [_period("2020-01-01", None), _period("2020-07-01", None)],
            r"period 2: field 'from': follows a period without 'to'",
        ),
        ([_period("2020-07-01", "2020-01-01")], r"period 1: field 'to': 2020-01-01 is before from"),
        (
            [_period("2020-01-01", None, "4.5")],
            r"period 1: field 'rate': write the number as a string",
        ),
        ([_period("2020-01-01", None, '"-1"')], r"period 1: field 'rate': must be a number >= 0"),
        (
            [_period("2020-01-01", None).replace("from = ", "form = ")],
            r"period 1: field 'form': unknown",
        ),
        (
            [_period("2020-01-01", None).replace('status = "src"\n', "")],
            r"period 1: field 'status': missing",
        ),
        ([], r"field 'period': missing"),
    ],
)
def test_loader_errors_name_the_file_period_and_field(
    tmp_path: Path, periods: list[str], message: str
) -> None:
    with pytest.raises(DataError, match=message) as caught:
        _load(tmp_path, *periods)
    assert str(caught.value).startswith(str(tmp_path / "rates.toml"))


def test_an_unknown_day_count_is_refused(tmp_path: Path) -> None:
    head = HEAD.replace("actual/365", "30/360")
    with pytest.raises(DataError, match=r"field 'day_count': must be one of actual/365"):
        _load(tmp_path, _period("2020-01-01", None), head=head)
