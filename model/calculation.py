"""The EN 16931 calculation rules: line net amounts, document totals (BG-22) and VAT breakdown (BG-23).

One place derives every computed amount of a document and checks a document's
own figures against the rules:

* Line net amount BT-131 = round(quantity BT-129 x net price BT-146 / price
  base quantity BT-149) + line charges BT-141 - line allowances BT-136
  (PEPPOL-EN16931-R120).
* BR-CO-10 sum of line net amounts BT-106; BR-CO-11 / BR-CO-12 sums of the
  document level allowances BT-107 and charges BT-108; BR-CO-13 total without
  VAT BT-109 = BT-106 - BT-107 + BT-108; BR-CO-14 total VAT BT-110 = sum of
  BT-117; BR-CO-15 total with VAT BT-112 = BT-109 + BT-110; BR-CO-16 amount
  due BT-115 = BT-112 - paid amount BT-113 + rounding amount BT-114.
* VAT breakdown BG-23, one group per VAT category BT-118 and rate BT-119: the
  taxable amount BT-116 is the sum of the line net amounts plus the document
  charges minus the document allowances of that category and rate (BR-S-08,
  BR-Z-08, BR-E-08, ...); the tax amount BT-117 is round(BT-116 x BT-119 / 100)
  (BR-CO-17), and 0 for the categories without VAT: Z, E, AE, K, G and O
  (BR-Z-09, BR-E-09, ...). Category O has no rate.

Amounts round once, half away from zero (``ROUND_HALF_UP``), to 2 decimals.
The checks are exact: the official Schematron tolerates some differences
(0.02 on BT-131, 1.00 on BT-116/BT-117), this module names every one.

Public API:

* :func:`line_net_amount` and :func:`derive_totals` derive amounts.
* :func:`check` lists a document's discrepancies, each a
  :class:`~model.findings.Finding` of layer ``calculation`` with the rule, the
  field and a message that states both values ("stated 1310.00, EN 16931
  BR-CO-15 requires ... = 1210.00") and a reason a person can act on (it names
  known causes such as VAT rounded per line).
* :func:`reconcile` refuses a document with discrepancies
  (:class:`TotalsMismatch`) or re-derives its amounts and returns the
  discrepancies as the explanation (:class:`Strategy`).
* :func:`with_totals` completes a document built without totals.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from model.document import AllowanceCharge, Invoice, Line, Totals, VatBreakdown
from model.findings import Finding
from model.terms import term_of

__all__ = [
    "ZERO_VAT_CATEGORIES",
    "Strategy",
    "TotalsMismatch",
    "check",
    "derive_totals",
    "line_net_amount",
    "reconcile",
    "with_totals",
]

#: VAT categories (UNCL5305) whose VAT category tax amount BT-117 is always 0.
ZERO_VAT_CATEGORIES = frozenset({"Z", "E", "AE", "K", "G", "O"})

# Infix of the per-category EN 16931 rules (BR-S-08, BR-IC-09, ...).
_RULE_INFIX = {
    "S": "S",
    "Z": "Z",
    "E": "E",
    "AE": "AE",
    "K": "IC",
    "G": "G",
    "O": "O",
    "L": "AF",
    "M": "AG",
}
_ZERO = Decimal("0.00")
_CENT = Decimal("0.01")
_HUNDRED = Decimal(100)

# A VAT breakdown group: VAT category code and rate (None for O, "not subject to VAT").
_Key = tuple[str, Decimal | None]
# Known ways a source gets a figure wrong: (the value it then states, what it did).
_Causes = tuple[tuple[Decimal | None, str], ...]


def _finding(rule: str, field: str, message: str) -> Finding:
    """A discrepancy: ``field`` is the path with its business term (``totals.vat (BT-110)``),
    ``message`` states the document's value and the rule's (or says the value is missing)."""
    return Finding(rule=rule, layer="calculation", field=field, message=message)


class TotalsMismatch(ValueError):
    """The document's figures differ from the EN 16931 calculation; ``findings`` lists each
    discrepancy (layer ``calculation``), one per line of the message."""

    findings: tuple[Finding, ...]

    def __init__(self, findings: Iterable[Finding]) -> None:
        self.findings = tuple(findings)
        count = len(self.findings)
        figures = "1 figure differs" if count == 1 else f"{count} figures differ"
        heading = f"{figures} from the EN 16931 calculation:"
        lines = (f"- [{f.rule}] {f.field}: {f.message}" for f in self.findings)
        super().__init__("\n".join([heading, *lines]))

    def __reduce__(self) -> tuple[type[TotalsMismatch], tuple[tuple[Finding, ...]]]:
        return type(self), (self.findings,)


class Strategy(enum.StrEnum):
    """What :func:`reconcile` does with a document whose figures differ from the rules."""

    REFUSE = "refuse"
    REDERIVE = "rederive"


def _round2(value: Decimal) -> Decimal:
    """Round to 2 decimals, half away from zero (EN 16931 rounding); never ``-0.00``."""
    rounded = value.quantize(_CENT, rounding=ROUND_HALF_UP)
    return rounded.copy_abs() if rounded.is_zero() else rounded


def _charges_and_allowances(items: Iterable[AllowanceCharge]) -> tuple[Decimal, Decimal]:
    charges = allowances = _ZERO
    for item in items:
        if item.is_charge:
            charges += item.amount
        else:
            allowances += item.amount
    return charges, allowances


def _price_per_unit_times_quantity(line: Line) -> Decimal:
    """Quantity BT-129 x net price BT-146 / price base quantity BT-149, unrounded."""
    base = line.price.base_quantity
    if base is None:
        return line.quantity * line.price.net
    if base <= 0:
        raise ValueError(
            f"line {line.id}: price base quantity (BT-149) must be above zero "
            f"(PEPPOL-EN16931-R121), got {base}"
        )
    return line.quantity * line.price.net / base


def line_net_amount(line: Line) -> Decimal:
    """Invoice line net amount BT-131 as PEPPOL-EN16931-R120 defines it.

    round(quantity BT-129 x net price BT-146 / base quantity BT-149) + the line
    charges (BG-28, BT-141) - the line allowances (BG-27, BT-136). A missing
    base quantity counts as 1. BT-131 feeds BR-CO-10 (BT-106).
    """
    charges, allowances = _charges_and_allowances(line.allowances_charges)
    return _round2(_price_per_unit_times_quantity(line)) + charges - allowances


def _key(category: str, rate: Decimal | None) -> _Key:
    return (category, None if category == "O" else rate)


def _line_key(line: Line) -> _Key:
    category, rate = line.item.vat_category, line.item.vat_rate
    if rate is None and category not in ZERO_VAT_CATEGORIES:
        raise ValueError(f"line {line.id}: VAT category {category} needs a VAT rate (BT-152)")
    return _key(category, rate)


def _document_key(index: int, item: AllowanceCharge) -> _Key:
    kind = "charge" if item.is_charge else "allowance"
    if item.vat_category is None:
        rule, term = ("BR-37", "BT-102") if item.is_charge else ("BR-32", "BT-95")
        raise ValueError(
            f"document level {kind} {index + 1}: VAT category code ({term}) is required ({rule})"
        )
    if item.vat_rate is None and item.vat_category not in ZERO_VAT_CATEGORIES:
        term = "BT-103" if item.is_charge else "BT-96"
        raise ValueError(
            f"document level {kind} {index + 1}: VAT category {item.vat_category} "
            f"needs a VAT rate ({term})"
        )
    return _key(item.vat_category, item.vat_rate)


def _signed(item: AllowanceCharge) -> Decimal:
    return item.amount if item.is_charge else -item.amount


def _taxable_amounts(document: Invoice) -> dict[_Key, Decimal]:
    """BT-116 per (category, rate): line net amounts + document charges - document allowances."""
    taxable: dict[_Key, Decimal] = {}
    for line in document.lines:
        key = _line_key(line)
        taxable[key] = taxable.get(key, _ZERO) + line.net_amount
    for index, item in enumerate(document.allowances_charges):
        key = _document_key(index, item)
        taxable[key] = taxable.get(key, _ZERO) + _signed(item)
    return taxable


def _tax_amount(key: _Key, taxable: Decimal) -> Decimal:
    """BT-117: round(BT-116 x BT-119 / 100) (BR-CO-17), 0 for the categories without VAT."""
    category, rate = key
    if category in ZERO_VAT_CATEGORIES or rate is None:
        return _ZERO
    return _round2(taxable * rate / _HUNDRED)


def _exemption(stated: Sequence[VatBreakdown], key: _Key) -> tuple[str | None, str | None]:
    """Exemption reason BT-120 and code BT-121 the document states for this group or category."""
    same_group = [b for b in stated if _key(b.category, b.rate) == key]
    for group in (*same_group, *(b for b in stated if b.category == key[0])):
        if group.exemption_reason is not None or group.exemption_code is not None:
            return group.exemption_reason, group.exemption_code
    return None, None


def derive_totals(document: Invoice) -> tuple[Totals, tuple[VatBreakdown, ...]]:
    """Derive the document totals BG-22 and the VAT breakdown BG-23 from the document.

    Uses the stated line net amounts BT-131 (check them with :func:`check`):
    BR-CO-10 BT-106, BR-CO-11 BT-107 and BR-CO-12 BT-108 (None without document
    allowances or charges), BR-CO-13 BT-109, BR-CO-14 BT-110, BR-CO-15 BT-112,
    BR-CO-16 BT-115; one BG-23 group per VAT category and rate, in order of first
    use, with BT-116 (BR-S-08 ...) and BT-117 (BR-CO-17, 0 without VAT). Kept
    from the document: paid amount BT-113, rounding amount BT-114, VAT in
    accounting currency BT-111, and the exemption reason BT-120 and code BT-121
    of each category's stated group.

    Raises ValueError when a VAT category or a needed rate is missing.
    """
    stated = document.totals
    groups: list[VatBreakdown] = []
    for key, taxable in _taxable_amounts(document).items():
        reason, code = _exemption(document.vat_breakdown, key)
        groups.append(
            VatBreakdown(
                taxable_amount=taxable,
                tax_amount=_tax_amount(key, taxable),
                category=key[0],
                rate=key[1],
                exemption_reason=reason,
                exemption_code=code,
            )
        )
    breakdown = tuple(groups)
    line_net = sum((line.net_amount for line in document.lines), _ZERO)
    charges, allowances = _charges_and_allowances(document.allowances_charges)
    without_vat = line_net - allowances + charges
    vat = sum((group.tax_amount for group in breakdown), _ZERO)
    with_vat = without_vat + vat
    totals = Totals(
        line_net=line_net,
        allowances=allowances
        if any(not i.is_charge for i in document.allowances_charges)
        else None,
        charges=charges if any(i.is_charge for i in document.allowances_charges) else None,
        without_vat=without_vat,
        vat=vat,
        vat_in_tax_currency=stated.vat_in_tax_currency,
        with_vat=with_vat,
        prepaid=stated.prepaid,
        rounding=stated.rounding,
        payable=with_vat - (stated.prepaid or _ZERO) + (stated.rounding or _ZERO),
    )
    return totals, breakdown


# ---------------------------------------------------------------------------
# Checking a document's own figures


def _equal(stated: Decimal | None, derived: Decimal | None, absent_is_zero: bool = False) -> bool:
    if absent_is_zero:
        return (stated or _ZERO) == (derived or _ZERO)
    return stated == derived


def _rate_text(rate: Decimal | None) -> str:
    return "" if rate is None else f"{rate.normalize():f}%"


def _group_label(key: _Key) -> str:
    return " ".join(filter(None, (key[0], _rate_text(key[1]))))


def _term_id(cls: type, name: str) -> str:
    term = term_of(cls, name)
    return term.id if term is not None else name


def _discrepancy(
    rule: str,
    field: str,
    subject: str,
    stated: Decimal | None,
    derived: Decimal,
    formula: str,
    causes: _Causes = (),
) -> Finding:
    """A discrepancy whose message states both values and names the first known cause that
    explains the stated value."""
    requirement = f"{'' if rule.startswith('PEPPOL') else 'EN 16931 '}{rule} requires"
    requirement = f"{requirement} {formula} = {derived}"
    if stated is None:
        return _finding(rule, field, f"{subject} is missing: {requirement}")
    cause = next((text for value, text in causes if value == stated), None)
    subject = subject if cause is None else f"{subject} {cause}"
    return _finding(rule, field, f"{subject}: stated {stated}, {requirement}")


def _line_discrepancy(index: int, line: Line, derived: Decimal) -> Finding:
    charges, allowances = _charges_and_allowances(line.allowances_charges)
    product = _price_per_unit_times_quantity(line)
    base = line.price.base_quantity
    formula = f"round(quantity {line.quantity} x net price {line.price.net}"
    formula += "" if base is None else f" / base quantity {base}"
    formula += ")" + (f" + charges {charges}" if charges else "")
    formula += f" - allowances {allowances}" if allowances else ""
    causes: _Causes = (
        (product + charges - allowances, "is not rounded to 2 decimals"),
        (
            None if base in (None, 1) else _round2(line.quantity * line.price.net),
            "ignores the price base quantity (BT-149)",
        ),
        (
            _round2(product) if line.allowances_charges else None,
            "leaves out the line allowances and charges (BG-27, BG-28)",
        ),
    )
    return _discrepancy(
        "PEPPOL-EN16931-R120",
        f"lines[{index}].net_amount ({_term_id(Line, 'net_amount')})",
        f"Line {line.id} net amount",
        line.net_amount,
        derived,
        formula,
        causes,
    )


def _per_line_vat(document: Invoice, key: _Key) -> Decimal:
    """The group's VAT as a source that rounds per line and per allowance or charge gets it."""
    rate = key[1] or _ZERO
    vat = _ZERO
    for line in document.lines:
        if _line_key(line) == key:
            vat += _round2(line.net_amount * rate / _HUNDRED)
    for index, item in enumerate(document.allowances_charges):
        if _document_key(index, item) == key:
            vat += _round2(_signed(item) * rate / _HUNDRED)
    return vat


