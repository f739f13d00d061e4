"""Read a UBL 2.1 Invoice or CreditNote into the EN 16931 model (BG-0), with a parse report.

The reader follows the binding shared with :mod:`ubl.writer`. Each aggregate
is read by one small function that walks its child elements once and
dispatches on the Clark tag through a table (``_Spec`` per tag), so any
namespace prefix works and nothing is looked up by XPath.

Values are strict: decimals ``[+-]digits[.digits]``, dates ``YYYY-MM-DD``,
booleans ``true/false/1/0``; a bad value or missing mandatory content is an
:class:`~ubl.errors.InputError` naming the element, its EN 16931 term (BT-n)
and the line. Content the binding does not map (``cbc:UBLVersionID``,
``ext:UBLExtensions``, an unmapped attribute, a second value where the model
holds one, an empty element) is never dropped silently: it becomes a
:class:`ReportEntry` with its path and line.
"""

from __future__ import annotations

import base64
import binascii
import operator
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any, Final, NamedTuple, cast

from lxml import etree

from model.document import (
    AdditionalDocument,
    Address,
    AllowanceCharge,
    Attachment,
    Card,
    Classification,
    Contact,
    CreditTransfer,
    Delivery,
    DirectDebit,
    DocumentKind,
    Identifier,
    Invoice,
    Item,
    ItemAttribute,
    Line,
    Note,
    Party,
    Payee,
    PaymentMeans,
    Period,
    PrecedingInvoice,
    Price,
    TaxRepresentative,
    Totals,
    VatBreakdown,
)
from model.terms import term_of
from ubl import _ns
from ubl._ns import cac, cbc
from ubl._xml import load
from ubl.errors import InputError

__all__ = ["ParseResult", "ReportEntry", "parse_document"]


@dataclass(frozen=True, slots=True)
class ReportEntry:
    """Content of the document that EN 16931 does not cover, with where it was."""

    path: str  # e.g. "/Invoice/cbc:UBLVersionID" or ".../cbc:ID/@schemeID"
    line: int | None
    message: str


@dataclass(frozen=True, slots=True)
class ParseResult:
    """The parsed model, the report of uncovered content, and the source name."""

    document: Invoice
    report: tuple[ReportEntry, ...]
    source: str  # file name or "<bytes>"


# --------------------------------------------------------------------------- where and what

_XSI: Final = "http://www.w3.org/2001/XMLSchema-instance"
_PREFIXES: Final = {
    _ns.CAC: "cac",
    _ns.CBC: "cbc",
    _ns.EXT: "ext",
    _XSI: "xsi",
    _ns.INVOICE: "",
    _ns.CREDIT_NOTE: "",
}


def _renamed(model_terms: str, role_terms: str) -> dict[str, str]:
    """``{"BT-27": "BT-44", ...}`` from two space-separated lists of terms."""
    return dict(zip(model_terms.split(), role_terms.split(), strict=True))


#: The model annotates each field with the term of its first use (the seller, a document
#: allowance, the invoicing period); these are the terms of the same field in other roles.
_ADDRESS_TERMS: Final = "BT-35 BT-36 BT-162 BT-37 BT-38 BT-39 BT-40"
_ALLOWANCE_TERMS: Final = "BT-92 BT-93 BT-94 BT-97 BT-98"
_ROLE_TERMS: Final[Mapping[str, Mapping[str, str]]] = {
    "buyer": _renamed(
        f"BT-27 BT-28 BT-29 BT-30 BT-31 BT-34 BG-5 BG-6 BT-41 BT-42 BT-43 {_ADDRESS_TERMS}",
        "BT-44 BT-45 BT-46 BT-47 BT-48 BT-49 BG-8 BG-9 BT-56 BT-57 BT-58 "
        "BT-50 BT-51 BT-163 BT-52 BT-53 BT-54 BT-55",
    ),
    "tax_representative": _renamed(_ADDRESS_TERMS, "BT-64 BT-65 BT-164 BT-66 BT-67 BT-68 BT-69"),
    "delivery": _renamed(_ADDRESS_TERMS, "BT-75 BT-76 BT-165 BT-77 BT-78 BT-79 BT-80"),
    "charge": _renamed(
        "BT-92 BT-93 BT-94 BT-95 BT-96 BT-97 BT-98",
        "BT-99 BT-100 BT-101 BT-102 BT-103 BT-104 BT-105",
    ),
    "line": _renamed("BT-73 BT-74", "BT-134 BT-135"),
    "line_allowance": _renamed(_ALLOWANCE_TERMS, "BT-136 BT-137 BT-138 BT-139 BT-140"),
    "line_charge": _renamed(_ALLOWANCE_TERMS, "BT-141 BT-142 BT-143 BT-144 BT-145"),
}


def _qname(tag: str) -> str:
    """``cbc:ID`` for a Clark name in a known namespace, else the Clark name itself."""
    if not tag.startswith("{"):
        return tag
    namespace, local = tag[1:].split("}", 1)
    prefix = _PREFIXES.get(namespace)
    if prefix is None:
        return tag
    return f"{prefix}:{local}" if prefix else local


def _line(element: etree._Element) -> int | None:
    return cast("int | None", element.sourceline)


def _path(element: etree._Element) -> str:
    """``/Invoice/cac:InvoiceLine[2]/cbc:ID``: canonical prefixes, index among same-name siblings."""
    steps: list[str] = []
    node: etree._Element | None = element
    while node is not None:
        parent = node.getparent()
        step = _qname(node.tag)
        if parent is not None:
            same = list(parent.iterchildren(node.tag))
            if len(same) > 1:
                step = f"{step}[{same.index(node) + 1}]"
        steps.append(step)
        node = parent
    return "/" + "/".join(reversed(steps))


def _label(owner: type[Any], field: str, role: str) -> str:
    """``BT-131 Invoice line net amount (Line.net_amount)``; the term adjusted to the role."""
    name = f"{owner.__name__}.{field}"
    term = term_of(owner, field)
    if term is None or not term.id:
        return name
    mapped = _ROLE_TERMS.get(role, {}).get(term.id)
    if mapped is not None:
        return f"{mapped} ({name})"
    return f"{term.id} {term.title} ({name})"


