"""Writer profiles and the rules by which :func:`ubl.write` refuses a model.

A :class:`Profile` names the CustomizationID (BT-24) and ProfileID (BT-23) the writer puts
in the document, and the official rule set the document must then pass:

* ``peppol-bis3``: Peppol BIS Billing 3.0 = the CEN EN 16931 rules plus PEPPOL-EN16931-*,
  PEPPOL-COMMON-* and, for a Dutch seller, NL-R-*;
* ``en16931``: the CEN EN 16931 rules alone; the document keeps its own ProfileID;
* ``nlcius``: SI-UBL 2.0 (NLCIUS) = the CEN rules plus BR-NL-*. Its ProfileID is the Peppol
  billing process ``urn:fdc:peppol.eu:2017:poacc:billing:01:1.0``: all 94 SI-UBL 2.0 test
  documents of the SimplerInvoicing test set carry it, and the SI-UBL Schematron skips
  BR-NL-23 (no ProfileID) because Peppol needs the id for the SMP lookup.

``resolve("auto", document)`` keeps the document's own ids and holds it to the rules of the
profile they name (:func:`detect`); ids of none of the three (XRechnung, EHF, ...) are held to
the EN 16931 rules.

The rules
---------
:meth:`Profile.check` runs the model-level form of each FATAL official rule that the model
alone decides, under its official id and naming the model field: EN 16931 (CEN 1.3.16) core
``BR-nn``/``BR-CO-nn``, the VAT category rules (``BR-S``, ``-Z``, ``-E``, ``-AE``, ``-IC``,
``-G``, ``-O``, ``-AF``, ``-AG``, ``-B``), the code lists ``BR-CL-nn``, the decimals
``BR-DEC-nn``, the UBL rules (``UBL-SR``, ``UBL-CR``, ``UBL-DT``) the model's tuples could
break, Peppol BIS 3.0.21 and SI-UBL 2.0.3.13. A rule is one registry entry (id, profiles,
check); its check gets a :class:`_Context` and yields ``(field, message)`` for each place the
model breaks it. Most rules are a line of :func:`_each`: a selector (where the field occurs,
by dotted path), a predicate and a message. A rule about an optional part of the document
(allowances, a VAT category, a Dutch seller) names it as ``needs`` and is skipped without it,
which keeps a check of a 10-line invoice near 0.1 ms. Each check mirrors the official XPath on what
:mod:`ubl.writer` writes (a blank string writes no element; BT-14 alone writes order id "NA"),
so it fires only where the official validation fires: a valid document is never refused.

Deliberately left out:

* the sums (BR-CO-10..17, the ``-08`` taxable amounts, BR-S/AF/AG-09): :mod:`model.calculation`;
* BR-CO-25 (due date or payment terms when an amount is due): CEN withdrew it in 1.3.16, the
  release all three official validations run (only SI-UBL 2.0.3.12 still had it);
* BR-DEC-13/15: their official test never fires (its XPath compares currencyID with a child of
  TaxAmount); BT-110/BT-111 with more than 2 decimals fail UBL-DT-01, reported as such;
* BR-CL-08 (note subject code): :mod:`model.codes` has no UNCL4451 list;
* Peppol rules of other countries (DK, NO, SE, IT, GR, DE, IS), and rules on XML details the
  writer always gets right (empty elements, date format, currencyID, ChargeIndicator).

Code lists come from :mod:`model.codes` (generated from the Peppol 3.0.19 lists). Where CEN
1.3.16 accepts codes those lists lack, the rules accept them too (``_CEN_ONLY_CODES``), so no
valid document is refused; :data:`CODE_LIST_NOTES` lists the differences.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from operator import attrgetter
from typing import Any, Final, Literal, NamedTuple, TypeGuard

from model.codes import (
    eas,
    icd,
    iso3166,
    iso4217,
    mime,
    rec20,
    rec21,
    uncl1001,
    uncl1153,
    uncl2005,
    uncl4461,
    uncl5189,
    uncl5305,
    uncl7143,
    uncl7161,
    vatex,
)
from model.document import Address, AllowanceCharge, Identifier, Invoice, Line, VatBreakdown
from ubl.errors import Violation

__all__ = [
    "CODE_LIST_NOTES",
    "EN16931_CUSTOMIZATION_ID",
    "NLCIUS_CUSTOMIZATION_ID",
    "NLCIUS_PROFILE_ID",
    "PEPPOL_CUSTOMIZATION_ID",
    "PEPPOL_PROFILE_ID",
    "PROFILE_NAMES",
    "Profile",
    "Rule",
    "detect",
    "resolve",
    "rules_for",
]

PEPPOL_BILLING: Final = "urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PEPPOL_CUSTOMIZATION_ID: Final = f"urn:cen.eu:en16931:2017#compliant#{PEPPOL_BILLING}"
PEPPOL_PROFILE_ID: Final = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
EN16931_CUSTOMIZATION_ID: Final = "urn:cen.eu:en16931:2017"
NLCIUS_CUSTOMIZATION_ID: Final = "urn:cen.eu:en16931:2017#compliant#urn:fdc:nen.nl:nlcius:v1.0"
NLCIUS_PROFILE_ID: Final = PEPPOL_PROFILE_ID
"""SI-UBL 2.0 keeps the Peppol billing process (see the module docstring)."""

PEPPOL: Final = "peppol-bis3"
EN16931: Final = "en16931"
NLCIUS: Final = "nlcius"
PROFILE_NAMES: Final = (PEPPOL, EN16931, NLCIUS)

CODE_LIST_NOTES: Final = (
    "BR-CL-01: model.codes.uncl1001 holds the Peppol subsets (27 invoice and 5 credit note "
    "type codes); CEN 1.3.16 allows 50 and 13.",
    "BR-CL-10/11/21/22/25/26: model.codes icd, eas and vatex lack codes of CEN 1.3.16 "
    "(ICD 0241-0248; EAS 0219, 0220, 0242-0248, AN, AQ, AS, AU, EM; VATEX-EU-135-1).",
    "BR-CL-04/05: model.codes.iso4217 has ANG, BGN, STN where CEN 1.3.16 has CNH, STD, XCG.",
)
"""Where the generated code lists (Peppol 3.0.19) differ from the CEN 1.3.16 Schematron."""


# --- profiles ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Profile:
    """A writer profile: the ids it writes and the rules a document must pass.

    ``customization_id`` / ``profile_id`` None: keep the document's own BT-24 / BT-23.
    """

    name: str
    customization_id: str | None
    profile_id: str | None

    def check(self, document: Invoice) -> list[Violation]:
        """Every rule of this profile that ``document`` breaks, in registry order."""
        context = _Context.of(document, self)
        present = context.present
        return [
            Violation(rule.id, field, message)
            for rule in rules_for(self.name)
            if rule.needs is None or rule.needs in present
            for field, message in rule.check(context)
        ]


_PROFILES: Final = {
    PEPPOL: Profile(PEPPOL, PEPPOL_CUSTOMIZATION_ID, PEPPOL_PROFILE_ID),
    EN16931: Profile(EN16931, EN16931_CUSTOMIZATION_ID, None),
    NLCIUS: Profile(NLCIUS, NLCIUS_CUSTOMIZATION_ID, NLCIUS_PROFILE_ID),
}


def detect(customization_id: str | None) -> str:
    """The profile whose rules apply to a CustomizationID (BT-24).

    ``peppol-bis3`` when it names the Peppol billing specification, ``nlcius`` when it names
    nlcius, ``en16931`` for anything else (XRechnung, EHF, none at all).
    """
    text = customization_id or ""
    if PEPPOL_BILLING in text:
        return PEPPOL
    if "nlcius" in text:
        return NLCIUS
    return EN16931


def resolve(name: str, document: Invoice) -> Profile:
    """The profile called ``name`` for ``document``.

    ``"auto"``: the profile of the document's own CustomizationID (:func:`detect`) with both
    ids left open, so the writer keeps the document's BT-24 and BT-23. A name of
    :data:`PROFILE_NAMES`: that profile with its own ids. Anything else: ``ValueError``.
    """
    if name == "auto":
        return Profile(detect(document.customization_id), None, None)
    try:
        return _PROFILES[name]
    except KeyError:
        choices = ", ".join(("auto", *PROFILE_NAMES))
        raise ValueError(f"unknown profile {name!r}; expected one of {choices}") from None


# --- the rule registry ------------------------------------------------------------------------

_Finding = tuple[str, str]
"""One place a rule is broken: the model field path and the message."""


@dataclass(frozen=True, slots=True)
class _Context:
    """What a check sees: the document, the ids it will carry, and facts several rules use:
    the parties' countries, the VAT categories of lines, allowances/charges and breakdown,
    the schemes of the written party identifiers, and the parts ``present`` in the document
    (what :attr:`Rule.needs` names: optional groups, ``line_charges``, ``used:S``,
    ``breakdown:S``, ``scheme:0088``, ``seller:NL``)."""

    doc: Invoice
    customization_id: str
    profile_id: str
    seller_country: str
    buyer_country: str
    taxed: dict[_TaxedKind, tuple[_Taxed, ...]]
    used: frozenset[str]
    breakdowns: dict[str, int]
    id_schemes: frozenset[str | None]
    present: frozenset[str]

    @classmethod
    def of(cls, document: Invoice, profile: Profile) -> _Context:
        customization_id = profile.customization_id or document.customization_id
        profile_id = profile.profile_id or document.profile_id
        taxed = _taxed(document)
        used = frozenset(t.category for items in taxed.values() for t in items)
        breakdowns: dict[str, int] = {}
        for breakdown in document.vat_breakdown:
            category = _code(breakdown.category)
            breakdowns[category] = breakdowns.get(category, 0) + 1
        id_schemes = frozenset(x.scheme for _, x in _scheme_identifiers(document))
        seller_country = _country(document.seller.address)
        present = {group for group in _OPTIONAL_GROUPS if getattr(document, group)}
        if any(line.allowances_charges for line in document.lines):
            present.add("line_charges")
        present.update(f"used:{code}" for code in used)
        present.update(f"breakdown:{code}" for code in breakdowns)
        present.update(f"scheme:{scheme}" for scheme in id_schemes)
        present.add(f"seller:{seller_country}")
        return cls(
            doc=document,
            customization_id=_code(customization_id),
            profile_id=_code(profile_id),
            seller_country=seller_country,
            buyer_country=_country(document.buyer.address),
            taxed=taxed,
            used=used,
            breakdowns=breakdowns,
            id_schemes=id_schemes,
            present=frozenset(present),
        )


_Check = Callable[[_Context], Iterable[_Finding]]


@dataclass(frozen=True, slots=True)
class Rule:
    """One official rule: its id, the profiles that hold it, its model-level check, and the
    part of a document it is about (``needs``): a document without that part is not checked.
    """

    id: str
    profiles: frozenset[str]
    check: _Check
    needs: str | None = None


ALL: Final = frozenset(PROFILE_NAMES)
PEPPOL_ONLY: Final = frozenset({PEPPOL})
NLCIUS_ONLY: Final = frozenset({NLCIUS})

_RULES: list[Rule] = []
_BY_PROFILE: dict[str, tuple[Rule, ...]] = {}


def rules_for(name: str) -> tuple[Rule, ...]:
    """The rules of the profile called ``name`` (one of :data:`PROFILE_NAMES`), in order."""
    if name not in _BY_PROFILE:
        _BY_PROFILE[name] = tuple(rule for rule in _RULES if name in rule.profiles)
    return _BY_PROFILE[name]


def _register(
    rule_id: str, check: _Check, profiles: frozenset[str] = ALL, needs: str | None = None
) -> None:
    _RULES.append(Rule(rule_id, profiles, check, needs))


def _rule(
    rule_id: str, profiles: frozenset[str] = ALL, needs: str | None = None
) -> Callable[[_Check], _Check]:
    """Decorator: register the function as the check of ``rule_id``."""

    def register(check: _Check) -> _Check:
        _register(rule_id, check, profiles, needs)
        return check

    return register


_Selection = tuple[Sequence[Any], Callable[[int], str]]
"""Selected values, and a function giving the field path of the i-th value (called only for a
value that breaks the rule)."""


class _Values(NamedTuple):
    """A selector: the values of one model field wherever the model has it (``select``), and
    the optional part of a document the field belongs to (``needs``, see :class:`Rule`)."""

    select: Callable[[Invoice], _Selection]
    needs: str | None = None


def _each(
    rule_id: str,
    values: _Values,
    bad: Callable[[Any], bool],
    message: str | Callable[[Any], str],
    profiles: frozenset[str] = ALL,
) -> None:
    """Register ``rule_id``: each selected value for which ``bad`` holds breaks it."""

    def check(ctx: _Context) -> Iterable[_Finding]:
        selected, where = values.select(ctx.doc)
        if not any(map(bad, selected)):
            return ()
        return [
            (where(i), message(value) if callable(message) else message)
            for i, value in enumerate(selected)
            if bad(value)
        ]

    _register(rule_id, check, profiles, values.needs)


# --- selectors --------------------------------------------------------------------------------


def _follow(path: str) -> Callable[[object], tuple[bool, Any]]:
    """A getter for a dotted attribute path (``"item.name"``; ``""``: the object itself).

    It returns whether every group on the way (``item``) is there, and the value.
    """
    *groups, last = path.split(".")

    def follow(start: object) -> tuple[bool, Any]:
        value: Any = start
        for name in groups:
            value = getattr(value, name)
            if value is None:
                return False, None
        return True, getattr(value, last) if last else value

    return follow


def _pairs(
    select: Callable[[Invoice], Iterable[tuple[str, Any]]], needs: str | None = None
) -> _Values:
    """A selector from a function that yields (field path, value) pairs."""

    def values(doc: Invoice) -> _Selection:
        pairs = list(select(doc))
        return [value for _, value in pairs], lambda i: pairs[i][0]

    return _Values(values, needs)


_OPTIONAL_GROUPS: Final = frozenset(
    {"tax_representative", "payee", "delivery", "invoice_period", "additional_documents",
     "payment_means", "preceding_invoices", "allowances_charges"}
)  # fmt: skip
"""Parts of a document that may be absent: rules on them carry them as ``needs``."""


def _needs(path: str) -> str | None:
    group = path.partition(".")[0].partition("[")[0]
    return group if group in _OPTIONAL_GROUPS else None


_NOTHING: Final[_Selection] = ((), str)


def _at(path: str, field: str | None = None) -> _Values:
    """The value at ``path`` of the document (reported at ``field``, default ``path``),
    unless a group on the way is absent."""
    follow, report = _follow(path), field or path

    def where(_: int) -> str:
        return report

    def values(doc: Invoice) -> _Selection:
        found, value = follow(doc)
        return ((value,), where) if found else _NOTHING

    return _Values(values, _needs(path))


def _per(items: str, path: str = "", field: str | None = None) -> _Values:
    """``path`` in each element of the document's tuple ``items`` (``lines``, ...), reported
    at ``field`` (default ``path``). An empty ``path`` selects the element itself."""
    get, follow, report = attrgetter(path) if path else None, _follow(path), field or path

    def where(i: int) -> str:
        return f"{items}[{i}].{report}"

    def values(doc: Invoice) -> _Selection:
        elements: tuple[Any, ...] = getattr(doc, items)
        if get is None:
            return elements, where
        try:
            return list(map(get, elements)), where
        except AttributeError:  # an optional group on the way is absent in some element
            found = [(where(i), follow(element)) for i, element in enumerate(elements)]
            pairs = [(at, value) for at, (there, value) in found if there]
            return [value for _, value in pairs], lambda i: pairs[i][0]

    return _Values(values, _needs(items))


_Level = Literal["document", "line"]
_LEVELS: Final[tuple[_Level, ...]] = ("document", "line")


def _charges(doc: Invoice, level: _Level) -> Iterator[tuple[str, AllowanceCharge]]:
    """Document (BG-20/21) or line (BG-27/28) allowances and charges with their paths."""
    if level == "document":
        for i, ac in enumerate(doc.allowances_charges):
            yield f"allowances_charges[{i}]", ac
        return
    for i, line in enumerate(doc.lines):
        for j, ac in enumerate(line.allowances_charges):
            yield f"lines[{i}].allowances_charges[{j}]", ac


def _per_charge(field: str, level: _Level, charge: bool | None, whole: bool = False) -> _Values:
    """``field`` of the allowances (``charge`` False), charges (True) or both (None).

    ``whole``: select the allowance or charge itself, reported at ``field``.
    """

    def values(doc: Invoice) -> _Selection:
        if level == "line" and not any(line.allowances_charges for line in doc.lines):
            return _NOTHING
        chosen = [
            (path, ac)
            for path, ac in _charges(doc, level)
            if charge is None or ac.is_charge is charge
        ]
        selected = [ac if whole else getattr(ac, field) for _, ac in chosen]
        return selected, lambda i: f"{chosen[i][0]}.{field}"

    return _Values(values, "allowances_charges" if level == "document" else "line_charges")


# --- small predicates -------------------------------------------------------------------------


def _blank(value: str | None) -> bool:
    """The writer writes no element: the value is absent, empty or only whitespace."""
    return not value or value.isspace()


def _given(value: str | None) -> bool:
    return not _blank(value)


def _code(value: str | None) -> str:
    """A code or id as the rules compare it (``normalize-space``)."""
    return (value or "").strip()


def _code_set(codes: str) -> frozenset[str]:
    """The codes of a space-separated list, as the official rules write them."""
    return frozenset(codes.split())


def _country(address: Address | None) -> str:
    return _code(address.country).upper() if address is not None else ""


def _too_precise(amount: Decimal | None) -> bool:
    """More than 2 digits after the point as the writer writes it (``format(d, "f")``)."""
    if amount is None:
        return False
    exponent = amount.as_tuple().exponent
    return isinstance(exponent, int) and exponent < -2


def _written_id(identifier: Identifier | None) -> TypeGuard[Identifier]:
    """The writer writes the identifier: it is there with a non-blank value."""
    return identifier is not None and _given(identifier.value)


def _written_ids(
    pairs: Iterable[tuple[str, Identifier | None]],
) -> Iterator[tuple[str, Identifier]]:
    return ((path, x) for path, x in pairs if _written_id(x))


def _has_order_reference(doc: Invoice) -> bool:
    """cac:OrderReference/cbc:ID is written: BT-13, or "NA" when only BT-14 is known."""
    return _given(doc.order_reference) or _given(doc.sales_order_reference)


def _seller_vat_id(doc: Invoice) -> bool:
    """A seller VAT identifier BT-31 or tax representative VAT identifier BT-63."""
    representative = doc.tax_representative
    return _given(doc.seller.vat_id) or (
        representative is not None and _given(representative.vat_id)
    )


def _seller_tax_id(doc: Invoice) -> bool:
    """Any seller PartyTaxScheme CompanyID (BT-31 or BT-32), or BT-63."""
    return _seller_vat_id(doc) or _given(doc.seller.tax_registration)


def _representative_address(doc: Invoice) -> Address | None:
    return doc.tax_representative.address if doc.tax_representative is not None else None


def _deliver_to(doc: Invoice) -> Address | None:
    return doc.delivery.address if doc.delivery is not None else None


def _references_invoice(doc: Invoice) -> bool:
    return any(_given(p.number) for p in doc.preceding_invoices)


def _count(values: Iterable[object]) -> int:
    return sum(1 for value in values if value)


def _distinct(values: Iterable[str | None]) -> int:
    return len({value for value in values if _given(value)})


def _endpoints(doc: Invoice) -> Iterator[tuple[str, Identifier]]:
    """Written EndpointID: seller BT-34, buyer BT-49."""
    endpoints = [("seller.endpoint", doc.seller.endpoint), ("buyer.endpoint", doc.buyer.endpoint)]
    return _written_ids(endpoints)


def _party_identifiers(doc: Invoice, buyer: bool) -> Iterator[tuple[str, Identifier]]:
    """Written PartyIdentification/ID: the buyer's (BT-46), or the seller's (BT-29) and
    the payee's (BT-60)."""
    found: list[tuple[str, Identifier | None]] = []
    if buyer:
        found += [(f"buyer.identifiers[{i}]", x) for i, x in enumerate(doc.buyer.identifiers)]
    else:
        found += [(f"seller.identifiers[{i}]", x) for i, x in enumerate(doc.seller.identifiers)]
        found.append(("payee.identifier", doc.payee.identifier if doc.payee else None))
    return _written_ids(found)


