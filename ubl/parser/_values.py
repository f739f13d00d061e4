"""Leaf values, strict: decimals ``[+-]digits[.digits]``, dates ``YYYY-MM-DD``, booleans,
amounts with their currency, identifiers with their scheme, notes, quantities with their
unit, codes, item classifications and attachments (BT-125)."""

from __future__ import annotations

import base64
import binascii
import re
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any, Final, NamedTuple

from lxml import etree

from model.document import (
    Attachment,
    Classification,
    Identifier,
    Line,
    Note,
)
from ubl.parser._engine import (
    _NO_ATTRIBUTES,
    Reader,
    _absent,
    _check_attributes,
    _children,
    _Context,
    _Leaf,
    _leaf,
    _Spec,
)

_DECIMAL_FORMAT: Final = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?").fullmatch
_DATE_FORMAT: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}").fullmatch
_DECIMAL_EXPECTED: Final = "a decimal number such as 1234.50 (no thousands separators)"
_BOOLEANS: Final = {"true": True, "1": True, "false": False, "0": False}
_NOTE_SUBJECT: Final = re.compile(r"#([A-Z0-9]+)#(.*)", re.DOTALL).fullmatch
_VAT: Final = "VAT"


@lru_cache(maxsize=4096)
def _decimal_of(text: str) -> Decimal | None:
    """``text`` as a Decimal when it matches ``[+-]digits[.digits]`` (values repeat: cached)."""
    return Decimal(text) if _DECIMAL_FORMAT(text) is not None else None


@lru_cache(maxsize=1024)
def _date_of(text: str) -> date | None:
    """``text`` as a date when it is a valid ``YYYY-MM-DD`` (values repeat: cached)."""
    if _DATE_FORMAT(text) is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _attribute(element: etree._Element, name: str) -> str | None:
    value = element.get(name)
    if value is None:
        return None
    return value.strip() or None


def _to_decimal(
    ctx: _Context, element: etree._Element, spec: _Spec, role: str, text: str
) -> Decimal:
    value = _decimal_of(text)
    if value is None:
        raise ctx.invalid(element, spec, role, text, _DECIMAL_EXPECTED)
    return value


def _to_date(ctx: _Context, element: etree._Element, spec: _Spec, role: str, text: str) -> date:
    value = _date_of(text)
    if value is None:
        raise ctx.invalid(element, spec, role, text, "a calendar date YYYY-MM-DD")
    return value


def _to_bool(ctx: _Context, element: etree._Element, spec: _Spec, role: str, text: str) -> bool:
    value = _BOOLEANS.get(text)
    if value is None:
        raise ctx.invalid(element, spec, role, text, "true, false, 1 or 0")
    return value


def _to_amount(
    ctx: _Context, element: etree._Element, spec: _Spec, role: str, text: str
) -> Decimal:
    """An amount in the document currency (BT-5); another currencyID is reported."""
    currency = element.get("currencyID")
    if currency is not None and currency != ctx.currency and currency.strip() != ctx.currency:
        ctx.add(
            element,
            f"currencyID {currency!r} differs from the document currency {ctx.currency!r} (BT-5)",
            attribute="currencyID",
        )
    value = _decimal_of(text)
    if value is None:
        raise ctx.invalid(element, spec, role, text, _DECIMAL_EXPECTED)
    return value


class _TaxAmount(NamedTuple):
    amount: Decimal
    currency: str | None


def _to_tax_amount(
    ctx: _Context, element: etree._Element, spec: _Spec, role: str, text: str
) -> _TaxAmount:
    """TaxTotal/TaxAmount: its currencyID tells BT-110 (document) from BT-111 (tax currency)."""
    return _TaxAmount(
        _to_decimal(ctx, element, spec, role, text), _attribute(element, "currencyID")
    )


def _to_identifier(
    ctx: _Context, element: etree._Element, spec: _Spec, role: str, text: str
) -> Identifier:
    return Identifier(value=text, scheme=_attribute(element, "schemeID"))


def _to_note(ctx: _Context, element: etree._Element, spec: _Spec, role: str, text: str) -> Note:
    """BG-1: a leading ``#CODE#`` is the subject code BT-21 (CEN binding)."""
    subject = _NOTE_SUBJECT(text)
    if subject is None:
        return Note(text=text)
    return Note(text=subject[2], subject_code=subject[1])


def _to_quantity(
    ctx: _Context, element: etree._Element, spec: _Spec, role: str, text: str
) -> dict[str, Any]:
    """BT-129 invoiced quantity with its mandatory unit code BT-130."""
    unit = _attribute(element, "unitCode")
    if unit is None:
        raise ctx.missing(element, "@unitCode", Line, "unit", role)
    return {"quantity": _to_decimal(ctx, element, spec, role, text), "unit": unit}