def _category_rule(category: str, number: str) -> str:
    """The per-category rule (``BR-S-08``, ``BR-IC-09``); BG-23 for a category without rules."""
    infix = _RULE_INFIX.get(category)
    return "BG-23" if infix is None else f"BR-{infix}-{number}"


def _taxable_discrepancy(
    stated_document: Invoice, document: Invoice, stated: Decimal | None, derived: VatBreakdown
) -> Finding:
    """BT-116 of a group differs (BR-S-08, BR-E-08, ...)."""
    key = _key(derived.category, derived.rate)
    label = _group_label(key)
    lines_only = sum((line.net_amount for line in document.lines if _line_key(line) == key), _ZERO)
    return _discrepancy(
        _category_rule(key[0], "08"),
        f"vat_breakdown[{label}].taxable_amount ({_term_id(VatBreakdown, 'taxable_amount')})",
        f"Taxable amount for {label}",
        stated,
        derived.taxable_amount,
        f"line net amounts + document charges - document allowances with VAT {label}",
        (
            (
                _taxable_amounts(stated_document).get(key),
                _corrected_too("line net amounts (BT-131)"),
            ),
            (lines_only, "leaves out the document level allowances and charges"),
        ),
    )


def _tax_discrepancy(
    document: Invoice, stated: VatBreakdown | None, derived: VatBreakdown
) -> Finding:
    """BT-117 of a group differs: BR-CO-17, or BR-Z-09, BR-E-09, ... for categories without VAT."""
    key = _key(derived.category, derived.rate)
    label = _group_label(key)
    rate = key[1]
    rule = _category_rule(key[0], "09")
    formula = f"0 for category {key[0]} (no VAT)"
    causes: _Causes = ()
    if key[0] not in ZERO_VAT_CATEGORIES and rate is not None:
        rule = "BR-CO-17"
        formula = f"round(taxable {derived.taxable_amount} x {_rate_text(rate)})"
        stated_taxable = None if stated is None else stated.taxable_amount
        causes = (
            (
                None if stated_taxable is None else _tax_amount(key, stated_taxable),
                _corrected_too(f"taxable amount {stated_taxable}"),
            ),
            (
                _per_line_vat(document, key),
                "computed per line and summed (the source rounds per line)",
            ),
            (derived.taxable_amount * rate / _HUNDRED, "is not rounded to 2 decimals"),
        )
    return _discrepancy(
        rule,
        f"vat_breakdown[{label}].tax_amount ({_term_id(VatBreakdown, 'tax_amount')})",
        f"VAT for {label}",
        None if stated is None else stated.tax_amount,
        derived.tax_amount,
        formula,
        causes,
    )


