"""Payments by structured reference (stage 1) and mistyped references (stage 2)."""

from __future__ import annotations

from model.identifiers import betalingskenmerk, rf
from tests.support.reconcile_cases.builder import Builder, Debtor, iban
from tests.support.reconcile_cases.spelling import spell_reference, wrong_digit

__all__ = ["FAMILY"]


def _reference(b: Builder, d: Debtor) -> None:
    """The reference in the structured field, or written in the text (grouped, prefixed,
    lower case); some debtors have other open invoices of the very same amount (a monthly
    fee), which the reference tells apart."""
    inv = b.item(d, reference=b.rng.choice(("rf", "kenmerk", "ogm")))
    assert inv.payment_reference
    if b.rng.random() < 0.3:
        for _ in range(b.rng.randint(1, 2)):
            b.item(d, amount=inv.amount)
    name = d.spelled(b.rng) if b.rng.random() < 0.5 else d.name
    if b.rng.random() < 0.4:
        structured = inv.payment_reference
        if structured.startswith("RF") and b.rng.random() < 0.3:
            structured = rf.format(structured)  # some banks keep the spaces
        b.book(
            "reference",
            {inv.number: inv.open},
            amount=inv.open,
            payer=d,
            name=name,
            structured=structured,
        )
    else:
        spelled = spell_reference(b.rng, inv.payment_reference)
        text = f"{spelled} {b.rng.choice(('', 'dank', 'betaling', 'okt 2026'))}".strip()
        b.book("reference", {inv.number: inv.open}, amount=inv.open, payer=d, name=name, text=text)


def _mistyped(b: Builder, reference: str) -> str:
    """``reference`` with one digit wrong, such that its check fails (a wrong digit can keep
    a betalingskenmerk's check) and no other document has it."""
    taken = {i.payment_reference for i in b.items}
    while True:
        wrong = wrong_digit(b.rng, reference)
        if wrong not in taken and not (rf.is_valid(wrong) or betalingskenmerk.is_valid(wrong)):
            return wrong


def _near(b: Builder, d: Debtor) -> None:
    """One wrong digit, from the debtor's known account, the exact amount: in the
    structured field or typed (grouped) after a keyword."""
    d.direct_debit = True
    inv = b.item(d, reference=b.rng.choice(("rf", "kenmerk")))
    assert inv.payment_reference
    wrong = _mistyped(b, inv.payment_reference)
    if wrong.startswith("RF") or b.rng.random() < 0.5:
        b.book("near_reference", {inv.number: inv.open}, amount=inv.open, payer=d, structured=wrong)
    else:
        spelled = betalingskenmerk.format(wrong) if len(wrong) == 16 else wrong
        text = f"{b.rng.choice(('BETALINGSKENM.', 'kenmerk', 'REF'))} {spelled}"
        b.book("near_reference", {inv.number: inv.open}, amount=inv.open, payer=d, text=text)


def _near_unknown(b: Builder, d: Debtor) -> None:
    """A mistyped reference from an account nobody knows, under another name: the payer meant
    the invoice (the truth), but the matcher may only suggest it (a miss it accepts)."""
    d.direct_debit = False
    inv = b.item(d, reference="kenmerk")
    assert inv.payment_reference
    b.book(
        "near_reference_unknown_payer",
        {inv.number: inv.open},
        amount=inv.open,
        name="Stichting Derdengelden",
        iban=iban(b.rng),
        structured=_mistyped(b, inv.payment_reference),
    )


def _conflicting(b: Builder, d: Debtor) -> None:
    """Two identifiers that disagree: the structured reference is one invoice's, while the
    text names another invoice of the same debtor and the amount is exactly that other
    invoice's (a payer re-using an old payment with a stale reference). Ambiguous: nothing
    may be applied."""
    d.direct_debit = True
    stale = b.item(d, reference=b.rng.choice(("rf", "kenmerk")))
    meant = b.item(d, reference=None)
    assert stale.payment_reference
    b.book(
        "conflicting_reference",
        {},
        amount=meant.open,
        payer=d,
        structured=stale.payment_reference,
        text=f"fact {meant.number}",
    )


FAMILY = {
    "reference": _reference,
    "near_reference": _near,
    "near_reference_unknown_payer": _near_unknown,
    "conflicting_reference": _conflicting,
}
