"""Model JSON over the fixtures' documents: every value survives dumps and loads, and a bad
value, a missing field or an unknown key anywhere in them is named by its field path.

The documents are the 25 in ``fixtures/*.json`` (every part of the model that the fixtures
use: attachments, payees, tax representatives, cards, allowances and charges ...), with
values drawn in place of theirs, field by field, by the field's type.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from support.file_sources import fixture_files

from model.document import Invoice
from model.jsonio import JsonModelError, dumps, loads

TEXTS = {path.name: path.read_text(encoding="utf-8") for path in fixture_files(".json")}


@cache
def document(name: str) -> Invoice:
    return loads(TEXTS[name])


@cache
def hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def bare(tp: Any) -> tuple[Any, bool]:
    """(the type, True) for ``X | None``; (tp, False) otherwise."""
    if isinstance(tp, types.UnionType):
        (inner,) = (arg for arg in typing.get_args(tp) if arg is not type(None))
        return inner, True
    return tp, False


def scalars(tp: Any) -> st.SearchStrategy[Any]:
    """Any value of a scalar model type that JSON can carry."""
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return st.sampled_from(list(tp))
    return {
        str: st.text(max_size=30),
        Decimal: st.one_of(
            *(
                st.decimals(-(10**12), 10**12, allow_nan=False, places=places)
                for places in (0, 2, 6)
            )
        ),
        date: st.dates(),
        bytes: st.binary(max_size=40),
        bool: st.booleans(),
    }[tp]


@st.composite
def perturbed(draw: st.DrawFn, obj: Any) -> Any:
    """``obj`` (a model object) with some of its values, at any depth, drawn anew: a scalar
    replaced, an optional part left out, an item of a list dropped."""
    changes: dict[str, Any] = {}
    for field in dataclasses.fields(obj):
        tp, optional = bare(hints(type(obj))[field.name])
        value = getattr(obj, field.name)
        if optional and value is not None and draw(st.integers(0, 9)) == 0:
            changes[field.name] = None
        elif dataclasses.is_dataclass(value):
            changes[field.name] = draw(perturbed(value))
        elif isinstance(value, tuple):
            kept = [item for item in value if draw(st.integers(0, 9)) > 0]
            changes[field.name] = tuple([draw(perturbed(item)) for item in kept])
        elif value is None and dataclasses.is_dataclass(tp):
            continue  # a part the fixture does not have stays out
        elif draw(st.integers(0, 2)) == 0:
            changes[field.name] = draw(scalars(tp))
    return dataclasses.replace(obj, **changes)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted(TEXTS)).flatmap(lambda name: perturbed(document(name))))
def test_a_fixture_document_with_other_values_comes_back_the_same(original: Invoice) -> None:
    text = dumps(original)
    again = loads(text)
    assert again == original
    assert dumps(again) == text


def test_the_fixtures_read_back_as_they_were_written() -> None:
    for name, text in TEXTS.items():
        assert dumps(document(name)) == text, name


def spelled_out(data: Any, tp: Any) -> None:
    """Give every field that ``data`` (JSON of model type ``tp``) leaves out, at any depth,
    as "not given": ``null`` where the type is optional, ``[]`` for a list."""
    tp, _ = bare(tp)
    if typing.get_origin(tp) is tuple:
        for item in data:
            spelled_out(item, typing.get_args(tp)[0])
    elif dataclasses.is_dataclass(tp):
        for name, field_type in hints(tp).items():
            if name in data:
                spelled_out(data[name], field_type)
            elif typing.get_origin(field_type) is tuple:
                data[name] = []
            elif bare(field_type)[1]:
                data[name] = None


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_null_and_empty_lists_mean_not_given(name: str) -> None:
    data = json.loads(TEXTS[name])
    spelled_out(data, Invoice)
    assert loads(json.dumps(data)) == document(name)


# ------------------------------------------------------------------ bad values, by path

Path = tuple[str | int, ...]


def dotted(where: Path) -> str:
    """``lines[2].price.net`` for ("lines", 2, "price", "net")."""
    text = ""
    for part in where:
        text = f"{text}[{part}]" if isinstance(part, int) else f"{text}.{part}".lstrip(".")
    return text


def nodes(data: Any, tp: Any, where: Path = ()) -> list[tuple[Path, Any, bool]]:
    """Every value in the JSON ``data`` of model type ``tp``: (where, bare type, optional)."""
    tp, optional = bare(tp)
    found = [(where, tp, optional)]
    if typing.get_origin(tp) is tuple:
        (item,) = typing.get_args(tp)[:1]
        for index, value in enumerate(data):
            found += nodes(value, item, (*where, index))
    elif dataclasses.is_dataclass(tp):
        for key, value in data.items():
            found += nodes(value, hints(tp)[key], (*where, key))
    return found


def wrong_values(tp: Any, optional: bool) -> list[Any]:
    """Values that a field of type ``tp`` must refuse."""
    if typing.get_origin(tp) is tuple:
        wrong: list[Any] = ["x", {}, 3]
    elif dataclasses.is_dataclass(tp):
        wrong = ["x", [], 3]
    elif isinstance(tp, type) and issubclass(tp, enum.Enum):
        wrong = ["bill", 1, []]
    else:
        wrong = {
            str: [17, 1.5, True, [], {}],
            Decimal: ["1,5", "1 000", "1e3", "12.5.0", "", 1.5, True, [], {}],
            date: ["2026-13-01", "1-1-2026", "20261101", 20261101],
            bytes: ["not base64!", 12],
            bool: ["true", 1, 0, []],
        }[tp]
    return wrong if optional else [*wrong, None]


def at(data: Any, where: Path) -> Any:
    for key in where:
        data = data[key]
    return data


def error_for(text: str) -> JsonModelError:
    with pytest.raises(JsonModelError) as caught:
        loads(text, source="doc.json")
    return caught.value


@st.composite
def bad_values(draw: st.DrawFn) -> tuple[str, Path]:
    """A fixture's JSON with one value, anywhere, replaced by one its field refuses."""
    data = json.loads(TEXTS[draw(st.sampled_from(sorted(TEXTS)))])
    where, tp, optional = draw(st.sampled_from(nodes(data, Invoice)[1:]))
    # totals null are derived, not missing
    wrong = wrong_values(tp, optional or where == ("totals",))
    at(data, where[:-1])[where[-1]] = draw(st.sampled_from(wrong))
    return json.dumps(data, indent=2), where