def _legal_registrations(doc: Invoice) -> Iterator[tuple[str, Identifier]]:
    """Written PartyLegalEntity/CompanyID: seller BT-30, buyer BT-47, payee BT-61."""
    payee = doc.payee.legal_registration if doc.payee is not None else None
    registrations = [
        ("seller.legal_registration", doc.seller.legal_registration),
        ("buyer.legal_registration", doc.buyer.legal_registration),
        ("payee.legal_registration", payee),
    ]
    return _written_ids(registrations)


# --- EN 16931 core (BR-nn, BR-CO-nn) ----------------------------------------------------------

_REQUIRED: Final[tuple[tuple[str, _Values, str], ...]] = (
    ("BR-02", _at("number"), "Invoice number (BT-1)"),
    ("BR-04", _at("type_code"), "Invoice type code (BT-3)"),
    ("BR-05", _at("currency"), "Invoice currency code (BT-5)"),
    ("BR-06", _at("seller.name"), "Seller name (BT-27)"),
    ("BR-07", _at("buyer.name"), "Buyer name (BT-44)"),
    ("BR-09", _at("seller.address.country"), "Seller country code (BT-40)"),
    ("BR-11", _at("buyer.address.country"), "Buyer country code (BT-55)"),
    ("BR-18", _at("tax_representative.name"), "Seller tax representative name (BT-62)"),
    ("BR-20", _at("tax_representative.address.country"), "Tax representative country (BT-69)"),
    ("BR-56", _at("tax_representative.vat_id"), "Tax representative VAT identifier (BT-63)"),
    ("BR-21", _per("lines", "id"), "Invoice line identifier (BT-126)"),
    ("BR-23", _per("lines", "unit"), "Invoiced quantity unit of measure code (BT-130)"),
    ("BR-25", _per("lines", "item.name"), "Item name (BT-153)"),
    ("BR-CO-04", _per("lines", "item.vat_category"), "Invoiced item VAT category code (BT-151)"),
    ("BR-32", _per_charge("vat_category", "document", False), "Allowance VAT category (BT-95)"),
    ("BR-37", _per_charge("vat_category", "document", True), "Charge VAT category (BT-102)"),
    ("BR-47", _per("vat_breakdown", "category"), "VAT category code (BT-118)"),
    ("BR-49", _per("payment_means", "code"), "Payment means type code (BT-81)"),
    ("BR-50", _per("payment_means", "credit_transfer.account_id"), "Payment account (BT-84)"),
    ("BR-52", _per("additional_documents", "id"), "Supporting document reference (BT-122)"),
    ("BR-55", _per("preceding_invoices", "number"), "Preceding invoice reference (BT-25)"),
    ("BR-57", _at("delivery.address.country"), "Deliver to country code (BT-80)"),
)
"""Values the group they belong to must have (a blank value writes no element)."""