#: A mandatory aggregate that is missing is named by the term of the leaf that makes it.
_MANDATORY_LEAVES: Final[Mapping[tuple[type[Any], str], tuple[type[Any], str]]] = {
    (Party, "address"): (Address, "country"),
    (TaxRepresentative, "address"): (Address, "country"),
    (Line, "item"): (Item, "name"),
    (Line, "price"): (Price, "net"),
}


class _Context:
    """One parse: the source name, the document currencies and the report being collected."""

    __slots__ = ("currency", "report", "source", "tax_currency")

    def __init__(self, source: str) -> None:
        self.source = source
        self.currency: str | None = None
        self.tax_currency: str | None = None
        self.report: list[ReportEntry] = []

    def add(self, element: etree._Element, message: str, attribute: str | None = None) -> None:
        path = _path(element)
        if attribute is not None:
            path = f"{path}/@{_qname(attribute)}"
        self.report.append(ReportEntry(path, _line(element), message))

    def unmapped(self, element: etree._Element) -> None:
        """Report an element the binding does not map (comments and PIs are not content)."""
        if isinstance(element.tag, str):
            self.add(element, "not covered by EN 16931: ignored")

    def duplicate(self, element: etree._Element, owner: type[Any], field: str, role: str) -> None:
        self.add(element, f"second value ignored: the model holds one {_label(owner, field, role)}")

    def invalid(
        self, element: etree._Element, spec: _Spec, role: str, text: str, expected: str
    ) -> InputError:
        shown = text if len(text) <= 40 else f"{text[:37]}..."
        return InputError(
            f"invalid value {shown!r} in {_qname(element.tag)} for "
            f"{_label(spec.owner, spec.field, role)}: expected {expected}",
            source=self.source,
            line=_line(element),
            field=_path(element),
        )

    def missing(
        self, parent: etree._Element, hint: str, owner: type[Any], field: str, role: str
    ) -> InputError:
        owner, field = _MANDATORY_LEAVES.get((owner, field), (owner, field))
        return InputError(
            f"missing {hint} for {_label(owner, field, role)}",
            source=self.source,
            line=_line(parent),
            field=f"{_path(parent)}/{hint}",
        )


# --------------------------------------------------------------------------- dispatch engine


#: ``_children(element)`` is ``element[:]``, its child nodes as a list: looping over that
#: is cheaper than over lxml's child iterator (and lxml-stubs types only an int index).
_children: Final[Callable[[etree._Element], list[etree._Element]]] = operator.itemgetter(
    slice(None)
)

_SINGLE: Final = 0  # one value: a second one is reported
_MANY: Final = 1  # a tuple of values, in document order
_MERGE: Final = 2  # the reader returns keyword arguments merged into the parent's
_NO_ATTRIBUTES: Final[frozenset[str]] = frozenset()
_EMPTY: Final = "empty element: treated as absent"


@dataclass(frozen=True, slots=True)
class _Spec:
    """How one child element maps into the model.

    ``key`` is the model field ("" merges the keyword arguments a reader
    returns); an aggregate has a ``read``er, a leaf (basic component) a
    ``convert``er of its stripped text (None keeps the text) and the
    attributes it maps; ``role`` adjusts the terms below (buyer, line, ...);
    ``owner.field`` names the EN 16931 term in messages.

    A slotted class, not a NamedTuple: the hot loop reads a few fields per
    child, and a slot read is cheaper than unpacking a tuple subclass.
    """

    key: str
    read: Reader | None
    convert: Converter | None
    allowed: frozenset[str]
    mode: int
    role: str
    owner: type[Any]
    field: str


Reader = Callable[[_Context, etree._Element, _Spec, str], Any]
"""Reads an aggregate element; None means absent (reported when that loses content)."""
Converter = Callable[[_Context, etree._Element, _Spec, str, str], Any]
"""Turns a leaf's stripped text into its model value (None: nothing to keep)."""
Table = Mapping[str, _Spec]


class _Leaf(NamedTuple):
    """A kind of basic component: its text converter and the attributes it maps."""

    convert: Converter | None
    allowed: frozenset[str] = _NO_ATTRIBUTES


def _spec(
    key: str,
    how: Reader | _Leaf,
    owner: type[Any],
    *,
    field: str | None = None,
    many: bool = False,
    role: str = "",
) -> _Spec:
    """Map a child to model field ``key`` of ``owner``; ``how`` is a leaf kind or a reader."""
    mode = _MANY if many else _SINGLE if key else _MERGE
    if isinstance(how, _Leaf):
        return _Spec(key, None, how.convert, how.allowed, mode, role, owner, field or key)
    return _Spec(key, how, None, _NO_ATTRIBUTES, mode, role, owner, field or key)


def _check_attributes(ctx: _Context, element: etree._Element, allowed: frozenset[str]) -> None:
    for name in element.keys():  # noqa: SIM118 (lxml: iterating an element yields children)
        if name not in allowed:
            ctx.add(element, "attribute not covered by EN 16931: ignored", attribute=str(name))


def _has_elements(element: etree._Element) -> bool:
    return any(isinstance(child.tag, str) for child in element)


def _first_text(children: list[etree._Element], tag: str) -> str | None:
    """The stripped text of the first ``tag`` among ``children``; None if absent or empty.

    Cheaper than ``iterchildren(tag)``, which builds a tag matcher per call; and
    while the caller holds ``children``, :func:`_record` gets the same element
    objects back from lxml, their tags already built.
    """
    for child in children:
        if child.tag == tag:
            text = child.text
            return None if text is None else (text.strip() or None)
    return None


def _absent(ctx: _Context, element: etree._Element) -> None:
    """An aggregate that yielded nothing: report it unless its children were reported."""
    if not _has_elements(element):
        ctx.add(element, _EMPTY)


def _or_absent(
    ctx: _Context, element: etree._Element, values: dict[str, Any]
) -> dict[str, Any] | None:
    """``values`` if there are any, else None with the element reported by :func:`_absent`."""
    if values:
        return values
    _absent(ctx, element)
    return None


def _mixed_text(ctx: _Context, element: etree._Element) -> str:
    """Text of a leaf that has child nodes: elements are reported, comments skipped."""
    parts = [element.text or ""]
    for child in element:
        ctx.unmapped(child)
        parts.append(child.tail or "")
    return "".join(parts)