def _surplus_group(stated: VatBreakdown, duplicate: bool) -> Finding:
    label = _group_label(_key(stated.category, stated.rate))
    rule = _category_rule(stated.category, "08")
    why = (
        f"repeats the group for {label}"
        if duplicate
        else f"has no line, document allowance or charge with VAT {label}"
    )
    reason = (
        f"VAT breakdown group {label} (BG-23) {why}: stated taxable {stated.taxable_amount} "
        f"and VAT {stated.tax_amount}; EN 16931 {rule} derives no such group, so it is dropped"
    )
    return _finding(rule, f"vat_breakdown[{label}]", reason)


def _breakdown_discrepancies(
    stated_document: Invoice, document: Invoice, derived: tuple[VatBreakdown, ...]
) -> list[Finding]:
    """The document's BG-23 against the derived groups: amounts, missing and surplus groups."""
    derived_keys = {_key(group.category, group.rate) for group in derived}
    stated_groups: dict[_Key, VatBreakdown] = {}
    found: list[Finding] = []
    for group in stated_document.vat_breakdown:
        key = _key(group.category, group.rate)
        if key in stated_groups or key not in derived_keys:
            found.append(_surplus_group(group, duplicate=key in stated_groups))
        stated_groups.setdefault(key, group)
    for group in derived:
        stated = stated_groups.get(_key(group.category, group.rate))
        stated_taxable = None if stated is None else stated.taxable_amount
        if not _equal(stated_taxable, group.taxable_amount):
            found.append(_taxable_discrepancy(stated_document, document, stated_taxable, group))
        if stated is None or not _equal(stated.tax_amount, group.tax_amount):
            found.append(_tax_discrepancy(document, stated, group))
    return found