for _rule_id, _values, _term in _REQUIRED:
    _each(_rule_id, _values, _blank, f"{_term} is missing")

_REASONS: Final[tuple[tuple[str, _Level, bool, str], ...]] = (
    ("BR-33", "document", False, "Document level allowance (BG-20)"),
    ("BR-CO-21", "document", False, "Document level allowance (BG-20)"),
    ("BR-38", "document", True, "Document level charge (BG-21)"),
    ("BR-CO-22", "document", True, "Document level charge (BG-21)"),
    ("BR-42", "line", False, "Invoice line allowance (BG-27)"),
    ("BR-CO-23", "line", False, "Invoice line allowance (BG-27)"),
    ("BR-44", "line", True, "Invoice line charge (BG-28)"),
    ("BR-CO-24", "line", True, "Invoice line charge (BG-28)"),
)
"""Allowances and charges need a reason or a reason code (two official rules each)."""

for _rule_id, _level, _is_charge, _what in _REASONS:
    _each(
        _rule_id,
        _per_charge("reason", _level, _is_charge, whole=True),
        lambda ac: _blank(ac.reason) and _blank(ac.reason_code),
        f"{_what} needs a reason or a reason code",
    )

_SCHEMES: Final[tuple[tuple[str, _Values, str], ...]] = (
    (
        "BR-62",
        _at("seller.endpoint", "seller.endpoint.scheme"),
        "Seller electronic address (BT-34)",
    ),
    ("BR-63", _at("buyer.endpoint", "buyer.endpoint.scheme"), "Buyer electronic address (BT-49)"),
    (
        "BR-64",
        _per("lines", "item.standard_id", "item.standard_id.scheme"),
        "Item standard id (BT-157)",
    ),
)
"""Identifiers that need their scheme identifier."""

for _rule_id, _values, _term in _SCHEMES:
    _each(
        _rule_id,
        _values,
        lambda x: _written_id(x) and _blank(x.scheme),
        f"{_term} needs a scheme identifier",
    )


def _classifications(doc: Invoice) -> Iterator[tuple[str, Any]]:
    for i, line in enumerate(doc.lines):
        for j, classification in enumerate(line.item.classifications):
            yield f"lines[{i}].item.classifications[{j}].list_id", classification


def _reversed(period: Any) -> bool:
    """A period whose end date is before its start date (BR-29, BR-30)."""
    return period is not None and period.start and period.end and period.end < period.start


_each(
    "BR-65",
    _pairs(_classifications),
    lambda c: _given(c.code) and _blank(c.list_id),
    "Item classification identifier (BT-158) needs a scheme identifier",
)
_each(
    "BR-27",
    _per("lines", "price.net"),
    lambda net: net < 0,
    "Item net price (BT-146) must not be negative",
)
_each(
    "BR-28",
    _per("lines", "price.gross"),
    lambda gross: gross is not None and gross < 0,
    "Item gross price (BT-148) must not be negative",
)
_each(
    "BR-29",
    _at("invoice_period", "invoice_period.end"),
    _reversed,
    "Invoicing period end date (BT-74) is before its start date (BT-73)",
)
_each(
    "BR-30",
    _per("lines", "period", field="period.end"),
    _reversed,
    "Invoice line period end date (BT-135) is before its start date (BT-134)",
)
_each(
    "BR-48",
    _per("vat_breakdown", field="rate"),
    lambda b: b.rate is None and _code(b.category) != "O",
    "VAT category rate (BT-119) is missing (only category O has none)",
)
_each(
    "BR-61",
    _per("payment_means", field="credit_transfer"),
    lambda m: (
        _code(m.code) in {"30", "58"}
        and (m.credit_transfer is None or _blank(m.credit_transfer.account_id))
    ),
    "a credit transfer (payment means 30 or 58) needs the payment account identifier (BT-84)",
)
_each(
    "BR-16",
    _at("lines"),
    lambda lines: not lines,
    "an invoice needs at least one invoice line (BG-25)",
)
_each(
    "BR-CO-18",
    _at("vat_breakdown"),
    lambda breakdown: not breakdown,
    "an invoice needs at least one VAT breakdown (BG-23)",
)


@_rule("BR-01")
def _specification_identifier(ctx: _Context) -> Iterator[_Finding]:
    if not ctx.customization_id:
        yield "customization_id", "Specification identifier (BT-24) is missing"


@_rule("BR-17")
def _payee_differs(ctx: _Context) -> Iterator[_Finding]:
    payee, seller = ctx.doc.payee, ctx.doc.seller
    if payee is None:
        return
    if _blank(payee.name):
        yield "payee.name", "Payee name (BT-59) is missing"
    elif _given(seller.trading_name) and payee.name == seller.trading_name:
        yield "payee.name", "the payee (BG-10) must differ from the seller: it has its name"
    seller_ids = {identifier.value for identifier in seller.identifiers}
    if _written_id(payee.identifier) and payee.identifier.value in seller_ids:
        yield "payee.identifier", "the payee (BG-10) must differ from the seller: same identifier"


@_rule("BR-53")
def _vat_in_tax_currency(ctx: _Context) -> Iterator[_Finding]:
    doc = ctx.doc
    if _blank(doc.tax_currency) or doc.totals.vat_in_tax_currency is not None:
        return
    writes_vat_total = doc.totals.vat is not None or bool(doc.vat_breakdown)
    if not (doc.tax_currency == doc.currency and writes_vat_total):
        yield (
            "totals.vat_in_tax_currency",
            "with a VAT accounting currency (BT-6) the VAT total in it (BT-111) is required",
        )


@_rule("BR-CO-03")
def _tax_point_date_or_code(ctx: _Context) -> Iterator[_Finding]:
    if ctx.doc.tax_point_date is not None and _given(ctx.doc.tax_point_code):
        yield "tax_point_code", "VAT point date (BT-7) and its code (BT-8) exclude each other"


_VAT_PREFIXES: Final = frozenset(iso3166.CODES) | {"EL"}
"""BR-CO-09: ISO 3166-1 alpha-2 (with 1A and XI), and EL for Greece."""


def _vat_ids(doc: Invoice) -> Iterator[tuple[str, str | None]]:
    """The VAT identifiers: seller BT-31, buyer BT-48, tax representative BT-63."""
    yield "seller.vat_id", doc.seller.vat_id
    yield "buyer.vat_id", doc.buyer.vat_id
    if doc.tax_representative is not None:
        yield "tax_representative.vat_id", doc.tax_representative.vat_id


_each(
    "BR-CO-09",
    _pairs(_vat_ids),
    lambda vat_id: _given(vat_id) and vat_id[:2] not in _VAT_PREFIXES,
    lambda vat_id: f"VAT identifier {vat_id!r} must start with an ISO 3166-1 country prefix",
)


@_rule("BR-CO-26")
def _seller_identified(ctx: _Context) -> Iterator[_Finding]:
    seller = ctx.doc.seller
    identified = (
        _given(seller.vat_id)
        or _written_id(seller.legal_registration)
        or any(_given(x.value) and x.scheme != "SEPA" for x in seller.identifiers)
    )
    if not identified:
        yield "seller", "the seller needs an identifier (BT-29), legal id (BT-30) or VAT id (BT-31)"


# --- VAT categories (BR-S, BR-Z, BR-E, BR-AE, BR-IC, BR-G, BR-O, BR-AF, BR-AG, BR-B) ---------

_RateRule = Literal["positive", "zero", "absent", "not_negative"]
_RATE_RULES: Final[dict[str, tuple[Callable[[Decimal | None], bool], str]]] = {
    "positive": (lambda r: r is not None and r > 0, "must be greater than zero"),
    "zero": (lambda r: r is not None and r == 0, "must be 0"),
    "absent": (lambda r: r is None, "must not be given"),
    "not_negative": (lambda r: r is not None and r >= 0, "must be 0 or greater"),
}


