"""One debtor across connections: joined by KvK, VAT id or endpoint, kept apart (and reported)
when the legal ids disagree, never joined by name."""

from __future__ import annotations

import random

from model.document import Address, Identifier, Party
from reconcile.debtors import Buyer, identifiers_of, join_debtors

KVK_1, KVK_2 = "12345678", "87654321"


def party(
    name: str = "Koffie B.V.",
    *,
    kvk: str | None = None,
    vat: str | None = None,
    endpoint: Identifier | None = None,
) -> Party:
    return Party(
        name=name,
        legal_registration=Identifier(value=kvk, scheme="0106") if kvk else None,
        vat_id=vat,
        endpoint=endpoint,
        address=Address(country="NL"),
    )  # fmt: skip


def test_identifiers_know_kvk_and_vat_in_endpoints() -> None:
    assert identifiers_of(party(kvk=KVK_1, vat="nl 0012.34567 B01")) == {
        ("kvk", KVK_1),
        ("vat", "NL001234567B01"),
    }
    assert identifiers_of(party(endpoint=Identifier(value=KVK_1, scheme="0106"))) == {
        ("kvk", KVK_1)
    }
    assert identifiers_of(party(endpoint=Identifier(value="x@y.nl", scheme="EM"))) == {
        ("endpoint", "EM:X@Y.NL")
    }


def test_same_kvk_in_two_connections_is_one_debtor() -> None:
    result = join_debtors(
        [
            Buyer.of("tryton", party(kvk=KVK_1)),
            Buyer.of("shop", party("Koffie", endpoint=Identifier(value=KVK_1, scheme="0106"))),
            Buyer.of("shop", party("Thee B.V.", kvk=KVK_2)),
        ]
    )
    assert [(d.key, d.connections) for d in result.debtors] == [
        ("0106:12345678", ["shop", "tryton"]),
        ("0106:87654321", ["shop"]),
    ]
    assert result.conflicts == []
    shop_koffie = result.of("shop", "0106:12345678")
    assert shop_koffie is result.of("tryton", "0106:12345678")


def test_joined_through_a_chain_of_shared_ids_whatever_the_order() -> None:
    buyers = [
        Buyer.of("a", party(kvk=KVK_1, vat="NL001234567B01")),
        Buyer.of("b", party(vat="NL001234567B01")),
        Buyer.of(
            "c",
            party(vat="NL001234567B01", endpoint=Identifier(value="0000000000001", scheme="0088")),
        ),
        Buyer.of("d", party(endpoint=Identifier(value="0000000000001", scheme="0088"))),
    ]
    for seed in range(5):
        random.Random(seed).shuffle(buyers)
        (debtor,) = join_debtors(buyers).debtors
        assert debtor.connections == ["a", "b", "c", "d"]
        assert debtor.key == "0106:12345678"


def test_shared_vat_id_with_two_kvk_numbers_is_reported_and_kept_apart() -> None:
    result = join_debtors(
        [
            Buyer.of("a", party("Holding B.V.", kvk=KVK_1, vat="NL001234567B01")),
            Buyer.of("b", party("Werk B.V.", kvk=KVK_2, vat="NL001234567B01")),
        ]
    )
    assert [d.key for d in result.debtors] == ["0106:12345678", "0106:87654321"]
    (conflict,) = result.conflicts
    assert (conflict.shared, conflict.kind) == (("vat", "NL001234567B01"), "kvk")
    assert set(conflict.values) == {KVK_1, KVK_2}
    assert "NL001234567B01" in str(conflict) and "not joined" in str(conflict)


def test_same_kvk_two_vat_ids_keeps_keys_unique() -> None:
    result = join_debtors(
        [
            Buyer.of("a", party(kvk=KVK_1, vat="NL001234567B01")),
            Buyer.of("b", party(kvk=KVK_1, vat="NL009999999B01")),
        ]
    )
    assert [d.key for d in result.debtors] == ["0106:12345678", "0106:12345678@b"]
    assert result.conflicts[0].kind == "vat"


def test_names_alone_never_join() -> None:
    result = join_debtors([Buyer.of("a", party("Koffie B.V.")), Buyer.of("b", party("KOFFIE BV"))])
    assert [d.connections for d in result.debtors] == [["a"], ["b"]]
    assert result.debtors[1].key == "name:koffie@b"
