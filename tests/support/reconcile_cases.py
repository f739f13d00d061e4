"""A seeded, labelled test set for the matcher: open invoices and credit notes over many
debtors, and bookings covering every case of issue 16 section 2, each with the truth beside
it (which documents it applies to and by how much, or nothing).

:func:`generate` builds one set; :func:`score` computes pair precision and recall, overall
and per case class, where a pair is (bank reference, document, signed amount) applied.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from stdnum.iso7064 import mod_97_10

from model.identifiers import betalingskenmerk, ogm, rf
from reconcile.matching import MatchPolicy, Outcome
from reconcile.open_items import ItemKind, OpenItem
from reconcile.result import Allocation, Match, Stage
from reconcile.transaction import Counterparty, Transaction

__all__ = ["CASES", "POLICY", "Debtor", "LabelledSet", "Score", "generate", "pairs", "score"]

POLICY = MatchPolicy(tolerance_amount=Decimal("5.00"), tolerance_percent=Decimal(0))
"""The policy the set is labelled for: up to 5.00 short is accepted, the shortfall kept open."""

_DAY = date(2026, 11, 2)
_WORDS = [
    "Koffiehuis",
    "Bakkerij",
    "Garage",
    "Drukkerij",
    "Installatie",
    "Transport",
    "Bouw",
    "Tuin",
    "Zorg",
    "Advies",
    "Kapsalon",
    "Fietsen",
    "Vis",
    "Bloemen",
    "Meubel",
    "Schilders",
    "Techniek",
    "Media",
    "Logistiek",
    "Catering",
    "Optiek",
    "Apotheek",
]
_PLACES = [
    "Noord",
    "Zuid",
    "Oost",
    "West",
    "Centrum",
    "Haven",
    "Dorp",
    "Stad",
    "Veld",
    "Berg",
    "Dal",
    "Meer",
    "Duin",
    "Polder",
    "Brug",
    "Markt",
]


@dataclass(slots=True)
class Debtor:
    key: str
    name: str
    iban: str
    direct_debit: bool
    """True: the debtor's account is on its invoices (BT-91), so the matcher knows it."""
    items: list[OpenItem] = field(default_factory=list)


@dataclass(slots=True)
class LabelledSet:
    items: list[OpenItem]
    bookings: dict[str, Transaction]
    truth: dict[str, dict[str, Decimal]]
    """Per bank reference: document -> signed reduction of its open amount (empty: none)."""
    case_of: dict[str, str]
    prior: list[Match]
    policy: MatchPolicy = POLICY

    def expected_open(self) -> dict[str, Decimal]:
        """Each document's open amount once the truth is applied."""
        kinds = {i.number: i.kind for i in self.items}
        result = {i.number: i.open for i in self.items}
        for allocations in self.truth.values():
            for number, amount in allocations.items():
                sign = 1 if kinds[number] is ItemKind.CREDIT_NOTE else -1
                result[number] += sign * amount
        return result

    def of_case(self, case: str) -> list[str]:
        return [key for key, kind in self.case_of.items() if kind == case]


def _iban(rng: random.Random) -> str:
    bank = rng.choice(("ABNA", "INGB", "RABO", "TRIO", "KNAB", "SNSB"))
    account = "".join(rng.choice("0123456789") for _ in range(10))
    return f"NL{mod_97_10.calc_check_digits(bank + account + 'NL')}{bank}{account}"


def _money(rng: random.Random, low: int = 5000, high: int = 500000) -> Decimal:
    return Decimal(rng.randint(low, high)) / 100


