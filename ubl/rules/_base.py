"""The machinery of the rule families: :class:`Rule`, the :class:`Context` a check sees,
the per-family :class:`Registry`, and the selectors (:func:`at`, :func:`per`,
:func:`per_charge`, :func:`pairs`) that :meth:`Registry.each` takes.

A check gets a :class:`Context` and yields ``(field, message)`` for each place the model
breaks its rule. Most rules are one :meth:`Registry.each`: a selector (where a field occurs, by
dotted path), a predicate and a message. A rule about an optional part of the document
(allowances, a VAT category, a Dutch seller) names it as ``needs`` and is skipped without it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from operator import attrgetter
from typing import Any, Final, NamedTuple, TypeVarTuple

from model.document import Invoice
from ubl.errors import Violation
from ubl.rules._model import (
    Level,
    Taxed,
    TaxedKind,
    charges,
    code,
    country,
    scheme_identifiers,
    taxed,
)

__all__ = [
    "NOTHING",
    "Check",
    "Context",
    "Finding",
    "Registry",
    "Rule",
    "RuleSet",
    "Selection",
    "Values",
    "at",
    "pairs",
    "per",
    "per_charge",
    "register_rows",
    "selection",
    "violations",
]


class RuleSet(Enum):
    """Where a rule comes from; :mod:`ubl.profiles` gives each profile its rule sets."""

    EN16931 = "CEN EN 16931 1.3.16 (BR, BR-CO, BR-CL, BR-DEC, UBL-SR, UBL-CR, UBL-DT)"
    PEPPOL = "Peppol BIS Billing 3.0.21 (PEPPOL-EN16931, PEPPOL-COMMON, NL-R)"
    SI_UBL = "SI-UBL 2.0.3.13 (BR-NL)"
    BINDING = "not an official rule: what the UBL binding of ubl.writer cannot carry"


Finding = tuple[str, str]
"""One place a rule is broken: the model field path and the message."""

OPTIONAL_GROUPS: Final = frozenset(
    {"tax_representative", "payee", "delivery", "invoice_period", "additional_documents",
     "payment_means", "preceding_invoices", "allowances_charges"}
)  # fmt: skip
"""Parts of a document that may be absent: rules on them carry them as ``needs``."""


@dataclass(frozen=True, slots=True)
class Context:
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
    taxed: dict[TaxedKind, tuple[Taxed, ...]]
    used: frozenset[str]
    breakdowns: dict[str, int]
    id_schemes: frozenset[str | None]
    present: frozenset[str]

    @classmethod
    def of(cls, document: Invoice, customization_id: str | None, profile_id: str | None) -> Context:
        """The context of ``document`` written with these BT-24 and BT-23."""
        by_kind = taxed(document)
        used = frozenset(t.category for items in by_kind.values() for t in items)
        breakdowns: dict[str, int] = {}
        for breakdown in document.vat_breakdown:
            category = code(breakdown.category)
            breakdowns[category] = breakdowns.get(category, 0) + 1
        id_schemes = frozenset(x.scheme for _, x in scheme_identifiers(document))
        seller_country = country(document.seller.address)
        present = {group for group in OPTIONAL_GROUPS if getattr(document, group)}
        if any(line.allowances_charges for line in document.lines):
            present.add("line_charges")
        present.update(f"used:{category}" for category in used)
        present.update(f"breakdown:{category}" for category in breakdowns)
        present.update(f"scheme:{scheme}" for scheme in id_schemes)
        present.add(f"seller:{seller_country}")
        return cls(
            doc=document,
            customization_id=code(customization_id),
            profile_id=code(profile_id),
            seller_country=seller_country,
            buyer_country=country(document.buyer.address),
            taxed=by_kind,
            used=used,
            breakdowns=breakdowns,
            id_schemes=id_schemes,
            present=frozenset(present),
        )


Check = Callable[[Context], Iterable[Finding]]


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: its id, the rule set it belongs to, its model-level check, and the part of a
    document it is about (``needs``): a document without that part is not checked.
    """

    id: str
    rule_set: RuleSet
    check: Check
    needs: str | None = None


def violations(rules: Iterable[Rule], context: Context) -> list[Violation]:
    """Every rule of ``rules`` the document of ``context`` breaks, in the order given."""
    present = context.present
    return [
        Violation(rule.id, field, message)
        for rule in rules
        if rule.needs is None or rule.needs in present
        for field, message in rule.check(context)
    ]


# --- selectors --------------------------------------------------------------------------------

Selection = tuple[Sequence[Any], Callable[[int], str]]
"""Selected values, and a function giving the field path of the i-th value (called only for a
value that breaks the rule)."""


