"""What is wrong in a settings file, one line per problem, in plain words.

pydantic's own wording (``Extra inputs are not permitted``, ``Input should be a valid
tuple``) names neither the file nor the line, and speaks of inputs, not of settings keys.
:func:`problems` turns a :class:`~pydantic.ValidationError` into :class:`Problem` items - the
dotted key path (``connections.shop.chanels``) and what is wrong with it - and
:func:`lines` writes them as ``FILE:LINE: KEY: PROBLEM``, the line found by searching the
file's text for the table header and the key. An unknown key, or a value that is not one of
a fixed set, gets a ``did you mean ...?`` from :func:`difflib.get_close_matches` against
what is allowed there::

    ledgerlink.toml:4: connections.shop.chanels: unknown key 'chanels'; did you mean 'channels'?

A validator of ours that knows the key it complains about raises :func:`settings_error`,
which carries the key path and the text through pydantic unchanged.

pydantic takes ``true`` for the whole number 1 (a bool is an int in Python), so
``page_size = true`` would read as one invoice a page: :func:`refused_booleans` finds every
boolean given for a number setting of a model, and :func:`validated` validates with them
refused (:class:`SettingsProblems`)::

    ledgerlink.toml:5: connections.shop.page_size: must be a whole number, not true
"""

from __future__ import annotations

import difflib
import json
import re
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Final, TypeVar, Union

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError

__all__ = [
    "Problem",
    "SettingsProblems",
    "lines",
    "problems",
    "refused_booleans",
    "settings_error",
    "summary",
    "validated",
]