@settings(max_examples=200, deadline=None)
@given(bad_values())
def test_a_bad_value_anywhere_is_named_by_its_field_path_and_line(case: tuple[str, Path]) -> None:
    text, where = case
    error = error_for(text)
    assert error.path == dotted(where)
    assert error.line is not None
    assert str(error).startswith(f"doc.json:{error.line}: [{dotted(where)}] ")
    if isinstance(where[-1], str):
        assert f'"{where[-1]}":' in text.splitlines()[error.line - 1]


@st.composite
def objects(draw: st.DrawFn) -> tuple[dict[str, Any], Path, type]:
    """A fixture's JSON and one of its objects: where, and its model class."""
    data = json.loads(TEXTS[draw(st.sampled_from(sorted(TEXTS)))])
    where, tp, _ = draw(
        st.sampled_from(
            [node for node in nodes(data, Invoice) if dataclasses.is_dataclass(node[1])]
        )
    )
    return data, where, tp


@settings(max_examples=100, deadline=None)
@given(objects(), st.sampled_from(["colour", "Number", "net_amout", "x-extension"]))
def test_an_unknown_key_anywhere_is_named_by_its_field_path(
    case: tuple[dict[str, Any], Path, type], key: str
) -> None:
    data, where, cls = case
    at(data, where)[key] = "?"
    error = error_for(json.dumps(data, indent=2))
    assert error.path == dotted((*where, key))
    assert error.message.startswith(f"unknown field {key!r} in {cls.__name__}; known fields: ")


@settings(max_examples=100, deadline=None)
@given(objects(), st.data())
def test_a_missing_required_field_anywhere_is_named_by_its_field_path(
    case: tuple[dict[str, Any], Path, type], draws: st.DataObject
) -> None:
    data, where, cls = case
    required = [
        field.name
        for field in dataclasses.fields(cls)
        if field.default is dataclasses.MISSING and (*where, field.name) != ("totals",)
    ]  # totals left out are derived, not missing
    assume(required)
    name = draws.draw(st.sampled_from(required))
    del at(data, where)[name]
    error = error_for(json.dumps(data, indent=2))
    assert error.path == dotted((*where, name))
    assert error.message.startswith("required field is missing")
