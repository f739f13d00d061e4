"""One debtor, wherever it lives: buyers from several connections joined by their legal ids.

A buyer (BG-7) is known by its BT-47 legal registration (the KvK number, ICD 0106, in the
Netherlands), its BT-48 VAT id, its BT-49 electronic address (an endpoint with EAS 0106 is a
KvK number too, 9944 a Dutch VAT id) and its BT-46 identifiers. Buyers that share one of these
are one debtor, with one exposure. Names never join buyers.

Some identifiers belong to one legal entity only: a debtor has at most one KvK number and one
VAT id. When a shared identifier would join buyers whose KvK numbers (or VAT ids) differ,
for example two companies of one fiscal unity sharing a VAT id, they are *not* joined: each
stays its own debtor, and the disagreement is reported as a :class:`Conflict`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reconcile.open_items import compact_reference, debtor_key

if TYPE_CHECKING:
    from model.document import Identifier, Party

__all__ = ["Buyer", "Conflict", "Debtor", "Debtors", "identifiers_of", "join_debtors"]

UNIQUE_KINDS = frozenset({"kvk", "vat"})
"""Identifier kinds a legal entity has only one of."""

_EAS_KINDS = {"0106": "kvk", "9944": "vat"}
"""EAS/ICD codes whose value is a KvK number or a VAT id (BT-49 endpoints, BT-47 schemes)."""


def _identifier(identifier: Identifier, default: str) -> tuple[str, str]:
    kind = _EAS_KINDS.get(identifier.scheme or "")
    if kind is not None:
        return kind, compact_reference(identifier.value)
    return default, f"{identifier.scheme or '-'}:{' '.join(identifier.value.split()).upper()}"


def identifiers_of(buyer: Party) -> frozenset[tuple[str, str]]:
    """The buyer's identifiers as ``(kind, value)``: kinds ``kvk``, ``vat``, ``legal`` (BT-47
    in another scheme), ``endpoint`` (BT-49) and ``id`` (BT-46), KvK numbers and VAT ids compact, the others upper case with their scheme."""
    found: set[tuple[str, str]] = set()
    if buyer.legal_registration is not None:
        found.add(_identifier(buyer.legal_registration, "legal"))
    if buyer.vat_id:
        found.add(("vat", compact_reference(buyer.vat_id)))
    if buyer.endpoint is not None:
        found.add(_identifier(buyer.endpoint, "endpoint"))
    found.update(_identifier(identifier, "id") for identifier in buyer.identifiers)
    return frozenset(found)


@dataclass(frozen=True, slots=True)
class Buyer:
    """A buyer as one connection knows it."""

    connection: str
    key: str
    """The key its open items carry (:func:`reconcile.open_items.debtor_key`)."""
    name: str
    """BT-44 Buyer name."""
    identifiers: frozenset[tuple[str, str]]

    @classmethod
    def of(cls, connection: str, party: Party) -> Buyer:
        return cls(connection, debtor_key(party), party.name, identifiers_of(party))


@dataclass(slots=True, eq=False)
class Debtor:
    """One debtor: the buyers joined, and every identifier they carry."""

    key: str
    """The key of its first buyer (by connection, then key), stable across runs; when two
    debtors that were kept apart would get the same key, ``@connection`` is added to the
    later one."""
    name: str
    buyers: list[Buyer] = field(default_factory=list)
    identifiers: set[tuple[str, str]] = field(default_factory=set)

    @property
    def connections(self) -> list[str]:
        return sorted({buyer.connection for buyer in self.buyers})

    def unique(self, kind: str) -> set[str]:
        return {value for k, value in self.identifiers if k == kind}


@dataclass(frozen=True, slots=True)
class Conflict:
    """Buyers that share ``shared`` but disagree on ``kind``: kept apart."""

    shared: tuple[str, str]
    kind: str
    debtors: tuple[str, str]
    values: tuple[str, str]

    def __str__(self) -> str:
        return (
            f"{self.shared[0]} {self.shared[1]} is shared by debtors {self.debtors[0]} and "
            f"{self.debtors[1]}, whose {self.kind} differ ({self.values[0]} and "
            f"{self.values[1]}): not joined"
        )


def _disagreement(a: Debtor, b: Debtor) -> tuple[str, str, str] | None:
    for kind in sorted(UNIQUE_KINDS):
        mine, theirs = a.unique(kind), b.unique(kind)
        if mine and theirs and mine != theirs:
            return kind, min(mine), min(theirs)
    return None


@dataclass(frozen=True, slots=True)
class Debtors:
    debtors: list[Debtor]
    """Sorted by key."""
    conflicts: list[Conflict]
    by_buyer: dict[tuple[str, str], Debtor]
    """``(connection, buyer key)`` -> its debtor: how an open item finds its debtor."""

    def of(self, connection: str, key: str) -> Debtor | None:
        return self.by_buyer.get((connection, key))


def join_debtors(buyers: Iterable[Buyer]) -> Debtors:
    """The debtors the buyers make, and the conflicts that kept some apart.

    Buyers are taken in the order of (connection, key), so the result does not depend on the
    order given. The same key in one connection is one buyer (its identifiers are pooled).
    """
    pooled: dict[tuple[str, str], Buyer] = {}
    for buyer in buyers:
        seen = pooled.get((buyer.connection, buyer.key))
        if seen is not None:
            buyer = Buyer(
                buyer.connection, buyer.key, seen.name, seen.identifiers | buyer.identifiers
            )
        pooled[(buyer.connection, buyer.key)] = buyer
    alive: dict[int, Debtor] = {}  # by id(): joined debtors leave, in constant time
    used: set[str] = set()
    owner: dict[tuple[str, str], Debtor] = {}
    conflicts: list[Conflict] = []
    reported: set[tuple[tuple[str, str], str, frozenset[str]]] = set()
    for _, buyer in sorted(pooled.items()):
        debtor = Debtor(buyer.key, buyer.name, [buyer], set(buyer.identifiers))
        for identifier in sorted(buyer.identifiers):
            other = owner.get(identifier)
            if other is None or other is debtor:
                continue
            clash = _disagreement(other, debtor)
            if clash is not None:
                kind, theirs, mine = clash
                told = (identifier, kind, frozenset((theirs, mine)))
                if told not in reported:
                    reported.add(told)
                    conflicts.append(
                        Conflict(identifier, kind, (other.key, debtor.key), (theirs, mine))
                    )
                continue
            other.buyers += debtor.buyers
            other.identifiers |= debtor.identifiers
            if alive.pop(id(debtor), None) is not None:
                used.discard(debtor.key)
            for ident in debtor.identifiers:
                if owner.get(ident) is debtor:
                    owner[ident] = other
            debtor = other
        if id(debtor) not in alive:
            if debtor.key in used:
                debtor.key = f"{debtor.key}@{debtor.buyers[0].connection}"
            used.add(debtor.key)
            alive[id(debtor)] = debtor
        for identifier in debtor.identifiers:
            owner.setdefault(identifier, debtor)
    debtors = list(alive.values())
    by_buyer = {(b.connection, b.key): debtor for debtor in debtors for b in debtor.buyers}
    return Debtors(sorted(debtors, key=lambda d: d.key), conflicts, by_buyer)