class _Builder:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.seq = 0
        self.items: list[OpenItem] = []
        self.bookings: dict[str, Transaction] = {}
        self.truth: dict[str, dict[str, Decimal]] = {}
        self.case_of: dict[str, str] = {}
        self.prior: list[Match] = []
        self.entry = 0

    def debtor(self, index: int) -> Debtor:
        rng = self.rng
        name = f"{rng.choice(_WORDS)} {rng.choice(_PLACES)} {index} B.V."
        kvk = f"{10000000 + index * 7:08d}"
        return Debtor(
            key=f"0106:{kvk}", name=name, iban=_iban(rng), direct_debit=rng.random() < 0.5
        )

    def item(
        self,
        debtor: Debtor,
        *,
        kind: ItemKind = ItemKind.INVOICE,
        amount: Decimal | None = None,
        reference: str | None = "random",
        open_: Decimal | None = None,
    ) -> OpenItem:
        rng = self.rng
        self.seq += 1
        number = f"{'CN' if kind is ItemKind.CREDIT_NOTE else ''}2026-{self.seq:05d}"
        if reference == "random":
            reference = rng.choice(("rf", "kenmerk", "ogm", None))
        ref = {
            "rf": lambda: rf.create(f"{self.seq:09d}"),
            "kenmerk": lambda: betalingskenmerk.create(f"{rng.randint(0, 10**15 - 1):015d}"),
            "ogm": lambda: ogm.create(f"{rng.randint(1, 10**10 - 1):010d}"),
        }.get(reference or "", lambda: None)()
        value = amount if amount is not None else _money(rng)
        issued = _DAY - timedelta(days=rng.randint(10, 90))
        item = OpenItem(
            number=number,
            kind=kind,
            debtor=debtor.key,
            debtor_name=debtor.name,
            debtor_accounts=frozenset({debtor.iban}) if debtor.direct_debit else frozenset(),
            currency="EUR",
            amount=value,
            open=value if open_ is None else open_,
            issue_date=issued,
            due_date=issued + timedelta(days=30),
            payment_reference=ref if kind is ItemKind.INVOICE else None,
        )
        debtor.items.append(item)
        self.items.append(item)
        return item

    def book(
        self,
        case: str,
        truth: dict[str, Decimal],
        *,
        amount: Decimal,
        payer: Debtor | None = None,
        name: str | None = None,
        iban: str | None = None,
        text: str = "",
        structured: str | None = None,
        e2e: str | None = None,
        **extra: object,
    ) -> str:
        self.entry += 1
        key = f"ACR{self.entry:07d}"
        party = None
        if payer is not None or name or iban:
            party = Counterparty(
                name=name or (payer.name if payer else None),
                iban=iban or (payer.iban if payer else None),
            )
        self.bookings[key] = Transaction(
            booking_date=_DAY + timedelta(days=self.entry % 20),
            amount=amount,
            currency="EUR",
            counterparty=party,
            structured_reference=structured,
            text=text,
            end_to_end_id=e2e,
            bank_reference=key,
            entry=self.entry,
            **extra,  # type: ignore[arg-type]
        )
        self.truth[key] = truth
        self.case_of[key] = case
        return key


def _spell(rng: random.Random, reference: str) -> str:
    """A reference as a bank or a payer writes it in the text."""
    if reference.startswith("RF"):
        return rf.format(reference) if rng.random() < 0.7 else reference
    if len(reference) == 12 and ogm.is_valid(reference):
        marks = rng.choice(("+++", "***"))
        return f"{marks}{reference[:3]}/{reference[3:7]}/{reference[7:]}{marks}"
    spelled = betalingskenmerk.format(reference) if rng.random() < 0.6 else reference
    return rng.choice((f"BETALINGSKENM. {spelled}", f"kenmerk {spelled}", spelled))


def _number_text(rng: random.Random, number: str) -> str:
    year, seq = number.split("-")
    return rng.choice(
        (
            f"fact {number}",
            f"INV{year} {seq}",
            f"factuurnr {year}{seq}",
            f"Factuur {number} dank u",
            f"betaling inv. {year}-{seq}",
        )
    )


def _wrong_digit(rng: random.Random, reference: str) -> str:
    body = list(reference)
    start = 2 if reference.startswith("RF") else 0
    while True:
        at = rng.randrange(start + 2 if start else 1, len(body))
        if body[at].isdigit():
            body[at] = str((int(body[at]) + rng.randint(1, 9)) % 10)
            return "".join(body)


def _case_reference(b: _Builder, d: Debtor) -> None:
    inv = b.item(d, reference=b.rng.choice(("rf", "kenmerk", "ogm")))
    assert inv.payment_reference
    if b.rng.random() < 0.5:
        b.book(
            "reference",
            {inv.number: inv.open},
            amount=inv.open,
            payer=d,
            structured=inv.payment_reference,
        )
    else:
        text = f"{_spell(b.rng, inv.payment_reference)} {b.rng.choice(('', 'dank', 'betaling'))}"
        b.book("reference", {inv.number: inv.open}, amount=inv.open, payer=d, text=text.strip())