Loc = tuple[str | int, ...]
_CUSTOM: Final = "ledgerlink_settings"
_BARE: Final = re.compile(r"[A-Za-z0-9_-]+")
_HEADER: Final = re.compile(r"^\[\[?(.*?)\]\]?\s*(?:#.*)?$")
_SECRET_WORDS: Final = ("password", "secret", "token", "api_key", "apikey", "passphrase")
_KINDS: Final = {
    "string": "a string (in quotes)",
    "int": "a whole number",
    "float": "a number",
    "decimal": "a number",
    "bool": "true or false",
    "list": "a list ([...])",
    "tuple": "a list ([...])",
    "set": "a list ([...])",
    "dict": "a table",
    "model": "a table",
    "date": "a date (YYYY-MM-DD)",
    "datetime": "a date and time",
    "timedelta": "a duration",
    "path": "a path (a string)",
}
_BOUNDS: Final = {
    "greater_than": ("more than", "gt"),
    "greater_than_equal": ("at least", "ge"),
    "less_than": ("less than", "lt"),
    "less_than_equal": ("at most", "le"),
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in the settings: ``loc`` the key path in the file (table names and
    keys; an int is a list index), ``text`` what is wrong, in plain words. ``unknown`` and
    ``missing`` tell the two commonest kinds apart; ``suggestion`` is the key a misspelt one
    is probably meant to be."""

    loc: Loc
    text: str
    unknown: bool = False
    missing: bool = False
    suggestion: str | None = None


def settings_error(text: str, *at: str | int, more: Sequence[Problem] = ()) -> PydanticCustomError:
    """An error for a validator of ours to raise: ``text`` about the key ``at`` (relative to
    where the validator runs), plus ``more`` problems found below it (their ``loc`` relative
    too). Its pydantic message is ``text`` (and ``more``) on one line."""
    found = [Problem(tuple(at), text), *more] if text else list(more)
    one_line = "; ".join(_dotted(problem.loc, problem.text) for problem in found)
    return PydanticCustomError(_CUSTOM, "{summary}", {"summary": one_line, "problems": found})


def problems(
    failure: ValidationError,
    model: type[BaseModel] | None = None,
    prefix: Loc = (),
    *,
    skip: Loc = (),
    also: Sequence[str] = (),
) -> list[Problem]:
    """The problems of ``failure``, raised validating ``model`` (which tells the keys allowed
        for a did-you-mean), each ``loc`` under ``prefix`` (where the validated table is in the
        file: ``("connections", "shop")``); ``skip`` is a start of pydantic's locations that is no
        key of the file (the tag of a discriminated union); ``also`` are keys the validated table
    allows besides the model's (the keys every connection has). A key reported missing is left out
        when an unknown key beside it is probably that one misspelt (``pth`` for ``path``): one
        problem, not two."""
    found: list[Problem] = []
    for error in failure.errors(include_url=False):
        if skip and tuple(error["loc"][: len(skip)]) == skip:
            error = {**error, "loc": tuple(error["loc"][len(skip) :])}
        found.extend(_described(error, model, prefix, also))
    misspelt = {
        (problem.loc[:-1], problem.suggestion)
        for problem in found
        if problem.unknown and problem.suggestion
    }
    return [
        problem
        for problem in found
        if not (problem.missing and (problem.loc[:-1], problem.loc[-1]) in misspelt)
    ]


def lines(path: Path, found: Iterable[Problem], text: str | None = None) -> str:
    """``found`` as ``FILE:LINE: KEY: PROBLEM`` lines in the order of the file (``FILE: KEY:
    PROBLEM`` last, where no line holds the key or its table); ``text`` is the file's text,
    read from ``path`` if None."""
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            text = ""
    keys = _key_lines(text)
    located = [(_line_of(keys, problem.loc), problem) for problem in found]
    located.sort(key=lambda item: item[0] if item[0] is not None else len(keys) + 1)
    return "\n".join(
        f"{path}:{number}: {_dotted(problem.loc, problem.text)}"
        if number is not None
        else f"{path}: {_dotted(problem.loc, problem.text)}"
        for number, problem in located
    )


def summary(found: Iterable[Problem]) -> str:
    """``found`` on one line, ``KEY: PROBLEM; ...`` (for a message that has no file)."""
    return "; ".join(_dotted(problem.loc, problem.text) for problem in found)


class SettingsProblems(ValueError):
    """Settings that :func:`validated` refused: :attr:`problems`, their ``loc`` under the
    ``prefix`` it was given. ``str()`` is :func:`summary` of them."""

    def __init__(self, found: Sequence[Problem]) -> None:
        super().__init__(summary(found))
        self.problems = list(found)


ModelT = TypeVar("ModelT", bound=BaseModel)


def validated(
    model: type[ModelT], data: Mapping[str, Any], prefix: Loc = (), *, also: Sequence[str] = ()
) -> ModelT:
    """``data`` validated by ``model``, a boolean for a number setting refused
    (:func:`refused_booleans`); every problem (pydantic's in plain words, :func:`problems`)
    raised at once as :class:`SettingsProblems`, each ``loc`` under ``prefix``."""
    found = refused_booleans(model, data, prefix)
    try:
        checked = model.model_validate(dict(data))
    except ValidationError as failure:
        refused = {problem.loc for problem in found}  # false for "at least 1": said once
        found += [
            problem
            for problem in problems(failure, model, prefix, also=also)
            if problem.loc not in refused
        ]
        raise SettingsProblems(found) from None
    if found:
        raise SettingsProblems(found)
    return checked


_NUMBERS: Final[dict[Any, str]] = {int: "int", float: "float", Decimal: "decimal"}


def refused_booleans(model: type[BaseModel] | None, data: Any, prefix: Loc = ()) -> list[Problem]:
    """A problem for each ``true`` / ``false`` in ``data`` where ``model`` wants a number
    (``int``, ``float``, ``Decimal``, also inside tables and lists), which pydantic would
    take as 1 / 0; each ``loc`` under ``prefix``."""
    found: list[Problem] = []
    _booleans(model, data, prefix, found)
    return found


def _booleans(kind: Any, value: Any, loc: Loc, found: list[Problem]) -> None:
    kind = _unwrapped(kind)
    if isinstance(value, bool):
        if kind in _NUMBERS:
            found.append(
                Problem(loc, f"must be {_KINDS[_NUMBERS[kind]]}{_not(_shown(value, loc))}")
            )
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            inner = _step(kind, str(key))
            if inner is not None:
                _booleans(inner, item, (*loc, str(key)), found)
    elif isinstance(value, list | tuple):
        inner = _step(kind, 0)
        if inner is not None:
            for index, item in enumerate(value):
                _booleans(inner, item, (*loc, index), found)


# -- plain words ----------------------------------------------------------------------------


def _described(
    error: ErrorDetails, model: type[BaseModel] | None, prefix: Loc, also: Sequence[str]
) -> list[Problem]:
    loc: Loc = tuple(error["loc"])
    kind = error["type"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    if kind == _CUSTOM:
        return [
            Problem(
                (*prefix, *loc, *problem.loc),
                problem.text,
                problem.unknown,
                problem.missing,
                problem.suggestion,
            )
            for problem in ctx["problems"]
        ]
    where = (*prefix, *loc)
    shown = _shown(error.get("input"), loc)
    if kind == "extra_forbidden":
        key = str(loc[-1]) if loc else "?"
        allowed = _allowed_keys(model, loc[:-1]) + (list(also) if len(loc) == 1 else [])
        suggestion = _close(key, allowed)
        return [
            Problem(
                where, f"unknown key {key!r}{_hint(suggestion, allowed)}", True, False, suggestion
            )
        ]
    if kind == "missing":
        return [Problem(where, "required, but not set", missing=True)]
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        value = error.get("input")
        suggestion = _close(str(value), choices) if isinstance(value, str) else None
        listed = ", ".join(repr(choice) for choice in choices)
        return [Problem(where, f"{shown or 'the value'} is not one of {listed}{_hint(suggestion)}")]
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        key = str(ctx.get("discriminator", "'type'")).strip("'")
        if kind == "union_tag_not_found":
            return [Problem((*where, key), "required, but not set", missing=True)]
        tags = re.findall(r"'([^']*)'", str(ctx.get("expected_tags", "")))
        listed = ", ".join(repr(tag) for tag in tags)
        tag = str(ctx.get("tag", ""))
        suggestion = _close(tag, tags)
        return [Problem((*where, key), f"{tag!r} is not one of {listed}{_hint(suggestion)}")]
    if kind in ("value_error", "assertion_error"):
        message = str(ctx.get("error", error["msg"])).removeprefix("Value error, ")
        return [Problem(where, message)]
    if kind in _BOUNDS:
        words, key = _BOUNDS[kind]
        return [Problem(where, f"must be {words} {ctx.get(key)}{_not(shown)}")]
    if kind in ("string_too_short", "too_short"):
        return [Problem(where, "must not be empty")]
    if kind == "string_pattern_mismatch":
        return [
            Problem(where, f"{shown or 'the value'} does not have the form {ctx.get('pattern')}")
        ]
    stem = (
        kind.removesuffix("_type")
        .removesuffix("_parsing")
        .removesuffix("_from_datetime")
        .removesuffix("_from_float")  # int_from_float: 2.5 for a whole number
    )
    if stem in _KINDS and kind != stem:
        return [Problem(where, f"must be {_KINDS[stem]}{_not(shown)}")]
    message = str(error["msg"])
    return [Problem(where, message[:1].lower() + message[1:])]


def _shown(value: object, loc: Loc) -> str | None:
    """A scalar value as the message may show it; never one under a secret-sounding key."""
    if any(word in str(part).lower() for part in loc for word in _SECRET_WORDS):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    return None


def _not(shown: str | None) -> str:
    return f", not {shown}" if shown else ""


def _close(word: str, allowed: Sequence[str]) -> str | None:
    found = difflib.get_close_matches(word, allowed, n=1, cutoff=0.6)
    if not found:  # a key that differs only in case, or names the key with a prefix
        found = [key for key in allowed if key.casefold() == word.casefold()]
    return found[0] if found else None


def _hint(suggestion: str | None, allowed: Sequence[str] = ()) -> str:
    if suggestion is not None:
        return f"; did you mean {suggestion!r}?"
    if allowed:
        return f" (allowed: {', '.join(sorted(allowed))})"
    return ""


def _dotted(loc: Loc, text: str) -> str:
    key = ""
    for part in loc:
        if isinstance(part, int):
            key += f"[{part}]"
        else:
            shown = part if _BARE.fullmatch(part) else json.dumps(part, ensure_ascii=False)
            key += f".{shown}" if key else shown
    return f"{key}: {text}" if key else text


# -- the keys a model allows ------------------------------------------------------------------


def _allowed_keys(model: type[BaseModel] | None, path: Loc) -> list[str]:
    """The keys of the table at ``path`` inside ``model`` (aliases as written), or none when
    the path leads to no model (a free-form table)."""
    current: Any = model
    for part in path:
        current = _step(_unwrapped(current), part)
        if current is None:
            return []
    current = _unwrapped(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [field.alias or name for name, field in current.model_fields.items()]
    return []


def _step(kind: Any, part: str | int) -> Any:
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        for name, field in kind.model_fields.items():
            if part in (name, field.alias):
                return field.annotation
        return None
    origin = typing.get_origin(kind)
    arguments = typing.get_args(kind)
    if origin in (dict, Mapping) and len(arguments) == 2:
        return arguments[1]
    if origin in (list, tuple, set, frozenset) and arguments:
        return arguments[0]
    return None


def _unwrapped(kind: Any) -> Any:
    """``X`` of ``X | None`` and of ``Annotated[X, ...]``; a union of several is no model."""
    while typing.get_origin(kind) is typing.Annotated:
        kind = typing.get_args(kind)[0]
    if typing.get_origin(kind) in (Union, types.UnionType):
        others = [argument for argument in typing.get_args(kind) if argument is not type(None)]
        return _unwrapped(others[0]) if len(others) == 1 else None
    return kind


# -- where a key is in the file ---------------------------------------------------------------


def _key_lines(text: str) -> list[tuple[int, tuple[str, ...]]]:
    """Each line that opens a table or sets a key, with the full key path it names."""
    table: tuple[str, ...] = ()
    found: list[tuple[int, tuple[str, ...]]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        header = _HEADER.match(stripped)
        if header is not None:
            keys = _split_key(header.group(1))
            if keys is not None:
                table = keys
                found.append((number, table))
                continue
        key, equals = _key_part(stripped)
        if equals:
            keys = _split_key(key)
            if keys is not None:
                found.append((number, (*table, *keys)))
    return found


def _key_part(line: str) -> tuple[str, bool]:
    """The text before the first ``=`` outside quotes, and whether there is one."""
    quote: str | None = None
    for index, char in enumerate(line):
        if quote is not None:
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "=":
            return line[:index], True
    return line, False


def _split_key(text: str) -> tuple[str, ...] | None:
    """A dotted TOML key (``a.b``, ``"x y".c``, ``'lit'``) as its parts; None if it is not one."""
    parts: list[str] = []
    rest = text.strip()
    while rest:
        if rest[0] == '"':
            end = rest.find('"', 1)
            while end > 0 and rest[end - 1] == "\\":
                end = rest.find('"', end + 1)
            if end < 0:
                return None
            try:
                parts.append(json.loads(rest[: end + 1]))
            except ValueError:
                return None
            rest = rest[end + 1 :].lstrip()
        elif rest[0] == "'":
            end = rest.find("'", 1)
            if end < 0:
                return None
            parts.append(rest[1:end])
            rest = rest[end + 1 :].lstrip()
        else:
            bare = _BARE.match(rest)
            if bare is None:
                return None
            parts.append(bare.group())
            rest = rest[bare.end() :].lstrip()
        if rest:
            if rest[0] != ".":
                return None
            rest = rest[1:].lstrip()
            if not rest:
                return None
    return tuple(parts) if parts else None


def _line_of(keys: list[tuple[int, tuple[str, ...]]], loc: Loc) -> int | None:
    """The line of the key at ``loc``, else of the nearest table or key above it (a missing
    key: its table's header); the first such line of the file."""
    path: list[str] = []
    for part in loc:
        if isinstance(part, int):
            break
        path.append(part)
    for size in range(len(path), 0, -1):
        wanted = tuple(path[:size])
        for number, found in keys:
            if found[:size] == wanted:
                return number
    return None
