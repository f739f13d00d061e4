"""What several rule families ask of the model, answered as :mod:`ubl.writer` writes it.

A blank string writes no element (:func:`blank`), codes are compared after
``normalize-space`` (:func:`code`), and the walkers yield each written value with its model
field path, the ``field`` of the :class:`~model.findings.Finding` a rule reports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from functools import partial
from typing import Any, Final, Literal, NamedTuple, TypeGuard

from model.document import Address, AllowanceCharge, Identifier, Invoice, Line

# --- values -----------------------------------------------------------------------------------


def blank(value: str | None) -> bool:
    """The writer writes no element: the value is absent, empty or only whitespace."""
    return not value or value.isspace()


def given(value: str | None) -> bool:
    return not blank(value)


def code(value: str | None) -> str:
    """A code or id as the rules compare it (``normalize-space``)."""
    return (value or "").strip()


def code_set(codes: str) -> frozenset[str]:
    """The codes of a space-separated list, as the official rules write them."""
    return frozenset(codes.split())


def country(address: Address | None) -> str:
    return code(address.country).upper() if address is not None else ""


def written_id(identifier: Identifier | None) -> TypeGuard[Identifier]:
    """The writer writes the identifier: it is there with a non-blank value."""
    return identifier is not None and given(identifier.value)


def count(values: Iterable[object]) -> int:
    return sum(1 for value in values if value)


def distinct(values: Iterable[str | None]) -> int:
    return len({value for value in values if given(value)})


# --- parts of the document --------------------------------------------------------------------


def has_order_reference(doc: Invoice) -> bool:
    """cac:OrderReference/cbc:ID is written: BT-13, or "NA" when only BT-14 is known."""
    return given(doc.order_reference) or given(doc.sales_order_reference)


def representative_address(doc: Invoice) -> Address | None:
    return doc.tax_representative.address if doc.tax_representative is not None else None


def deliver_to(doc: Invoice) -> Address | None:
    return doc.delivery.address if doc.delivery is not None else None


def classifications(doc: Invoice) -> Iterator[tuple[str, Any]]:
    """Item classifications BT-158, reported at their scheme (``list_id``)."""
    for i, line in enumerate(doc.lines):
        for j, classification in enumerate(line.item.classifications):
            yield f"lines[{i}].item.classifications[{j}].list_id", classification


Level = Literal["document", "line"]
LEVELS: Final[tuple[Level, ...]] = ("document", "line")


def line_parts(lines: Iterable[Line]) -> set[str]:
    """The optional parts some line has (``lines.period``, ...: not None, classifications not
    empty); what a rule about one of them needs (:data:`~ubl.rules._base.OPTIONAL_LINE_PARTS`)."""
    found: set[str] = set()
    for line in lines:
        item, price = line.item, line.price
        if line.period is not None:
            found.add("lines.period")
        if line.object_id is not None:
            found.add("lines.object_id")
        if item.standard_id is not None:
            found.add("lines.item.standard_id")
        if item.origin_country is not None:
            found.add("lines.item.origin_country")
        if item.classifications:
            found.add("lines.item.classifications")
        if price.gross is not None:
            found.add("lines.price.gross")
        if price.base_quantity is not None:
            found.add("lines.price.base_quantity")
    return found


def charges(doc: Invoice, level: Level) -> Iterator[tuple[str, AllowanceCharge]]:
    """Document (BG-20/21) or line (BG-27/28) allowances and charges with their paths."""
    if level == "document":
        for i, ac in enumerate(doc.allowances_charges):
            yield f"allowances_charges[{i}]", ac
        return
    for i, line in enumerate(doc.lines):
        for j, ac in enumerate(line.allowances_charges):
            yield f"lines[{i}].allowances_charges[{j}]", ac


# --- identifiers ------------------------------------------------------------------------------


def written_ids(
    pairs: Iterable[tuple[str, Identifier | None]],
) -> Iterator[tuple[str, Identifier]]:
    return ((path, x) for path, x in pairs if written_id(x))


def endpoints(doc: Invoice) -> Iterator[tuple[str, Identifier]]:
    """Written EndpointID: seller BT-34, buyer BT-49."""
    found = [("seller.endpoint", doc.seller.endpoint), ("buyer.endpoint", doc.buyer.endpoint)]
    return written_ids(found)


def party_identifiers(doc: Invoice, buyer: bool) -> Iterator[tuple[str, Identifier]]:
    """Written PartyIdentification/ID: the buyer's (BT-46), or the seller's (BT-29) and
    the payee's (BT-60)."""
    found: list[tuple[str, Identifier | None]] = []
    if buyer:
        found += [(f"buyer.identifiers[{i}]", x) for i, x in enumerate(doc.buyer.identifiers)]
    else:
        found += [(f"seller.identifiers[{i}]", x) for i, x in enumerate(doc.seller.identifiers)]
        found.append(("payee.identifier", doc.payee.identifier if doc.payee else None))
    return written_ids(found)


