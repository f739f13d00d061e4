"""The WIK staffel (Stb. 2012, 141, art. 2) and the B2B EUR 40: the worked examples of the
reference notes (section 3.1), the band boundaries, the minimum and the cap, VAT on the costs,
and the loader's errors."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from reconcile.reminders import DataError, collection_costs, load_collection_costs
from reconcile.reminders._data import packaged

D = Decimal
ON = date(2026, 12, 1)


@pytest.mark.parametrize(
    ("principal", "costs"),
    [
        # reference section 3.1, worked examples
        ("100", "40.00"),
        ("267", "40.05"),
        ("1000", "150.00"),
        ("2500", "375.00"),
        ("3000", "425.00"),
        ("5000", "625.00"),
        ("10000", "875.00"),
        ("12500", "900.00"),
        ("200000", "2775.00"),
        ("1000000", "6775.00"),
        ("2500000", "6775.00"),
        # the minimum: 15 % stays below EUR 40 up to 266.66
        ("266.66", "40.00"),
        ("266.67", "40.00"),
        ("266.70", "40.01"),
        # one cent either side of each band boundary
        ("2500.01", "375.00"),
        ("4999.99", "625.00"),
        ("5000.10", "625.01"),
        ("10000.50", "875.01"),
        ("200001", "2775.01"),
        # the cap: 2,775 + 0.5 % of 800,000 = 6,775 exactly at 1,000,000
        ("999998", "6774.99"),
    ],
)
def test_wik_staffel(principal: str, costs: str) -> None:
    assert collection_costs().wik(D(principal), on=ON) == D(costs)


def test_vat_on_the_costs_for_a_creditor_who_cannot_reclaim_it() -> None:
    table = collection_costs()
    assert table.wik(D(100), vat_percent=D(21), on=ON) == D("48.40")
    assert table.wik(D(3000), vat_percent=D(21), on=ON) == D("514.25")
    assert table.wik(D(5_000_000), vat_percent=D(21), on=ON) == D("8197.75")


def test_b2b_fixed_compensation_and_validity_dates() -> None:
    table = collection_costs()
    assert table.fixed(on=ON) == D("40.00")
    with pytest.raises(DataError, match="2013-03-16"):
        table.fixed(on=date(2013, 3, 1))
    with pytest.raises(DataError, match="2012-07-01"):
        table.wik(D(100), on=date(2012, 6, 30))


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "costs.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _packaged_with(old: str, new: str, tmp_path: Path) -> Path:
    text = packaged("collection_costs.toml").read_text(encoding="utf-8")
    assert old in text
    return _write(tmp_path, text.replace(old, new, 1))


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('minimum = "40"', "minimum = 40.0", r"wik: field 'minimum': write the number as a string"),
        ('maximum = "6775"', 'maximum = "30"', r"wik: field 'maximum': 30 is below the minimum"),
        (
            '[[wik.band]]        # the remainder: no size\npercent = "0.5"',
            '[[wik.band]]\nsize = "1"\npercent = "0.5"',
            r"band 5: field 'size': the last band is the remainder",
        ),
        ('size = "5000"\n', "", r"band 3: field 'size': missing"),
        ('percent = "10"', 'percent = "ten"', r"band 2: field 'percent': not a number"),
        (
            "valid_from = 2013-03-16",
            'valid_from = "2013"',
            r"b2b: field 'valid_from': must be a TOML date",
        ),
        (
            "fixed_compensation",
            "fixed_compensaton",
            r"b2b: field 'fixed_compensaton': unknown field",
        ),
    ],
)
def test_loader_errors_name_the_file_and_field(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    path = _packaged_with(old, new, tmp_path)
    with pytest.raises(DataError, match=message) as caught:
        load_collection_costs(path)
    assert str(caught.value).startswith(str(path))


def test_a_broken_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"costs\.toml: not valid TOML"):
        load_collection_costs(_write(tmp_path, "[wik\n"))
    with pytest.raises(DataError, match=r"top level|wik: must be a table"):
        load_collection_costs(_write(tmp_path, 'wik = "x"\n'))
