"""The machinery of the rule families: :class:`Rule`, the :class:`Context` a check sees,
the per-family :class:`Registry`, and the selectors (:func:`at`, :func:`per`,
:func:`per_charge`, :func:`pairs`) that :meth:`Registry.each` takes.

A check gets a :class:`Context` and yields a :data:`Breach`, ``(field, message)``, for each
place the model breaks its rule; :func:`check_rules` turns them into
:class:`model.findings.Finding` (layer ``profile``), so a plain pair is all a check builds. Most rules are one :meth:`Registry.each`: a selector (where a field occurs, by
dotted path), a predicate and a message. A rule about an optional part of the document
(allowances, a VAT category, a line period, a Dutch seller) names it as ``needs`` and is
skipped without it: :meth:`Context.of` lists the parts a document has, and :func:`applicable`
picks the rules for them.

Most documents break no rule, so that is the case made quick: :meth:`Registry.each` reads the
one value of :func:`at` without a selection, and tests a whole selection at once where a rule
gives a ``clean`` test (all given, all in the code list, all with two decimals); only when that
fails does its predicate look at each value.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum
from operator import attrgetter
from typing import Any, Final, NamedTuple, TypeVar, TypeVarTuple, cast

from model.document import Invoice
from model.findings import Finding
from ubl.rules._model import (
    Level,
    Taxed,
    TaxedKind,
    charges,
    code,
    country,
    identifier_schemes,
    line_parts,
    taxed,
)

__all__ = [
    "CHARGES",
    "COUNTED",
    "NOTHING",
    "Breach",
    "Check",
    "Context",
    "Registry",
    "Rule",
    "RuleSet",
    "Selection",
    "Values",
    "all_given",
    "applicable",
    "at",
    "check_rules",
    "pairs",
    "per",
    "per_charge",
    "register_rows",
    "selection",
]


class RuleSet(Enum):
    """Where a rule comes from; :mod:`ubl.profiles` gives each profile its rule sets."""

    EN16931 = "CEN EN 16931 1.3.16 (BR, BR-CO, BR-CL, BR-DEC, UBL-SR, UBL-CR, UBL-DT)"
    PEPPOL = "Peppol BIS Billing 3.0.21 (PEPPOL-EN16931, PEPPOL-COMMON, NL-R)"
    SI_UBL = "SI-UBL 2.0.3.13 (BR-NL)"
    BINDING = "not an official rule: what the UBL binding of ubl.writer cannot carry"


Breach = tuple[str, str]
"""One place a rule is broken: the model field path and the message. It stays inside
:mod:`ubl.rules`: :func:`check_rules` makes it a :class:`~model.findings.Finding`."""

OPTIONAL_GROUPS: Final = frozenset(
    {"tax_representative", "payee", "delivery", "invoice_period", "additional_documents",
     "payment_means", "preceding_invoices", "allowances_charges"}
)  # fmt: skip
"""Parts of a document that may be absent: rules on them carry them as ``needs``."""

OPTIONAL_LINE_PARTS: Final = frozenset(
    {"lines.period", "lines.object_id", "lines.item.standard_id", "lines.item.origin_country",
     "lines.item.classifications", "lines.price.gross", "lines.price.base_quantity"}
)  # fmt: skip
"""Parts of a line that may be absent (None, or no classifications): a rule about one of them
needs it, and it is present when some line has it (:func:`~ubl.rules._model.line_parts`)."""

COUNTED: Final = {path: attrgetter(path) for path in ("payment_means", "buyer.identifiers")}
"""Tuples a rule allows one of something in: ``several:<path>`` is present when the document
has two or more elements in it."""

CHARGES: Final[dict[Level, str]] = {"document": "allowances_charges", "line": "line_charges"}
"""What a rule about the allowances and charges of a level needs."""

_T = TypeVar("_T")
_line_charges: Final = attrgetter("allowances_charges")


def _parts(document: Invoice) -> set[str]:
    """The optional groups and line parts ``document`` has, ``line_charges`` and
    ``several:<path>``: the parts of :attr:`Context.present` that are not codes."""
    lines = document.lines
    present = {group for group in OPTIONAL_GROUPS if getattr(document, group)}
    present.update(line_parts(lines))
    if any(map(_line_charges, lines)):
        present.add("line_charges")
    present.update(f"several:{path}" for path, get in COUNTED.items() if len(get(document)) > 1)
    return present


def _taxed_categories(document: Invoice) -> dict[TaxedKind, set[str]]:
    """The VAT categories (as compared) of the lines, document allowances and charges."""
    found: dict[TaxedKind, set[str]] = {
        "line": set(map(code, {line.item.vat_category for line in document.lines})),
        "allowance": set(),
        "charge": set(),
    }
    for ac in document.allowances_charges:
        found["charge" if ac.is_charge else "allowance"].add(code(ac.vat_category))
    return found


def _named(kind: str, values: Iterable[object]) -> Iterator[str]:
    """``kind:value`` for each value: the parts of :attr:`Context.present` (``line:S``)."""
    return map(f"{kind}:{{}}".format, values)


@dataclass(slots=True)
class Context:
    """What a check sees: the document, the ids it will carry, and facts several rules use:
    the parties' countries, the VAT categories used by lines and allowances/charges, the
    breakdown's categories, the schemes of the written party identifiers, and the parts
    ``present`` in the document (what :attr:`Rule.needs` names: optional groups,
    ``line_charges``, optional line parts such as ``lines.period``, the VAT categories of
    lines, document allowances and charges (``line:S``, ``allowance:S``, ``charge:S``) and of
    the breakdown (``breakdown:S``), ``category:S`` (any of these), ``exemption:VATEX-EU-O`` (a
    breakdown's exemption reason code, upper-cased), ``scheme:0088``, ``seller:NL``,
    ``several:payment_means`` (:data:`COUNTED`)).

    Facts only some rules need (:attr:`taxed`) are derived on first use and kept for the
    other rules (:meth:`fact`). Checks only read it (it is not frozen: that makes
    :meth:`of` slower).
    """

    doc: Invoice
    customization_id: str
    profile_id: str
    seller_country: str
    buyer_country: str
    used: frozenset[str]
    breakdowns: dict[str, int]
    id_schemes: frozenset[str | None]
    present: frozenset[str]
    _memo: dict[object, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def of(cls, document: Invoice, customization_id: str | None, profile_id: str | None) -> Context:
        """The context of ``document`` written with these BT-24 and BT-23."""
        taxed_categories = _taxed_categories(document)
        used = frozenset().union(*taxed_categories.values())
        breakdowns: dict[str, int] = {}
        exemptions: set[str] = set()
        for breakdown in document.vat_breakdown:
            category = code(breakdown.category)
            breakdowns[category] = breakdowns.get(category, 0) + 1
            exemptions.add(code(breakdown.exemption_code).upper())
        id_schemes = identifier_schemes(document)
        seller_country = country(document.seller.address)
        present = _parts(document)
        for kind, categories in taxed_categories.items():
            present.update(_named(kind, categories))
        present.update(_named("breakdown", breakdowns))
        present.update(_named("category", used.union(breakdowns)))
        present.update(_named("exemption", exemptions))
        present.update(_named("scheme", id_schemes))
        present.add(f"seller:{seller_country}")
        return cls(
            doc=document,
            customization_id=code(customization_id),
            profile_id=code(profile_id),
            seller_country=seller_country,
            buyer_country=country(document.buyer.address),
            used=used,
            breakdowns=breakdowns,
            id_schemes=id_schemes,
            present=frozenset(present),
        )

    @property
    def taxed(self) -> dict[TaxedKind, tuple[Taxed, ...]]:
        """The lines, document allowances and document charges with their VAT category."""
        return self.fact(taxed)

    def fact(self, derive: Callable[[Invoice], _T]) -> _T:
        """``derive(doc)``, derived once for all the rules that ask."""
        if derive in self._memo:
            return cast(_T, self._memo[derive])
        value = self._memo[derive] = derive(self.doc)
        return value


Check = Callable[[Context], Iterable[Breach]]


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: its id, the rule set it belongs to, its model-level check, and the part of a
    document it is about (``needs``): a document without that part is not checked.
    """

    id: str
    rule_set: RuleSet
    check: Check
    needs: str | None = None


def applicable(rules: Iterable[Rule], present: Collection[str]) -> tuple[Rule, ...]:
    """The rules of ``rules`` about a document with the parts ``present`` (:attr:`Rule.needs`:
    a rule about a part the document lacks is left out), in the order given."""
    return tuple(rule for rule in rules if rule.needs is None or rule.needs in present)


def check_rules(rules: Iterable[Rule], context: Context) -> list[Finding]:
    """Every rule of ``rules`` the document of ``context`` breaks, in the order given: one
    :class:`~model.findings.Finding` (layer ``profile``, the rule id, the model field and the
    message) per place.

    Each rule is run: pass the rules that apply to the document (:func:`applicable`).
    """
    return [
        Finding(rule=rule.id, layer="profile", field=place, message=message)
        for rule in rules
        for place, message in rule.check(context)
    ]


# --- selectors --------------------------------------------------------------------------------

Selection = tuple[Sequence[Any], Callable[[int], str]]
"""Selected values, and a function giving the field path of the i-th value (called only for a
value that breaks the rule)."""


class Values(NamedTuple):
    """A selector: the values of one model field wherever the model has it (``select``), and
    the optional part of a document the field belongs to (``needs``, see :class:`Rule`).

    ``one``: for a selector of one value (:func:`at`), a quicker getter of that value, which
    raises ``AttributeError`` where ``select`` finds no value (a group on the way is absent).
    ``among``: a fact of the context that holds every value ``select`` can pick (and maybe
    more), for the ``clean`` test of :meth:`Registry.each`.
    """

    select: Callable[[Invoice], Selection]
    needs: str | None = None
    one: Callable[[Invoice], Any] | None = None
    among: Callable[[Context], Collection[Any]] | None = None


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
    get, follow, report = attrgetter(path), _follow(path), field or path

    def where(_: int) -> str:
        return report

    def values(doc: Invoice) -> Selection:
        try:
            return (get(doc),), where
        except AttributeError:  # a group on the way is absent (or a name is wrong)
            found, value = follow(doc)
            return ((value,), where) if found else NOTHING

    return Values(values, _needs(path), get)


def per(items: str, path: str = "", field: str | None = None, optional: bool = False) -> Values:
    """``path`` in each element of the document's tuple ``items`` (``lines``, ...), reported
    at ``field`` (default ``path``). An empty ``path`` selects the element itself.

    ``optional``: ``path`` is one of the :data:`OPTIONAL_LINE_PARTS`, and the rule is about it
    (holds for a line without it): it needs that part, so only documents where some line has
    it are checked.
    """
    get, follow, report = attrgetter(path) if path else None, _follow(path), field or path
    needs = f"{items}.{path}" if optional else _needs(items)
    if optional and needs not in OPTIONAL_LINE_PARTS:
        raise ValueError(f"{needs} is not an optional line part")

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

    return Values(values, needs)


def per_charge(field: str, level: Level, charge: bool | None, whole: bool = False) -> Values:
    """``field`` of the allowances (``charge`` False), charges (True) or both (None).

    ``whole``: select the allowance or charge itself, reported at ``field``.
    """

    def values(doc: Invoice) -> Selection:
        if level == "line" and not any(map(_line_charges, doc.lines)):
            return NOTHING
        chosen = [
            (path, ac)
            for path, ac in charges(doc, level)
            if charge is None or ac.is_charge is charge
        ]
        selected = [ac if whole else getattr(ac, field) for _, ac in chosen]
        return selected, lambda i: f"{chosen[i][0]}.{field}"

    return Values(values, CHARGES[level])


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
        clean: Callable[[Collection[Any]], bool] | None = None,
        needs: str | None = None,
    ) -> None:
        """Add ``rule_id``: each selected value for which ``bad`` holds breaks it. The rule
        ``needs`` what the selector names (:attr:`Values.needs`), unless it names a part.

        ``clean``, if given, tests a whole selection at once without a Python call per value
        (:func:`all_given`, a set's ``issuperset``), and holds only when no value is bad: the
        quick answer for the usual document, which breaks nothing. It is tried on the
        selector's :attr:`Values.among` first, then on the selection; where it does not hold
        (or raises ``TypeError``), ``bad`` decides.
        """
        check = _each_check(values, bad, message, clean)
        self.add(rule_id, check, rule_set, needs or values.needs)


