"""Dutch rules of a Dutch seller: Peppol ``NL-R-nnn`` (profile ``peppol-bis3``) and SI-UBL 2.0
``BR-NL-n`` (profile ``nlcius``).

Peppol keys on the seller's country; SI-UBL also on the CustomizationID (BT-24).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Final

from model.document import Address, Identifier, Invoice
from ubl.rules._base import Breach, Check, Context, Registry, RuleSet, register_rows
from ubl.rules._model import (
    blank,
    code,
    country,
    given,
    has_order_reference,
    representative_address,
    written_id,
)
from ubl.rules.peppol import buyer_or_order_reference

rules = Registry(RuleSet.PEPPOL)

_DUTCH_REGISTRATIONS: Final = frozenset({"0106", "0190"})
"""KVK number (0106) and OIN (0190)."""
_DUTCH_PAYMENT_MEANS: Final = frozenset({"30", "48", "49", "57", "58", "59"})
_SI_UBL_MARKS: Final = (
    "#compliant#urn:fdc:nen.nl:nlcius:v1.0",
    "#conformant#urn:fdc:nen.nl:gaccount:v1.0",
)
"""A CustomizationID with one of these is SI-UBL 2.0: only then do the BR-NL rules apply."""

_Applies = Callable[[Context], bool]


def _address_gaps(field: str, get: Callable[[Invoice], Address | None], raw: bool = False) -> Check:
    """Street (BT-35), city (BT-37) and post code (BT-38) of a Dutch address.

    ``raw``: only when the address itself is Dutch, its country compared untrimmed (SI-UBL).
    """

    def check(ctx: Context) -> Iterator[Breach]:
        address = get(ctx.doc)
        if address is None or (raw and address.country != "NL"):
            return
        for part, term in (("line1", "street"), ("city", "city"), ("postal_code", "post code")):
            if blank(getattr(address, part)):
                yield f"{field}.{part}", f"a Dutch address needs its {term}"

    return check


def _dutch_registration(identifier: Identifier | None) -> bool:
    return written_id(identifier) and identifier.scheme in _DUTCH_REGISTRATIONS


def _registration_scheme(field: str, get: Callable[[Invoice], Identifier | None]) -> Check:
    """NL-R-003/005: a written legal registration must be a KVK or OIN number."""

    def check(ctx: Context) -> Iterator[Breach]:
        identifier = get(ctx.doc)
        if written_id(identifier) and not _dutch_registration(identifier):
            yield f"{field}.scheme", "a Dutch legal registration must be KVK (0106) or OIN (0190)"

    return check


def _references_invoice(doc: Invoice) -> bool:
    return any(given(p.number) for p in doc.preceding_invoices)


def _credit_note_reference(ctx: Context) -> Iterator[Breach]:
    if ctx.doc.is_credit_note and not _references_invoice(ctx.doc):
        yield "preceding_invoices", "a Dutch credit note must reference the invoice (BT-25)"


def _payment_instructions(ctx: Context) -> Iterator[Breach]:
    """Payment instructions when the customer pays the supplier (NL-R-007, BR-NL-11)."""
    payable = ctx.doc.totals.payable
    customer_pays = payable < 0 if ctx.doc.is_credit_note else payable > 0
    if customer_pays and not ctx.doc.payment_means:
        yield "payment_means", "a Dutch supplier must give payment instructions (BG-16)"


def _invoice_payment_instructions(ctx: Context) -> Iterable[Breach]:
    return () if ctx.doc.is_credit_note else _payment_instructions(ctx)


def _dutch_payment_means(ctx: Context) -> Iterator[Breach]:
    for i, means in enumerate(ctx.doc.payment_means):
        if code(means.code) not in _DUTCH_PAYMENT_MEANS:
            yield f"payment_means[{i}].code", "payment means must be 30, 48, 49, 57, 58 or 59"


def _order_for_order_lines(ctx: Context) -> Iterator[Breach]:
    if not has_order_reference(ctx.doc):
        for i, line in enumerate(ctx.doc.lines):
            if given(line.order_line_ref):
                yield f"lines[{i}].order_line_ref", "an order line (BT-132) needs the order (BT-13)"


def _supplier_registration(ctx: Context) -> Iterator[Breach]:
    if not _dutch_registration(ctx.doc.seller.legal_registration):
        yield "seller.legal_registration", "a Dutch supplier needs its KVK or OIN number (BT-30)"


def _customer_registration(ctx: Context) -> Iterator[Breach]:
    buyer = ctx.doc.buyer
    if buyer.address.country == "NL" and not _dutch_registration(buyer.legal_registration):
        yield "buyer.legal_registration", "a Dutch customer needs its KVK or OIN number (BT-47)"


def _si_type_code(ctx: Context) -> Iterator[Breach]:
    if ctx.doc.type_code not in {"380", "381", "384", "389"}:
        yield "type_code", f"type code {ctx.doc.type_code!r} must be 380, 381, 384 or 389"


def _si_credit_note_scheme(ctx: Context) -> Iterator[Breach]:
    if (ctx.doc.type_code == "381") != ctx.doc.is_credit_note:
        yield "kind", "type code 381 is written as a UBL CreditNote, a CreditNote has type 381"


def _corrective_reference(ctx: Context) -> Iterator[Breach]:
    if ctx.doc.type_code == "384" and not _references_invoice(ctx.doc):
        yield "preceding_invoices", "a corrective invoice (384) must reference the invoice (BT-25)"


def _seller_nl(ctx: Context) -> bool:
    return ctx.seller_country == "NL"


def _both_nl(ctx: Context) -> bool:
    return ctx.seller_country == "NL" and ctx.buyer_country == "NL"


def _representative_nl(ctx: Context) -> bool:
    return _seller_nl(ctx) and country(representative_address(ctx.doc)) == "NL"


def _si_ubl(ctx: Context) -> bool:
    return any(mark in ctx.customization_id for mark in _SI_UBL_MARKS)


def _si_ubl_nl(ctx: Context) -> bool:
    return _si_ubl(ctx) and _seller_nl(ctx)


def _seller(doc: Invoice) -> Address:
    return doc.seller.address


def _buyer(doc: Invoice) -> Address:
    return doc.buyer.address


# fmt: off
_DUTCH_RULES: Final[tuple[tuple[str, RuleSet, _Applies, Check], ...]] = (
    ("NL-R-001", RuleSet.PEPPOL, _seller_nl, _credit_note_reference),
    ("NL-R-002", RuleSet.PEPPOL, _seller_nl, _address_gaps("seller.address", _seller)),
    ("NL-R-003", RuleSet.PEPPOL, _seller_nl,
     _registration_scheme("seller.legal_registration", lambda d: d.seller.legal_registration)),
    ("NL-R-004", RuleSet.PEPPOL, _both_nl, _address_gaps("buyer.address", _buyer)),
    ("NL-R-005", RuleSet.PEPPOL, _both_nl,
     _registration_scheme("buyer.legal_registration", lambda d: d.buyer.legal_registration)),
    ("NL-R-006", RuleSet.PEPPOL, _representative_nl,
     _address_gaps("tax_representative.address", representative_address)),
    ("NL-R-007", RuleSet.PEPPOL, _seller_nl, _payment_instructions),
    ("NL-R-008", RuleSet.PEPPOL, _both_nl, _dutch_payment_means),
    ("NL-R-009", RuleSet.PEPPOL, _seller_nl, _order_for_order_lines),
    ("BR-NL-1", RuleSet.SI_UBL, _si_ubl_nl, _supplier_registration),
    ("BR-NL-2", RuleSet.SI_UBL, _si_ubl_nl, buyer_or_order_reference),
    ("BR-NL-3", RuleSet.SI_UBL, _si_ubl_nl, _address_gaps("seller.address", _seller)),
    ("BR-NL-4", RuleSet.SI_UBL, _si_ubl_nl, _address_gaps("buyer.address", _buyer, raw=True)),
    ("BR-NL-5", RuleSet.SI_UBL, _si_ubl_nl,
     _address_gaps("tax_representative.address", representative_address, raw=True)),
    ("BR-NL-7", RuleSet.SI_UBL, _si_ubl_nl, _si_type_code),
    ("BR-NL-8", RuleSet.SI_UBL, _si_ubl_nl, _si_credit_note_scheme),
    ("BR-NL-9", RuleSet.SI_UBL, _si_ubl_nl, _corrective_reference),
    ("BR-NL-10", RuleSet.SI_UBL, _si_ubl_nl, _customer_registration),
    ("BR-NL-11", RuleSet.SI_UBL, _si_ubl_nl, _invoice_payment_instructions),
    ("BR-NL-12", RuleSet.SI_UBL, _si_ubl_nl, _dutch_payment_means),
)
# fmt: on
"""The Dutch rules of a Dutch seller: (rule, rule set, when it applies, check)."""


def _dutch(
    rule_id: str,
    rule_set: RuleSet,
    applies: _Applies,
    check: Check,
    needs: str | None = "seller:NL",
) -> None:
    def guarded(ctx: Context) -> Iterable[Breach]:
        return check(ctx) if applies(ctx) else ()

    rules.add(rule_id, guarded, rule_set, needs)


register_rows(_dutch, _DUTCH_RULES)
_dutch("BR-NL-13", RuleSet.SI_UBL, _si_ubl, _order_for_order_lines, needs=None)  # any supplier