def _leaf(ctx: _Context, element: etree._Element, allowed: frozenset[str]) -> str | None:
    """The stripped text of a basic component, None (reported) when empty.

    Attributes outside ``allowed`` and child elements are reported.
    """
    names = element.keys()
    if names and not allowed.issuperset(names):
        _check_attributes(ctx, element, allowed)
    text = _mixed_text(ctx, element) if len(element) else element.text
    if text is not None:
        text = text.strip()
        if text:
            return text
    ctx.add(element, _EMPTY)
    return None


def _record(ctx: _Context, element: etree._Element, table: Table, role: str) -> dict[str, Any]:
    """Read an aggregate's children through ``table`` into model keyword arguments.

    The parser's hot loop: the common case of :func:`_leaf` (no child nodes)
    is inlined.
    """
    if element.keys():
        _check_attributes(ctx, element, _NO_ATTRIBUTES)
    text = element.text
    if text and not text.isspace():
        ctx.add(element, "text inside an aggregate element: ignored")
    values: dict[str, Any] = {}
    value: Any
    listed = False
    for child in _children(element):
        spec = table.get(child.tag)
        if spec is None:
            ctx.unmapped(child)
            continue
        read = spec.read
        if read is None:
            if len(child):
                value = _leaf(ctx, child, spec.allowed)
                if value is None:
                    continue
            else:
                names = child.keys()
                if names and not spec.allowed.issuperset(names):
                    _check_attributes(ctx, child, spec.allowed)
                value = child.text
                if value is None or not (value := value.strip()):
                    ctx.add(child, _EMPTY)
                    continue
            convert = spec.convert
            if convert is not None:
                value = convert(ctx, child, spec, spec.role or role, value)
                if value is None:
                    continue
        else:
            value = read(ctx, child, spec, spec.role or role)
            if value is None:
                continue
        mode = spec.mode
        if mode == _SINGLE:
            key = spec.key
            if key in values:
                ctx.duplicate(child, spec.owner, key, role)
            else:
                values[key] = value
        elif mode == _MANY:
            listed = True
            key = spec.key
            if key in values:
                values[key].append(value)
            else:
                values[key] = [value]
        else:
            for merged_key, merged_value in value.items():
                if merged_key in values:
                    ctx.duplicate(child, spec.owner, merged_key, role)
                else:
                    values[merged_key] = merged_value
    if listed:
        for key, value in values.items():
            if type(value) is list:
                values[key] = tuple(value)
    return values


def _require(
    ctx: _Context,
    element: etree._Element,
    values: Mapping[str, Any],
    owner: type[Any],
    role: str,
    required: Iterable[tuple[str, str]],
) -> None:
    for key, hint in required:
        if key not in values:
            raise ctx.missing(element, hint, owner, key, role)


def _aggregate(owner: type[Any], table: Table, *required: tuple[str, str]) -> Reader:
    """Reader building ``owner(**values)``; ``required`` pairs model key and element hint."""

    def read(ctx: _Context, element: etree._Element, spec: _Spec, role: str) -> Any:
        values = _record(ctx, element, table, role)
        if not values:
            _absent(ctx, element)
            return None
        for key, hint in required:  # _require inlined: aggregates are many
            if key not in values:
                raise ctx.missing(element, hint, owner, key, role)
        return owner(**values)

    return read


def _merged(table: Table) -> Reader:
    """Reader whose keyword arguments merge into the parent's (cac:PartyLegalEntity)."""

    def read(ctx: _Context, element: etree._Element, spec: _Spec, role: str) -> Any:
        values = _record(ctx, element, table, role)
        if values:
            return values
        _absent(ctx, element)
        return None

    return read


# --------------------------------------------------------------------------- leaf values

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


# --------------------------------------------------------------------------- aggregates

_ID: Final = cbc("ID")
_NAME: Final = cbc("Name")
_CHARGE_INDICATOR: Final = cbc("ChargeIndicator")


#: Reader of an aggregate holding one cbc:ID (DespatchDocumentReference, ...).
_only_id: Final = _one(_ID)
_vat_scheme: Final = _one(_ID, _VAT_SCHEME)


def _tax_category(owner: type[Any], category: str, rate: str, **more: str) -> Table:
    """cac:TaxCategory / cac:ClassifiedTaxCategory: ID, Percent, extra leaves, TaxScheme."""
    table = {
        _ID: _spec(category, _TEXT, owner),
        cbc("Percent"): _spec(rate, _DECIMAL, owner),
        cac("TaxScheme"): _spec("", _vat_scheme, owner, field=category),
    }
    table.update({cbc(local): _spec(key, _TEXT, owner) for local, key in more.items()})
    return table


_ADDRESS: Final[Table] = {
    cbc("StreetName"): _spec("line1", _TEXT, Address),
    cbc("AdditionalStreetName"): _spec("line2", _TEXT, Address),
    cbc("CityName"): _spec("city", _TEXT, Address),
    cbc("PostalZone"): _spec("postal_code", _TEXT, Address),
    cbc("CountrySubentity"): _spec("subdivision", _TEXT, Address),
    cac("AddressLine"): _spec("line3", _one(cbc("Line")), Address),
    cac("Country"): _spec("country", _one(cbc("IdentificationCode")), Address),
}
_address: Final = _aggregate(Address, _ADDRESS, ("country", "cac:Country/cbc:IdentificationCode"))
_COUNTRY_HINT: Final = "cac:PostalAddress/cac:Country/cbc:IdentificationCode"

_contact: Final = _aggregate(
    Contact,
    {
        _NAME: _spec("name", _TEXT, Contact),
        cbc("Telephone"): _spec("phone", _TEXT, Contact),
        cbc("ElectronicMail"): _spec("email", _TEXT, Contact),
    },
)

_TAX_SCHEME_HOLDER: Final[Table] = {
    cbc("CompanyID"): _spec("company_id", _TEXT, Party, field="vat_id"),
    cac("TaxScheme"): _spec("scheme", _only_id, Party, field="tax_registration_scheme"),
}


