"""Profile rule cases: The CEN code lists (BR-CL-nn).

Each case is (profile, mutation of the clean invoice, rule id, model field).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from model.document import (
    AdditionalDocument,
    Classification,
    Delivery,
    DocumentKind,
    Identifier,
    PaymentMeans,
    Price,
)
from support.profile_documents import (
    ATTACHMENT,
    Case,
    allowance,
    reverse_charge,
    with_address,
    with_breakdown,
    with_item,
    with_line,
    with_party,
)

__all__ = ["FIRST", "SECOND"]


FIRST: list[Case] = [
    # code lists
    ("en16931", lambda d: replace(d, currency="EURO"), "BR-CL-04", "currency"),
    ("en16931", lambda d: replace(d, type_code="999"), "BR-CL-01", "type_code"),
    ("en16931", lambda d: replace(d, kind=DocumentKind.CREDIT_NOTE), "BR-CL-01", "type_code"),
    (
        "en16931",
        lambda d: with_address(d, "buyer", country="XX"),
        "BR-CL-14",
        "buyer.address.country",
    ),
    ("en16931", lambda d: with_item(d, vat_category="Q"), "BR-CL-18", "lines[0].item.vat_category"),
    ("en16931", lambda d: with_breakdown(d, category="Q"), "BR-CL-17", "vat_breakdown[0].category"),
    (
        "en16931",
        lambda d: replace(d, payment_means=(PaymentMeans(code="999"),)),
        "BR-CL-16",
        "payment_means[0].code",
    ),
    ("en16931", lambda d: with_line(d, unit="piece"), "BR-CL-23", "lines[0].unit"),
    ("en16931", lambda d: with_line(d, unit=""), "BR-23", "lines[0].unit"),
    (
        "en16931",
        lambda d: with_party(d, "seller", endpoint=Identifier(value="x", scheme="9999")),
        "BR-CL-25",
        "seller.endpoint.scheme",
    ),
    (
        "en16931",
        lambda d: with_party(d, "buyer", identifiers=(Identifier(value="x", scheme="SEPA"),)),
        "BR-CL-10",
        "buyer.identifiers[0].scheme",
    ),
    (
        "en16931",
        lambda d: with_breakdown(reverse_charge(d), exemption_code="VATEX-XX"),
        "BR-CL-22",
        "vat_breakdown[0].exemption_code",
    ),
]


SECOND: list[Case] = [
    # code lists
    ("en16931", lambda d: replace(d, tax_currency="EURO"), "BR-CL-05", "tax_currency"),
    ("en16931", lambda d: replace(d, tax_point_code="5"), "BR-CL-06", "tax_point_code"),
    (
        "en16931",
        lambda d: replace(d, invoiced_object=Identifier(value="X", scheme="ZZZZ")),
        "BR-CL-07",
        "invoiced_object.scheme",
    ),
    (
        "en16931",
        lambda d: with_party(d, "seller", legal_registration=Identifier(value="1", scheme="9999")),
        "BR-CL-11",
        "seller.legal_registration.scheme",
    ),
    (
        "en16931",
        lambda d: with_item(d, classifications=(Classification(code="1", list_id="QQQ"),)),
        "BR-CL-13",
        "lines[0].item.classifications[0].list_id",
    ),
    (
        "en16931",
        lambda d: with_item(d, origin_country="XX"),
        "BR-CL-15",
        "lines[0].item.origin_country",
    ),
    (
        "en16931",
        lambda d: replace(d, allowances_charges=(allowance(reason_code="ZZZ"),)),
        "BR-CL-19",
        "allowances_charges[0].reason_code",
    ),
    (
        "en16931",
        lambda d: replace(d, allowances_charges=(allowance(is_charge=True, reason_code="999"),)),
        "BR-CL-20",
        "allowances_charges[0].reason_code",
    ),
    (
        "en16931",
        lambda d: with_item(d, standard_id=Identifier(value="1", scheme="9999")),
        "BR-CL-21",
        "lines[0].item.standard_id.scheme",
    ),
    (
        "en16931",
        lambda d: replace(
            d,
            additional_documents=(
                AdditionalDocument(id="A", attachment=replace(ATTACHMENT, mime_code="text/plain")),
            ),
        ),
        "BR-CL-24",
        "additional_documents[0].attachment.mime_code",
    ),
    (
        "en16931",
        lambda d: replace(d, delivery=Delivery(location=Identifier(value="1", scheme="9999"))),
        "BR-CL-26",
        "delivery.location.scheme",
    ),
    (
        "en16931",
        lambda d: with_line(
            d, price=Price(net=Decimal(50), base_quantity=Decimal(1), base_unit="QQQ")
        ),
        "BR-CL-23",
        "lines[0].price.base_unit",
    ),
]
