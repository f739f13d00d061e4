"""Dutch invoice requirements: the Belastingdienst *factuureisen* (art. 35a Wet OB 1968).

What a Dutch VAT invoice must state, beyond what EN 16931 already demands,
plus the KvK number that the Handelsregisterwet requires on invoices. Each
requirement is a small rule function in ``_RULES`` that yields
``(field, message)`` gaps; :func:`check` gives them their code.

Choices and limits:

* **Number (BT-1).** The law wants a unique number from one or more
  consecutive series. Uniqueness and sequence across documents are the sync
  engine's job (it sees the series); the model check sees one document, so it
  only requires a non-blank number containing a digit, the part that counts.
* **Invoice date (BT-2)** is a required ``date`` in the model, so it cannot be
  missing and has no rule here.
* **Supply date.** The law asks for the date of supply (or of the advance
  payment) when it differs from the invoice date. A document cannot show that
  the two coincide, so the issue date deliberately does *not* count: the
  supply date must be stated as BT-72 (actual delivery date), an invoicing
  period BG-14, or a period BG-26 on every line.
* **Addresses.** Street (BT-35/BT-50), city and, for Dutch addresses, postal
  code are required; foreign customers may live where there are no postcodes.
* **Simplified invoices** (total up to EUR 100) are not recognised: the full
  list is checked.
* Identifier formats (VAT id, KvK) are checked by :mod:`model.identifiers`;
  here only their presence is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal

from model.document import Address, Invoice
from model.findings import Finding

__all__ = ["check"]

_Gap = tuple[str, str]
"""A missed requirement: the model field path and the message."""

_Rule = Callable[[Invoice], Iterable[_Gap]]

KVK_SCHEME = "0106"
"""ISO 6523 ICD of the KvK number (Dutch Chamber of Commerce)."""

REVERSE_CHARGE_CODE = "VATEX-EU-AE"
"""VATEX exemption reason code for reverse charge (BT-121)."""

_REVERSE_CHARGE_TEXT = re.compile(r"\bverleg(?:d|ging)|\breverse[\s-]?charge", re.IGNORECASE)
"""'btw verlegd', 'BTW verlegd', 'omzetbelasting verlegd', 'verleggingsregeling', 'reverse charge'."""

_DIGIT = re.compile(r"\d")


def check(document: Invoice) -> list[Finding]:
    """The Dutch invoice requirements that ``document`` does not meet, in rule order."""
    return [
        Finding(rule=code, layer="requirements", field=field, message=message)
        for code, rule in _RULES
        for field, message in rule(document)
    ]


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


def _categories(document: Invoice) -> set[str]:
    """The VAT categories (BT-151, BT-95, BT-118) the document uses anywhere."""
    used = {line.item.vat_category for line in document.lines}
    used.update(b.category for b in document.vat_breakdown)
    used.update(ac.vat_category for ac in document.allowances_charges if ac.vat_category)
    return used


def _breakdowns_of(document: Invoice, category: str) -> list[int]:
    """Indexes of the VAT breakdowns (BG-23) of one category."""
    return [i for i, b in enumerate(document.vat_breakdown) if b.category == category]


def _percent(rate: Decimal) -> str:
    return f"{rate.normalize():f}%"


def _address_gaps(address: Address, path: str, whose: str) -> Iterator[_Gap]:
    required = [("line1", address.line1, "street"), ("city", address.city, "city")]
    if address.country.strip().upper() == "NL":
        required.append(("postal_code", address.postal_code, "postal code"))
    for attribute, value, label in required:
        if _blank(value):
            yield (
                f"{path}.{attribute}",
                f"naam en adres: the invoice must give the {whose}'s full address; "
                f"the {label} is missing",
            )


def _invoice_number(document: Invoice) -> Iterator[_Gap]:
    if _blank(document.number):
        yield (
            "number",
            "factuurnummer (BT-1): the invoice must carry a unique number from one or "
            "more consecutive series; it is missing",
        )
    elif not _DIGIT.search(document.number):
        yield (
            "number",
            f"factuurnummer (BT-1): the number must be sequential ('opeenvolgend'), "
            f"so it needs a serial digit; {document.number!r} has none",
        )


def _supplier_name(document: Invoice) -> Iterator[_Gap]:
    if _blank(document.seller.name):
        yield (
            "seller.name",
            "naam en adres: the invoice must give the supplier's full name (BT-27)",
        )


def _supplier_address(document: Invoice) -> Iterator[_Gap]:
    yield from _address_gaps(document.seller.address, "seller.address", "supplier")


def _supplier_vat_id(document: Invoice) -> Iterator[_Gap]:
    if _blank(document.seller.vat_id):
        yield (
            "seller.vat_id",
            "btw-identificatienummer: the invoice must give the supplier's VAT number (BT-31)",
        )


def _supplier_kvk(document: Invoice) -> Iterator[_Gap]:
    registration = document.seller.legal_registration
    if registration is None or registration.scheme != KVK_SCHEME or _blank(registration.value):
        yield (
            "seller.legal_registration",
            "KvK-nummer (Handelsregisterwet): the invoice must give the supplier's Chamber "
            f"of Commerce number as legal registration (BT-30) with scheme {KVK_SCHEME}",
        )


def _customer_name_address(document: Invoice) -> Iterator[_Gap]:
    if _blank(document.buyer.name):
        yield (
            "buyer.name",
            "naam en adres: the invoice must give the customer's full name (BT-44)",
        )
    yield from _address_gaps(document.buyer.address, "buyer.address", "customer")


def _goods_or_services(document: Invoice) -> Iterator[_Gap]:
    for i, line in enumerate(document.lines):
        if not line.quantity.is_finite():
            yield (
                f"lines[{i}].quantity",
                "hoeveelheid en aard: each line must state the quantity supplied (BT-129)",
            )
        if _blank(line.unit):
            yield (
                f"lines[{i}].unit",
                "hoeveelheid en aard: each line must state the unit of its quantity (BT-130)",
            )
        if _blank(line.item.name):
            yield (
                f"lines[{i}].item.name",
                "hoeveelheid en aard: each line must name the goods or services (BT-153)",
            )


def _supply_date(document: Invoice) -> Iterator[_Gap]:
    delivery, period = document.delivery, document.invoice_period
    if delivery is not None and delivery.date is not None:
        return
    if period is not None and (period.start or period.end):
        return
    if document.lines and all(
        line.period is not None and (line.period.start or line.period.end)
        for line in document.lines
    ):
        return
    yield (
        "delivery.date",
        "leveringsdatum: the invoice must state when the goods or services were supplied, "
        "as the actual delivery date (BT-72), an invoicing period (BG-14) or a period on "
        "every line (BG-26); the invoice date does not count",
    )


def _vat_per_rate(document: Invoice) -> Iterator[_Gap]:
    rateless: set[str] = set()
    for i, breakdown in enumerate(document.vat_breakdown):
        if breakdown.category == "S" and breakdown.rate is None:
            rateless.add(breakdown.category)
            yield (
                f"vat_breakdown[{i}].rate",
                "btw-tarief: the invoice must state the VAT rate (BT-119) of each "
                "standard-rated amount",
            )
    covered = {(b.category, b.rate or Decimal(0)) for b in document.vat_breakdown}
    used = dict.fromkeys(
        (line.item.vat_category, line.item.vat_rate or Decimal(0)) for line in document.lines
    )
    for category, rate in used:
        if (category, rate) not in covered and category not in rateless:
            yield (
                "vat_breakdown",
                "bedrag per btw-tarief: the invoice must state the taxable amount and VAT "
                f"amount per rate (BG-23); category {category} at {_percent(rate)} has none",
            )


def _reverse_charge_text(document: Invoice) -> Iterator[_Gap]:
    if "AE" not in _categories(document):
        return
    indexes = _breakdowns_of(document, "AE")
    texts = [note.text for note in document.notes]
    texts += [document.vat_breakdown[i].exemption_reason or "" for i in indexes]
    if not any(_REVERSE_CHARGE_TEXT.search(text) for text in texts):
        field = f"vat_breakdown[{indexes[0]}].exemption_reason" if indexes else "notes"
        yield (
            field,
            "verleggingsregeling: under reverse charge (category AE) the invoice must say "
            "'btw verlegd' (in a note BT-22 or the VAT exemption reason BT-120)",
        )


def _reverse_charge_buyer_vat_id(document: Invoice) -> Iterator[_Gap]:
    if "AE" in _categories(document) and _blank(document.buyer.vat_id):
        yield (
            "buyer.vat_id",
            "verleggingsregeling: under reverse charge (category AE) the invoice must give "
            "the customer's VAT number (BT-48)",
        )


def _reverse_charge_code(document: Invoice) -> Iterator[_Gap]:
    for i in _breakdowns_of(document, "AE"):
        code = document.vat_breakdown[i].exemption_code
        if code is None or code.strip().upper() != REVERSE_CHARGE_CODE:
            yield (
                f"vat_breakdown[{i}].exemption_code",
                "verleggingsregeling: the reverse charge VAT breakdown must carry exemption "
                f"reason code {REVERSE_CHARGE_CODE} (BT-121)",
            )


def _intra_eu_buyer_vat_id(document: Invoice) -> Iterator[_Gap]:
    if "K" in _categories(document) and _blank(document.buyer.vat_id):
        yield (
            "buyer.vat_id",
            "intracommunautaire levering: for an intra-EU supply (category K) the invoice "
            "must give the customer's VAT number (BT-48)",
        )


_RULES: tuple[tuple[str, _Rule], ...] = (
    ("NL-FACTUUR-1", _invoice_number),
    ("NL-FACTUUR-2", _supplier_name),
    ("NL-FACTUUR-3", _supplier_address),
    ("NL-FACTUUR-4", _supplier_vat_id),
    ("NL-FACTUUR-5", _supplier_kvk),
    ("NL-FACTUUR-6", _customer_name_address),
    ("NL-FACTUUR-7", _goods_or_services),
    ("NL-FACTUUR-8", _supply_date),
    ("NL-FACTUUR-9", _vat_per_rate),
    ("NL-FACTUUR-10", _reverse_charge_text),
    ("NL-FACTUUR-11", _reverse_charge_buyer_vat_id),
    ("NL-FACTUUR-12", _reverse_charge_code),
    ("NL-FACTUUR-13", _intra_eu_buyer_vat_id),
)
"""The requirements in the order of art. 35a; codes are stable, never renumber."""