def legal_registrations(doc: Invoice) -> Iterator[tuple[str, Identifier]]:
    """Written PartyLegalEntity/CompanyID: seller BT-30, buyer BT-47, payee BT-61."""
    payee = doc.payee.legal_registration if doc.payee is not None else None
    registrations = [
        ("seller.legal_registration", doc.seller.legal_registration),
        ("buyer.legal_registration", doc.buyer.legal_registration),
        ("payee.legal_registration", payee),
    ]
    return written_ids(registrations)


def scheme_identifiers(doc: Invoice) -> Iterator[tuple[str, Identifier]]:
    """Every written EndpointID, PartyIdentification/ID and PartyLegalEntity/CompanyID."""
    yield from endpoints(doc)
    yield from party_identifiers(doc, False)
    yield from party_identifiers(doc, True)
    yield from legal_registrations(doc)


def identifier_schemes(doc: Invoice) -> frozenset[str | None]:
    """The schemes of :func:`scheme_identifiers`, found without building their paths."""
    seller, buyer, payee = doc.seller, doc.buyer, doc.payee
    found = [seller.endpoint, buyer.endpoint, *seller.identifiers, *buyer.identifiers]
    found += (seller.legal_registration, buyer.legal_registration)
    if payee is not None:
        found += (payee.identifier, payee.legal_registration)
    return frozenset(x.scheme for x in found if written_id(x))


# --- what carries a VAT category --------------------------------------------------------------


class Taxed(NamedTuple):
    """What carries a VAT category: a line's item (BG-30) or a document allowance/charge."""

    items: str  # "lines" or "allowances_charges"
    position: int
    category: str  # as the rules compare it (normalize-space)
    rate: Decimal | None

    @property
    def path(self) -> str:
        return f"{self.items}[{self.position}]" + (".item" if self.items == "lines" else "")


TaxedKind = Literal["line", "allowance", "charge"]

_new_taxed: Final[Callable[[tuple[str, int, str, Decimal | None]], Taxed]] = partial(
    tuple.__new__, Taxed
)
"""``Taxed`` from its fields, without the Python call ``Taxed(...)`` costs (one per line)."""


def taxed(doc: Invoice) -> dict[TaxedKind, tuple[Taxed, ...]]:
    """The lines, document allowances and document charges, each with its VAT category."""
    lines = [
        _new_taxed(("lines", i, code(line.item.vat_category), line.item.vat_rate))
        for i, line in enumerate(doc.lines)
    ]
    by_kind: dict[bool, list[Taxed]] = {False: [], True: []}
    for i, ac in enumerate(doc.allowances_charges):
        by_kind[ac.is_charge].append(
            _new_taxed(("allowances_charges", i, code(ac.vat_category), ac.vat_rate))
        )
    return {
        "line": tuple(lines),
        "allowance": tuple(by_kind[False]),
        "charge": tuple(by_kind[True]),
    }