@dataclass(frozen=True, slots=True)
class _Context:
    """What the explanations of the totals rules read: stated and re-derived figures."""

    stated: Totals
    derived: Totals
    stated_breakdown: tuple[VatBreakdown, ...]
    breakdown: tuple[VatBreakdown, ...]
    document: Invoice  # with line net amounts re-derived where wrong
    stated_line_net: Decimal


def _corrected_too(terms: str) -> str:
    """The cause of a stated figure that follows from other stated figures that are wrong."""
    return f"agrees with the stated {terms}, also corrected"


def _explain_line_net(c: _Context) -> tuple[str, _Causes]:
    formula = f"the sum of the {len(c.document.lines)} line net amounts (BT-131)"
    return formula, ((c.stated_line_net, _corrected_too("line net amounts (BT-131)")),)


def _explain_allowances(c: _Context) -> tuple[str, _Causes]:
    return "the sum of the document level allowance amounts (BT-92)", ()


def _explain_charges(c: _Context) -> tuple[str, _Causes]:
    return "the sum of the document level charge amounts (BT-99)", ()


def _explain_without_vat(c: _Context) -> tuple[str, _Causes]:
    d, s = c.derived, c.stated
    formula = f"BT-106 {d.line_net} - BT-107 {d.allowances or _ZERO} + BT-108 {d.charges or _ZERO}"
    from_stated = s.line_net - (s.allowances or _ZERO) + (s.charges or _ZERO)
    return formula, ((from_stated, _corrected_too("BT-106, BT-107 and BT-108")),)