@dataclass(frozen=True, slots=True)
class _Category:
    """How EN 16931 constrains one VAT category (UNCL5305): its rules ``<prefix>-01..-10``."""

    code: str
    prefix: str
    name: str
    only_one: bool  # -01: exactly one breakdown when used (else: a breakdown iff used)
    parties_ok: Callable[[Invoice], bool]  # -02/-03/-04: a line/allowance/charge has it
    parties: str
    rate: _RateRule  # -05/-06/-07: the line, allowance and charge VAT rate
    zero_tax: bool  # -09: the breakdown's VAT amount is 0
    exemption: bool  # -10: exemption reason or code required (True) or forbidden (False)


def _reverse_charge_parties(doc: Invoice) -> bool:
    buyer = doc.buyer
    return _seller_tax_id(doc) and (_given(buyer.vat_id) or _written_id(buyer.legal_registration))


def _intra_community_parties(doc: Invoice) -> bool:
    return _seller_vat_id(doc) and _given(doc.buyer.vat_id)


def _not_subject_parties(doc: Invoice) -> bool:
    return not (_seller_vat_id(doc) or _given(doc.buyer.vat_id))


_TAX_ID: Final = (
    "a seller VAT id (BT-31), tax registration (BT-32) or representative VAT id (BT-63)"
)
_VAT_ID: Final = "a seller VAT id (BT-31) or tax representative VAT id (BT-63)"
_BUYER_ID: Final = "a buyer VAT id (BT-48) or legal registration (BT-47)"
_NO_VAT_ID: Final = "no seller (BT-31), representative (BT-63) or buyer (BT-48) VAT id"
# fmt: off
_CATEGORIES: Final = (
    _Category("S", "BR-S", "Standard rated", False, _seller_tax_id, _TAX_ID, "positive",
              zero_tax=False, exemption=False),
    _Category("Z", "BR-Z", "Zero rated", True, _seller_tax_id, _TAX_ID, "zero",
              zero_tax=True, exemption=False),
    _Category("E", "BR-E", "Exempt from VAT", True, _seller_tax_id, _TAX_ID, "zero",
              zero_tax=True, exemption=True),
    _Category("AE", "BR-AE", "Reverse charge", True, _reverse_charge_parties,
              f"{_TAX_ID}, and {_BUYER_ID}", "zero", zero_tax=True, exemption=True),
    _Category("K", "BR-IC", "Intra-community supply", True, _intra_community_parties,
              f"{_VAT_ID}, and a buyer VAT id (BT-48)", "zero", zero_tax=True, exemption=True),
    _Category("G", "BR-G", "Export outside the EU", True, _seller_vat_id, _VAT_ID, "zero",
              zero_tax=True, exemption=True),
    _Category("O", "BR-O", "Not subject to VAT", True, _not_subject_parties, _NO_VAT_ID, "absent",
              zero_tax=True, exemption=True),
    _Category("L", "BR-AF", "IGIC", False, _seller_tax_id, _TAX_ID, "not_negative",
              zero_tax=False, exemption=False),
    _Category("M", "BR-AG", "IPSI", False, _seller_tax_id, _TAX_ID, "not_negative",
              zero_tax=False, exemption=False),
)
# fmt: on


class _Taxed(NamedTuple):
    """What carries a VAT category: a line's item (BG-30) or a document allowance/charge."""

    items: str  # "lines" or "allowances_charges"
    position: int
    category: str  # as the rules compare it (normalize-space)
    rate: Decimal | None

    @property
    def path(self) -> str:
        return f"{self.items}[{self.position}]" + (".item" if self.items == "lines" else "")


_TaxedKind = Literal["line", "allowance", "charge"]
_TAXED_RULES: Final[tuple[tuple[str, str, _TaxedKind], ...]] = (
    ("02", "05", "line"),
    ("03", "06", "allowance"),
    ("04", "07", "charge"),
)
"""Per kind of taxed item: the number of its parties rule and of its rate rule."""


def _taxed(doc: Invoice) -> dict[_TaxedKind, tuple[_Taxed, ...]]:
    """The lines, document allowances and document charges, each with its VAT category."""
    lines = [
        _Taxed("lines", i, _code(line.item.vat_category), line.item.vat_rate)
        for i, line in enumerate(doc.lines)
    ]
    charges: dict[bool, list[_Taxed]] = {False: [], True: []}
    for i, ac in enumerate(doc.allowances_charges):
        charges[ac.is_charge].append(
            _Taxed("allowances_charges", i, _code(ac.vat_category), ac.vat_rate)
        )
    return {
        "line": tuple(lines),
        "allowance": tuple(charges[False]),
        "charge": tuple(charges[True]),
    }


def _is(category: str | None, code: str) -> bool:
    return _code(category) == code


def _register_category(cat: _Category) -> None:
    """Register the rules <prefix>-01..-10 of one VAT category (but -08, a sum)."""
    label = f"category {cat.code} ({cat.name})"
    rate_ok, rate_text = _RATE_RULES[cat.rate]

    def breakdown(ctx: _Context) -> Iterator[_Finding]:
        used, count = cat.code in ctx.used, ctx.breakdowns.get(cat.code, 0)
        if cat.only_one and used and count != 1:
            yield "vat_breakdown", f"{label} is used: one VAT breakdown of it needed, not {count}"
        elif not cat.only_one and used != (count > 0):
            yield "vat_breakdown", f"{label} needs a VAT breakdown exactly when it is used"

    def parties(kind: _TaxedKind) -> _Check:
        def check(ctx: _Context) -> Iterator[_Finding]:
            if cat.code in ctx.used and not cat.parties_ok(ctx.doc):
                for taxed in ctx.taxed[kind]:
                    if taxed.category == cat.code:
                        yield f"{taxed.path}.vat_category", f"{label} requires {cat.parties}"
                        return

        return check

    def rates(kind: _TaxedKind) -> _Check:
        message = f"the VAT rate of {label} {rate_text}"

        def check(ctx: _Context) -> Iterator[_Finding]:
            if cat.code in ctx.used:
                for taxed in ctx.taxed[kind]:
                    if taxed.category == cat.code and not rate_ok(taxed.rate):
                        yield f"{taxed.path}.vat_rate", message

        return check

    def breakdowns(field: str, bad: Callable[[VatBreakdown], bool], message: str) -> _Check:
        def check(ctx: _Context) -> Iterator[_Finding]:
            if cat.code in ctx.breakdowns:
                for i, b in enumerate(ctx.doc.vat_breakdown):
                    if _is(b.category, cat.code) and bad(b):
                        yield f"vat_breakdown[{i}].{field}", message

        return check

    used, in_breakdown = f"used:{cat.code}", f"breakdown:{cat.code}"
    _register(f"{cat.prefix}-01", breakdown)
    for parties_rule, _, kind in _TAXED_RULES:
        _register(f"{cat.prefix}-{parties_rule}", parties(kind), needs=used)
    for _, rate_rule, kind in _TAXED_RULES:
        _register(f"{cat.prefix}-{rate_rule}", rates(kind), needs=used)
    if cat.zero_tax:
        zero = breakdowns(
            "tax_amount", lambda b: b.tax_amount != 0, f"the VAT amount of {label} must be 0"
        )
        _register(f"{cat.prefix}-09", zero, needs=in_breakdown)
    reason = "needs" if cat.exemption else "must not have"
    exemption = breakdowns(
        "exemption_reason",
        lambda b: (_given(b.exemption_reason) or _given(b.exemption_code)) != cat.exemption,
        f"{label} {reason} an exemption reason (BT-120) or reason code (BT-121)",
    )
    _register(f"{cat.prefix}-10", exemption, needs=in_breakdown)


for _category in _CATEGORIES:
    _register_category(_category)


@_rule("BR-IC-11", needs="breakdown:K")
def _intra_community_supply_date(ctx: _Context) -> Iterator[_Finding]:
    doc, period = ctx.doc, ctx.doc.invoice_period
    dated = (doc.delivery is not None and doc.delivery.date is not None) or (
        period is not None and (period.start is not None or period.end is not None)
    )
    if "K" in ctx.breakdowns and not (dated or _given(doc.tax_point_code)):
        yield "delivery.date", "an intra-community supply needs its delivery date or period"


@_rule("BR-IC-12", needs="breakdown:K")
def _intra_community_deliver_to(ctx: _Context) -> Iterator[_Finding]:
    if "K" in ctx.breakdowns and len(_country(_deliver_to(ctx.doc))) < 2:
        yield "delivery.address.country", "an intra-community supply needs the deliver to country"


_NOT_SUBJECT_ONLY: Final[tuple[tuple[str, _Values, str], ...]] = (
    ("BR-O-11", _per("vat_breakdown", "category"), "other VAT breakdown"),
    ("BR-O-12", _per("lines", "item.vat_category"), "line"),
    ("BR-O-13", _per_charge("vat_category", "document", False), "document allowance"),
    ("BR-O-14", _per_charge("vat_category", "document", True), "document charge"),
)
"""With a Not subject to VAT (O) breakdown, nothing of another category."""


def _only_not_subject(rule_id: str, values: _Values, what: str) -> None:
    def check(ctx: _Context) -> Iterator[_Finding]:
        if "O" in ctx.breakdowns:
            selected, where = values.select(ctx.doc)
            for i, category in enumerate(selected):
                if not _is(category, "O"):
                    yield (
                        where(i),
                        f"with a Not subject to VAT (O) breakdown no {what} of {category!r}",
                    )

    _register(rule_id, check, needs="breakdown:O")


for _rule_id, _values, _what in _NOT_SUBJECT_ONLY:
    _only_not_subject(_rule_id, _values, _what)


def _all_categories(doc: Invoice) -> set[str]:
    """Every VAT category written: BT-151, BT-95/BT-102 and BT-118."""
    codes = {_code(line.item.vat_category) for line in doc.lines}
    codes.update(_code(ac.vat_category) for ac in doc.allowances_charges)
    codes.update(_code(b.category) for b in doc.vat_breakdown)
    return codes


