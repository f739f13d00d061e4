"""Canonical EN 16931 semantic model: the document, code lists, identifiers and calculation.

The document classes live in :mod:`model.document` and are re-exported here, imported on
first use.
``model.calculation`` holds the EN 16931 calculation rules, ``model.codes``
the generated code lists, ``model.identifiers`` the identifier checks and
``model.jsonio`` the JSON form of the model and :mod:`model.findings` the one
finding type every layer reports problems in (:class:`Finding`).
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_HOMES: dict[str, str] = {
    **dict.fromkeys(
        [name for name in __all__ if name not in ("Finding", "Term")], "model.document"
    ),
    "Finding": "model.findings",
    "Term": "model.terms",
}
"""Where each public name lives. They are imported on first use, so that a module that needs
only :mod:`model.findings` (the validator) does not pay for the document classes."""


def __getattr__(name: str) -> Any:
    import importlib

    try:
        home = _HOMES[name]
    except KeyError:
        raise AttributeError(f"module 'model' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