def _party_tax_scheme(
    ctx: _Context, element: etree._Element, spec: _Spec, role: str
) -> dict[str, Any] | None:
    """VAT id BT-31/48 when TaxScheme/ID is VAT, else tax registration BT-32 with its scheme."""
    values = _record(ctx, element, _TAX_SCHEME_HOLDER, role)
    company_id = values.get("company_id")
    if company_id is None:
        if values:
            ctx.add(element, "tax scheme without cbc:CompanyID: ignored")
        else:
            _absent(ctx, element)
        return None
    scheme = values.get("scheme")
    if scheme == _VAT:
        return {"vat_id": company_id}
    return {"tax_registration": company_id, "tax_registration_scheme": scheme}


_PARTY: Final[Table] = {
    cbc("EndpointID"): _spec("endpoint", _IDENTIFIER, Party),
    cac("PartyIdentification"): _spec("identifiers", _one(_ID, _IDENTIFIER), Party, many=True),
    cac("PartyName"): _spec("trading_name", _one(_NAME), Party),
    cac("PostalAddress"): _spec("address", _address, Party),
    cac("PartyTaxScheme"): _spec("", _party_tax_scheme, Party, field="vat_id"),
    cac("PartyLegalEntity"): _spec(
        "",
        _merged(
            {
                cbc("RegistrationName"): _spec("name", _TEXT, Party),
                cbc("CompanyID"): _spec("legal_registration", _IDENTIFIER, Party),
                cbc("CompanyLegalForm"): _spec("legal_info", _TEXT, Party),
            }
        ),
        Party,
        field="name",
    ),
    cac("Contact"): _spec("contact", _contact, Party),
}


def _party(ctx: _Context, element: etree._Element, spec: _Spec, role: str) -> Party | None:
    """Seller BG-4 or buyer BG-7 (cac:Party).

    A party without cac:PartyLegalEntity/cbc:RegistrationName takes its name
    (BT-27/BT-44) from cac:PartyName/cbc:Name, and the report says so.
    """
    values = _record(ctx, element, _PARTY, role)
    if "name" not in values and "trading_name" in values:
        values["name"] = values["trading_name"]
        ctx.add(
            element,
            f"no cac:PartyLegalEntity/cbc:RegistrationName: {_label(Party, 'name', role)} "
            "taken from cac:PartyName/cbc:Name",
        )
    _require(
        ctx,
        element,
        values,
        Party,
        role,
        (("name", "cac:PartyLegalEntity/cbc:RegistrationName"), ("address", _COUNTRY_HINT)),
    )
    return Party(**values)


_payee: Final = _aggregate(
    Payee,
    {
        cac("PartyIdentification"): _spec("identifier", _one(_ID, _IDENTIFIER), Payee),
        cac("PartyName"): _spec("name", _one(_NAME), Payee),
        cac("PartyLegalEntity"): _spec(
            "legal_registration", _one(cbc("CompanyID"), _IDENTIFIER), Payee
        ),
    },
    ("name", "cac:PartyName/cbc:Name"),
)


def _representative_vat(
    ctx: _Context, element: etree._Element, spec: _Spec, role: str
) -> str | None:
    """BT-63: the tax representative's cac:PartyTaxScheme must be the VAT scheme."""
    values = _record(ctx, element, _TAX_SCHEME_HOLDER, role)
    if not values:
        _absent(ctx, element)
        return None
    scheme = values.get("scheme")
    if scheme != _VAT and "company_id" in values:
        ctx.add(element, f"tax scheme {scheme!r} is not VAT: BT-63 not taken from it")
        return None
    return cast("str | None", values.get("company_id"))


_tax_representative: Final = _aggregate(
    TaxRepresentative,
    {
        cac("PartyName"): _spec("name", _one(_NAME), TaxRepresentative),
        cac("PostalAddress"): _spec("address", _address, TaxRepresentative),
        cac("PartyTaxScheme"): _spec("vat_id", _representative_vat, TaxRepresentative),
    },
    ("name", "cac:PartyName/cbc:Name"),
    ("vat_id", "cac:PartyTaxScheme/cbc:CompanyID"),
    ("address", _COUNTRY_HINT),
)

_delivery: Final = _aggregate(
    Delivery,
    {
        cbc("ActualDeliveryDate"): _spec("date", _DATE, Delivery),
        cac("DeliveryLocation"): _spec(
            "",
            _merged(
                {
                    _ID: _spec("location", _IDENTIFIER, Delivery),
                    cac("Address"): _spec("address", _address, Delivery),
                }
            ),
            Delivery,
            field="location",
        ),
        cac("DeliveryParty"): _spec("party_name", _one(cac("PartyName"), _one(_NAME)), Delivery),
    },
)

_PAYMENT_MEANS: Final[Table] = {
    cbc("PaymentMeansCode"): _spec("", _MEANS_CODE, PaymentMeans, field="code"),
    cbc("PaymentID"): _spec("remittance_info", _TEXT, PaymentMeans),
    cac("CardAccount"): _spec(
        "card",
        _aggregate(
            Card,
            {
                cbc("PrimaryAccountNumberID"): _spec("pan", _TEXT, Card),
                cbc("NetworkID"): _spec("network", _TEXT, Card),
                cbc("HolderName"): _spec("holder", _TEXT, Card),
            },
            ("pan", "cbc:PrimaryAccountNumberID"),
            ("network", "cbc:NetworkID"),
        ),
        PaymentMeans,
    ),
    cac("PayeeFinancialAccount"): _spec(
        "credit_transfer",
        _aggregate(
            CreditTransfer,
            {
                _ID: _spec("account_id", _TEXT, CreditTransfer),
                _NAME: _spec("account_name", _TEXT, CreditTransfer),
                cac("FinancialInstitutionBranch"): _spec("provider", _one(_ID), CreditTransfer),
            },
            ("account_id", "cbc:ID"),
        ),
        PaymentMeans,
    ),
    cac("PaymentMandate"): _spec(
        "direct_debit",
        _aggregate(
            DirectDebit,
            {
                _ID: _spec("mandate", _TEXT, DirectDebit),
                cac("PayerFinancialAccount"): _spec("debited_account", _one(_ID), DirectDebit),
            },
        ),
        PaymentMeans,
    ),
}
#: A credit note carries its due date BT-9 in cac:PaymentMeans (no root cbc:DueDate there).
_CREDIT_NOTE_PAYMENT_MEANS: Final[Table] = {
    **_PAYMENT_MEANS,
    cbc("PaymentDueDate"): _spec("due_date", _DATE, Invoice),
}


