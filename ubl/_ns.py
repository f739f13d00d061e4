"""UBL 2.1 namespace URIs and Clark-notation tag helpers, shared by writer and parser."""

from typing import Final

INVOICE: Final = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE: Final = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC: Final = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC: Final = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
EXT: Final = "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2"

#: Prefixes the writer uses (the parser accepts any prefix).
NSMAP_INVOICE: Final = {None: INVOICE, "cac": CAC, "cbc": CBC}
NSMAP_CREDIT_NOTE: Final = {None: CREDIT_NOTE, "cac": CAC, "cbc": CBC}


def cac(local: str) -> str:
    """Clark name of a CommonAggregateComponents element."""
    return f"{{{CAC}}}{local}"


def cbc(local: str) -> str:
    """Clark name of a CommonBasicComponents element."""
    return f"{{{CBC}}}{local}"