def _explain_vat(c: _Context) -> tuple[str, _Causes]:
    groups = ", ".join(
        f"{_group_label(_key(b.category, b.rate))}: {b.tax_amount}" for b in c.breakdown
    )
    per_line = sum(
        (_per_line_vat(c.document, _key(b.category, b.rate)) for b in c.breakdown if b.tax_amount),
        _ZERO,
    )
    return f"the sum of BT-117 ({groups})", (
        (
            sum((b.tax_amount for b in c.stated_breakdown), _ZERO) if c.stated_breakdown else None,
            _corrected_too("VAT breakdown amounts (BT-117)"),
        ),
        (per_line, "computed per line and summed (the source rounds per line)"),
    )


def _explain_with_vat(c: _Context) -> tuple[str, _Causes]:
    d, s = c.derived, c.stated
    from_stated = None if s.vat is None else s.without_vat + s.vat
    formula = f"BT-109 {d.without_vat} + BT-110 {d.vat}"
    return formula, ((from_stated, _corrected_too("BT-109 and BT-110")),)


def _explain_payable(c: _Context) -> tuple[str, _Causes]:
    d, s = c.derived, c.stated
    adjust = (s.rounding or _ZERO) - (s.prepaid or _ZERO)
    formula = f"BT-112 {d.with_vat} - BT-113 {s.prepaid or _ZERO} + BT-114 {s.rounding or _ZERO}"
    return formula, ((s.with_vat + adjust, _corrected_too("BT-112")),)