def _payment_means_values(
    ctx: _Context, element: etree._Element, table: Table, role: str
) -> dict[str, Any] | None:
    values = _record(ctx, element, table, role)
    if not values:
        _absent(ctx, element)
        return None
    _require(ctx, element, values, PaymentMeans, role, (("code", "cbc:PaymentMeansCode"),))
    return values


def _payment_means(
    ctx: _Context, element: etree._Element, spec: _Spec, role: str
) -> PaymentMeans | None:
    """BG-16 payment instructions: one model PaymentMeans per cac:PaymentMeans."""
    values = _payment_means_values(ctx, element, _PAYMENT_MEANS, role)
    return None if values is None else PaymentMeans(**values)


class _CreditNoteMeans(NamedTuple):
    element: etree._Element
    means: PaymentMeans
    due_date: date | None


def _credit_note_payment_means(
    ctx: _Context, element: etree._Element, spec: _Spec, role: str
) -> _CreditNoteMeans | None:
    values = _payment_means_values(ctx, element, _CREDIT_NOTE_PAYMENT_MEANS, role)
    if values is None:
        return None
    due_date = values.pop("due_date", None)
    return _CreditNoteMeans(element, PaymentMeans(**values), due_date)


def _allowance_charge(table: Table) -> Reader:
    """BG-20/21 (document) or BG-27/28 (line) allowance or charge; terms follow the indicator."""

    def read(ctx: _Context, element: etree._Element, spec: _Spec, role: str) -> Any:
        children = _children(element)  # held until _record has read element: _first_text
        is_charge = _first_text(children, _CHARGE_INDICATOR) in ("true", "1")
        if role == "line":
            role = "line_charge" if is_charge else "line_allowance"
        elif is_charge:
            role = "charge"
        values = _record(ctx, element, table, role)
        if not values:
            _absent(ctx, element)
            return None
        _require(
            ctx,
            element,
            values,
            AllowanceCharge,
            role,
            (("is_charge", "cbc:ChargeIndicator"), ("amount", "cbc:Amount")),
        )
        return AllowanceCharge(**values)

    return read


_LINE_ALLOWANCE_CHARGE: Final[Table] = {
    _CHARGE_INDICATOR: _spec("is_charge", _BOOL, AllowanceCharge),
    cbc("AllowanceChargeReasonCode"): _spec("reason_code", _TEXT, AllowanceCharge),
    cbc("AllowanceChargeReason"): _spec("reason", _TEXT, AllowanceCharge),
    cbc("MultiplierFactorNumeric"): _spec("percentage", _DECIMAL, AllowanceCharge),
    cbc("Amount"): _spec("amount", _AMOUNT, AllowanceCharge),
    cbc("BaseAmount"): _spec("base_amount", _AMOUNT, AllowanceCharge),
}
_DOCUMENT_ALLOWANCE_CHARGE: Final[Table] = {
    **_LINE_ALLOWANCE_CHARGE,
    cac("TaxCategory"): _spec(
        "",
        _merged(_tax_category(AllowanceCharge, "vat_category", "vat_rate")),
        AllowanceCharge,
        field="vat_category",
    ),
}

_vat_breakdown: Final = _aggregate(
    VatBreakdown,
    {
        cbc("TaxableAmount"): _spec("taxable_amount", _AMOUNT, VatBreakdown),
        cbc("TaxAmount"): _spec("tax_amount", _AMOUNT, VatBreakdown),
        cac("TaxCategory"): _spec(
            "",
            _merged(
                _tax_category(
                    VatBreakdown,
                    "category",
                    "rate",
                    TaxExemptionReasonCode="exemption_code",
                    TaxExemptionReason="exemption_reason",
                )
            ),
            VatBreakdown,
            field="category",
        ),
    },
    ("taxable_amount", "cbc:TaxableAmount"),
    ("tax_amount", "cbc:TaxAmount"),
    ("category", "cac:TaxCategory/cbc:ID"),
)


class _TaxTotal(NamedTuple):
    element: etree._Element
    amount: Decimal
    currency: str | None
    breakdown: tuple[VatBreakdown, ...]


_TAX_TOTAL: Final[Table] = {
    cbc("TaxAmount"): _spec("amount", _TAX_AMOUNT, Totals, field="vat"),
    cac("TaxSubtotal"): _spec(
        "breakdown", _vat_breakdown, Invoice, field="vat_breakdown", many=True
    ),
}


def _tax_total(ctx: _Context, element: etree._Element, spec: _Spec, role: str) -> _TaxTotal | None:
    """One cac:TaxTotal; the document decides BT-110 or BT-111 by its currency."""
    values = _record(ctx, element, _TAX_TOTAL, role)
    if not values:
        _absent(ctx, element)
        return None
    tax_amount = values.get("amount")
    if tax_amount is None:
        raise ctx.missing(element, "cbc:TaxAmount", Totals, "vat", role)
    return _TaxTotal(element, tax_amount.amount, tax_amount.currency, values.get("breakdown", ()))


_TOTALS: Final[Table] = {
    cbc("LineExtensionAmount"): _spec("line_net", _AMOUNT, Totals),
    cbc("TaxExclusiveAmount"): _spec("without_vat", _AMOUNT, Totals),
    cbc("TaxInclusiveAmount"): _spec("with_vat", _AMOUNT, Totals),
    cbc("AllowanceTotalAmount"): _spec("allowances", _AMOUNT, Totals),
    cbc("ChargeTotalAmount"): _spec("charges", _AMOUNT, Totals),
    cbc("PrepaidAmount"): _spec("prepaid", _AMOUNT, Totals),
    cbc("PayableRoundingAmount"): _spec("rounding", _AMOUNT, Totals),
    cbc("PayableAmount"): _spec("payable", _AMOUNT, Totals),
}


def _totals(
    ctx: _Context, element: etree._Element, spec: _Spec, role: str
) -> dict[str, Any] | None:
    """BG-22 from cac:LegalMonetaryTotal (BT-110/111 come from cac:TaxTotal)."""
    values = _record(ctx, element, _TOTALS, role)
    _require(
        ctx,
        element,
        values,
        Totals,
        role,
        (
            ("line_net", "cbc:LineExtensionAmount"),
            ("without_vat", "cbc:TaxExclusiveAmount"),
            ("with_vat", "cbc:TaxInclusiveAmount"),
            ("payable", "cbc:PayableAmount"),
        ),
    )
    return values


