"""The labelled set's building blocks: debtors, open items and bookings, each booking with
its truth (which documents it applies to, and by how much, or nothing) beside it."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from stdnum.iso7064 import mod_97_10

from model.identifiers import betalingskenmerk, ogm, rf
from reconcile.matching import MatchPolicy
from reconcile.open_items import ItemKind, OpenItem
from reconcile.result import Match
from reconcile.transaction import Counterparty, Transaction

__all__ = ["DAY", "POLICY", "Builder", "Debtor", "LabelledSet", "iban", "money"]

POLICY = MatchPolicy(tolerance_amount=Decimal("5.00"), tolerance_percent=Decimal(0))
"""The policy the set is labelled for: up to 5.00 short is accepted, the shortfall kept open."""

DAY = date(2026, 11, 2)

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
]
_FORMS = ("B.V.", "BV", "b.v.", "N.V.", "V.O.F.", "")


@dataclass(slots=True)
class Debtor:
    key: str
    name: str
    iban: str
    direct_debit: bool
    """True: the debtor's account is on its invoices (BT-91), so the matcher knows it."""
    items: list[OpenItem] = field(default_factory=list)

    def spelled(self, rng: random.Random) -> str:
        """The name as a bank gives it: in capitals, without or with another legal form."""
        words = self.name.split()
        body = " ".join(w for w in words if w.replace(".", "").lower() not in {"bv", "nv"})
        form = rng.choice(_FORMS)
        text = f"{body} {form}".strip()
        return rng.choice((text.upper(), text, text.lower().title()))


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


def iban(rng: random.Random) -> str:
    """A checked Dutch IBAN."""
    bank = rng.choice(("ABNA", "INGB", "RABO", "TRIO", "KNAB", "SNSB"))
    account = "".join(rng.choice("0123456789") for _ in range(10))
    return f"NL{mod_97_10.calc_check_digits(bank + account + 'NL')}{bank}{account}"


def money(rng: random.Random, low: int = 5000, high: int = 500000) -> Decimal:
    return Decimal(rng.randint(low, high)) / 100


class Builder:
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
        return Debtor(key=f"0106:{kvk}", name=name, iban=iban(rng), direct_debit=rng.random() < 0.5)

    def reference(self, kind: str | None) -> str | None:
        """A new BT-83 reference of ``kind`` (``rf``, ``kenmerk``, ``ogm``), or None."""
        rng = self.rng
        if kind == "rf":
            return rf.create(f"{self.seq:09d}")
        if kind == "kenmerk":
            return betalingskenmerk.create(f"{rng.randint(0, 10**15 - 1):015d}")
        if kind == "ogm":
            return ogm.create(f"{rng.randint(1, 10**10 - 1):010d}")
        return None

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
        value = amount if amount is not None else money(rng)
        issued = DAY - timedelta(days=rng.randint(10, 90))
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
            payment_reference=self.reference(reference) if kind is ItemKind.INVOICE else None,
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
            booking_date=DAY + timedelta(days=self.entry % 20),
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
