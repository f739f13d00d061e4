"""tokens.valid_reference checks compact candidates in line (no python-stdnum cleaning and
exceptions per candidate); it must say exactly what the model's validators say, on valid
references, on every one-edit neighbour of them, and on digit runs of every length."""

from __future__ import annotations

import random

import pytest

from model.identifiers import betalingskenmerk, ogm, rf
from reconcile.matching.near_references import one_edit
from reconcile.matching.tokens import checked_kind, valid_reference


def _samples() -> list[str]:
    rng = random.Random(16)
    valid = [rf.create(f"{rng.randrange(10**12):012d}") for _ in range(12)]
    valid += [rf.create(body) for body in ("1", "A", "ZZZZZZZZZZZZZZZZZZZZZ", "00000")]
    valid += [ogm.create(f"{rng.randrange(10**10):010d}") for _ in range(12)]
    valid += [ogm.create("0000000097"), ogm.create("0000000001")]
    for body in (7, 8, 9, 10, 11, 12, 15):
        for _ in range(5):
            valid.append(
                betalingskenmerk.create("".join(rng.choice("0123456789") for _ in range(body)))
            )
    valid += ["".join(rng.choice("0123456789") for _ in range(7)) for _ in range(10)]
    values = set(valid)
    for value in valid:
        values.update(one_edit(value))
    for length in range(1, 27):
        values.update("".join(rng.choice("0123456789") for _ in range(length)) for _ in range(20))
        values.add("0" * length)
    values.update({"RF", "RF0", "RF00", "RF01", "RF99ABC", "RF18", "RFAB1234", "R5F", "ABCDEF"})
    return sorted(values)


SAMPLES = _samples()


def test_the_samples_hold_each_kind_valid_and_not() -> None:
    kinds = {checked_kind(value) for value in SAMPLES}
    assert kinds == {"RF", "OGM", "betalingskenmerk", None}
    assert len(SAMPLES) > 5_000


@pytest.mark.parametrize("chunk", range(8))
def test_in_line_checks_agree_with_the_validators(chunk: int) -> None:
    part = SAMPLES[chunk::8]
    wrong = [v for v in part if valid_reference(v) != checked_kind(v)]
    assert wrong == []


@pytest.mark.parametrize("value", ["rf18539007547034", "RF18 5390 0754 7034", "010/8068/17183"])
def test_a_value_that_is_not_compact_goes_to_the_validators(value: str) -> None:
    assert valid_reference(value) == checked_kind(value)