# --------------------------------------------------------------------------- lines

_PERIOD: Final[Table] = {
    cbc("StartDate"): _spec("start", _DATE, Period),
    cbc("EndDate"): _spec("end", _DATE, Period),
}

_ITEM: Final[Table] = {
    cbc("Description"): _spec("description", _TEXT, Item),
    _NAME: _spec("name", _TEXT, Item),
    cac("BuyersItemIdentification"): _spec("buyer_id", _one(_ID), Item),
    cac("SellersItemIdentification"): _spec("seller_id", _one(_ID), Item),
    cac("StandardItemIdentification"): _spec("standard_id", _one(_ID, _IDENTIFIER), Item),
    cac("OriginCountry"): _spec("origin_country", _one(cbc("IdentificationCode")), Item),
    cac("CommodityClassification"): _spec(
        "classifications", _one(cbc("ItemClassificationCode"), _CLASSIFICATION), Item, many=True
    ),
    cac("ClassifiedTaxCategory"): _spec(
        "", _merged(_tax_category(Item, "vat_category", "vat_rate")), Item, field="vat_category"
    ),
    cac("AdditionalItemProperty"): _spec(
        "attributes",
        _aggregate(
            ItemAttribute,
            {
                _NAME: _spec("name", _TEXT, ItemAttribute),
                cbc("Value"): _spec("value", _TEXT, ItemAttribute),
            },
            ("name", "cbc:Name"),
            ("value", "cbc:Value"),
        ),
        Item,
        many=True,
    ),
}

_PRICE_DISCOUNT: Final[Table] = {
    _CHARGE_INDICATOR: _spec("is_charge", _BOOL, Price, field="discount"),
    cbc("Amount"): _spec("discount", _AMOUNT, Price),
    cbc("BaseAmount"): _spec("gross", _AMOUNT, Price),
}


def _price_discount(
    ctx: _Context, element: etree._Element, spec: _Spec, role: str
) -> dict[str, Any] | None:
    """BT-147 price discount and BT-148 gross price from cac:Price/cac:AllowanceCharge."""
    values = _record(ctx, element, _PRICE_DISCOUNT, role)
    if values.pop("is_charge", False):
        ctx.add(element, "charge on the item price: not covered by EN 16931, ignored")
        return None
    return _or_absent(ctx, element, values)


_PRICE: Final[Table] = {
    cbc("PriceAmount"): _spec("net", _AMOUNT, Price),
    cbc("BaseQuantity"): _spec("", _BASE_QUANTITY, Price, field="base_quantity"),
    cac("AllowanceCharge"): _spec("", _price_discount, Price, field="discount"),
}

_LINE_OBJECT: Final[Table] = {
    _ID: _spec("id", _IDENTIFIER, Line, field="object_id"),
    cbc("DocumentTypeCode"): _spec("type_code", _TEXT, Line, field="object_id"),
}


def _line_object(
    ctx: _Context, element: etree._Element, spec: _Spec, role: str
) -> Identifier | None:
    """BT-128 invoice line object identifier (cac:DocumentReference, DocumentTypeCode 130)."""
    values = _record(ctx, element, _LINE_OBJECT, role)
    if not values:
        _absent(ctx, element)
        return None
    code = values.get("type_code")
    if code not in (None, "130") or "id" not in values:
        ctx.add(element, f"document reference without BT-128 (DocumentTypeCode {code!r}): ignored")
        return None
    return cast(Identifier, values["id"])


def _line_reader(quantity_tag: str) -> Reader:
    """BG-25 reader for cac:InvoiceLine (cbc:InvoicedQuantity) or cac:CreditNoteLine."""
    table: Table = {
        _ID: _spec("id", _TEXT, Line),
        cbc("Note"): _spec("note", _TEXT, Line),
        quantity_tag: _spec("", _QUANTITY, Line, field="quantity"),
        cbc("LineExtensionAmount"): _spec("net_amount", _AMOUNT, Line),
        cbc("AccountingCost"): _spec("accounting_cost", _TEXT, Line),
        cac("InvoicePeriod"): _spec("period", _aggregate(Period, _PERIOD), Line),
        cac("OrderLineReference"): _spec("order_line_ref", _one(cbc("LineID")), Line),
        cac("DocumentReference"): _spec("object_id", _line_object, Line),
        cac("AllowanceCharge"): _spec(
            "allowances_charges", _allowance_charge(_LINE_ALLOWANCE_CHARGE), Line, many=True
        ),
        cac("Item"): _spec(
            "item",
            _aggregate(
                Item,
                _ITEM,
                ("name", "cbc:Name"),
                ("vat_category", "cac:ClassifiedTaxCategory/cbc:ID"),
            ),
            Line,
        ),
        cac("Price"): _spec("price", _aggregate(Price, _PRICE, ("net", "cbc:PriceAmount")), Line),
    }
    return _aggregate(
        Line,
        table,
        ("id", "cbc:ID"),
        ("quantity", _qname(quantity_tag)),
        ("net_amount", "cbc:LineExtensionAmount"),
        ("item", "cac:Item/cbc:Name"),
        ("price", "cac:Price/cbc:PriceAmount"),
    )


# --------------------------------------------------------------------------- document

_INVOICE_PERIOD: Final[Table] = {
    **_PERIOD,
    cbc("DescriptionCode"): _spec("tax_point_code", _TEXT, Invoice),
}


def _invoice_period(
    ctx: _Context, element: etree._Element, spec: _Spec, role: str
) -> dict[str, Any] | None:
    """BG-14 invoicing period (BT-73/74) and the VAT point date code BT-8 it carries."""
    values = _record(ctx, element, _INVOICE_PERIOD, role)
    merged: dict[str, Any] = {}
    code = values.pop("tax_point_code", None)
    if code is not None:
        merged["tax_point_code"] = code
    if values:
        merged["invoice_period"] = Period(**values)
    return _or_absent(ctx, element, merged)


_ORDER_REFERENCE: Final[Table] = {
    _ID: _spec("order_reference", _TEXT, Invoice),
    cbc("SalesOrderID"): _spec("sales_order_reference", _TEXT, Invoice),
}


