"""Model JSON -> model: :func:`loads` and :func:`from_data` (:mod:`model.jsonio`'s reader).

The value rules are :mod:`model.jsonio`'s. Each model class gets a reader, made once from
its type hints; an error is a :class:`JsonModelError` naming the source, the line (found
again in the text only for an error), the field path (``lines[2].price.net``) and its
EN 16931 term. Import these names from :mod:`model.jsonio`.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import enum
import functools
import json
import re
import types
import typing
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any, Final

from model.document import Invoice
from model.terms import term_of

__all__ = ["DECIMAL_PATTERN", "JsonModelError", "from_data", "loads"]

DECIMAL_PATTERN = r"^[+-]?[0-9]+(\.[0-9]+)?$"
_DECIMAL_RE = re.compile(DECIMAL_PATTERN)
_DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_IGNORED_KEYS = frozenset({"$schema"})


class JsonModelError(ValueError):
    """A model JSON document that cannot become a model: where and why."""

    def __init__(self, message: str, *, path: str, source: str = "<json>") -> None:
        self.message = message
        self.path = path
        self.source = source
        self.line: int | None = None
        super().__init__(message)

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        return f"{where}: [{self.path or '$'}] {self.message}"


class _Float(str):
    """A JSON float literal, kept as text so the error can quote it."""

    __slots__ = ()


# --------------------------------------------------------------------- types


def _strip(tp: Any) -> Any:
    """The bare type behind ``Annotated[...]``."""
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _optional(tp: Any) -> tuple[Any, bool]:
    """(inner type, True) for ``X | None``; (tp, False) otherwise."""
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return tp, False


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        hints = typing.get_type_hints(cls, include_extras=True)
        _HINTS[cls] = {f.name: _strip(hints[f.name]) for f in dataclasses.fields(cls)}
    return _HINTS[cls]


_REQUIRED: dict[type, frozenset[str]] = {}


def _required(cls: type) -> frozenset[str]:
    """The fields of ``cls`` without a default (computed once per class)."""
    if cls not in _REQUIRED:
        _REQUIRED[cls] = frozenset(
            f.name
            for f in dataclasses.fields(cls)
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        )
    return _REQUIRED[cls]


def _label(cls: type, name: str) -> str:
    term = term_of(cls, name)
    return f" ({term.id} {term.title})" if term is not None and term.id else ""


# --------------------------------------------------------------- JSON -> model
#
# Each model class gets a reader, made once from its type hints (:func:`_reader`): a closure
# that checks the keys and converts each field with a converter chosen for the field's type,
# its EN 16931 label bound in. Reading a document then costs a dict look-up and a call per
# field, not a walk over ``typing`` per value. Paths are built only for an error: a
# :class:`_Problem` collects the keys and indexes on its way out, and :func:`from_data` turns
# it into the :class:`JsonModelError` naming the path.

_Converter = Callable[[Any], Any]


class _Problem(Exception):
    """Why a value cannot become a model; ``where`` is its path, innermost part first."""

    def __init__(self, message: str, *where: str | int) -> None:
        super().__init__(message)
        self.message = message
        self.where = list(where)

    @property
    def path(self) -> str:
        """``lines[2].price.net`` for where = ["net", "price", 2, "lines"]."""
        path = ""
        for part in reversed(self.where):
            path = f"{path}[{part}]" if isinstance(part, int) else _join(path, part)
        return path


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _absent(label: str, optional: bool) -> None:
    """The value of a field given as ``null``: None where the type allows it."""
    if optional:
        return None
    raise _Problem(f"a value is required here{label}")


def _decimal(data: Any, label: str) -> Decimal:
    if isinstance(data, _Float):
        raise _Problem(
            f"JSON number {data} is a float; floats cannot hold money exactly: "
            f'write it as a string, "{data}"{label}'
        )
    if isinstance(data, bool) or not isinstance(data, int | str):
        raise _Problem(f'expected a decimal string such as "12.50"{label}')
    if isinstance(data, int):
        return Decimal(data)
    if not _DECIMAL_RE.match(data):
        hint = " (no thousands separators)" if "," in data or " " in data else ""
        raise _Problem(f'{data!r} is not a plain decimal like "1234.50"{hint}{label}')
    return Decimal(data)


def _date(data: Any, label: str) -> date:
    if isinstance(data, str) and _DATE_RE.match(data):
        try:
            return date.fromisoformat(data)
        except ValueError:
            pass
    raise _Problem(f'expected a date "YYYY-MM-DD"{label}, got {data!r}')


def _bytes(data: Any, label: str) -> bytes:
    if isinstance(data, str):
        try:
            return base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            pass
    raise _Problem(f"expected base64 text{label}")


def _str(data: Any, label: str) -> str:
    if isinstance(data, str) and not isinstance(data, _Float):
        return data
    raise _Problem(f"expected a string{label}, got {data!r}")


def _bool(data: Any, label: str) -> bool:
    if isinstance(data, bool):
        return data
    raise _Problem(f"expected true or false{label}, got {data!r}")


def _str_converter(label: str, optional: bool) -> _Converter:
    def convert(data: Any) -> Any:
        if type(data) is str:  # the common case; _Float and other subclasses go the long way
            return data
        return _absent(label, optional) if data is None else _str(data, label)

    return convert


def _decimal_converter(label: str, optional: bool) -> _Converter:
    match = _DECIMAL_RE.match

    def convert(data: Any) -> Any:
        if type(data) is str and match(data):
            return Decimal(data)
        return _absent(label, optional) if data is None else _decimal(data, label)

    return convert


def _scalar_converter(check: Callable[[Any, str], Any], label: str, optional: bool) -> _Converter:
    def convert(data: Any) -> Any:
        return _absent(label, optional) if data is None else check(data, label)

    return convert


def _enum_converter(tp: type[enum.Enum], label: str, optional: bool) -> _Converter:
    members = {m.value: m for m in tp}
    allowed = list(members)

    def convert(data: Any) -> Any:
        if type(data) is str and data in members:
            return members[data]
        if data is None:
            return _absent(label, optional)
        if data not in allowed:
            raise _Problem(f"expected one of {allowed}{label}, got {data!r}")
        return tp(data)

    return convert


def _tuple_converter(item: _Converter, label: str, optional: bool) -> _Converter:
    def convert(data: Any) -> Any:
        if data is None:
            return _absent(label, optional)
        if not isinstance(data, list):
            raise _Problem(f"expected a list{label}")
        items = []
        for index, value in enumerate(data):
            try:
                items.append(item(value))
            except _Problem as problem:
                problem.where.append(index)
                raise
        return tuple(items)

    return convert


def _object_converter(cls: type, label: str, optional: bool) -> _Converter:
    read = _reader(cls)

    def convert(data: Any) -> Any:
        return _absent(label, optional) if data is None else read(data)

    return convert


_SCALARS: dict[Any, Callable[[Any, str], Any]] = {
    Decimal: _decimal,
    date: _date,
    bytes: _bytes,
    str: _str,
    bool: _bool,
}


def _converter(tp: Any, label: str) -> _Converter:
    """The converter for a field of type ``tp`` (``label``: its EN 16931 term, for errors)."""
    tp, optional = _optional(tp)
    if typing.get_origin(tp) is tuple:
        (item,) = typing.get_args(tp)[:1]
        return _tuple_converter(_converter(item, label), label, optional)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return _object_converter(tp, label, optional)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return _enum_converter(tp, label, optional)
    if tp is str:
        return _str_converter(label, optional)
    if tp is Decimal:
        return _decimal_converter(label, optional)
    check = _SCALARS.get(tp)
    if check is None:  # pragma: no cover - the model only uses the types above
        raise TypeError(f"unsupported model type {tp!r}")
    return _scalar_converter(check, label, optional)


@functools.cache
def _reader(cls: type) -> _Converter:
    """The function that makes a ``cls`` from its JSON object, made once per model class.

    It checks, in this order, that the value is an object, that it has no unknown key
    (the first in sorted order is named), that no required field is missing or null (the
    first in field order), then converts the fields in field order: the first problem in
    that order is the one reported.
    """
    hints = _hints(cls)
    fields = tuple((name, _converter(tp, _label(cls, name))) for name, tp in hints.items())
    known = frozenset(hints) | _IGNORED_KEYS
    required = tuple(name for name in hints if name in _required(cls))
    name_of_cls = cls.__name__

    def read(data: Any) -> Any:
        if not isinstance(data, dict):
            raise _Problem(f"expected an object ({name_of_cls})")
        if not known.issuperset(data):
            unknown = sorted(set(data) - known)
            raise _Problem(
                f"unknown field {unknown[0]!r} in {name_of_cls}; known fields: {', '.join(hints)}",
                unknown[0],
            )
        for name in required:
            if data.get(name) is None:
                raise _Problem(f"required field is missing{_label(cls, name)}", name)
        kwargs: dict[str, Any] = {}
        for name, convert in fields:
            if name in data:
                try:
                    kwargs[name] = convert(data[name])
                except _Problem as problem:
                    problem.where.append(name)
                    raise
        return cls(**kwargs)

    return read


_PLACEHOLDER_TOTALS = {"line_net": 0, "without_vat": 0, "with_vat": 0, "payable": 0}


def from_data(data: Any, *, source: str = "<json>") -> Invoice:
    """Build an :class:`Invoice` from decoded JSON data (floats as ``_Float``).

    A document without ``totals`` gets BG-22 and BG-23 derived from its lines
    by :func:`model.calculation.with_totals`.
    """
    from model.calculation import TotalsMismatch, with_totals

    derive = isinstance(data, dict) and data.get("totals") is None
    if derive:
        data = {**data, "totals": _PLACEHOLDER_TOTALS}
    try:
        result: Invoice = _reader(Invoice)(data)
        if derive:
            result = with_totals(result)
    except _Problem as problem:
        raise JsonModelError(problem.message, path=problem.path, source=source) from None
    except TotalsMismatch as exc:
        first = exc.findings[0]
        path = (first.field or "").split(" ")[0]
        raise JsonModelError(str(exc), path=path, source=source) from exc
    except ValueError as exc:  # with_totals cannot derive BG-22/BG-23 (a line lacks BT-152)
        raise JsonModelError(str(exc), path="lines", source=source) from exc
    return result


def loads(text: str | bytes, *, source: str = "<json>") -> Invoice:
    """Parse model JSON text into an :class:`Invoice`; errors name source, line and field."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise JsonModelError(f"not UTF-8 text: {exc.reason}", path="", source=source) from exc
    try:
        data = json.loads(text, parse_float=_Float, parse_constant=_reject_constant)
    except JsonModelError as exc:  # NaN / Infinity: the json module tells no place
        exc.source = source
        exc.line = _constant_line(text)
        raise
    except json.JSONDecodeError as exc:
        err = JsonModelError(f"not valid JSON: {exc.msg}", path="", source=source)
        err.line = exc.lineno
        raise err from exc
    except RecursionError:  # the json module's answer to arrays nested thousands deep
        raise JsonModelError("nested too deeply to read", path="", source=source) from None
    try:
        return from_data(data, source=source)
    except JsonModelError as exc:
        exc.line = _line_of(text, exc.path)
        raise


