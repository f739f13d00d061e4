"""Peppol BIS Billing 3.0.21 rules, profile ``peppol-bis3`` only: ``PEPPOL-EN16931-Rnnn`` /
``-Pnnnn`` and the identifier formats ``PEPPOL-COMMON-Rnnn``.

Left out: the rules of other countries (DK, NO, SE, IT, GR, DE, IS); the Dutch NL-R rules are in
:mod:`ubl.rules.nl`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from model.document import Identifier, Invoice, Line
from ubl._ids import PEPPOL_CUSTOMIZATION_ID, PEPPOL_PROFILE_ID
from ubl.rules._base import (
    CHARGES,
    Breach,
    Check,
    Context,
    Registry,
    RuleSet,
    per,
    per_charge,
    register_rows,
)
from ubl.rules._model import (
    LEVELS,
    Level,
    blank,
    charges,
    code,
    code_set,
    count,
    given,
    has_order_reference,
    scheme_identifiers,
    written_id,
)

__all__ = ["buyer_or_order_reference", "rules"]

rules = Registry(RuleSet.PEPPOL)

_PEPPOL_PROCESSES: Final = frozenset({
    PEPPOL_PROFILE_ID,
    "urn:peppol:france:billing:regulated",
    "urn:peppol:france:billing:non-regulated",
    "urn:peppol:bis:billing_with_response",
})  # fmt: skip
"""The ProfileIDs PEPPOL-EN16931-R007 approves (billing processes 01 and 02)."""

_PEPPOL_INVOICE_TYPES: Final = code_set(
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


def _both_german(ctx: Context) -> bool:
    return ctx.seller_country == "DE" and ctx.buyer_country == "DE"


def _peppol_process(ctx: Context) -> bool:
    return ctx.profile_id in _PEPPOL_PROCESSES


def _peppol(rule_id: str, needs: str | None = None) -> Callable[[Check], Check]:
    return rules.rule(f"PEPPOL-EN16931-{rule_id}", needs=needs)


@_peppol("R001")
def _business_process(ctx: Context) -> Iterator[Breach]:
    if not ctx.profile_id:
        yield "profile_id", "Business process type (BT-23) is missing"


@_peppol("R007")
def _approved_process(ctx: Context) -> Iterator[Breach]:
    if not _peppol_process(ctx):
        yield "profile_id", f"business process {ctx.profile_id!r} (BT-23) is not a Peppol one"


@_peppol("R002")
def _one_note(ctx: Context) -> Iterator[Breach]:
    notes = count(given(n.text) or given(n.subject_code) for n in ctx.doc.notes)
    if notes > 1 and not _both_german(ctx):
        yield "notes", "only one invoice note (BG-1), unless seller and buyer are German"


@_peppol("R003")
def buyer_or_order_reference(ctx: Context) -> Iterator[Breach]:
    """BT-10 or BT-13 (also SI-UBL BR-NL-2)."""
    if blank(ctx.doc.buyer_reference) and not has_order_reference(ctx.doc):
        yield "buyer_reference", "a buyer reference (BT-10) or order reference (BT-13) is required"


@_peppol("R004")
def _peppol_specification(ctx: Context) -> Iterator[Breach]:
    value = ctx.customization_id
    if not value.startswith(PEPPOL_CUSTOMIZATION_ID) or "::" in value:
        yield "customization_id", f"the specification id must begin with {PEPPOL_CUSTOMIZATION_ID}"


@_peppol("R005")
def _tax_currency_differs(ctx: Context) -> Iterator[Breach]:
    if given(ctx.doc.tax_currency) and code(ctx.doc.tax_currency) == code(ctx.doc.currency):
        yield "tax_currency", "the VAT accounting currency (BT-6) must differ from BT-5"


@_peppol("R010")
def _buyer_endpoint(ctx: Context) -> Iterator[Breach]:
    if not written_id(ctx.doc.buyer.endpoint):
        yield "buyer.endpoint", "Buyer electronic address (BT-49) is missing"


@_peppol("R020")
def _seller_endpoint(ctx: Context) -> Iterator[Breach]:
    if not written_id(ctx.doc.seller.endpoint):
        yield "seller.endpoint", "Seller electronic address (BT-34) is missing"


def _amount_from_percentage(level: Level) -> Check:
    def check(ctx: Context) -> Iterator[Breach]:
        for path, ac in charges(ctx.doc, level):
            if ac.base_amount is not None and ac.percentage is not None:
                expected = ac.base_amount * ac.percentage / 100
                if abs(ac.amount - expected) > _SLACK:
                    yield (
                        f"{path}.amount",
                        f"amount must be base amount x percentage / 100 = {expected}",
                    )

    return check


for _level in LEVELS:  # R040 of the document's allowances and charges, then of the lines'
    rules.add("PEPPOL-EN16931-R040", _amount_from_percentage(_level), needs=CHARGES[_level])


def _goes_with(rule_id: str, known: str, needed: str) -> None:
    """R041/R042: an allowance or charge percentage and base amount come together."""
    for level in LEVELS:
        rules.each(
            rule_id,
            per_charge(needed, level, None, whole=True),
            lambda ac: getattr(ac, known) is not None and getattr(ac, needed) is None,
            f"an allowance or charge with a {known} needs its {needed}",
        )


_goes_with("PEPPOL-EN16931-R041", "percentage", "base_amount")
_goes_with("PEPPOL-EN16931-R042", "base_amount", "percentage")


@_peppol("R046", needs="lines.price.gross")
def _net_is_gross_minus_discount(ctx: Context) -> Iterator[Breach]:
    for i, line in enumerate(ctx.doc.lines):
        price = line.price
        if price.gross is not None and price.net != price.gross - (price.discount or 0):
            yield f"lines[{i}].price.net", "net price (BT-146) must be gross (BT-148) - discount"


@_peppol("R053")
def _one_tax_total_with_breakdown(ctx: Context) -> Iterator[Breach]:
    if not ctx.doc.vat_breakdown:
        yield "vat_breakdown", "exactly one tax total with a VAT breakdown (BG-23) is required"


@_peppol("R054")
def _tax_total_in_tax_currency(ctx: Context) -> Iterator[Breach]:
    totals = ctx.doc.totals
    without_breakdown = count([
        totals.vat is not None and not ctx.doc.vat_breakdown,
        totals.vat_in_tax_currency is not None,
    ])  # fmt: skip
    if without_breakdown != (1 if given(ctx.doc.tax_currency) else 0):
        yield "totals.vat_in_tax_currency", "BT-111 goes with, and only with, a tax currency (BT-6)"


@_peppol("R055")
def _tax_totals_same_sign(ctx: Context) -> Iterator[Breach]:
    vat, converted = ctx.doc.totals.vat, ctx.doc.totals.vat_in_tax_currency
    opposite = vat is not None and converted is not None and vat * converted < 0
    if given(ctx.doc.tax_currency) and opposite:
        yield "totals.vat_in_tax_currency", "BT-110 and BT-111 must have the same sign"


@_peppol("R061")
def _direct_debit_mandate(ctx: Context) -> Iterator[Breach]:
    for i, means in enumerate(ctx.doc.payment_means):
        debit = means.direct_debit
        if code(means.code) in {"49", "59"} and (debit is None or blank(debit.mandate)):
            yield (
                f"payment_means[{i}].direct_debit.mandate",
                "a direct debit needs its mandate (BT-89)",
            )


@_peppol("R110", needs="lines.period")
def _line_period_starts_within(ctx: Context) -> Iterator[Breach]:
    start = ctx.doc.invoice_period.start if ctx.doc.invoice_period else None
    for i, line in enumerate(ctx.doc.lines):
        line_start = line.period.start if line.period else None
        if start and line_start and line_start < start:
            yield f"lines[{i}].period.start", "the line period starts before the invoicing period"


@_peppol("R111", needs="lines.period")
def _line_period_ends_within(ctx: Context) -> Iterator[Breach]:
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
def _line_net_amount(ctx: Context) -> Iterator[Breach]:
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


@_peppol("R121", needs="lines.price.base_quantity")
def _base_quantity_positive(ctx: Context) -> Iterator[Breach]:
    for i, line in enumerate(ctx.doc.lines):
        base = line.price.base_quantity
        if base is not None and base <= 0:
            yield f"lines[{i}].price.base_quantity", "the price base quantity must be above zero"


@_peppol("R130", needs="lines.price.base_quantity")
def _base_quantity_unit(ctx: Context) -> Iterator[Breach]:
    for i, line in enumerate(ctx.doc.lines):
        price = line.price
        if (
            price.base_quantity is not None
            and given(price.base_unit)
            and price.base_unit != line.unit
        ):
            yield (
                f"lines[{i}].price.base_unit",
                "the base quantity unit must be the line's (BT-130)",
            )


@_peppol("P0100")
def _peppol_invoice_type(ctx: Context) -> Iterator[Breach]:
    type_code = code(ctx.doc.type_code)
    if (
        not ctx.doc.is_credit_note
        and _peppol_process(ctx)
        and type_code not in _PEPPOL_INVOICE_TYPES
    ):
        yield (
            "type_code",
            f"invoice type code {type_code!r} is not one of the Peppol billing process",
        )


@_peppol("P0101")
def _peppol_credit_note_type(ctx: Context) -> Iterator[Breach]:
    type_code = code(ctx.doc.type_code)
    if (
        ctx.doc.is_credit_note
        and _peppol_process(ctx)
        and type_code not in _PEPPOL_CREDIT_NOTE_TYPES
    ):
        yield "type_code", f"credit note type code {type_code!r} is not one of the Peppol process"


@_peppol("P0112")
def _german_type_codes(ctx: Context) -> Iterator[Breach]:
    type_code = code(ctx.doc.type_code)
    if not ctx.doc.is_credit_note and type_code in {"326", "384"} and not _both_german(ctx):
        yield "type_code", f"invoice type code {type_code} is only for German seller and buyer"


def _exemption_category(rule_id: str, exemption_code: str, category: str) -> None:
    rules.each(
        rule_id,
        per("vat_breakdown", field="category"),
        lambda b: code(b.exemption_code).upper() == exemption_code and code(b.category) != category,
        f"exemption reason code {exemption_code} (BT-121) requires VAT category {category}",
        needs=f"exemption:{exemption_code}",
    )


register_rows(_exemption_category, _EXEMPTION_CATEGORIES)


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


def _scheme_format(
    rule_id: str, scheme: str, what: str, valid: Callable[[str], bool], trim: bool
) -> None:
    def identifiers(doc: Invoice) -> Iterator[tuple[str, Identifier]]:
        return ((f"{p}.value", x) for p, x in scheme_identifiers(doc) if x.scheme == scheme)

    def check(ctx: Context) -> Iterator[Breach]:
        if scheme in ctx.id_schemes:
            for path, identifier in identifiers(ctx.doc):
                value = identifier.value
                if not valid(" ".join(value.split()) if trim else value):
                    yield path, f"{value!r} is not a valid {what} (scheme {scheme})"

    rules.add(rule_id, check, needs=f"scheme:{scheme}")


register_rows(_scheme_format, _SCHEME_FORMATS)