def _order_reference(
    ctx: _Context, element: etree._Element, spec: _Spec, role: str
) -> dict[str, Any] | None:
    """BT-13 and BT-14; ID "NA" beside a SalesOrderID means no purchase order (Peppol)."""
    values = _record(ctx, element, _ORDER_REFERENCE, role)
    if values.get("order_reference") == "NA" and "sales_order_reference" in values:
        del values["order_reference"]
    return _or_absent(ctx, element, values)


class _Reference(NamedTuple):
    element: etree._Element
    document: AdditionalDocument


_ADDITIONAL_DOCUMENT: Final[Table] = {
    _ID: _spec("id", _IDENTIFIER, AdditionalDocument),
    cbc("DocumentTypeCode"): _spec("type_code", _TEXT, AdditionalDocument),
    cbc("DocumentDescription"): _spec("description", _TEXT, AdditionalDocument),
    cac("Attachment"): _spec(
        "",
        _merged(
            {
                cbc("EmbeddedDocumentBinaryObject"): _spec(
                    "attachment", _ATTACHMENT, AdditionalDocument
                ),
                cac("ExternalReference"): _spec("uri", _one(cbc("URI")), AdditionalDocument),
            }
        ),
        AdditionalDocument,
        field="attachment",
    ),
}


def _additional_document(
    ctx: _Context, element: etree._Element, spec: _Spec, role: str
) -> _Reference | None:
    """BG-24 (or BT-18 / BT-11, sorted out by the document once all are read)."""
    values = _record(ctx, element, _ADDITIONAL_DOCUMENT, role)
    if not values:
        _absent(ctx, element)
        return None
    reference = values.pop("id", None)
    if reference is None:
        raise ctx.missing(element, "cbc:ID", AdditionalDocument, "id", role)
    document = AdditionalDocument(id=reference.value, id_scheme=reference.scheme, **values)
    return _Reference(element, document)


_DOCUMENT: Final[Table] = {
    cbc("CustomizationID"): _spec("customization_id", _TEXT, Invoice),
    cbc("ProfileID"): _spec("profile_id", _TEXT, Invoice),
    _ID: _spec("number", _TEXT, Invoice),
    cbc("IssueDate"): _spec("issue_date", _DATE, Invoice),
    cbc("Note"): _spec("notes", _NOTE, Invoice, many=True),
    cbc("TaxPointDate"): _spec("tax_point_date", _DATE, Invoice),
    cbc("DocumentCurrencyCode"): _spec("currency", _TEXT, Invoice),
    cbc("TaxCurrencyCode"): _spec("tax_currency", _TEXT, Invoice),
    cbc("AccountingCost"): _spec("buyer_accounting_reference", _TEXT, Invoice),
    cbc("BuyerReference"): _spec("buyer_reference", _TEXT, Invoice),
    cac("InvoicePeriod"): _spec("", _invoice_period, Invoice, field="invoice_period"),
    cac("OrderReference"): _spec("", _order_reference, Invoice, field="order_reference"),
    cac("BillingReference"): _spec(
        "preceding_invoices",
        _one(
            cac("InvoiceDocumentReference"),
            _aggregate(
                PrecedingInvoice,
                {
                    _ID: _spec("number", _TEXT, PrecedingInvoice),
                    cbc("IssueDate"): _spec("issue_date", _DATE, PrecedingInvoice),
                },
                ("number", "cbc:ID"),
            ),
        ),
        Invoice,
        many=True,
    ),
    cac("DespatchDocumentReference"): _spec("despatch_advice_reference", _only_id, Invoice),
    cac("ReceiptDocumentReference"): _spec("receiving_advice_reference", _only_id, Invoice),
    cac("OriginatorDocumentReference"): _spec("tender_reference", _only_id, Invoice),
    cac("ContractDocumentReference"): _spec("contract_reference", _only_id, Invoice),
    cac("AdditionalDocumentReference"): _spec(
        "_references", _additional_document, Invoice, field="additional_documents", many=True
    ),
    cac("AccountingSupplierParty"): _spec(
        "seller", _one(cac("Party"), _party), Invoice, role="seller"
    ),
    cac("AccountingCustomerParty"): _spec(
        "buyer", _one(cac("Party"), _party), Invoice, role="buyer"
    ),
    cac("PayeeParty"): _spec("payee", _payee, Invoice),
    cac("TaxRepresentativeParty"): _spec(
        "tax_representative", _tax_representative, Invoice, role="tax_representative"
    ),
    cac("Delivery"): _spec("delivery", _delivery, Invoice, role="delivery"),
    cac("PaymentTerms"): _spec("payment_terms", _one(cbc("Note")), Invoice),
    cac("AllowanceCharge"): _spec(
        "allowances_charges",
        _allowance_charge(_DOCUMENT_ALLOWANCE_CHARGE),
        Invoice,
        many=True,
    ),
    cac("TaxTotal"): _spec("_tax_totals", _tax_total, Invoice, field="totals", many=True),
    cac("LegalMonetaryTotal"): _spec("_totals", _totals, Invoice, field="totals"),
}
_INVOICE: Final[Table] = {
    **_DOCUMENT,
    cbc("DueDate"): _spec("due_date", _DATE, Invoice),
    cbc("InvoiceTypeCode"): _spec("type_code", _TEXT, Invoice),
    cac("ProjectReference"): _spec("project_reference", _only_id, Invoice),
    cac("PaymentMeans"): _spec("payment_means", _payment_means, Invoice, many=True),
    cac("InvoiceLine"): _spec(
        "lines", _line_reader(cbc("InvoicedQuantity")), Invoice, many=True, role="line"
    ),
}
_CREDIT_NOTE: Final[Table] = {
    **_DOCUMENT,
    cbc("CreditNoteTypeCode"): _spec("type_code", _TEXT, Invoice),
    cac("PaymentMeans"): _spec(
        "_payment_means", _credit_note_payment_means, Invoice, field="payment_means", many=True
    ),
    cac("CreditNoteLine"): _spec(
        "lines", _line_reader(cbc("CreditedQuantity")), Invoice, many=True, role="line"
    ),
}
_ROOTS: Final = {
    f"{{{_ns.INVOICE}}}Invoice": (DocumentKind.INVOICE, _INVOICE, "cbc:InvoiceTypeCode"),
    f"{{{_ns.CREDIT_NOTE}}}CreditNote": (
        DocumentKind.CREDIT_NOTE,
        _CREDIT_NOTE,
        "cbc:CreditNoteTypeCode",
    ),
}
_REFERENCE_EXTRAS: Final = frozenset({cbc("DocumentDescription"), cac("Attachment")})


