"""EN 16931 VAT category rules (UNCL5305), all profiles: ``BR-S`` standard rated, ``BR-Z``
zero rated, ``BR-E`` exempt, ``BR-AE`` reverse charge, ``BR-IC`` intra-community supply,
``BR-G`` export, ``BR-O`` not subject to VAT, ``BR-AF`` IGIC, ``BR-AG`` IPSI, ``BR-B`` split
payment.

Each category has the rules ``-01`` (its breakdown), ``-02..-04`` (the parties its lines,
allowances and charges require), ``-05..-07`` (their VAT rate), ``-09`` (a zero VAT amount) and
``-10`` (exemption reason). The sums, ``-08`` and the ``-09`` of BR-S, BR-AF and BR-AG, are
left to :mod:`model.calculation`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, Literal

from model.document import Invoice, VatBreakdown
from ubl.rules._base import (
    Breach,
    Check,
    Context,
    Registry,
    RuleSet,
    Values,
    per,
    per_charge,
    register_rows,
)
from ubl.rules._model import (
    TaxedKind,
    code,
    country,
    deliver_to,
    given,
    representative_address,
    written_id,
)

rules = Registry(RuleSet.EN16931)

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


def _seller_vat_id(doc: Invoice) -> bool:
    """A seller VAT identifier BT-31 or tax representative VAT identifier BT-63."""
    representative = doc.tax_representative
    return given(doc.seller.vat_id) or (representative is not None and given(representative.vat_id))


def _seller_tax_id(doc: Invoice) -> bool:
    """Any seller PartyTaxScheme CompanyID (BT-31 or BT-32), or BT-63."""
    return _seller_vat_id(doc) or given(doc.seller.tax_registration)


def _reverse_charge_parties(doc: Invoice) -> bool:
    buyer = doc.buyer
    return _seller_tax_id(doc) and (given(buyer.vat_id) or written_id(buyer.legal_registration))


def _intra_community_parties(doc: Invoice) -> bool:
    return _seller_vat_id(doc) and given(doc.buyer.vat_id)


def _not_subject_parties(doc: Invoice) -> bool:
    return not (_seller_vat_id(doc) or given(doc.buyer.vat_id))


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

_TAXED_RULES: Final[tuple[tuple[str, str, TaxedKind], ...]] = (
    ("02", "05", "line"),
    ("03", "06", "allowance"),
    ("04", "07", "charge"),
)
"""Per kind of taxed item: the number of its parties rule and of its rate rule."""


def _category_rates(doc: Invoice) -> dict[TaxedKind, set[tuple[str, Decimal | None]]] | None:
    """The distinct (VAT category, rate) pairs of the lines, document allowances and document
    charges: all the rate rules -05..-07 need when no rate is wrong (a wrong one is found with
    its position in :attr:`Context.taxed`). Equal rates (21, 21.00) count once: the rules
    compare numbers. None when a rate cannot be hashed (a signalling NaN).
    """
    charges = doc.allowances_charges
    try:
        found: dict[TaxedKind, set[tuple[str | None, Decimal | None]]] = {
            "line": {(line.item.vat_category, line.item.vat_rate) for line in doc.lines},
            "allowance": {(ac.vat_category, ac.vat_rate) for ac in charges if not ac.is_charge},
            "charge": {(ac.vat_category, ac.vat_rate) for ac in charges if ac.is_charge},
        }
    except TypeError:
        return None
    return {kind: {(code(c), rate) for c, rate in pairs} for kind, pairs in found.items()}


def _is(category: str | None, expected: str) -> bool:
    return code(category) == expected


def _register_category(cat: _Category) -> None:
    """Register the rules <prefix>-01..-10 of one VAT category (but -08, a sum)."""
    label = f"category {cat.code} ({cat.name})"
    rate_ok, rate_text = _RATE_RULES[cat.rate]

    def breakdown(ctx: Context) -> Iterator[Breach]:
        used, count = cat.code in ctx.used, ctx.breakdowns.get(cat.code, 0)
        if cat.only_one and used and count != 1:
            yield "vat_breakdown", f"{label} is used: one VAT breakdown of it needed, not {count}"
        elif not cat.only_one and used != (count > 0):
            yield "vat_breakdown", f"{label} needs a VAT breakdown exactly when it is used"

    def parties(kind: TaxedKind) -> Check:
        def check(ctx: Context) -> Iterator[Breach]:
            if cat.code in ctx.used and not cat.parties_ok(ctx.doc):
                for taxed in ctx.taxed[kind]:
                    if taxed.category == cat.code:
                        yield f"{taxed.path}.vat_category", f"{label} requires {cat.parties}"
                        return

        return check

    def rates(kind: TaxedKind) -> Check:
        message = f"the VAT rate of {label} {rate_text}"

        def check(ctx: Context) -> Iterator[Breach]:
            rates = ctx.fact(_category_rates)
            if rates is not None and all(
                rate_ok(rate) for category, rate in rates[kind] if category == cat.code
            ):
                return
            if cat.code in ctx.used:
                for taxed in ctx.taxed[kind]:
                    if taxed.category == cat.code and not rate_ok(taxed.rate):
                        yield f"{taxed.path}.vat_rate", message

        return check

    def breakdowns(field: str, bad: Callable[[VatBreakdown], bool], message: str) -> Check:
        def check(ctx: Context) -> Iterator[Breach]:
            if cat.code in ctx.breakdowns:
                for i, b in enumerate(ctx.doc.vat_breakdown):
                    if _is(b.category, cat.code) and bad(b):
                        yield f"vat_breakdown[{i}].{field}", message

        return check

    in_breakdown = f"breakdown:{cat.code}"
    rules.add(f"{cat.prefix}-01", breakdown, needs=f"category:{cat.code}")
    for parties_rule, _, kind in _TAXED_RULES:
        rules.add(f"{cat.prefix}-{parties_rule}", parties(kind), needs=f"{kind}:{cat.code}")
    for _, rate_rule, kind in _TAXED_RULES:
        rules.add(f"{cat.prefix}-{rate_rule}", rates(kind), needs=f"{kind}:{cat.code}")
    if cat.zero_tax:
        zero = breakdowns(
            "tax_amount", lambda b: b.tax_amount != 0, f"the VAT amount of {label} must be 0"
        )
        rules.add(f"{cat.prefix}-09", zero, needs=in_breakdown)
    reason = "needs" if cat.exemption else "must not have"
    exemption = breakdowns(
        "exemption_reason",
        lambda b: (given(b.exemption_reason) or given(b.exemption_code)) != cat.exemption,
        f"{label} {reason} an exemption reason (BT-120) or reason code (BT-121)",
    )
    rules.add(f"{cat.prefix}-10", exemption, needs=in_breakdown)


for _category in _CATEGORIES:
    _register_category(_category)


@rules.rule("BR-IC-11", needs="breakdown:K")
def _intra_community_supply_date(ctx: Context) -> Iterator[Breach]:
    doc, period = ctx.doc, ctx.doc.invoice_period
    dated = (doc.delivery is not None and doc.delivery.date is not None) or (
        period is not None and (period.start is not None or period.end is not None)
    )
    if "K" in ctx.breakdowns and not (dated or given(doc.tax_point_code)):
        yield "delivery.date", "an intra-community supply needs its delivery date or period"


@rules.rule("BR-IC-12", needs="breakdown:K")
def _intra_community_deliver_to(ctx: Context) -> Iterator[Breach]:
    if "K" in ctx.breakdowns and len(country(deliver_to(ctx.doc))) < 2:
        yield "delivery.address.country", "an intra-community supply needs the deliver to country"


_NOT_SUBJECT_ONLY: Final[tuple[tuple[str, Values, str], ...]] = (
    ("BR-O-11", per("vat_breakdown", "category"), "other VAT breakdown"),
    ("BR-O-12", per("lines", "item.vat_category"), "line"),
    ("BR-O-13", per_charge("vat_category", "document", False), "document allowance"),
    ("BR-O-14", per_charge("vat_category", "document", True), "document charge"),
)
"""With a Not subject to VAT (O) breakdown, nothing of another category."""


def _only_not_subject(rule_id: str, values: Values, what: str) -> None:
    def check(ctx: Context) -> Iterator[Breach]:
        if "O" in ctx.breakdowns:
            selected, where = values.select(ctx.doc)
            for i, category in enumerate(selected):
                if not _is(category, "O"):
                    yield (
                        where(i),
                        f"with a Not subject to VAT (O) breakdown no {what} of {category!r}",
                    )

    rules.add(rule_id, check, needs="breakdown:O")


register_rows(_only_not_subject, _NOT_SUBJECT_ONLY)


def _all_categories(doc: Invoice) -> set[str]:
    """Every VAT category written: BT-151, BT-95/BT-102 and BT-118."""
    codes = {code(line.item.vat_category) for line in doc.lines}
    codes.update(code(ac.vat_category) for ac in doc.allowances_charges)
    codes.update(code(b.category) for b in doc.vat_breakdown)
    return codes


def _all_countries(doc: Invoice) -> Iterator[str]:
    """Every country code written: BT-40, BT-55, BT-69, BT-80 and BT-159."""
    addresses = [doc.seller.address, doc.buyer.address, representative_address(doc)]
    addresses.append(deliver_to(doc))
    yield from (a.country for a in addresses if a is not None and given(a.country))
    yield from (ln.item.origin_country or "" for ln in doc.lines if ln.item.origin_country)


def _split_payment(ctx: Context) -> bool:
    """Category B is used anywhere (BT-151, BT-95/BT-102, BT-118)."""
    return "B" in ctx.used or "B" in ctx.breakdowns


@rules.rule("BR-B-01", needs="category:B")
def _split_payment_italian(ctx: Context) -> Iterator[Breach]:
    if _split_payment(ctx) and any(c != "IT" for c in _all_countries(ctx.doc)):
        yield "vat_breakdown", "category B (split payment) is only for domestic Italian invoices"


@rules.rule("BR-B-02", needs="category:B")
def _split_payment_not_standard(ctx: Context) -> Iterator[Breach]:
    if _split_payment(ctx) and "S" in _all_categories(ctx.doc):
        yield "vat_breakdown", "categories B (split payment) and S (standard rated) cannot mix"
