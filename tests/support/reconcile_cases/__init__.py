"""A seeded, labelled test set for the matcher: open invoices and credit notes over many
debtors, and bookings covering every case of issue 16 section 2, each with the truth beside
it (which documents it applies to and by how much, or nothing).

One module per case family, each a ``FAMILY`` of case classes (a function adding one
instance for one debtor):

* :mod:`.references`: structured references (grouped, prefixed, lower case, in the field or
  the text), a reference with one wrong digit, a stale reference against the invoice named;
* :mod:`.numbers`: invoice numbers in the text in many spellings, in the EndToEndId, named
  by an agent;
* :mod:`.debtors`: the debtor known by account, learned account, name (case, legal form) or
  agent, with an exact amount, a combination, or within tolerance;
* :mod:`.amounts`: partial payments, instalments, over-payments;
* :mod:`.several`: several invoices in one payment, credit notes netted, our SEPA
  direct-debit batch;
* :mod:`.reversals`: reversals in the same run, returns of an earlier run's debit, a return
  of our own transfer;
* :mod:`.ambiguous`: equal open amounts (by account, name, agent), two fitting combinations,
  an amount alone, a reference already paid: never applied;
* :mod:`.unrelated`: rent, salaries, tax, fees, refunds, pay-outs: never applied.

Besides its case, every debtor has a few open documents that nothing pays (noise).
:func:`generate` builds one set; :func:`score` computes pair precision and recall, overall
and per case class, where a pair is (bank reference, document, signed amount) applied.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from tests.support.reconcile_cases import (
    ambiguous,
    amounts,
    debtors,
    numbers,
    references,
    reversals,
    several,
    unrelated,
)
from tests.support.reconcile_cases.builder import POLICY, Builder, Debtor, LabelledSet
from tests.support.reconcile_cases.scoring import Pair, Score, pairs, score

__all__ = [
    "CASES",
    "MUST_STAY_UNMATCHED",
    "POLICY",
    "SUGGESTED_ONLY",
    "Debtor",
    "LabelledSet",
    "Pair",
    "Score",
    "generate",
    "pairs",
    "score",
]

CaseFn = Callable[[Builder, Debtor], None]

CASES: dict[str, CaseFn] = {
    **references.FAMILY,
    **numbers.FAMILY,
    **debtors.FAMILY,
    **amounts.FAMILY,
    **several.FAMILY,
    **reversals.FAMILY,
    **ambiguous.FAMILY,
    **unrelated.FAMILY,
}
"""Each case class with the function that adds one instance of it for one debtor."""

MUST_STAY_UNMATCHED = frozenset(
    {"conflicting_reference", "return_of_our_transfer", "unrelated"} | set(ambiguous.FAMILY)
)
"""Case classes whose bookings have no truth: applying anything is a wrong match."""
SUGGESTED_ONLY = frozenset({"near_reference_unknown_payer"})
"""Case classes whose truth the matcher may only suggest (too little evidence to apply)."""


def generate(seed: int, debtors: int = 400, *, cases: Iterable[str] | None = None) -> LabelledSet:
    """A labelled set: ``debtors`` debtors, each with a few open documents that nothing pays
    (noise) and one case instance, the case classes taken in turn."""
    b = Builder(seed)
    chosen = list(cases) if cases is not None else list(CASES)
    for index in range(debtors):
        debtor = b.debtor(index)
        CASES[chosen[index % len(chosen)]](b, debtor)
        for _ in range(b.rng.randint(0, 3)):
            b.item(debtor)
    return LabelledSet(
        items=b.items, bookings=b.bookings, truth=b.truth, case_of=b.case_of, prior=b.prior
    )
