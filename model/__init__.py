"""Canonical EN 16931 semantic model: the document, code lists, identifiers and calculation.

The document classes live in :mod:`model.document` and are re-exported here.
``model.calculation`` holds the EN 16931 calculation rules, ``model.codes``
the generated code lists, ``model.identifiers`` the identifier checks and
``model.jsonio`` the JSON form of the model and :mod:`model.findings` the one
finding type every layer reports problems in (:class:`Finding`).
"""

from model.document import (
    AdditionalDocument,
    Address,
    AllowanceCharge,
    Attachment,
    Card,
    Classification,
    Contact,
    CreditTransfer,
    Delivery,
    DirectDebit,
    DocumentKind,
    Identifier,
    Invoice,
    Item,
    ItemAttribute,
    Line,
    Note,
    Party,
    Payee,
    PaymentMeans,
    Period,
    PrecedingInvoice,
    Price,
    TaxRepresentative,
    Totals,
    VatBreakdown,
)
from model.findings import Finding
from model.terms import Term

__all__ = [
    "AdditionalDocument",
    "Address",
    "AllowanceCharge",
    "Attachment",
    "Card",
    "Classification",
    "Contact",
    "CreditTransfer",
    "Delivery",
    "DirectDebit",
    "DocumentKind",
    "Finding",
    "Identifier",
    "Invoice",
    "Item",
    "ItemAttribute",
    "Line",
    "Note",
    "Party",
    "Payee",
    "PaymentMeans",
    "Period",
    "PrecedingInvoice",
    "Price",
    "TaxRepresentative",
    "Term",
    "Totals",
    "VatBreakdown",
]
