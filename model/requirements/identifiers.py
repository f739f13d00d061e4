"""Identifiers on an invoice that fail their standard's check, for every seller country.

An invoice must carry the *correct* VAT numbers and account, and a payment
reference the bank cannot match costs a manual reconciliation. Each
identifier of the document is checked with :mod:`model.identifiers`
(python-stdnum where it has the standard):

- seller, buyer and tax representative VAT ids BT-31, BT-48, BT-63 (``ID-VAT``);
- identifiers with an ICD/EAS scheme: endpoints BT-34/BT-49, legal
  registrations BT-30/BT-47/BT-61, party identifiers BT-29/BT-46/BT-60 and the
  deliver-to location BT-71, through :func:`model.identifiers.schemes.validate_scheme`
  (KvK 0106, OIN 0190, GLN 0088, VAT 99xx, ...; ``ID-SCHEME``);
- the payment account BT-84 when it is an IBAN (SEPA credit transfer 58, or any
  value that starts with two letters and two digits; ``ID-IBAN``), and the account a
  direct debit is taken from, BT-91, likewise (SEPA direct debit 59);
- the remittance information BT-83 when it has the form of a structured
  reference: an RF creditor reference (``RF`` + 2 digits), a Belgian OGM
  (``+++ddd/dddd/ddddd+++``), or, for a Dutch seller, a betalingskenmerk of
  16 or 9-14 digits (``ID-RF``, ``ID-OGM``, ``ID-BETALINGSKENMERK``).

A free-text BT-83 (an invoice number, a sentence) is not a structured
reference and is not checked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from model.document import Identifier, Invoice, Party
from model.findings import Finding
from model.identifiers import InvalidIdentifier, betalingskenmerk, iban, ogm, rf, schemes, vat

__all__ = ["check"]

_IBAN_SHAPE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9 ]{10,}")
_RF_SHAPE = re.compile(r"RF[0-9]{2}", re.IGNORECASE)
_OGM_SHAPE = re.compile(r"\+{3}\s*[0-9]{3}/[0-9]{4}/[0-9]{5}\s*\+{3}")
_KENMERK_SHAPE = re.compile(r"[0-9]{9,14}|[0-9]{16}")


def _finding(code: str, field: str, validate: Callable[[str], str], value: str) -> Finding | None:
    try:
        validate(value)
    except InvalidIdentifier as exc:
        return Finding(rule=code, layer="requirements", field=field, message=str(exc))
    return None


def _scheme(field: str, identifier: Identifier | None) -> Iterator[Finding | None]:
    if identifier is not None and identifier.scheme and identifier.value.strip():
        scheme = identifier.scheme

        def validate(value: str) -> str:
            return schemes.validate_scheme(scheme, value)

        yield _finding("ID-SCHEME", field, validate, identifier.value)


def _party(role: str, party: Party) -> Iterator[Finding | None]:
    if party.vat_id and not party.vat_id.isspace():
        yield _finding("ID-VAT", f"{role}.vat_id", vat.validate, party.vat_id)
    yield from _scheme(f"{role}.endpoint", party.endpoint)
    yield from _scheme(f"{role}.legal_registration", party.legal_registration)
    for index, identifier in enumerate(party.identifiers):
        yield from _scheme(f"{role}.identifiers[{index}]", identifier)


def _remittance(field: str, text: str, seller_country: str) -> Finding | None:
    compact = text.strip()
    if _RF_SHAPE.match(compact):
        return _finding("ID-RF", field, rf.validate, compact)
    if _OGM_SHAPE.fullmatch(compact):
        return _finding("ID-OGM", field, ogm.validate, compact)
    digits = compact.replace(" ", "")
    if seller_country == "NL" and _KENMERK_SHAPE.fullmatch(digits):
        return _finding("ID-BETALINGSKENMERK", field, betalingskenmerk.validate, digits)
    return None


def _all(document: Invoice) -> Iterator[Finding | None]:
    yield from _party("seller", document.seller)
    yield from _party("buyer", document.buyer)
    if document.tax_representative is not None:
        field = "tax_representative.vat_id"
        yield _finding("ID-VAT", field, vat.validate, document.tax_representative.vat_id)
    if document.payee is not None:
        yield from _scheme("payee.identifier", document.payee.identifier)
        yield from _scheme("payee.legal_registration", document.payee.legal_registration)
    if document.delivery is not None:
        yield from _scheme("delivery.location", document.delivery.location)
    seller_country = document.seller.address.country.strip().upper()
    for index, means in enumerate(document.payment_means):
        transfer = means.credit_transfer
        account = transfer.account_id.upper() if transfer is not None else ""
        if account and (means.code == "58" or _IBAN_SHAPE.fullmatch(account)):
            field = f"payment_means[{index}].credit_transfer.account_id"
            yield _finding("ID-IBAN", field, iban.validate, account)
        debit = means.direct_debit
        debited = (debit.debited_account or "").strip().upper() if debit is not None else ""
        if debited and (means.code == "59" or _IBAN_SHAPE.fullmatch(debited)):
            field = f"payment_means[{index}].direct_debit.debited_account"
            yield _finding("ID-IBAN", field, iban.validate, debited)
        if means.remittance_info:
            field = f"payment_means[{index}].remittance_info"
            yield _remittance(field, means.remittance_info, seller_country)


def check(document: Invoice) -> list[Finding]:
    """Every identifier of ``document`` that fails its standard's check."""
    return [finding for finding in _all(document) if finding is not None]