def _all_countries(doc: Invoice) -> Iterator[str]:
    """Every country code written: BT-40, BT-55, BT-69, BT-80 and BT-159."""
    addresses = [doc.seller.address, doc.buyer.address, _representative_address(doc)]
    addresses.append(_deliver_to(doc))
    yield from (a.country for a in addresses if a is not None and _given(a.country))
    yield from (ln.item.origin_country or "" for ln in doc.lines if ln.item.origin_country)


def _split_payment(ctx: _Context) -> bool:
    """Category B is used anywhere (BT-151, BT-95/BT-102, BT-118)."""
    return "B" in ctx.used or "B" in ctx.breakdowns


@_rule("BR-B-01")
def _split_payment_italian(ctx: _Context) -> Iterator[_Finding]:
    if _split_payment(ctx) and any(c != "IT" for c in _all_countries(ctx.doc)):
        yield "vat_breakdown", "category B (split payment) is only for domestic Italian invoices"


@_rule("BR-B-02")
def _split_payment_not_standard(ctx: _Context) -> Iterator[_Finding]:
    if _split_payment(ctx) and "S" in _all_categories(ctx.doc):
        yield "vat_breakdown", "categories B (split payment) and S (standard rated) cannot mix"


# --- decimals (BR-DEC-nn) ---------------------------------------------------------------------

_DECIMALS: Final[tuple[tuple[str, str, _Values], ...]] = (
    ("BR-DEC-01", "Document allowance amount (BT-92)", _per_charge("amount", "document", False)),
    ("BR-DEC-02", "Allowance base amount (BT-93)", _per_charge("base_amount", "document", False)),
    ("BR-DEC-05", "Document charge amount (BT-99)", _per_charge("amount", "document", True)),
    ("BR-DEC-06", "Charge base amount (BT-100)", _per_charge("base_amount", "document", True)),
    ("BR-DEC-09", "Sum of Invoice line net amount (BT-106)", _at("totals.line_net")),
    ("BR-DEC-10", "Sum of allowances on document level (BT-107)", _at("totals.allowances")),
    ("BR-DEC-11", "Sum of charges on document level (BT-108)", _at("totals.charges")),
    ("BR-DEC-12", "Invoice total amount without VAT (BT-109)", _at("totals.without_vat")),
    ("UBL-DT-01", "Invoice total VAT amount (BT-110)", _at("totals.vat")),
    ("BR-DEC-14", "Invoice total amount with VAT (BT-112)", _at("totals.with_vat")),
    ("UBL-DT-01", "VAT total in accounting currency (BT-111)", _at("totals.vat_in_tax_currency")),
    ("BR-DEC-16", "Paid amount (BT-113)", _at("totals.prepaid")),
    ("BR-DEC-17", "Rounding amount (BT-114)", _at("totals.rounding")),
    ("BR-DEC-18", "Amount due for payment (BT-115)", _at("totals.payable")),
    ("BR-DEC-19", "VAT category taxable amount (BT-116)", _per("vat_breakdown", "taxable_amount")),
    ("BR-DEC-20", "VAT category tax amount (BT-117)", _per("vat_breakdown", "tax_amount")),
    ("BR-DEC-23", "Invoice line net amount (BT-131)", _per("lines", "net_amount")),
    ("BR-DEC-24", "Line allowance amount (BT-136)", _per_charge("amount", "line", False)),
    ("BR-DEC-25", "Line allowance base amount (BT-137)", _per_charge("base_amount", "line", False)),
    ("BR-DEC-27", "Line charge amount (BT-141)", _per_charge("amount", "line", True)),
    ("BR-DEC-28", "Line charge base amount (BT-142)", _per_charge("base_amount", "line", True)),
)
"""BT-110 and BT-111 are UBL-DT-01: the official BR-DEC-13/15 tests never fire."""

for _rule_id, _term, _values in _DECIMALS:
    _each(
        _rule_id,
        _values,
        _too_precise,
        f"{_term} has more than 2 decimals",
    )


# --- code lists (BR-CL-nn) --------------------------------------------------------------------


_CEN_ONLY_CODES: Final = {
    "invoice": _code_set(
        "81 130 202 203 204 211 295 325 385 387 390 394 456 457 471 472 473 500 501 527 633 751 935"
    ),
    "credit note": _code_set("261 262 296 308 420 458 502 503"),
    "ISO 4217": frozenset({"CNH", "STD", "XCG"}),
    "EAS": _code_set("0219 0220 0242 0244 0245 0246 0248 AN AQ AS AU EM"),
    "ISO 6523 ICD": _code_set("0241 0242 0243 0244 0245 0246 0247 0248"),
    "VATEX": frozenset({"VATEX-EU-135-1"}),
}
"""Codes the CEN 1.3.16 rules accept that :mod:`model.codes` lacks (:data:`CODE_LIST_NOTES`).

Accepted too, so that no valid document is refused (the official example ubl-tc434-example5
has EndpointID scheme EM). Drop this when model.codes carries the CEN lists.
"""


@_rule("BR-CL-01")
def _type_code_list(ctx: _Context) -> Iterator[_Finding]:
    code = _code(ctx.doc.type_code)
    kind = "credit note" if ctx.doc.is_credit_note else "invoice"
    allowed = uncl1001.CREDIT_NOTE if ctx.doc.is_credit_note else uncl1001.INVOICE
    if code and code not in allowed and code not in _CEN_ONLY_CODES[kind]:
        yield "type_code", f"{code!r} is not a UNCL1001 {kind} type code"


def _schemes(identifiers: Callable[[Invoice], Iterable[tuple[str, Identifier]]]) -> _Values:
    return _pairs(lambda doc: ((f"{path}.scheme", x.scheme) for path, x in identifiers(doc)))


def _scheme(identifiers: _Values) -> _Values:
    """The scheme of each written identifier that ``identifiers`` selects."""

    def values(doc: Invoice) -> _Selection:
        selected, where = identifiers.select(doc)
        if not any(map(_written_id, selected)):
            return _NOTHING
        pairs = [(where(i), x.scheme) for i, x in enumerate(selected) if _written_id(x)]
        return [scheme for _, scheme in pairs], lambda i: pairs[i][0]

    return _Values(values, identifiers.needs)


def _typed_object_schemes(doc: Invoice) -> Iterator[tuple[str, Any]]:
    """The schemes of BG-24 documents typed 130 (invoiced object)."""
    for i, document in enumerate(doc.additional_documents):
        if _code(document.type_code) == "130":
            yield f"additional_documents[{i}].id_scheme", document.id_scheme


def _countries(doc: Invoice) -> Iterator[tuple[str, Any]]:
    """cac:Country/cbc:IdentificationCode: BT-40, BT-55, BT-69, BT-80."""
    for path, address in (
        ("seller.address", doc.seller.address),
        ("buyer.address", doc.buyer.address),
        ("tax_representative.address", _representative_address(doc)),
        ("delivery.address", _deliver_to(doc)),
    ):
        if address is not None:
            yield f"{path}.country", address.country


def _base_units(doc: Invoice) -> Iterator[tuple[str, Any]]:
    """@unitCode of a written base quantity: BT-150."""
    for i, line in enumerate(doc.lines):
        if line.price.base_quantity is not None:
            yield f"lines[{i}].price.base_unit", line.price.base_unit


def _attachments(doc: Invoice) -> Iterator[tuple[str, Any]]:
    for i, document in enumerate(doc.additional_documents):
        if document.attachment is not None:
            yield f"additional_documents[{i}].attachment.mime_code", document.attachment.mime_code


def _classification_lists(doc: Invoice) -> Iterator[tuple[str, Any]]:
    return ((path, c.list_id) for path, c in _classifications(doc) if _given(c.code))


_VATEX: Final = frozenset(code.upper() for code in vatex.CODES) | _CEN_ONLY_CODES["VATEX"]


def _vatex(code: str) -> bool:
    """BR-CL-22 compares upper-cased."""
    return code.upper() in _VATEX


def _icd_or_sepa(code: str) -> bool:
    """BR-CL-10: a seller or payee identifier may also be the SEPA creditor id."""
    return code == "SEPA" or icd.is_valid(code)


def _unit(code: str) -> bool:
    return rec20.is_valid(code) or rec21.is_valid(code)


_CODE_LISTS: Final[tuple[tuple[str, str, _Values, Callable[[str], bool]], ...]] = (
    ("BR-CL-04", "ISO 4217", _at("currency"), iso4217.is_valid),
    ("BR-CL-05", "ISO 4217", _at("tax_currency"), iso4217.is_valid),
    ("BR-CL-06", "UNCL2005", _at("tax_point_code"), uncl2005.is_valid),
    (
        "BR-CL-07",
        "UNCL1153",
        _scheme(_at("invoiced_object", "invoiced_object.scheme")),
        uncl1153.is_valid,
    ),
    (
        "BR-CL-07",
        "UNCL1153",
        _scheme(_per("lines", "object_id", "object_id.scheme")),
        uncl1153.is_valid,
    ),
    ("BR-CL-07", "UNCL1153", _pairs(_typed_object_schemes), uncl1153.is_valid),
    ("BR-CL-10", "ISO 6523 ICD", _schemes(lambda d: _party_identifiers(d, False)), _icd_or_sepa),
    ("BR-CL-10", "ISO 6523 ICD", _schemes(lambda d: _party_identifiers(d, True)), icd.is_valid),
    ("BR-CL-11", "ISO 6523 ICD", _schemes(_legal_registrations), icd.is_valid),
    ("BR-CL-13", "UNCL7143", _pairs(_classification_lists), uncl7143.is_valid),
    ("BR-CL-14", "ISO 3166-1", _pairs(_countries), iso3166.is_valid),
    ("BR-CL-15", "ISO 3166-1", _per("lines", "item.origin_country"), iso3166.is_valid),
    ("BR-CL-16", "UNCL4461", _per("payment_means", "code"), uncl4461.is_valid),
    ("BR-CL-17", "UNCL5305", _per_charge("vat_category", "document", None), uncl5305.is_valid),
    ("BR-CL-17", "UNCL5305", _per("vat_breakdown", "category"), uncl5305.is_valid),
    ("BR-CL-18", "UNCL5305", _per("lines", "item.vat_category"), uncl5305.is_valid),
    ("BR-CL-19", "UNCL5189", _per_charge("reason_code", "document", False), uncl5189.is_valid),
    ("BR-CL-19", "UNCL5189", _per_charge("reason_code", "line", False), uncl5189.is_valid),
    ("BR-CL-20", "UNCL7161", _per_charge("reason_code", "document", True), uncl7161.is_valid),
    ("BR-CL-20", "UNCL7161", _per_charge("reason_code", "line", True), uncl7161.is_valid),
    (
        "BR-CL-21",
        "ISO 6523 ICD",
        _scheme(_per("lines", "item.standard_id", "item.standard_id.scheme")),
        icd.is_valid,
    ),
    ("BR-CL-22", "VATEX", _per("vat_breakdown", "exemption_code"), _vatex),
    ("BR-CL-23", "UN/ECE Rec 20/21", _per("lines", "unit"), _unit),
    ("BR-CL-23", "UN/ECE Rec 20/21", _pairs(_base_units), _unit),
    ("BR-CL-24", "the MIME codes", _pairs(_attachments), mime.is_valid),
    ("BR-CL-25", "EAS", _scheme(_at("seller.endpoint", "seller.endpoint.scheme")), eas.is_valid),
    ("BR-CL-25", "EAS", _scheme(_at("buyer.endpoint", "buyer.endpoint.scheme")), eas.is_valid),
    (
        "BR-CL-26",
        "ISO 6523 ICD",
        _scheme(_at("delivery.location", "delivery.location.scheme")),
        icd.is_valid,
    ),
)
"""Each code the writer writes must be in its list, compared after ``normalize-space``."""


