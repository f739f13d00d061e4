"""UBL syntax rules, all profiles: what the model's tuples allow but the EN 16931 UBL binding
does not (``UBL-SR-nn``: at most one of something; ``UBL-CR-nnn``: an element it may not have).

Then two rules of rule set ``BINDING``, which are not official: a model :mod:`ubl.writer`
cannot write without losing or changing data, though the document written would pass.

* ``UBL-CN-BT9``: a credit note's due date (BT-9) without payment means (BG-16);
* ``UBL-BT111-CURRENCY``: the VAT total in accounting currency (BT-111) without that
  currency (BT-6): it would be written in the document currency (the reverse, BT-6 without
  BT-111, is BR-53).

Left out: the rules on XML details :mod:`ubl.writer` always gets right (empty elements, date
format, currencyID, ChargeIndicator, one PaymentDueDate per credit note: UBL-SR-45).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Final

from model.document import Invoice
from ubl.rules._base import Breach, Context, Registry, RuleSet, Values, per, register_rows
from ubl.rules._model import blank, code, count, distinct, given, party_identifiers

rules = Registry(RuleSet.EN16931)


def _sepa_creditor_ids(doc: Invoice) -> int:
    if not any(
        code(x.scheme).upper() == "SEPA" for x in (*doc.seller.identifiers, *doc.buyer.identifiers)
    ):
        return 0
    identifiers = [*party_identifiers(doc, False), *party_identifiers(doc, True)]
    return count(code(x.scheme).upper() == "SEPA" for _, x in identifiers)


def _mandates(doc: Invoice) -> int:
    debits = [m.direct_debit for m in doc.payment_means if m.direct_debit is not None]
    return count(given(d.mandate) or given(d.debited_account) for d in debits)


_MEANS: Final = "several:payment_means"
_AT_MOST_ONE: Final[tuple[tuple[str, str, Callable[[Invoice], int], str, str | None], ...]] = (
    ("UBL-SR-16", "buyer.identifiers", lambda d: count(party_identifiers(d, True)),
     "buyer identifier (BT-46)", "several:buyer.identifiers"),
    ("UBL-SR-29", "seller.identifiers", _sepa_creditor_ids,
     "bank assigned creditor identifier (BT-90, scheme SEPA)", None),
    ("UBL-SR-44", "payment_means", lambda d: distinct(m.remittance_info for m in d.payment_means),
     "remittance information (BT-83), shared by all payment instructions", _MEANS),
    ("UBL-SR-46", "payment_means",
     lambda d: count(given(m.text) and given(m.code) for m in d.payment_means),
     "payment means text (BT-82)", _MEANS),
    ("UBL-SR-47", "payment_means", lambda d: distinct(m.code for m in d.payment_means),
     "payment means code (BT-81), shared by all payment instructions", _MEANS),
    ("UBL-SR-54", "payment_means", lambda d: count(m.card for m in d.payment_means),
     "payment card (BG-18)", _MEANS),
    ("UBL-SR-55", "payment_means", _mandates, "direct debit mandate (BG-19)", _MEANS),
)  # fmt: skip
"""What UBL (for EN 16931) allows once per document, where the model holds a tuple: (rule,
field reported, how many the document has, what, and the :data:`~ubl.rules._base.COUNTED`
tuple it needs two of when the number counts its elements)."""


def _at_most_one(
    rule_id: str, field: str, number: Callable[[Invoice], int], what: str, needs: str | None
) -> None:
    rules.each(
        rule_id,
        Values(lambda doc: ((number(doc),), lambda _: field), one=number),
        lambda n: n > 1,
        f"only one {what}",
        needs=needs,
    )


register_rows(_at_most_one, _AT_MOST_ONE)


@rules.rule("UBL-SR-19")
def _payee_not_seller(ctx: Context) -> Iterator[Breach]:
    payee = ctx.doc.payee
    if payee is not None and (blank(payee.name) or payee.name == ctx.doc.seller.name):
        yield "payee.name", "a payee (BG-10) needs a name (BT-59) other than the seller's (BT-27)"


@rules.rule("UBL-SR-43", needs="additional_documents")
def _supporting_document_type(ctx: Context) -> Iterator[Breach]:
    allowed = {"130", "50"} if ctx.doc.is_credit_note else {"130"}
    for i, document in enumerate(ctx.doc.additional_documents):
        type_code = code(document.type_code)
        if type_code not in allowed and (type_code or given(document.id_scheme)):
            yield (
                f"additional_documents[{i}].type_code",
                "only an invoiced object (type 130) has a document type code or scheme",
            )


def _not_on_invoiced_object(rule_id: str, field: str) -> None:
    rules.each(
        rule_id,
        per("additional_documents", field=field),
        lambda document: code(document.type_code) == "130" and bool(getattr(document, field)),
        f"an invoiced object reference (type 130) cannot have a {field}",
    )


_not_on_invoiced_object("UBL-CR-666", "attachment")
_not_on_invoiced_object("UBL-CR-673", "description")


# --- the limits of the binding (rule set BINDING: not official rules) -------------------------


@rules.rule("UBL-CN-BT9", RuleSet.BINDING)
def _credit_note_due_date(ctx: Context) -> Iterator[Breach]:
    """A UBL 2.1 CreditNote has no root DueDate: BT-9 travels as PaymentMeans/PaymentDueDate."""
    doc = ctx.doc
    if doc.is_credit_note and doc.due_date is not None and not doc.payment_means:
        yield (
            "due_date",
            "a credit note carries its due date (BT-9) only in a payment means: add payment "
            "instructions (BG-16) or drop the due date",
        )


@rules.rule("UBL-BT111-CURRENCY", RuleSet.BINDING)
def _vat_total_currency(ctx: Context) -> Iterator[Breach]:
    """The BT-111 TaxTotal is told from the BT-110 one by its currencyID, the tax currency."""
    doc = ctx.doc
    if doc.totals.vat_in_tax_currency is not None and blank(doc.tax_currency):
        yield (
            "tax_currency",
            "the VAT total in accounting currency (BT-111) needs the VAT accounting currency "
            "(BT-6)",
        )