def _case_near(b: _Builder, d: Debtor) -> None:
    d.direct_debit = True
    inv = b.item(d, reference=b.rng.choice(("rf", "kenmerk")))
    assert inv.payment_reference
    wrong = _wrong_digit(b.rng, inv.payment_reference)
    if wrong in {i.payment_reference for i in b.items} or (
        rf.is_valid(wrong) or betalingskenmerk.is_valid(wrong)
    ):
        wrong = inv.payment_reference
    b.book("near_reference", {inv.number: inv.open}, amount=inv.open, payer=d, structured=wrong)


def _case_number(b: _Builder, d: Debtor) -> None:
    inv = b.item(d, reference=None)
    b.book(
        "invoice_number",
        {inv.number: inv.open},
        amount=inv.open,
        payer=d,
        text=_number_text(b.rng, inv.number),
    )


def _case_e2e(b: _Builder, d: Debtor) -> None:
    inv = b.item(d, reference=None)
    b.book(
        "end_to_end_id",
        {inv.number: inv.open},
        amount=inv.open,
        payer=d,
        e2e=inv.number,
        name=f"{d.name} Holding",
    )


def _case_debtor_amount(b: _Builder, d: Debtor) -> None:
    d.direct_debit = True
    inv = b.item(d, reference=None)
    b.item(d)  # another open invoice of the same debtor
    b.book(
        "debtor_amount",
        {inv.number: inv.open},
        amount=inv.open,
        payer=d,
        text="betaling",
        name="J. de Vries",
    )


def _case_combination(b: _Builder, d: Debtor) -> None:
    d.direct_debit = True
    chosen = [b.item(d, reference=None) for _ in range(b.rng.randint(2, 4))]
    b.item(d)
    total = sum((i.open for i in chosen), Decimal(0))
    b.book("combination", {i.number: i.open for i in chosen}, amount=total, payer=d)


def _case_credit_net(b: _Builder, d: Debtor) -> None:
    by_amount = b.rng.random() < 0.5
    d.direct_debit = d.direct_debit or by_amount
    inv = b.item(d, reference=None)
    credit = b.item(d, kind=ItemKind.CREDIT_NOTE, amount=(inv.open / 4).quantize(Decimal("0.01")))
    net = inv.open - credit.open
    truth = {inv.number: inv.open, credit.number: -credit.open}
    if by_amount:
        b.book("credit_note", truth, amount=net, payer=d)
    else:
        b.book(
            "credit_note",
            truth,
            amount=net,
            payer=d,
            text=f"fact {inv.number} minus creditnota {credit.number}",
        )


def _case_several(b: _Builder, d: Debtor) -> None:
    a, c = b.item(d, reference=None), b.item(d, reference=None)
    b.book(
        "several_invoices",
        {a.number: a.open, c.number: c.open},
        amount=a.open + c.open,
        payer=d,
        text=f"facturen {a.number} en {c.number}",
    )


def _case_partial(b: _Builder, d: Debtor) -> None:
    inv = b.item(d, reference="rf")
    part = (inv.open * Decimal("0.4")).quantize(Decimal("0.01"))
    b.book("partial", {inv.number: part}, amount=part, payer=d, structured=inv.payment_reference)


def _case_instalments(b: _Builder, d: Debtor) -> None:
    inv = b.item(d, reference="kenmerk", amount=_money(b.rng, 20000, 500000))
    first = (inv.open / 3).quantize(Decimal("0.01"))
    second = inv.open - first
    for part in (first, second):
        b.book(
            "instalments",
            {inv.number: part},
            amount=part,
            payer=d,
            text=f"termijn {_spell(b.rng, inv.payment_reference or '')}",
        )


def _case_overpayment(b: _Builder, d: Debtor) -> None:
    inv = b.item(d, reference="ogm")
    b.book(
        "overpayment",
        {inv.number: inv.open},
        amount=inv.open + Decimal("25.00"),
        payer=d,
        structured=inv.payment_reference,
    )


def _case_tolerance(b: _Builder, d: Debtor) -> None:
    inv = b.item(d, reference=None, amount=_money(b.rng, 10000, 500000))
    paid = inv.open - Decimal("2.50")
    d.direct_debit = True
    b.book("tolerance", {inv.number: paid}, amount=paid, payer=d, text="betaling")