# Totals field, rule, and the explanation of a difference (BR-CO-10 .. BR-CO-16).
_TOTALS_RULES: tuple[tuple[str, str, Callable[[_Context], tuple[str, _Causes]]], ...] = (
    ("line_net", "BR-CO-10", _explain_line_net),
    ("allowances", "BR-CO-11", _explain_allowances),
    ("charges", "BR-CO-12", _explain_charges),
    ("without_vat", "BR-CO-13", _explain_without_vat),
    ("vat", "BR-CO-14", _explain_vat),
    ("with_vat", "BR-CO-15", _explain_with_vat),
    ("payable", "BR-CO-16", _explain_payable),
)
_OPTIONAL_SUMS = frozenset({"allowances", "charges"})  # absent means no allowances or charges


def _totals_discrepancies(context: _Context) -> list[Finding]:
    found: list[Finding] = []
    for name, rule, explain in _TOTALS_RULES:
        stated: Decimal | None = getattr(context.stated, name)
        derived: Decimal | None = getattr(context.derived, name)
        if _equal(stated, derived, name in _OPTIONAL_SUMS):
            continue
        term = term_of(Totals, name)
        subject = name if term is None else f"{term.title} ({term.id})"
        formula, causes = explain(context)
        found.append(
            _discrepancy(
                rule,
                f"totals.{name} ({_term_id(Totals, name)})",
                subject,
                stated,
                derived or _ZERO,
                formula,
                causes,
            )
        )
    return found


@dataclass(frozen=True, slots=True)
class _Derivation:
    """A document's figures re-derived, with the differences to what it states."""

    lines: tuple[Line, ...]
    totals: Totals
    breakdown: tuple[VatBreakdown, ...]
    discrepancies: tuple[Finding, ...]


def _line_discrepancies(document: Invoice) -> tuple[tuple[Line, ...], list[Finding]]:
    """BT-131 of each line against PEPPOL-EN16931-R120, and the lines with it re-derived."""
    lines = list(document.lines)
    found: list[Finding] = []
    for index, line in enumerate(document.lines):
        derived = line_net_amount(line)
        if derived != line.net_amount:
            found.append(_line_discrepancy(index, line, derived))
            lines[index] = dataclasses.replace(line, net_amount=derived)
    return tuple(lines), found


def _derive(document: Invoice, line_rule: bool = True) -> _Derivation:
    lines, found = _line_discrepancies(document) if line_rule else (document.lines, [])
    fixed = dataclasses.replace(document, lines=lines) if found else document
    totals, breakdown = derive_totals(fixed)
    found += _breakdown_discrepancies(document, fixed, breakdown)
    found += _totals_discrepancies(
        _Context(
            stated=document.totals,
            derived=totals,
            stated_breakdown=document.vat_breakdown,
            breakdown=breakdown,
            document=fixed,
            stated_line_net=sum((line.net_amount for line in document.lines), _ZERO),
        )
    )
    return _Derivation(lines, totals, breakdown, tuple(found))


def check(document: Invoice, *, line_rule: bool = True) -> list[Finding]:
    """Every figure of the document that differs from the EN 16931 calculation.

    Checks each line net amount BT-131 (PEPPOL-EN16931-R120), the VAT breakdown
    BG-23 (BT-116, BT-117: BR-x-08, BR-CO-17, BR-x-09; missing and surplus
    groups) and the totals BT-106 .. BT-115 (BR-CO-10 .. BR-CO-16). A wrong
    figure propagates: when a line is wrong, the totals are compared with the
    values derived from the corrected line, and the reason says when a stated
    total agrees with the document's own (wrong) inputs. The list is empty
    exactly when :func:`reconcile` would change nothing; amounts compare by
    value (``1.0 == 1.00``), and an absent BT-107/BT-108 equals 0.

    ``line_rule=False`` leaves out the line check: PEPPOL-EN16931-R120 is a
    Peppol rule, and EN 16931 itself and NLCIUS do not require it (the CEN
    examples hold line amounts that differ from quantity x price).
    """
    return list(_derive(document, line_rule).discrepancies)