def _code_list(rule_id: str, list_name: str, values: _Values, valid: Callable[[str], bool]) -> None:
    cen_only = _CEN_ONLY_CODES.get(list_name, frozenset())
    _each(
        rule_id,
        values,
        lambda code: _given(code) and not valid(_code(code)) and _code(code) not in cen_only,
        lambda code: f"{code!r} is not a code of {list_name}",
    )


for _rule_id, _list_name, _values, _valid in _CODE_LISTS:
    _code_list(_rule_id, _list_name, _values, _valid)


# --- UBL: what the model's tuples allow but the EN 16931 UBL binding does not ------------------


def _sepa_creditor_ids(doc: Invoice) -> int:
    if not any(
        _code(x.scheme).upper() == "SEPA" for x in (*doc.seller.identifiers, *doc.buyer.identifiers)
    ):
        return 0
    identifiers = [*_party_identifiers(doc, False), *_party_identifiers(doc, True)]
    return _count(_code(x.scheme).upper() == "SEPA" for _, x in identifiers)


def _mandates(doc: Invoice) -> int:
    debits = [m.direct_debit for m in doc.payment_means if m.direct_debit is not None]
    return _count(_given(d.mandate) or _given(d.debited_account) for d in debits)


_AT_MOST_ONE: Final[tuple[tuple[str, str, Callable[[Invoice], int], str], ...]] = (
    ("UBL-SR-16", "buyer.identifiers", lambda d: _count(_party_identifiers(d, True)),
     "buyer identifier (BT-46)"),
    ("UBL-SR-29", "seller.identifiers", _sepa_creditor_ids,
     "bank assigned creditor identifier (BT-90, scheme SEPA)"),
    ("UBL-SR-44", "payment_means", lambda d: _distinct(m.remittance_info for m in d.payment_means),
     "remittance information (BT-83), shared by all payment instructions"),
    ("UBL-SR-46", "payment_means",
     lambda d: _count(_given(m.text) and _given(m.code) for m in d.payment_means),
     "payment means text (BT-82)"),
    ("UBL-SR-47", "payment_means", lambda d: _distinct(m.code for m in d.payment_means),
     "payment means code (BT-81), shared by all payment instructions"),
    ("UBL-SR-54", "payment_means", lambda d: _count(m.card for m in d.payment_means),
     "payment card (BG-18)"),
    ("UBL-SR-55", "payment_means", _mandates, "direct debit mandate (BG-19)"),
)  # fmt: skip
"""What UBL (for EN 16931) allows once per document, where the model holds a tuple."""


def _at_most_one(rule_id: str, field: str, number: Callable[[Invoice], int], what: str) -> None:
    _each(
        rule_id,
        _Values(lambda doc: ((number(doc),), lambda _: field)),
        lambda n: n > 1,
        f"only one {what}",
    )


for _rule_id, _field, _number, _what in _AT_MOST_ONE:
    _at_most_one(_rule_id, _field, _number, _what)


@_rule("UBL-SR-19")
def _payee_not_seller(ctx: _Context) -> Iterator[_Finding]:
    payee = ctx.doc.payee
    if payee is not None and (_blank(payee.name) or payee.name == ctx.doc.seller.name):
        yield "payee.name", "a payee (BG-10) needs a name (BT-59) other than the seller's (BT-27)"


@_rule("UBL-SR-43")
def _supporting_document_type(ctx: _Context) -> Iterator[_Finding]:
    allowed = {"130", "50"} if ctx.doc.is_credit_note else {"130"}
    for i, document in enumerate(ctx.doc.additional_documents):
        code = _code(document.type_code)
        if code not in allowed and (code or _given(document.id_scheme)):
            yield (
                f"additional_documents[{i}].type_code",
                "only an invoiced object (type 130) has a document type code or scheme",
            )


@_rule("UBL-SR-45")
def _one_due_date(ctx: _Context) -> Iterator[_Finding]:
    doc = ctx.doc
    if doc.is_credit_note and doc.due_date is not None and len(doc.payment_means) > 1:
        yield (
            "due_date",
            "a credit note repeats its due date (BT-9) in each payment means: give one",
        )


def _not_on_invoiced_object(rule_id: str, field: str) -> None:
    _each(
        rule_id,
        _per("additional_documents", field=field),
        lambda document: _code(document.type_code) == "130" and bool(getattr(document, field)),
        f"an invoiced object reference (type 130) cannot have a {field}",
    )


_not_on_invoiced_object("UBL-CR-666", "attachment")
_not_on_invoiced_object("UBL-CR-673", "description")


# --- Peppol BIS Billing 3.0 (PEPPOL-EN16931-*) ------------------------------------------------

_PEPPOL_PROCESSES: Final = frozenset({
    PEPPOL_PROFILE_ID,
    "urn:peppol:france:billing:regulated",
    "urn:peppol:france:billing:non-regulated",
    "urn:peppol:bis:billing_with_response",
})  # fmt: skip
"""The ProfileIDs PEPPOL-EN16931-R007 approves (billing processes 01 and 02)."""

_PEPPOL_INVOICE_TYPES: Final = _code_set(
    "71 80 82 84 102 218 219 326 331 380 382 383 384 386 388 393 395 553 575 623 780 817 870 "
    "875 876 877"
)
"""PEPPOL-EN16931-P0100: the invoice type codes of the Peppol billing processes."""
_PEPPOL_CREDIT_NOTE_TYPES: Final = frozenset({"381", "396", "81", "83", "532"})
"""PEPPOL-EN16931-P0101: the credit note type codes of the Peppol billing processes."""

_EXEMPTION_CATEGORIES: Final = (
    ("PEPPOL-EN16931-P0104", "VATEX-EU-G", "G"),
    ("PEPPOL-EN16931-P0105", "VATEX-EU-O", "O"),
    ("PEPPOL-EN16931-P0106", "VATEX-EU-IC", "K"),
    ("PEPPOL-EN16931-P0107", "VATEX-EU-AE", "AE"),
    ("PEPPOL-EN16931-P0108", "VATEX-EU-D", "E"),
    ("PEPPOL-EN16931-P0109", "VATEX-EU-F", "E"),
    ("PEPPOL-EN16931-P0110", "VATEX-EU-I", "E"),
    ("PEPPOL-EN16931-P0111", "VATEX-EU-J", "E"),
)
"""Exemption reason codes (BT-121) that fix the VAT category (BT-118)."""

_SLACK: Final = Decimal("0.02")
_CENT: Final = Decimal("0.01")


def _both_german(ctx: _Context) -> bool:
    return ctx.seller_country == "DE" and ctx.buyer_country == "DE"


def _peppol_process(ctx: _Context) -> bool:
    return ctx.profile_id in _PEPPOL_PROCESSES


def _peppol(rule_id: str) -> Callable[[_Check], _Check]:
    return _rule(f"PEPPOL-EN16931-{rule_id}", PEPPOL_ONLY)


@_peppol("R001")
def _business_process(ctx: _Context) -> Iterator[_Finding]:
    if not ctx.profile_id:
        yield "profile_id", "Business process type (BT-23) is missing"


@_peppol("R007")
def _approved_process(ctx: _Context) -> Iterator[_Finding]:
    if not _peppol_process(ctx):
        yield "profile_id", f"business process {ctx.profile_id!r} (BT-23) is not a Peppol one"


@_peppol("R002")
def _one_note(ctx: _Context) -> Iterator[_Finding]:
    notes = _count(_given(n.text) or _given(n.subject_code) for n in ctx.doc.notes)
    if notes > 1 and not _both_german(ctx):
        yield "notes", "only one invoice note (BG-1), unless seller and buyer are German"


@_peppol("R003")
def _buyer_or_order_reference(ctx: _Context) -> Iterator[_Finding]:
    if _blank(ctx.doc.buyer_reference) and not _has_order_reference(ctx.doc):
        yield "buyer_reference", "a buyer reference (BT-10) or order reference (BT-13) is required"


@_peppol("R004")
def _peppol_specification(ctx: _Context) -> Iterator[_Finding]:
    value = ctx.customization_id
    if not value.startswith(PEPPOL_CUSTOMIZATION_ID) or "::" in value:
        yield "customization_id", f"the specification id must begin with {PEPPOL_CUSTOMIZATION_ID}"


@_peppol("R005")
def _tax_currency_differs(ctx: _Context) -> Iterator[_Finding]:
    if _given(ctx.doc.tax_currency) and _code(ctx.doc.tax_currency) == _code(ctx.doc.currency):
        yield "tax_currency", "the VAT accounting currency (BT-6) must differ from BT-5"


@_peppol("R010")
def _buyer_endpoint(ctx: _Context) -> Iterator[_Finding]:
    if not _written_id(ctx.doc.buyer.endpoint):
        yield "buyer.endpoint", "Buyer electronic address (BT-49) is missing"


@_peppol("R020")
def _seller_endpoint(ctx: _Context) -> Iterator[_Finding]:
    if not _written_id(ctx.doc.seller.endpoint):
        yield "seller.endpoint", "Seller electronic address (BT-34) is missing"