def _each_check(
    values: Values,
    bad: Callable[[Any], bool],
    message: str | Callable[[Any], str],
    clean: Callable[[Collection[Any]], bool] | None,
) -> Check:
    """The check :meth:`Registry.each` adds: quickest on a selector of one value
    (:attr:`Values.one`), then with ``clean``, else ``bad`` on each selected value."""
    select, get, among = values.select, values.one, values.among

    def findings(selected: Sequence[Any], where: Callable[[int], str]) -> list[Breach]:
        return [
            (where(i), message(value) if callable(message) else message)
            for i, value in enumerate(selected)
            if bad(value)
        ]

    def check(ctx: Context) -> Iterable[Breach]:
        selected, where = select(ctx.doc)
        return findings(selected, where) if any(map(bad, selected)) else ()

    if get is not None:

        def one_check(ctx: Context) -> Iterable[Breach]:
            try:
                value = get(ctx.doc)
            except AttributeError:  # no value there: ``select`` tells
                return check(ctx)
            return check(ctx) if bad(value) else ()

        return one_check
    if clean is None:
        return check

    def quick_check(ctx: Context) -> Iterable[Breach]:
        try:
            if among is not None and clean(among(ctx)):
                return ()
        except TypeError:
            pass
        selected, where = select(ctx.doc)
        try:
            if clean(selected):
                return ()
        except TypeError:  # values it does not test: ``bad`` decides
            pass
        return findings(selected, where) if any(map(bad, selected)) else ()

    return quick_check


def all_given(values: Collection[Any]) -> bool:
    """No value is :func:`~ubl.rules._model.blank` (None, empty or whitespace), tested without
    a Python call per value; ``TypeError`` for a value that is not a string."""
    return all(map(str.strip, values))


_Row = TypeVarTuple("_Row")


def register_rows(register: Callable[[*_Row], None], rows: Iterable[tuple[*_Row]]) -> None:
    """Register the rules of a table: call ``register`` with each row."""
    for row in rows:
        register(*row)
