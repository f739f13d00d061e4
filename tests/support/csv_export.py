"""The parties of the standard CSV test invoice, shared by the CSV connector tests and the
CSV harness of the conformance suite: a Dutch seller (BG-4, from the connection settings)
and a Dutch customer (BG-7, the invoice columns of the export)."""

from __future__ import annotations

from connectors.csv_settings import SellerSettings

__all__ = ["CUSTOMER", "SELLER"]

SELLER = SellerSettings(
    name="Lindeboom Kantoorartikelen B.V.",
    vat="NL000099998B57",
    kvk="34567890",
    street="Stationsweg 12",
    postcode="3511 ED",
    city="Utrecht",
    country="NL",
    iban="NL91 ABNA 0417 1643 00",
)
CUSTOMER = {
    "issue_date": "2026-01-02",
    "due_date": "2026-02-01",
    "customer_name": "Bakkerij Jansen B.V.",
    "customer_vat": "NL866120932B01",
    "customer_kvk": "30112233",
    "customer_street": "Dorpsstraat 8",
    "customer_postcode": "3732 HJ",
    "customer_city": "De Bilt",
    "customer_country": "NL",
    "buyer_reference": "JANSEN-17",
}