def _case_agent(b: _Builder, d: Debtor) -> None:
    inv = b.item(d, reference=None)
    b.book(
        "agent",
        {inv.number: inv.open},
        amount=inv.open,
        name="Administratiekantoor Smit",
        iban=_iban(b.rng),
        ultimate_debtor=d.name,
    )


def _case_learned(b: _Builder, d: Debtor) -> None:
    d.direct_debit = False
    first = b.item(d, reference="rf")
    second = b.item(d, reference=None)
    b.book(
        "learned_account",
        {first.number: first.open},
        amount=first.open,
        name="P. Jansen",
        iban=d.iban,
        structured=first.payment_reference,
    )
    b.book(
        "learned_account",
        {second.number: second.open},
        amount=second.open,
        name="P. Jansen",
        iban=d.iban,
    )


def _case_batch(b: _Builder, d: Debtor) -> None:
    others = [b.debtor(10_000 + b.seq + k) for k in range(b.rng.randint(2, 4))]
    children = []
    truth: dict[str, Decimal] = {}
    for debtor in [d, *others]:
        debtor.direct_debit = True
        inv = b.item(debtor, reference=None)
        truth[inv.number] = inv.open
        children.append(
            Transaction(
                booking_date=_DAY,
                amount=inv.open,
                currency="EUR",
                counterparty=Counterparty(name=debtor.name, iban=debtor.iban),
                end_to_end_id=inv.number,
                bank_code="PMNT-IDDT-ESDD",
            )
        )
    total = sum(truth.values(), Decimal(0))
    b.book(
        "direct_debit_batch",
        truth,
        amount=total,
        text="SEPA incasso batch",
        children=tuple(children),
        bank_code="PMNT-IDDT-ESDD",
    )


def _case_reversal(b: _Builder, d: Debtor) -> None:
    inv = b.item(d, reference="kenmerk")
    e2e = f"E2E{b.seq:08d}"
    b.book(
        "reversal_same_run",
        {inv.number: inv.open},
        amount=inv.open,
        payer=d,
        structured=inv.payment_reference,
        e2e=e2e,
    )
    b.book(
        "reversal_same_run",
        {inv.number: -inv.open},
        amount=-inv.open,
        payer=d,
        structured=inv.payment_reference,
        e2e=e2e,
        reversal=True,
        return_reason="AC04",
    )


def _case_return_prior(b: _Builder, d: Debtor) -> None:
    d.direct_debit = True
    amount = _money(b.rng)
    inv = b.item(d, reference=None, amount=amount, open_=Decimal("0.00"))
    earlier = Transaction(
        booking_date=_DAY - timedelta(days=5),
        amount=amount,
        currency="EUR",
        counterparty=Counterparty(name=d.name, iban=d.iban),
        end_to_end_id=inv.number,
        bank_reference=f"OLD{b.seq:06d}",
    )
    b.prior.append(
        Match(
            bank_reference=f"OLD{b.seq:06d}",
            transaction=earlier,
            allocations=(Allocation(invoice=inv.number, amount=amount),),
            stage=Stage.INVOICE_NUMBER,
            reason="earlier run",
            confidence=0.97,
        )
    )
    b.book(
        "return_prior_run",
        {inv.number: -amount},
        amount=-amount,
        payer=d,
        e2e=inv.number,
        reversal=True,
        return_reason="MD06",
        bank_code="PMNT-IDDT-UPDD",
    )


def _case_ambiguous(b: _Builder, d: Debtor) -> None:
    d.direct_debit = True
    amount = _money(b.rng)
    b.item(d, reference=None, amount=amount)
    b.item(d, reference=None, amount=amount)
    b.book("ambiguous", {}, amount=amount, payer=d)


def _case_unrelated(b: _Builder, d: Debtor) -> None:
    inv = b.item(d, reference=None)
    kind = b.rng.randrange(6)
    if kind == 0:
        b.book(
            "unrelated",
            {},
            amount=-_money(b.rng, 100000, 300000),
            name="Vastgoed BV",
            iban=_iban(b.rng),
            text="huur december 2026",
        )
    elif kind == 1:
        b.book(
            "unrelated",
            {},
            amount=-_money(b.rng, 200000, 400000),
            name="M. Bakker",
            iban=_iban(b.rng),
            text="salaris november",
        )
    elif kind == 2:
        b.book(
            "unrelated",
            {},
            amount=-_money(b.rng),
            name="Belastingdienst",
            structured=betalingskenmerk.create(f"{b.rng.randint(0, 10**15 - 1):015d}"),
            text="omzetbelasting",
        )
    elif kind == 3:
        b.book("unrelated", {}, amount=-Decimal("12.50"), text="kosten betalingsverkeer")
    elif kind == 4:
        b.book("unrelated", {}, amount=-inv.open, payer=d, text=f"terugbetaling {inv.number}")
    else:
        b.book(
            "unrelated",
            {},
            amount=_money(b.rng),
            name="Belastingdienst",
            iban=_iban(b.rng),
            text="teruggaaf vennootschapsbelasting",
        )


