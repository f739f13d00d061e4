"""The documents the profile tests start from, and the changes they make to them.

:func:`clean_invoice` satisfies all three profiles; the ``with_*`` helpers change one part
of a document, and :data:`Case` is one profile rule case: (profile, mutation, rule, field).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal

from model.document import (
    Address,
    AllowanceCharge,
    Attachment,
    CreditTransfer,
    Delivery,
    DocumentKind,
    Identifier,
    Invoice,
    Item,
    Line,
    Party,
    PaymentMeans,
    PrecedingInvoice,
    Price,
    TaxRepresentative,
    Totals,
    VatBreakdown,
)
from ubl.profiles import PEPPOL_CUSTOMIZATION_ID, PEPPOL_PROFILE_ID, resolve

__all__ = [
    "ATTACHMENT",
    "BUYER",
    "SELLER",
    "TAX_REPRESENTATIVE",
    "Case",
    "Mutation",
    "allowance",
    "clean_invoice",
    "credit_note",
    "intra_community",
    "not_subject",
    "reverse_charge",
    "rule_ids",
    "with_address",
    "with_breakdown",
    "with_item",
    "with_line",
    "with_party",
    "with_totals",
    "zero_rated",
]

SELLER = Party(
    name="Bakkerij De Zon B.V.",
    vat_id="NL123456789B01",
    legal_registration=Identifier(value="12345678", scheme="0106"),
    endpoint=Identifier(value="12345678", scheme="0106"),
    address=Address(line1="Dorpsstraat 1", postal_code="1234 AB", city="Utrecht", country="NL"),
)
BUYER = Party(
    name="Koffiehuis Noord B.V.",
    vat_id="NL987654321B01",
    legal_registration=Identifier(value="87654321", scheme="0106"),
    endpoint=Identifier(value="87654321", scheme="0106"),
    address=Address(line1="Havenweg 7", postal_code="9711 AA", city="Groningen", country="NL"),
)


def clean_invoice() -> Invoice:
    """A Dutch domestic invoice that satisfies all three profiles."""
    line = Line(
        id="1",
        quantity=Decimal(2),
        unit="C62",
        net_amount=Decimal("100.00"),
        price=Price(net=Decimal("50.00")),
        item=Item(name="Brood", vat_category="S", vat_rate=Decimal(21)),
    )
    return Invoice(
        customization_id=PEPPOL_CUSTOMIZATION_ID,
        profile_id=PEPPOL_PROFILE_ID,
        number="2025-0001",
        issue_date=date(2025, 3, 1),
        due_date=date(2025, 3, 31),
        currency="EUR",
        buyer_reference="PO-77",
        seller=SELLER,
        buyer=BUYER,
        payment_means=(
            PaymentMeans(
                code="58", credit_transfer=CreditTransfer(account_id="NL91ABNA0417164300")
            ),
        ),
        totals=Totals(
            line_net=Decimal("100.00"),
            without_vat=Decimal("100.00"),
            vat=Decimal("21.00"),
            with_vat=Decimal("121.00"),
            payable=Decimal("121.00"),
        ),
        vat_breakdown=(
            VatBreakdown(
                taxable_amount=Decimal("100.00"),
                tax_amount=Decimal("21.00"),
                category="S",
                rate=Decimal(21),
            ),
        ),
        lines=(line,),
    )


def with_line(doc: Invoice, **changes: object) -> Invoice:
    return replace(doc, lines=(replace(doc.lines[0], **changes),))  # type: ignore[arg-type]


def with_item(doc: Invoice, **changes: object) -> Invoice:
    return with_line(doc, item=replace(doc.lines[0].item, **changes))  # type: ignore[arg-type]


def with_breakdown(doc: Invoice, **changes: object) -> Invoice:
    return replace(doc, vat_breakdown=(replace(doc.vat_breakdown[0], **changes),))  # type: ignore[arg-type]


def with_totals(doc: Invoice, **changes: object) -> Invoice:
    return replace(doc, totals=replace(doc.totals, **changes))  # type: ignore[arg-type]


def with_party(doc: Invoice, role: str, **changes: object) -> Invoice:
    party: Party = getattr(doc, role)
    return replace(doc, **{role: replace(party, **changes)})  # type: ignore[arg-type]


def with_address(doc: Invoice, role: str, **changes: object) -> Invoice:
    party: Party = getattr(doc, role)
    return with_party(doc, role, address=replace(party.address, **changes))


def reverse_charge(doc: Invoice) -> Invoice:
    """The clean invoice, reverse charged (category AE) to a Belgian buyer."""
    doc = with_item(doc, vat_category="AE", vat_rate=Decimal(0))
    doc = with_address(doc, "buyer", country="BE", postal_code="1000", city="Brussel")
    doc = with_party(doc, "buyer", vat_id="BE0123456749", legal_registration=None)
    return with_breakdown(
        doc, category="AE", rate=Decimal(0), tax_amount=Decimal(0), exemption_code="VATEX-EU-AE"
    )


def credit_note(doc: Invoice) -> Invoice:
    """``doc`` as a credit note of invoice 2025-0000."""
    return replace(
        doc,
        kind=DocumentKind.CREDIT_NOTE,
        type_code="381",
        preceding_invoices=(PrecedingInvoice(number="2025-0000"),),
    )


def allowance(**changes: object) -> AllowanceCharge:
    base = AllowanceCharge(
        is_charge=False, amount=Decimal("10.00"), vat_category="S", vat_rate=Decimal(21),
        reason="Korting",
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


def zero_rated(
    doc: Invoice,
    category: str,
    code: str | None = None,
    reason: str | None = None,
    rate: Decimal | None = Decimal(0),
) -> Invoice:
    """The clean invoice with its line and breakdown in a category without VAT amount."""
    doc = with_item(doc, vat_category=category, vat_rate=rate)
    return with_breakdown(
        doc,
        category=category,
        rate=rate,
        tax_amount=Decimal(0),
        exemption_code=code,
        exemption_reason=reason,
    )


def not_subject(doc: Invoice) -> Invoice:
    """Not subject to VAT (O): no VAT ids at all."""
    doc = with_party(with_party(doc, "seller", vat_id=None), "buyer", vat_id=None)
    return zero_rated(doc, "O", code="VATEX-EU-O", rate=None)


def intra_community(doc: Invoice) -> Invoice:
    """An intra-community supply (K) to a Belgian buyer, delivered in Belgium."""
    doc = replace(doc, delivery=Delivery(date=date(2025, 3, 1), address=Address(country="BE")))
    doc = with_address(doc, "buyer", country="BE")
    doc = with_party(doc, "buyer", vat_id="BE0123456749", legal_registration=None)
    return zero_rated(doc, "K", code="VATEX-EU-IC")


TAX_REPRESENTATIVE = TaxRepresentative(
    name="Fiscaal Vertegenwoordiger B.V.",
    vat_id="NL111111111B01",
    address=Address(line1="Kade 1", city="Rotterdam", postal_code="3011 AA", country="NL"),
)
ATTACHMENT = Attachment(content=b"%PDF-1.4", mime_code="application/pdf", filename="a.pdf")


def rule_ids(profile: str, doc: Invoice) -> set[str]:
    return {v.rule for v in resolve(profile, doc).check(doc)}


Mutation = Callable[[Invoice], Invoice]
Case = tuple[str, Mutation, str, str]