def _reject_constant(name: str) -> Any:
    raise JsonModelError(
        f'{name} is not a number JSON allows; write an amount as a decimal string ("12.50")',
        path="",
    )


_STRING_OR_CONSTANT: Final = re.compile(r'"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)')


def _constant_line(text: str) -> int | None:
    """The line of the first ``NaN`` / ``Infinity`` / ``-Infinity`` outside a string: the
    one :func:`json.loads` met first (it reads in order, and gives ``parse_constant`` no
    position)."""
    for found in _STRING_OR_CONSTANT.finditer(text):
        if found.group(1):
            return text.count("\n", 0, found.start()) + 1
    return None


# --------------------------------------------------------- error line lookup

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+', re.S)


def _tokens(text: str) -> Iterator[tuple[str, int]]:
    line, pos = 1, 0
    for m in _TOKEN.finditer(text):
        line += text.count("\n", pos, m.start())
        pos = m.start()
        yield m.group(), line


def _line_of(text: str, path: str) -> int | None:
    """The line where the value at ``path`` (``lines[2].price.net``) starts, if found."""
    stack: list[list[Any]] = []  # [bracket, key or index, path of the container]
    expecting_key = False
    for tok, line in _tokens(text):
        if tok in "}]":
            stack.pop()
            continue
        if tok == ":":
            continue
        top = stack[-1] if stack else None
        if tok == ",":
            if top is not None and top[0] == "[":
                top[1] += 1
            expecting_key = top is not None and top[0] == "{"
            continue
        if top is not None and top[0] == "{" and expecting_key:
            top[1] = json.loads(tok) if tok.startswith('"') else tok
            expecting_key = False
            if _join(top[2], str(top[1])) == path:
                return line
            continue
        here = ""
        if top is not None:
            here = f"{top[2]}[{top[1]}]" if top[0] == "[" else _join(top[2], str(top[1]))
        if here == path:
            return line
        if tok in "{[":
            stack.append([tok, 0 if tok == "[" else None, here])
            expecting_key = tok == "{"
    return None
