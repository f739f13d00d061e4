"""EN 16931 core rules: ``BR-nn`` and ``BR-CO-nn`` (CEN 1.3.16), all profiles.

Left out: the sums (BR-CO-10..17), which :mod:`model.calculation` checks (BR-CO-14 is here
only for a missing BT-110), and BR-CO-25
(due date or payment terms when an amount is due): CEN withdrew it in 1.3.16, the release all
three official validations run (only SI-UBL 2.0.3.12 still had it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

from model.codes import iso3166
from model.document import Invoice
from ubl.rules._base import (
    Breach,
    Context,
    Registry,
    RuleSet,
    Values,
    all_given,
    at,
    pairs,
    per,
    per_charge,
    register_rows,
)
from ubl.rules._model import Level, blank, classifications, code, given, written_id

rules = Registry(RuleSet.EN16931)

_REQUIRED: Final[tuple[tuple[str, Values, str], ...]] = (
    ("BR-02", at("number"), "Invoice number (BT-1)"),
    ("BR-04", at("type_code"), "Invoice type code (BT-3)"),
    ("BR-05", at("currency"), "Invoice currency code (BT-5)"),
    ("BR-06", at("seller.name"), "Seller name (BT-27)"),
    ("BR-07", at("buyer.name"), "Buyer name (BT-44)"),
    ("BR-09", at("seller.address.country"), "Seller country code (BT-40)"),
    ("BR-11", at("buyer.address.country"), "Buyer country code (BT-55)"),
    ("BR-18", at("tax_representative.name"), "Seller tax representative name (BT-62)"),
    ("BR-20", at("tax_representative.address.country"), "Tax representative country (BT-69)"),
    ("BR-56", at("tax_representative.vat_id"), "Tax representative VAT identifier (BT-63)"),
    ("BR-21", per("lines", "id"), "Invoice line identifier (BT-126)"),
    ("BR-23", per("lines", "unit"), "Invoiced quantity unit of measure code (BT-130)"),
    ("BR-25", per("lines", "item.name"), "Item name (BT-153)"),
    ("BR-CO-04", per("lines", "item.vat_category"), "Invoiced item VAT category code (BT-151)"),
    ("BR-32", per_charge("vat_category", "document", False), "Allowance VAT category (BT-95)"),
    ("BR-37", per_charge("vat_category", "document", True), "Charge VAT category (BT-102)"),
    ("BR-47", per("vat_breakdown", "category"), "VAT category code (BT-118)"),
    ("BR-49", per("payment_means", "code"), "Payment means type code (BT-81)"),
    ("BR-50", per("payment_means", "credit_transfer.account_id"), "Payment account (BT-84)"),
    ("BR-52", per("additional_documents", "id"), "Supporting document reference (BT-122)"),
    ("BR-55", per("preceding_invoices", "number"), "Preceding invoice reference (BT-25)"),
    ("BR-57", at("delivery.address.country"), "Deliver to country code (BT-80)"),
)
"""Values the group they belong to must have (a blank value writes no element)."""


def _required(rule_id: str, values: Values, term: str) -> None:
    rules.each(rule_id, values, blank, f"{term} is missing", clean=all_given)


register_rows(_required, _REQUIRED)

_REASONS: Final[tuple[tuple[str, Level, bool, str], ...]] = (
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


def _reason(rule_id: str, level: Level, is_charge: bool, what: str) -> None:
    rules.each(
        rule_id,
        per_charge("reason", level, is_charge, whole=True),
        lambda ac: blank(ac.reason) and blank(ac.reason_code),
        f"{what} needs a reason or a reason code",
    )


register_rows(_reason, _REASONS)

_SCHEMES: Final[tuple[tuple[str, Values, str], ...]] = (
    ("BR-62", at("seller.endpoint", "seller.endpoint.scheme"), "Seller electronic address (BT-34)"),
    ("BR-63", at("buyer.endpoint", "buyer.endpoint.scheme"), "Buyer electronic address (BT-49)"),
    (
        "BR-64",
        per("lines", "item.standard_id", "item.standard_id.scheme", optional=True),
        "Item standard id (BT-157)",
    ),
)
"""Identifiers that need their scheme identifier."""


def _needs_scheme(rule_id: str, values: Values, term: str) -> None:
    rules.each(
        rule_id,
        values,
        lambda x: written_id(x) and blank(x.scheme),
        f"{term} needs a scheme identifier",
    )


register_rows(_needs_scheme, _SCHEMES)


def _reversed(period: Any) -> bool:
    """A period whose end date is before its start date (BR-29, BR-30)."""
    return period is not None and period.start and period.end and period.end < period.start


rules.each(
    "BR-65",
    pairs(classifications, "lines.item.classifications"),
    lambda c: given(c.code) and blank(c.list_id),
    "Item classification identifier (BT-158) needs a scheme identifier",
)
rules.each(
    "BR-27",
    per("lines", "price.net"),
    lambda net: net < 0,
    "Item net price (BT-146) must not be negative",
    clean=lambda nets: not nets or min(nets) >= 0,
)
rules.each(
    "BR-28",
    per("lines", "price.gross", optional=True),
    lambda gross: gross is not None and gross < 0,
    "Item gross price (BT-148) must not be negative",
)
rules.each(
    "BR-29",
    at("invoice_period", "invoice_period.end"),
    _reversed,
    "Invoicing period end date (BT-74) is before its start date (BT-73)",
)
rules.each(
    "BR-30",
    per("lines", "period", field="period.end", optional=True),
    _reversed,
    "Invoice line period end date (BT-135) is before its start date (BT-134)",
)
rules.each(
    "BR-48",
    per("vat_breakdown", field="rate"),
    lambda b: b.rate is None and code(b.category) != "O",
    "VAT category rate (BT-119) is missing (only category O has none)",
)
rules.each(
    "BR-61",
    per("payment_means", field="credit_transfer"),
    lambda m: (
        code(m.code) in {"30", "58"}
        and (m.credit_transfer is None or blank(m.credit_transfer.account_id))
    ),
    "a credit transfer (payment means 30 or 58) needs the payment account identifier (BT-84)",
)
rules.each(
    "BR-16",
    at("lines"),
    lambda lines: not lines,
    "an invoice needs at least one invoice line (BG-25)",
)
rules.each(
    "BR-CO-18",
    at("vat_breakdown"),
    lambda breakdown: not breakdown,
    "an invoice needs at least one VAT breakdown (BG-23)",
)


@rules.rule("BR-01")
def _specification_identifier(ctx: Context) -> Iterator[Breach]:
    if not ctx.customization_id:
        yield "customization_id", "Specification identifier (BT-24) is missing"


@rules.rule("BR-17")
def _payee_differs(ctx: Context) -> Iterator[Breach]:
    payee, seller = ctx.doc.payee, ctx.doc.seller
    if payee is None:
        return
    if blank(payee.name):
        yield "payee.name", "Payee name (BT-59) is missing"
    elif given(seller.trading_name) and payee.name == seller.trading_name:
        yield "payee.name", "the payee (BG-10) must differ from the seller: it has its name"
    seller_ids = {identifier.value for identifier in seller.identifiers}
    if written_id(payee.identifier) and payee.identifier.value in seller_ids:
        yield "payee.identifier", "the payee (BG-10) must differ from the seller: same identifier"


@rules.rule("BR-53")
def _vat_in_tax_currency(ctx: Context) -> Iterator[Breach]:
    doc = ctx.doc
    if blank(doc.tax_currency) or doc.totals.vat_in_tax_currency is not None:
        return
    writes_vat_total = doc.totals.vat is not None or bool(doc.vat_breakdown)
    if not (doc.tax_currency == doc.currency and writes_vat_total):
        yield (
            "totals.vat_in_tax_currency",
            "with a VAT accounting currency (BT-6) the VAT total in it (BT-111) is required",
        )


@rules.rule("BR-CO-03")
def _tax_point_date_or_code(ctx: Context) -> Iterator[Breach]:
    if ctx.doc.tax_point_date is not None and given(ctx.doc.tax_point_code):
        yield "tax_point_code", "VAT point date (BT-7) and its code (BT-8) exclude each other"


@rules.rule("BR-CO-14")
def _vat_total_with_breakdown(ctx: Context) -> Iterator[Breach]:
    """The TaxTotal holding the breakdown needs its TaxAmount (BT-110); the sum is checked by
    :mod:`model.calculation`."""
    if ctx.doc.totals.vat is None and ctx.doc.vat_breakdown:
        yield (
            "totals.vat",
            "Invoice total VAT amount (BT-110) is missing: a VAT breakdown (BG-23) needs it",
        )


_VAT_PREFIXES: Final = frozenset(iso3166.CODES) | {"EL"}
"""BR-CO-09: ISO 3166-1 alpha-2 (with 1A and XI), and EL for Greece."""


def _vat_ids(doc: Invoice) -> Iterator[tuple[str, str | None]]:
    """The VAT identifiers: seller BT-31, buyer BT-48, tax representative BT-63."""
    yield "seller.vat_id", doc.seller.vat_id
    yield "buyer.vat_id", doc.buyer.vat_id
    if doc.tax_representative is not None:
        yield "tax_representative.vat_id", doc.tax_representative.vat_id


rules.each(
    "BR-CO-09",
    pairs(_vat_ids),
    lambda vat_id: given(vat_id) and vat_id[:2] not in _VAT_PREFIXES,
    lambda vat_id: f"VAT identifier {vat_id!r} must start with an ISO 3166-1 country prefix",
)


@rules.rule("BR-CO-26")
def _seller_identified(ctx: Context) -> Iterator[Breach]:
    seller = ctx.doc.seller
    identified = (
        given(seller.vat_id)
        or written_id(seller.legal_registration)
        or any(given(x.value) and x.scheme != "SEPA" for x in seller.identifiers)
    )
    if not identified:
        yield "seller", "the seller needs an identifier (BT-29), legal id (BT-30) or VAT id (BT-31)"
