"""Profile rule cases: The UBL syntax rules the model can break (UBL-SR, UBL-CR).

Each case is (profile, mutation of the clean invoice, rule id, model field).
"""

from __future__ import annotations

from dataclasses import replace

from model.document import AdditionalDocument, Card, DirectDebit, Identifier, PaymentMeans
from support.profile_documents import ATTACHMENT, Case, with_party

__all__ = ["FIRST", "SECOND"]


FIRST: list[Case] = [
    # UBL syntax
    (
        "en16931",
        lambda d: replace(d, payment_means=(*d.payment_means, PaymentMeans(code="31"))),
        "UBL-SR-47",
        "payment_means",
    ),
    (
        "en16931",
        lambda d: with_party(
            d, "buyer", identifiers=(Identifier(value="1"), Identifier(value="2"))
        ),
        "UBL-SR-16",
        "buyer.identifiers",
    ),
]


SECOND: list[Case] = [
    # UBL syntax
    (
        "en16931",
        lambda d: replace(d, additional_documents=(AdditionalDocument(id="A", type_code="916"),)),
        "UBL-SR-43",
        "additional_documents[0].type_code",
    ),
    (
        "en16931",
        lambda d: replace(
            d, payment_means=tuple(replace(d.payment_means[0], remittance_info=r) for r in "AB")
        ),
        "UBL-SR-44",
        "payment_means",
    ),
    (
        "en16931",
        lambda d: replace(
            d, payment_means=tuple(replace(d.payment_means[0], text=t) for t in "AB")
        ),
        "UBL-SR-46",
        "payment_means",
    ),
    (
        "en16931",
        lambda d: replace(
            d,
            payment_means=(
                *d.payment_means,
                PaymentMeans(code="58", card=Card(pan="1234", network="VISA")),
                PaymentMeans(code="58", card=Card(pan="1234", network="VISA")),
            ),
        ),
        "UBL-SR-54",
        "payment_means",
    ),
    (
        "en16931",
        lambda d: replace(
            d,
            payment_means=(
                PaymentMeans(code="59", direct_debit=DirectDebit(mandate="M1")),
                PaymentMeans(code="59", direct_debit=DirectDebit(mandate="M2")),
            ),
        ),
        "UBL-SR-55",
        "payment_means",
    ),
    (
        "en16931",
        lambda d: replace(
            d,
            seller=replace(
                d.seller,
                identifiers=(
                    Identifier(value="A", scheme="SEPA"),
                    Identifier(value="B", scheme="SEPA"),
                ),
            ),
        ),
        "UBL-SR-29",
        "seller.identifiers",
    ),
    (
        "en16931",
        lambda d: replace(
            d,
            additional_documents=(
                AdditionalDocument(id="A", type_code="130", attachment=ATTACHMENT),
            ),
        ),
        "UBL-CR-666",
        "additional_documents[0].attachment",
    ),
    (
        "en16931",
        lambda d: replace(
            d, additional_documents=(AdditionalDocument(id="A", type_code="130", description="x"),)
        ),
        "UBL-CR-673",
        "additional_documents[0].description",
    ),
]