class Values(NamedTuple):
    """A selector: the values of one model field wherever the model has it (``select``), and
    the optional part of a document the field belongs to (``needs``, see :class:`Rule`)."""

    select: Callable[[Invoice], Selection]
    needs: str | None = None


NOTHING: Final[Selection] = ((), str)


def selection(found: Sequence[tuple[str, Any]]) -> Selection:
    """The selection of ``(field path, value)`` pairs."""
    return [value for _, value in found], lambda i: found[i][0]


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


def _needs(path: str) -> str | None:
    group = path.partition(".")[0].partition("[")[0]
    return group if group in OPTIONAL_GROUPS else None


def pairs(
    select: Callable[[Invoice], Iterable[tuple[str, Any]]], needs: str | None = None
) -> Values:
    """A selector from a function that yields (field path, value) pairs."""

    def values(doc: Invoice) -> Selection:
        return selection(list(select(doc)))

    return Values(values, needs)


def at(path: str, field: str | None = None) -> Values:
    """The value at ``path`` of the document (reported at ``field``, default ``path``),
    unless a group on the way is absent."""
    follow, report = _follow(path), field or path

    def where(_: int) -> str:
        return report

    def values(doc: Invoice) -> Selection:
        found, value = follow(doc)
        return ((value,), where) if found else NOTHING

    return Values(values, _needs(path))


def per(items: str, path: str = "", field: str | None = None) -> Values:
    """``path`` in each element of the document's tuple ``items`` (``lines``, ...), reported
    at ``field`` (default ``path``). An empty ``path`` selects the element itself."""
    get, follow, report = attrgetter(path) if path else None, _follow(path), field or path

    def where(i: int) -> str:
        return f"{items}[{i}].{report}"

    def values(doc: Invoice) -> Selection:
        elements: tuple[Any, ...] = getattr(doc, items)
        if get is None:
            return elements, where
        try:
            return list(map(get, elements)), where
        except AttributeError:  # an optional group on the way is absent in some element
            found = [(where(i), follow(element)) for i, element in enumerate(elements)]
            return selection([(place, value) for place, (there, value) in found if there])

    return Values(values, _needs(items))


def per_charge(field: str, level: Level, charge: bool | None, whole: bool = False) -> Values:
    """``field`` of the allowances (``charge`` False), charges (True) or both (None).

    ``whole``: select the allowance or charge itself, reported at ``field``.
    """

    def values(doc: Invoice) -> Selection:
        if level == "line" and not any(line.allowances_charges for line in doc.lines):
            return NOTHING
        chosen = [
            (path, ac)
            for path, ac in charges(doc, level)
            if charge is None or ac.is_charge is charge
        ]
        selected = [ac if whole else getattr(ac, field) for _, ac in chosen]
        return selected, lambda i: f"{chosen[i][0]}.{field}"

    return Values(values, "allowances_charges" if level == "document" else "line_charges")


# --- the registry of one family ---------------------------------------------------------------


class Registry:
    """The rules of one family in the order they are added; ``rule_set`` is the set they
    belong to unless a rule names another."""

    __slots__ = ("rule_set", "rules")

    def __init__(self, rule_set: RuleSet) -> None:
        self.rule_set = rule_set
        self.rules: list[Rule] = []

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def add(
        self,
        rule_id: str,
        check: Check,
        rule_set: RuleSet | None = None,
        needs: str | None = None,
    ) -> None:
        self.rules.append(Rule(rule_id, rule_set or self.rule_set, check, needs))

    def rule(
        self, rule_id: str, rule_set: RuleSet | None = None, needs: str | None = None
    ) -> Callable[[Check], Check]:
        """Decorator: add the function as the check of ``rule_id``."""

        def add(check: Check) -> Check:
            self.add(rule_id, check, rule_set, needs)
            return check

        return add

    def each(
        self,
        rule_id: str,
        values: Values,
        bad: Callable[[Any], bool],
        message: str | Callable[[Any], str],
        rule_set: RuleSet | None = None,
    ) -> None:
        """Add ``rule_id``: each selected value for which ``bad`` holds breaks it."""

        def check(ctx: Context) -> Iterable[Finding]:
            selected, where = values.select(ctx.doc)
            if not any(map(bad, selected)):
                return ()
            return [
                (where(i), message(value) if callable(message) else message)
                for i, value in enumerate(selected)
                if bad(value)
            ]

        self.add(rule_id, check, rule_set, values.needs)


_Row = TypeVarTuple("_Row")


def register_rows(register: Callable[[*_Row], None], rows: Iterable[tuple[*_Row]]) -> None:
    """Register the rules of a table: call ``register`` with each row."""
    for row in rows:
        register(*row)