@_peppol("R040")
def _amount_from_percentage(ctx: _Context) -> Iterator[_Finding]:
    for level in _LEVELS:
        for path, ac in _charges(ctx.doc, level):
            if ac.base_amount is not None and ac.percentage is not None:
                expected = ac.base_amount * ac.percentage / 100
                if abs(ac.amount - expected) > _SLACK:
                    yield (
                        f"{path}.amount",
                        f"amount must be base amount x percentage / 100 = {expected}",
                    )


def _goes_with(rule_id: str, given: str, needed: str) -> None:
    """R041/R042: an allowance or charge percentage and base amount come together."""
    for level in _LEVELS:
        _each(
            rule_id,
            _per_charge(needed, level, None, whole=True),
            lambda ac: getattr(ac, given) is not None and getattr(ac, needed) is None,
            f"an allowance or charge with a {given} needs its {needed}",
            PEPPOL_ONLY,
        )


_goes_with("PEPPOL-EN16931-R041", "percentage", "base_amount")
_goes_with("PEPPOL-EN16931-R042", "base_amount", "percentage")


@_peppol("R046")
def _net_is_gross_minus_discount(ctx: _Context) -> Iterator[_Finding]:
    for i, line in enumerate(ctx.doc.lines):
        price = line.price
        if price.gross is not None and price.net != price.gross - (price.discount or 0):
            yield f"lines[{i}].price.net", "net price (BT-146) must be gross (BT-148) - discount"


@_peppol("R053")
def _one_tax_total_with_breakdown(ctx: _Context) -> Iterator[_Finding]:
    if not ctx.doc.vat_breakdown:
        yield "vat_breakdown", "exactly one tax total with a VAT breakdown (BG-23) is required"


@_peppol("R054")
def _tax_total_in_tax_currency(ctx: _Context) -> Iterator[_Finding]:
    totals = ctx.doc.totals
    without_breakdown = _count([
        totals.vat is not None and not ctx.doc.vat_breakdown,
        totals.vat_in_tax_currency is not None,
    ])  # fmt: skip
    if without_breakdown != (1 if _given(ctx.doc.tax_currency) else 0):
        yield "totals.vat_in_tax_currency", "BT-111 goes with, and only with, a tax currency (BT-6)"


@_peppol("R055")
def _tax_totals_same_sign(ctx: _Context) -> Iterator[_Finding]:
    vat, converted = ctx.doc.totals.vat, ctx.doc.totals.vat_in_tax_currency
    opposite = vat is not None and converted is not None and vat * converted < 0
    if _given(ctx.doc.tax_currency) and opposite:
        yield "totals.vat_in_tax_currency", "BT-110 and BT-111 must have the same sign"


@_peppol("R061")
def _direct_debit_mandate(ctx: _Context) -> Iterator[_Finding]:
    for i, means in enumerate(ctx.doc.payment_means):
        debit = means.direct_debit
        if _code(means.code) in {"49", "59"} and (debit is None or _blank(debit.mandate)):
            yield (
                f"payment_means[{i}].direct_debit.mandate",
                "a direct debit needs its mandate (BT-89)",
            )


@_peppol("R110")
def _line_period_starts_within(ctx: _Context) -> Iterator[_Finding]:
    start = ctx.doc.invoice_period.start if ctx.doc.invoice_period else None
    for i, line in enumerate(ctx.doc.lines):
        line_start = line.period.start if line.period else None
        if start and line_start and line_start < start:
            yield f"lines[{i}].period.start", "the line period starts before the invoicing period"


@_peppol("R111")
def _line_period_ends_within(ctx: _Context) -> Iterator[_Finding]:
    end = ctx.doc.invoice_period.end if ctx.doc.invoice_period else None
    for i, line in enumerate(ctx.doc.lines):
        line_end = line.period.end if line.period else None
        if end and line_end and line_end > end:
            yield f"lines[{i}].period.end", "the line period ends after the invoicing period"


def _line_sum(line: Line, is_charge: bool) -> Decimal:
    """The line's allowances or charges, rounded to cents as R120 rounds them."""
    amounts = [ac.amount for ac in line.allowances_charges if ac.is_charge is is_charge]
    return sum(amounts, Decimal(0)).quantize(_CENT, ROUND_HALF_UP)


@_peppol("R120")
def _line_net_amount(ctx: _Context) -> Iterator[_Finding]:
    for i, line in enumerate(ctx.doc.lines):
        base = line.price.base_quantity
        expected = line.quantity * (line.price.net / base if base else line.price.net)
        if line.allowances_charges:
            expected += _line_sum(line, True) - _line_sum(line, False)
        if abs(line.net_amount - expected) > _SLACK:
            yield (
                f"lines[{i}].net_amount",
                f"must be quantity x net price / base quantity + charges - allowances = {expected}",
            )


@_peppol("R121")
def _base_quantity_positive(ctx: _Context) -> Iterator[_Finding]:
    for i, line in enumerate(ctx.doc.lines):
        base = line.price.base_quantity
        if base is not None and base <= 0:
            yield f"lines[{i}].price.base_quantity", "the price base quantity must be above zero"


@_peppol("R130")
def _base_quantity_unit(ctx: _Context) -> Iterator[_Finding]:
    for i, line in enumerate(ctx.doc.lines):
        price = line.price
        if (
            price.base_quantity is not None
            and _given(price.base_unit)
            and price.base_unit != line.unit
        ):
            yield (
                f"lines[{i}].price.base_unit",
                "the base quantity unit must be the line's (BT-130)",
            )


@_peppol("P0100")
def _peppol_invoice_type(ctx: _Context) -> Iterator[_Finding]:
    code = _code(ctx.doc.type_code)
    if not ctx.doc.is_credit_note and _peppol_process(ctx) and code not in _PEPPOL_INVOICE_TYPES:
        yield "type_code", f"invoice type code {code!r} is not one of the Peppol billing process"


@_peppol("P0101")
def _peppol_credit_note_type(ctx: _Context) -> Iterator[_Finding]:
    code = _code(ctx.doc.type_code)
    if ctx.doc.is_credit_note and _peppol_process(ctx) and code not in _PEPPOL_CREDIT_NOTE_TYPES:
        yield "type_code", f"credit note type code {code!r} is not one of the Peppol process"


@_peppol("P0112")
def _german_type_codes(ctx: _Context) -> Iterator[_Finding]:
    code = _code(ctx.doc.type_code)
    if not ctx.doc.is_credit_note and code in {"326", "384"} and not _both_german(ctx):
        yield "type_code", f"invoice type code {code} is only for German seller and buyer"


def _exemption_category(rule_id: str, exemption_code: str, category: str) -> None:
    _each(
        rule_id,
        _per("vat_breakdown", field="category"),
        lambda b: (
            _code(b.exemption_code).upper() == exemption_code and _code(b.category) != category
        ),
        f"exemption reason code {exemption_code} (BT-121) requires VAT category {category}",
        PEPPOL_ONLY,
    )


for _rule_id, _exemption, _category_code in _EXEMPTION_CATEGORIES:
    _exemption_category(_rule_id, _exemption, _category_code)


# --- Peppol identifier formats (PEPPOL-COMMON-*) ----------------------------------------------


def _digits(value: str) -> list[int]:
    return [ord(c) - 48 for c in value]


def _numeric(value: str, length: int | None = None) -> bool:
    return value.isascii() and value.isdigit() and (length is None or len(value) == length)


def _gln(value: str) -> bool:
    """GS1 check digit, over any number of digits as Peppol's ``u:gln``."""
    if not _numeric(value):
        return False
    weighted = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(_digits(value[-2::-1])))
    return (10 - weighted % 10) % 10 == int(value[-1])


def _norwegian(value: str) -> bool:
    """Nine digits with a modulus 11 check digit (``u:mod11``)."""
    if not _numeric(value, 9):
        return False
    weighted = sum(d * (i % 6 + 2) for i, d in enumerate(_digits(value[-2::-1])))
    return int(value) > 0 and (11 - weighted % 11) % 11 == int(value[-1])


def _belgian(value: str) -> bool:
    """Ten digits, the last two 97 - (first eight mod 97) (``u:mod97-0208``)."""
    return _numeric(value, 10) and int(value[8:]) == 97 - int(value[:8]) % 97


def _swedish(value: str) -> bool:
    """Ten digits, the last the Luhn check digit of the first nine (``u:checkSEOrgnr``)."""
    if not _numeric(value, 10):
        return False
    total = 0
    for position, digit in enumerate(_digits(value[8::-1]), start=1):
        doubled = digit * 2 if position % 2 == 1 else digit
        total += doubled % 10 + doubled // 10
    return (10 - total % 10) % 10 == int(value[9])


def _australian(value: str) -> bool:
    """Eleven digits whose weighted sum, first digit less one, divides by 89 (``u:abn``)."""
    if not _numeric(value, 11):
        return False
    weights = (10, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19)
    return (sum(d * w for d, w in zip(_digits(value), weights, strict=True)) - 10) % 89 == 0


def _dk_prefixed(value: str) -> bool:
    return value.startswith("DK") and _numeric(value[2:], 8)


_SCHEME_FORMATS: Final[tuple[tuple[str, str, str, Callable[[str], bool], bool], ...]] = (
    ("PEPPOL-COMMON-R040", "0088", "GLN", _gln, True),
    ("PEPPOL-COMMON-R041", "0192", "Norwegian organisation number", _norwegian, True),
    ("PEPPOL-COMMON-R042", "0184", "Danish CVR number",
     lambda v: _dk_prefixed(v) or _numeric(v, 8), False),
    ("PEPPOL-COMMON-R043", "0208", "Belgian enterprise number", _belgian, True),
    ("PEPPOL-COMMON-R049", "0007", "Swedish organisation number", _swedish, True),
    ("PEPPOL-COMMON-R050", "0151", "Australian Business Number", _australian, True),
    ("PEPPOL-COMMON-R052", "0096", "Danish P number", lambda v: _numeric(v, 10), False),
    ("PEPPOL-COMMON-R053", "0198", "Danish SE number", _dk_prefixed, False),
)  # fmt: skip
"""(rule, ICD/EAS scheme, what, format check, whether the rule trims the value first)."""


