"""The reading engine: where an element is (path, line, the EN 16931 term of its field)
and how an aggregate's children are read, each dispatched on its Clark tag through a
table of ``_Spec`` (a field, how to read it, the model class that names its term)."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, NamedTuple, cast

from lxml import etree

from model.document import (
    Address,
    Item,
    Line,
    Party,
    Price,
    TaxRepresentative,
)
from model.findings import Finding
from model.terms import term_of
from ubl import _ns
from ubl.errors import InputError

NOT_COVERED: Final = "UBL-NOT-COVERED"
"""Rule id of content the EN 16931 binding does not map (an element, an attribute, text)."""
SECOND_VALUE: Final = "UBL-SECOND-VALUE"
"""Rule id of a repeated element where the model holds one value: the first is kept."""
EMPTY_ELEMENT: Final = "UBL-EMPTY-ELEMENT"
"""Rule id of an element without content, read as absent."""

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
        self.report: list[Finding] = []

    def add(
        self,
        element: etree._Element,
        message: str,
        attribute: str | None = None,
        rule: str = NOT_COVERED,
    ) -> None:
        """Report ``element`` (or its ``attribute``) as a ``parse`` warning under ``rule``."""
        path = _path(element)
        if attribute is not None:
            path = f"{path}/@{_qname(attribute)}"
        self.report.append(
            Finding(
                rule=rule,
                layer="parse",
                severity="warning",
                location=path,
                line=_line(element),
                message=message,
            )
        )

    def unmapped(self, element: etree._Element) -> None:
        """Report an element the binding does not map (comments and PIs are not content)."""
        if isinstance(element.tag, str):
            self.add(element, "not covered by EN 16931: ignored")

    def duplicate(self, element: etree._Element, owner: type[Any], field: str, role: str) -> None:
        self.add(
            element,
            f"second value ignored: the model holds one {_label(owner, field, role)}",
            rule=SECOND_VALUE,
        )

    def empty(self, element: etree._Element) -> None:
        """Report an empty element, read as absent."""
        self.add(element, "empty element: treated as absent", rule=EMPTY_ELEMENT)

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
        ctx.empty(element)


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
    ctx.empty(element)
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
                    ctx.empty(child)
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
