"""Credit limits from Tryton: each party's ``credit_limit_amount`` (issue 17 section 3).

The ``account_credit_limit`` module gives a party a credit limit in the company's currency
(``party.party.credit_limit_amount``, per company). :func:`credit_limits` reads every party
that has one and reports it with the party as a buyer (BG-7) the way
:mod:`connectors.tryton_map` builds one from an invoice: BT-44 the party name, BT-48 its first
``eu_vat`` identifier, BT-47 the KvK (OIN, KBO) number the connection's ``[parties]`` table
gives under that VAT id or the party code. So the limit finds the debtor its invoices make.

A database without the module has no such field: :func:`credit_limits` then raises
:class:`~connectors.errors.ConnectorError`, and the caller keeps what it knew.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from connectors.errors import ConnectorError
from model import Address, Identifier, Party

if TYPE_CHECKING:
    import mappings
    from connectors._tryton_rpc import TrytonRpc

__all__ = ["CreditLimitSource", "PartyLimit", "credit_limits"]

_FIELDS = ("name", "code", "credit_limit_amount", "identifiers", "addresses")
_LEGAL_IDS = (("kvk", "kvk"), ("oin", "oin"), ("kbo", "be_enterprise"))
"""``[parties]`` identifier kinds, in the mapping's order of preference, and their scheme key."""


@dataclass(frozen=True, slots=True)
class PartyLimit:
    """The credit limit a source gives one of its parties."""

    party_id: str
    """The party's record id in the source."""
    buyer: Party
    """The party as a buyer (BG-7): BT-44 name, BT-47 legal registration, BT-48 VAT id."""
    amount: Decimal
    currency: str


@runtime_checkable
class CreditLimitSource(Protocol):
    """A connector that reports its parties' credit limits."""

    def credit_limits(self) -> list[PartyLimit]: ...


def _vat_of(identifiers: Any) -> str | None:
    for identifier in identifiers or ():
        if identifier.get("type") == "eu_vat" and identifier.get("code"):
            return str(identifier["code"])
    return None


def _legal(known: Mapping[str, str], mapping: mappings.Mapping, party: str) -> Identifier | None:
    for key, kind in _LEGAL_IDS:
        value = known.get(key)
        if value:
            return Identifier(value=value, scheme=mapping.scheme(kind, record=party))
    return None


def credit_limits(
    rpc: TrytonRpc,
    *,
    parties: Mapping[str, Mapping[str, str]],
    mapping: mappings.Mapping,
) -> list[PartyLimit]:
    """Every party with a ``credit_limit_amount``, in the company's currency, by party id."""
    try:
        (company,) = rpc.search_read("company.company", [], limit=1, fields=("currency.code",))
        currency = str((company.get("currency.") or {}).get("code") or "")
        rows = rpc.search_read("party.party", [], fields=_FIELDS)
    except ConnectorError as failure:
        raise ConnectorError(
            f"cannot read the credit limits of the Tryton parties: {failure}"
        ) from failure
    rows = [row for row in rows if row.get("credit_limit_amount") is not None]
    ids = [child for row in rows for child in row.get("identifiers") or ()]
    addresses = [row["addresses"][0] for row in rows if row.get("addresses")]
    found: dict[int, Any] = {}
    if ids:
        found = {
            child["id"]: child for child in rpc.read("party.identifier", ids, ("type", "code"))
        }
    countries: dict[int, str] = {}
    if addresses:
        for child in rpc.read("party.address", addresses, ("country.code",)):
            countries[child["id"]] = (child.get("country.") or {}).get("code") or ""
    limits = []
    for row in rows:
        vat_id = _vat_of(found[child] for child in row.get("identifiers") or ())
        known = (vat_id and parties.get(vat_id)) or parties.get(str(row.get("code")), {})
        name = str(row.get("name") or "")
        buyer = Party(
            name=name,
            vat_id=vat_id,
            legal_registration=_legal(known, mapping, f"party {name!r}"),
            address=Address(country=countries.get(next(iter(row.get("addresses") or ()), 0), "")),
        )
        limits.append(
            PartyLimit(str(row["id"]), buyer, Decimal(row["credit_limit_amount"]), currency)
        )
    return limits