def _scheme_identifiers(doc: Invoice) -> Iterator[tuple[str, Identifier]]:
    """Every written EndpointID, PartyIdentification/ID and PartyLegalEntity/CompanyID."""
    yield from _endpoints(doc)
    yield from _party_identifiers(doc, False)
    yield from _party_identifiers(doc, True)
    yield from _legal_registrations(doc)


def _scheme_format(
    rule_id: str, scheme: str, what: str, valid: Callable[[str], bool], trim: bool
) -> None:
    def identifiers(doc: Invoice) -> Iterator[tuple[str, Identifier]]:
        return ((f"{p}.value", x) for p, x in _scheme_identifiers(doc) if x.scheme == scheme)

    def check(ctx: _Context) -> Iterator[_Finding]:
        if scheme in ctx.id_schemes:
            for path, identifier in identifiers(ctx.doc):
                value = identifier.value
                if not valid(" ".join(value.split()) if trim else value):
                    yield path, f"{value!r} is not a valid {what} (scheme {scheme})"

    _register(rule_id, check, PEPPOL_ONLY, needs=f"scheme:{scheme}")


for _rule_id, _id_scheme, _what, _valid, _trim in _SCHEME_FORMATS:
    _scheme_format(_rule_id, _id_scheme, _what, _valid, _trim)


# --- Dutch rules: Peppol NL-R-nnn and SI-UBL BR-NL-n ------------------------------------------

_DUTCH_REGISTRATIONS: Final = frozenset({"0106", "0190"})
"""KVK number (0106) and OIN (0190)."""
_DUTCH_PAYMENT_MEANS: Final = frozenset({"30", "48", "49", "57", "58", "59"})
_SI_UBL_MARKS: Final = (
    "#compliant#urn:fdc:nen.nl:nlcius:v1.0",
    "#conformant#urn:fdc:nen.nl:gaccount:v1.0",
)
"""A CustomizationID with one of these is SI-UBL 2.0: only then do the BR-NL rules apply."""

_Applies = Callable[[_Context], bool]


def _address_gaps(
    field: str, get: Callable[[Invoice], Address | None], raw: bool = False
) -> _Check:
    """Street (BT-35), city (BT-37) and post code (BT-38) of a Dutch address.

    ``raw``: only when the address itself is Dutch, its country compared untrimmed (SI-UBL).
    """

    def check(ctx: _Context) -> Iterator[_Finding]:
        address = get(ctx.doc)
        if address is None or (raw and address.country != "NL"):
            return
        for part, term in (("line1", "street"), ("city", "city"), ("postal_code", "post code")):
            if _blank(getattr(address, part)):
                yield f"{field}.{part}", f"a Dutch address needs its {term}"

    return check


def _dutch_registration(identifier: Identifier | None) -> bool:
    return _written_id(identifier) and identifier.scheme in _DUTCH_REGISTRATIONS


def _registration_scheme(field: str, get: Callable[[Invoice], Identifier | None]) -> _Check:
    """NL-R-003/005: a written legal registration must be a KVK or OIN number."""

    def check(ctx: _Context) -> Iterator[_Finding]:
        identifier = get(ctx.doc)
        if _written_id(identifier) and not _dutch_registration(identifier):
            yield f"{field}.scheme", "a Dutch legal registration must be KVK (0106) or OIN (0190)"

    return check


def _credit_note_reference(ctx: _Context) -> Iterator[_Finding]:
    if ctx.doc.is_credit_note and not _references_invoice(ctx.doc):
        yield "preceding_invoices", "a Dutch credit note must reference the invoice (BT-25)"


def _payment_instructions(ctx: _Context) -> Iterator[_Finding]:
    """Payment instructions when the customer pays the supplier (NL-R-007, BR-NL-11)."""
    payable = ctx.doc.totals.payable
    customer_pays = payable < 0 if ctx.doc.is_credit_note else payable > 0
    if customer_pays and not ctx.doc.payment_means:
        yield "payment_means", "a Dutch supplier must give payment instructions (BG-16)"


def _invoice_payment_instructions(ctx: _Context) -> Iterable[_Finding]:
    return () if ctx.doc.is_credit_note else _payment_instructions(ctx)


def _dutch_payment_means(ctx: _Context) -> Iterator[_Finding]:
    for i, means in enumerate(ctx.doc.payment_means):
        if _code(means.code) not in _DUTCH_PAYMENT_MEANS:
            yield f"payment_means[{i}].code", "payment means must be 30, 48, 49, 57, 58 or 59"


def _order_for_order_lines(ctx: _Context) -> Iterator[_Finding]:
    if not _has_order_reference(ctx.doc):
        for i, line in enumerate(ctx.doc.lines):
            if _given(line.order_line_ref):
                yield f"lines[{i}].order_line_ref", "an order line (BT-132) needs the order (BT-13)"


def _supplier_registration(ctx: _Context) -> Iterator[_Finding]:
    if not _dutch_registration(ctx.doc.seller.legal_registration):
        yield "seller.legal_registration", "a Dutch supplier needs its KVK or OIN number (BT-30)"


def _customer_registration(ctx: _Context) -> Iterator[_Finding]:
    buyer = ctx.doc.buyer
    if buyer.address.country == "NL" and not _dutch_registration(buyer.legal_registration):
        yield "buyer.legal_registration", "a Dutch customer needs its KVK or OIN number (BT-47)"


def _buyer_or_order(ctx: _Context) -> Iterator[_Finding]:
    if _blank(ctx.doc.buyer_reference) and not _has_order_reference(ctx.doc):
        yield "buyer_reference", "a buyer reference (BT-10) or order reference (BT-13) is required"


def _si_type_code(ctx: _Context) -> Iterator[_Finding]:
    if ctx.doc.type_code not in {"380", "381", "384", "389"}:
        yield "type_code", f"type code {ctx.doc.type_code!r} must be 380, 381, 384 or 389"


def _si_credit_note_scheme(ctx: _Context) -> Iterator[_Finding]:
    if (ctx.doc.type_code == "381") != ctx.doc.is_credit_note:
        yield "kind", "type code 381 is written as a UBL CreditNote, a CreditNote has type 381"


def _corrective_reference(ctx: _Context) -> Iterator[_Finding]:
    if ctx.doc.type_code == "384" and not _references_invoice(ctx.doc):
        yield "preceding_invoices", "a corrective invoice (384) must reference the invoice (BT-25)"


def _seller_nl(ctx: _Context) -> bool:
    return ctx.seller_country == "NL"


def _both_nl(ctx: _Context) -> bool:
    return ctx.seller_country == "NL" and ctx.buyer_country == "NL"


def _representative_nl(ctx: _Context) -> bool:
    return _seller_nl(ctx) and _country(_representative_address(ctx.doc)) == "NL"


def _si_ubl(ctx: _Context) -> bool:
    return any(mark in ctx.customization_id for mark in _SI_UBL_MARKS)


def _si_ubl_nl(ctx: _Context) -> bool:
    return _si_ubl(ctx) and _seller_nl(ctx)


def _seller(doc: Invoice) -> Address:
    return doc.seller.address


def _buyer(doc: Invoice) -> Address:
    return doc.buyer.address


# fmt: off
_DUTCH_RULES: Final[tuple[tuple[str, frozenset[str], _Applies, _Check], ...]] = (
    ("NL-R-001", PEPPOL_ONLY, _seller_nl, _credit_note_reference),
    ("NL-R-002", PEPPOL_ONLY, _seller_nl, _address_gaps("seller.address", _seller)),
    ("NL-R-003", PEPPOL_ONLY, _seller_nl,
     _registration_scheme("seller.legal_registration", lambda d: d.seller.legal_registration)),
    ("NL-R-004", PEPPOL_ONLY, _both_nl, _address_gaps("buyer.address", _buyer)),
    ("NL-R-005", PEPPOL_ONLY, _both_nl,
     _registration_scheme("buyer.legal_registration", lambda d: d.buyer.legal_registration)),
    ("NL-R-006", PEPPOL_ONLY, _representative_nl,
     _address_gaps("tax_representative.address", _representative_address)),
    ("NL-R-007", PEPPOL_ONLY, _seller_nl, _payment_instructions),
    ("NL-R-008", PEPPOL_ONLY, _both_nl, _dutch_payment_means),
    ("NL-R-009", PEPPOL_ONLY, _seller_nl, _order_for_order_lines),
    ("BR-NL-1", NLCIUS_ONLY, _si_ubl_nl, _supplier_registration),
    ("BR-NL-2", NLCIUS_ONLY, _si_ubl_nl, _buyer_or_order),
    ("BR-NL-3", NLCIUS_ONLY, _si_ubl_nl, _address_gaps("seller.address", _seller)),
    ("BR-NL-4", NLCIUS_ONLY, _si_ubl_nl, _address_gaps("buyer.address", _buyer, raw=True)),
    ("BR-NL-5", NLCIUS_ONLY, _si_ubl_nl,
     _address_gaps("tax_representative.address", _representative_address, raw=True)),
    ("BR-NL-7", NLCIUS_ONLY, _si_ubl_nl, _si_type_code),
    ("BR-NL-8", NLCIUS_ONLY, _si_ubl_nl, _si_credit_note_scheme),
    ("BR-NL-9", NLCIUS_ONLY, _si_ubl_nl, _corrective_reference),
    ("BR-NL-10", NLCIUS_ONLY, _si_ubl_nl, _customer_registration),
    ("BR-NL-11", NLCIUS_ONLY, _si_ubl_nl, _invoice_payment_instructions),
    ("BR-NL-12", NLCIUS_ONLY, _si_ubl_nl, _dutch_payment_means),
)
# fmt: on
"""The Dutch rules of a Dutch seller: (rule, profiles, when it applies, check). Peppol keys on
the seller's country; SI-UBL also on its CustomizationID."""


def _dutch(
    rule_id: str,
    profiles: frozenset[str],
    applies: _Applies,
    check: _Check,
    needs: str | None = "seller:NL",
) -> None:
    def guarded(ctx: _Context) -> Iterable[_Finding]:
        return check(ctx) if applies(ctx) else ()

    _register(rule_id, guarded, profiles, needs)


for _rule_id, _profiles, _applies, _dutch_check in _DUTCH_RULES:
    _dutch(_rule_id, _profiles, _applies, _dutch_check)
_dutch("BR-NL-13", NLCIUS_ONLY, _si_ubl, _order_for_order_lines, needs=None)  # any supplier