def _child(element: etree._Element, tag: str) -> etree._Element:
    """The first ``tag`` child of ``element`` (``element`` itself if there is none)."""
    return next(element.iterchildren(tag), element)


def _sort_references(ctx: _Context, values: dict[str, Any], kind: DocumentKind) -> None:
    """BT-18 (DocumentTypeCode 130) and, in a credit note, BT-11 (code 50) out of BG-24."""
    documents: list[AdditionalDocument] = []
    for element, document in values.pop("_references", ()):
        code = document.type_code
        value: object
        if code == "130":
            target, value = (
                "invoiced_object",
                Identifier(value=document.id, scheme=document.id_scheme),
            )
        elif code == "50" and kind is DocumentKind.CREDIT_NOTE:
            target, value = "project_reference", document.id
            if document.id_scheme is not None:
                ctx.add(_child(element, _ID), "scheme of BT-11: ignored", attribute="schemeID")
        else:
            documents.append(document)
            continue
        if target in values:
            ctx.duplicate(element, Invoice, target, "")
            continue
        values[target] = value
        for child in element:
            if child.tag in _REFERENCE_EXTRAS:
                ctx.add(child, f"{_label(Invoice, target, '')} holds an identifier only: ignored")
    if documents:
        values["additional_documents"] = tuple(documents)


def _credit_note_due_date(ctx: _Context, values: dict[str, Any]) -> None:
    """BT-9 of a credit note: the first cac:PaymentMeans/cbc:PaymentDueDate."""
    means: list[PaymentMeans] = []
    for element, payment_means, due_date in values.pop("_payment_means", ()):
        means.append(payment_means)
        if due_date is None:
            continue
        if "due_date" not in values:
            values["due_date"] = due_date
        elif due_date != values["due_date"]:
            ctx.duplicate(_child(element, cbc("PaymentDueDate")), Invoice, "due_date", "")
    if means:
        values["payment_means"] = tuple(means)


def _document_totals(ctx: _Context, root: etree._Element, values: dict[str, Any]) -> None:
    """BG-22 from cac:LegalMonetaryTotal plus BT-110/BT-111 and BG-23 from cac:TaxTotal."""
    totals = values.pop("_totals", None)
    if totals is None:
        raise ctx.missing(root, "cac:LegalMonetaryTotal", Invoice, "totals", "")
    found: dict[str, _TaxTotal] = {}
    for tax_total in values.pop("_tax_totals", ()):
        if tax_total.currency in (None, ctx.currency) and "vat" not in found:
            found["vat"] = tax_total
        elif tax_total.currency == ctx.tax_currency and "vat_in_tax_currency" not in found:
            found["vat_in_tax_currency"] = tax_total
            for child in tax_total.element.iterchildren(cac("TaxSubtotal")):
                ctx.add(child, "VAT breakdown in the tax currency: not covered by EN 16931")
        else:
            ctx.add(
                tax_total.element,
                f"cac:TaxTotal in {tax_total.currency!r}: the model holds one total in the "
                "document currency (BT-110) and one in the tax currency (BT-111); ignored",
            )
    for key, tax_total in found.items():
        totals[key] = tax_total.amount
    if "vat" in found and found["vat"].breakdown:
        values["vat_breakdown"] = found["vat"].breakdown
    values["totals"] = Totals(**totals)


_DOCUMENT_CURRENCY: Final = cbc("DocumentCurrencyCode")
_TAX_CURRENCY: Final = cbc("TaxCurrencyCode")


def _document(ctx: _Context, root: etree._Element) -> Invoice:
    entry = _ROOTS.get(root.tag)
    if entry is None:
        raise InputError(
            f"wrong root element {root.tag}: expected UBL 2.1 Invoice or CreditNote",
            source=ctx.source,
            line=_line(root),
        )
    kind, table, type_code_hint = entry
    children = _children(root)  # held until _record has read root: see _first_text
    ctx.currency = _first_text(children, _DOCUMENT_CURRENCY)
    if ctx.currency is None:
        raise ctx.missing(root, "cbc:DocumentCurrencyCode", Invoice, "currency", "")
    ctx.tax_currency = _first_text(children, _TAX_CURRENCY)
    values = _record(ctx, root, table, "")
    _require(
        ctx,
        root,
        values,
        Invoice,
        "",
        (
            ("number", "cbc:ID"),
            ("issue_date", "cbc:IssueDate"),
            ("type_code", type_code_hint),
            ("seller", "cac:AccountingSupplierParty/cac:Party"),
            ("buyer", "cac:AccountingCustomerParty/cac:Party"),
        ),
    )
    _sort_references(ctx, values, kind)
    if kind is DocumentKind.CREDIT_NOTE:
        _credit_note_due_date(ctx, values)
    _document_totals(ctx, root, values)
    return Invoice(kind=kind, **values)


def _read(source: bytes | str | os.PathLike[str]) -> tuple[bytes, str]:
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source), "<bytes>"
    name = os.fspath(source)
    try:
        with open(name, "rb") as file:
            return file.read(), name
    except OSError as exc:
        hint = " (XML text must be passed as bytes)" if name.lstrip().startswith("<") else ""
        raise InputError(f"cannot read file: {exc.strerror or exc}{hint}", source=name) from None


def parse_document(source: bytes | str | os.PathLike[str]) -> ParseResult:
    """Read a UBL 2.1 Invoice or CreditNote from bytes or a file path.

    Returns the model, the report of content EN 16931 does not cover, and the
    source name. Raises InputError (source, line, element) for anything that
    cannot be read: malformed or hostile XML, a wrong root, a bad value or
    missing mandatory content.
    """
    data, name = _read(source)
    ctx = _Context(name)
    document = _document(ctx, load(data, name, keep_blank_text=False).getroot())
    return ParseResult(document=document, report=tuple(ctx.report), source=name)