def _to_base_quantity(
    ctx: _Context, element: etree._Element, spec: _Spec, role: str, text: str
) -> dict[str, Any]:
    """BT-149 price base quantity with its optional unit code BT-150."""
    values: dict[str, Any] = {"base_quantity": _to_decimal(ctx, element, spec, role, text)}
    unit = _attribute(element, "unitCode")
    if unit is not None:
        values["base_unit"] = unit
    return values


def _to_means_code(
    ctx: _Context, element: etree._Element, spec: _Spec, role: str, text: str
) -> dict[str, Any]:
    """BT-81 payment means code with its text BT-82 in ``@name``."""
    name = _attribute(element, "name")
    return {"code": text} if name is None else {"code": text, "text": name}


def _to_classification(
    ctx: _Context, element: etree._Element, spec: _Spec, role: str, text: str
) -> Classification:
    """BT-158 with its list id BT-158-1 (mandatory) and version BT-158-2."""
    list_id = _attribute(element, "listID")
    if list_id is None:
        raise ctx.missing(element, "@listID", Classification, "list_id", role)
    return Classification(
        code=text, list_id=list_id, list_version=_attribute(element, "listVersionID")
    )


def _to_attachment(
    ctx: _Context, element: etree._Element, spec: _Spec, role: str, text: str
) -> Attachment:
    """BT-125 embedded document: base64 content, mime code and file name."""
    mime_code = _attribute(element, "mimeCode")
    if mime_code is None:
        raise ctx.missing(element, "@mimeCode", Attachment, "mime_code", role)
    filename = _attribute(element, "filename")
    if filename is None:
        raise ctx.missing(element, "@filename", Attachment, "filename", role)
    try:
        content = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ctx.invalid(element, spec, role, text, "base64 content") from None
    return Attachment(content=content, mime_code=mime_code, filename=filename)


def _to_vat_scheme(
    ctx: _Context, element: etree._Element, spec: _Spec, role: str, text: str
) -> None:
    """cac:TaxScheme/cbc:ID is VAT in EN 16931; another scheme is reported."""
    if text != _VAT:
        ctx.add(element, f"tax scheme {text!r} is not VAT: not covered by EN 16931")


_TEXT: Final = _Leaf(None)
_DECIMAL: Final = _Leaf(_to_decimal)
_DATE: Final = _Leaf(_to_date)
_BOOL: Final = _Leaf(_to_bool)
_AMOUNT: Final = _Leaf(_to_amount, frozenset({"currencyID"}))
_TAX_AMOUNT: Final = _Leaf(_to_tax_amount, frozenset({"currencyID"}))
_IDENTIFIER: Final = _Leaf(_to_identifier, frozenset({"schemeID"}))
_NOTE: Final = _Leaf(_to_note)
_QUANTITY: Final = _Leaf(_to_quantity, frozenset({"unitCode"}))
_BASE_QUANTITY: Final = _Leaf(_to_base_quantity, frozenset({"unitCode"}))
_MEANS_CODE: Final = _Leaf(_to_means_code, frozenset({"name"}))
_CLASSIFICATION: Final = _Leaf(_to_classification, frozenset({"listID", "listVersionID"}))
_ATTACHMENT: Final = _Leaf(_to_attachment, frozenset({"mimeCode", "filename"}))
_VAT_SCHEME: Final = _Leaf(_to_vat_scheme)


def _one(tag: str, how: Reader | _Leaf = _TEXT) -> Reader:
    """Reader of an aggregate wrapping one mapped child (cac:PartyName/cbc:Name)."""
    if isinstance(how, _Leaf):
        reader, convert, allowed = None, how.convert, how.allowed
    else:
        reader, convert, allowed = how, None, _NO_ATTRIBUTES

    def read_one(ctx: _Context, element: etree._Element, spec: _Spec, role: str) -> Any:
        if element.keys():
            _check_attributes(ctx, element, _NO_ATTRIBUTES)
        value = None
        seen = False
        for child in _children(element):
            if child.tag != tag:
                ctx.unmapped(child)
                continue
            seen = True
            if reader is not None:
                item = reader(ctx, child, spec, role)
            else:
                # the common case of _leaf (no attributes, no child nodes) inlined for speed
                text = None if len(child) or child.keys() else child.text
                item = text.strip() if text else None
                if not item:
                    item = _leaf(ctx, child, allowed)
                if item is not None and convert is not None:
                    item = convert(ctx, child, spec, role, item)
            if item is None:
                continue
            if value is None:
                value = item
            else:
                ctx.duplicate(child, spec.owner, spec.field, role)
        if not seen:
            _absent(ctx, element)
        return value

    return read_one