def _merge_totals(stated: Totals, derived: Totals) -> Totals:
    """The derived totals, keeping each stated value that is equal (and its notation)."""
    kept = {
        f.name: getattr(stated, f.name)
        for f in dataclasses.fields(Totals)
        if _equal(getattr(stated, f.name), getattr(derived, f.name), f.name in _OPTIONAL_SUMS)
    }
    return dataclasses.replace(derived, **kept)


def _merge_breakdown(
    stated: tuple[VatBreakdown, ...], derived: tuple[VatBreakdown, ...]
) -> tuple[VatBreakdown, ...]:
    """The derived BG-23 in the stated order, keeping each stated group's other fields."""
    position: dict[_Key, int] = {}
    by_key: dict[_Key, VatBreakdown] = {}
    for index, group in enumerate(stated):
        key = _key(group.category, group.rate)
        position.setdefault(key, index)
        by_key.setdefault(key, group)
    merged: list[VatBreakdown] = []
    for group in derived:
        old = by_key.get(_key(group.category, group.rate))
        if old is None:
            merged.append(group)
        elif old.taxable_amount == group.taxable_amount and old.tax_amount == group.tax_amount:
            merged.append(old)
        else:
            merged.append(
                dataclasses.replace(
                    old, taxable_amount=group.taxable_amount, tax_amount=group.tax_amount
                )
            )
    merged.sort(key=lambda g: position.get(_key(g.category, g.rate), len(stated)))
    return tuple(merged)


def reconcile(
    document: Invoice, strategy: Strategy = Strategy.REFUSE, *, line_rule: bool = True
) -> tuple[Invoice, list[Finding]]:
    """The document with figures that satisfy the EN 16931 calculation, and what changed.

    A document without discrepancies comes back as it is, with an empty list.
    Otherwise :attr:`Strategy.REFUSE` raises :class:`TotalsMismatch` naming
    each discrepancy, and :attr:`Strategy.REDERIVE` returns the document with
    the wrong line net amounts BT-131, totals BG-22 and VAT breakdown BG-23
    re-derived, with the discrepancies as the explanation for the caller to
    show. Nothing changes without a discrepancy that names it. ``line_rule`` as
    in :func:`check`.
    """
    derivation = _derive(document, line_rule)
    if not derivation.discrepancies:
        return document, []
    if Strategy(strategy) is Strategy.REFUSE:
        raise TotalsMismatch(derivation.discrepancies)
    rederived = dataclasses.replace(
        document,
        lines=derivation.lines,
        totals=_merge_totals(document.totals, derivation.totals),
        vat_breakdown=_merge_breakdown(document.vat_breakdown, derivation.breakdown),
    )
    return rederived, list(derivation.discrepancies)


def with_totals(document: Invoice) -> Invoice:
    """Complete a document built without totals: set BG-22 and BG-23 from :func:`derive_totals`.

    For sources that carry no totals (JSON input that omits them, connectors).
    Build the ``Invoice`` with placeholder totals that hold only what the
    source knows, e.g. ``Totals(line_net=0, without_vat=0, with_vat=0,
    payable=0, prepaid=..., rounding=...)``, and a ``vat_breakdown`` with just
    the exemption reasons (BT-120/BT-121) of the exempt categories, if any.
    Everything else is replaced; BT-111, BT-113, BT-114 and the exemption
    reasons are kept.

    The line net amounts BT-131 must already be right (see
    :func:`line_net_amount`): a wrong one raises :class:`TotalsMismatch`, since
    completing the document must not hide it. ``check(with_totals(d))`` is
    always empty.
    """
    _, wrong = _line_discrepancies(document)
    if wrong:
        raise TotalsMismatch(wrong)
    totals, breakdown = derive_totals(document)
    return dataclasses.replace(document, totals=totals, vat_breakdown=breakdown)