def _case_paid_twice(b: _Builder, d: Debtor) -> None:
    inv = b.item(d, reference="rf", open_=Decimal("0.00"))
    b.book("paid_twice", {}, amount=inv.amount, payer=d, structured=inv.payment_reference)


def _case_near_unknown(b: _Builder, d: Debtor) -> None:
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
        iban=_iban(b.rng),
        structured=_wrong_digit(b.rng, inv.payment_reference),
    )


def _case_amount_only(b: _Builder, d: Debtor) -> None:
    """An unknown payer paying exactly what one open invoice of somebody is: no evidence of
    who, so nothing is applied."""
    inv = b.item(d, reference=None)
    b.book(
        "amount_only",
        {},
        amount=inv.open,
        name="Onbekende Betaler",
        iban=_iban(b.rng),
        text="diversen",
    )


CASES: dict[str, Callable[[_Builder, Debtor], None]] = {
    "reference": _case_reference,
    "near_reference": _case_near,
    "invoice_number": _case_number,
    "end_to_end_id": _case_e2e,
    "debtor_amount": _case_debtor_amount,
    "combination": _case_combination,
    "credit_note": _case_credit_net,
    "several_invoices": _case_several,
    "partial": _case_partial,
    "instalments": _case_instalments,
    "overpayment": _case_overpayment,
    "tolerance": _case_tolerance,
    "agent": _case_agent,
    "learned_account": _case_learned,
    "direct_debit_batch": _case_batch,
    "reversal_same_run": _case_reversal,
    "return_prior_run": _case_return_prior,
    "ambiguous": _case_ambiguous,
    "unrelated": _case_unrelated,
    "paid_twice": _case_paid_twice,
    "near_reference_unknown_payer": _case_near_unknown,
    "amount_only": _case_amount_only,
}
"""Each case class with the function that adds one instance of it for one debtor."""


def generate(seed: int, debtors: int = 400, *, cases: Iterable[str] | None = None) -> LabelledSet:
    """A labelled set: ``debtors`` debtors, each with a few open documents that nothing pays
    (noise) and one case instance, the case classes taken in turn."""
    b = _Builder(seed)
    chosen = list(cases) if cases is not None else list(CASES)
    for index in range(debtors):
        debtor = b.debtor(index)
        CASES[chosen[index % len(chosen)]](b, debtor)
        for _ in range(b.rng.randint(0, 3)):
            b.item(debtor)
    items = b.items
    return LabelledSet(
        items=items, bookings=b.bookings, truth=b.truth, case_of=b.case_of, prior=b.prior
    )


Pair = tuple[str, str, Decimal]


def pairs(outcome: Outcome) -> set[Pair]:
    """(bank reference, document, signed amount) of every allocation applied, summed per
    booking and document."""
    total: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for found in outcome.matches:
        for allocation in found.allocations:
            total[(found.bank_reference, allocation.invoice)] += allocation.amount
    return {(key, number, amount) for (key, number), amount in total.items() if amount != 0}


@dataclass(frozen=True, slots=True)
class Score:
    true_positives: int
    predicted: int
    expected: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.expected if self.expected else 1.0


def score(labelled: LabelledSet, outcome: Outcome) -> tuple[Score, dict[str, Score]]:
    """Pair precision and recall, overall and per case class."""
    truth = {
        (key, number, amount)
        for key, allocations in labelled.truth.items()
        for number, amount in allocations.items()
    }
    found = pairs(outcome)
    per: dict[str, Score] = {}
    for case in sorted(set(labelled.case_of.values())):
        keys = set(labelled.of_case(case))
        t = {p for p in truth if p[0] in keys}
        f = {p for p in found if p[0] in keys}
        per[case] = Score(len(t & f), len(f), len(t))
    return Score(len(truth & found), len(found), len(truth)), per
