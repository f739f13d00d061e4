"""Short fix hints for the rules documents break most often.

The rule text says what is wrong; a hint says where to look and what to change, naming the
UBL elements and EN 16931 terms (BT-/BG-) concerned.
"""

from __future__ import annotations

from typing import Final

__all__ = ["COMMAND_LINE_HINTS", "HINTS", "hint_for"]

_NL_ADDRESS: Final = "add cbc:StreetName, cbc:CityName and cbc:PostalZone to {}/cac:PostalAddress"
_NL_LEGAL_ID: Final = (
    'give {}/cac:PartyLegalEntity/cbc:CompanyID a KVK number (schemeID="0106", 8 digits) '
    'or an OIN (schemeID="0190", 20 digits)'
)
_NL_PAYMENT_MEANS: Final = (
    "use cbc:PaymentMeansCode 30 (credit transfer), 58 (SEPA credit transfer), 49 (direct "
    "debit), 59 (SEPA direct debit), 48 (bank card) or 57 (standing agreement)"
)
_SUPPLIER: Final = "cac:AccountingSupplierParty/cac:Party"
_CUSTOMER: Final = "cac:AccountingCustomerParty/cac:Party"
_REPRESENTATIVE: Final = "cac:TaxRepresentativeParty"

HINTS: Final[dict[str, str]] = {
    # EN 16931 totals and VAT breakdown
    "BR-CO-10": (
        "set cac:LegalMonetaryTotal/cbc:LineExtensionAmount (BT-106) to the sum of every "
        "cac:InvoiceLine/cbc:LineExtensionAmount (BT-131), each rounded to 2 decimals first"
    ),
    "BR-CO-13": (
        "cbc:TaxExclusiveAmount (BT-109) must be LineExtensionAmount - AllowanceTotalAmount "
        "+ ChargeTotalAmount of cac:LegalMonetaryTotal"
    ),
    "BR-CO-14": (
        "the cac:TaxTotal/cbc:TaxAmount in the invoice currency (BT-110) must be the sum of its "
        "cac:TaxSubtotal/cbc:TaxAmount values (BT-117)"
    ),
    "BR-CO-15": (
        "cbc:TaxInclusiveAmount (BT-112) must be cbc:TaxExclusiveAmount (BT-109) + the "
        "cac:TaxTotal/cbc:TaxAmount in the invoice currency (BT-110)"
    ),
    "BR-CO-16": (
        "cbc:PayableAmount (BT-115) must be TaxInclusiveAmount - PrepaidAmount + "
        "PayableRoundingAmount of cac:LegalMonetaryTotal"
    ),
    "BR-CO-17": (
        "each cac:TaxSubtotal/cbc:TaxAmount (BT-117) must be its cbc:TaxableAmount (BT-116) x "
        "cac:TaxCategory/cbc:Percent / 100, rounded to 2 decimals"
    ),
    "BR-S-08": (
        "for each standard-rated VAT rate, cbc:TaxableAmount (BT-116) of that cac:TaxSubtotal "
        "must equal the sum of the line net amounts at that rate plus document-level charges "
        "minus allowances at that rate"
    ),
    "BR-S-09": (
        "the standard-rated cac:TaxSubtotal/cbc:TaxAmount (BT-117) must be cbc:TaxableAmount x "
        "cbc:Percent / 100, rounded to 2 decimals"
    ),
    "BR-E-10": (
        "an exempt (E) VAT breakdown needs cac:TaxCategory/cbc:TaxExemptionReasonCode (BT-121, "
        "VATEX code) or cbc:TaxExemptionReason (BT-120)"
    ),
    "BR-16": "add at least one cac:InvoiceLine (cac:CreditNoteLine for a credit note) (BG-25)",
    "BR-DEC-23": (
        "round cac:InvoiceLine/cbc:LineExtensionAmount (BT-131) to at most 2 decimals before "
        "writing it"
    ),
    # code lists
    "BR-CL-10": (
        "use a schemeID from the ISO 6523 ICD list (e.g. 0088 GLN, 0106 KVK, 0190 OIN, "
        "0208 Belgian KBO) on this party identifier"
    ),
    "BR-CL-14": "use an ISO 3166-1 alpha-2 code in cac:Country/cbc:IdentificationCode (e.g. NL)",
    "BR-CL-23": (
        "use a UN/ECE Recommendation 20/21 code in @unitCode, e.g. C62 (one), H87 (piece), "
        "HUR (hour), KGM (kilogram); 'pcs' or 'st' are not codes"
    ),
    "BR-CL-25": (
        "use a CEF EAS code in cbc:EndpointID/@schemeID, e.g. 0106 (KVK), 0190 (OIN), "
        "9944 (NL VAT), 0088 (GLN)"
    ),
    # Peppol BIS Billing 3.0
    "PEPPOL-EN16931-R001": (
        "add cbc:ProfileID (BT-23), normally urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
    ),
    "PEPPOL-EN16931-R003": "add cbc:BuyerReference (BT-10) or cac:OrderReference/cbc:ID (BT-13)",
    "PEPPOL-EN16931-R004": (
        "set cbc:CustomizationID (BT-24) to "
        "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
    ),
    "PEPPOL-EN16931-R008": (
        "remove empty elements (no text, no children), or give them a value; whitespace "
        "counts as empty"
    ),
    "PEPPOL-EN16931-R010": (
        f'add {_CUSTOMER}/cbc:EndpointID (BT-49) with its schemeID, e.g. schemeID="0106" '
        "for a KVK number"
    ),
    "PEPPOL-EN16931-R020": (
        f'add {_SUPPLIER}/cbc:EndpointID (BT-34) with its schemeID, e.g. schemeID="0106" '
        "for a KVK number"
    ),
    "PEPPOL-EN16931-R051": (
        "give every @currencyID the invoice currency (cbc:DocumentCurrencyCode, BT-5); only "
        "the second cac:TaxTotal/cbc:TaxAmount (BT-111) uses cbc:TaxCurrencyCode"
    ),
    "PEPPOL-EN16931-R053": (
        "keep exactly one cac:TaxTotal with cac:TaxSubtotal elements; a second TaxTotal (tax "
        "currency, BT-111) holds only cbc:TaxAmount"
    ),
    "PEPPOL-EN16931-R120": (
        "cbc:LineExtensionAmount of the line must be InvoicedQuantity x (cac:Price/cbc:PriceAmount "
        "/ cbc:BaseQuantity) + line charges - line allowances, rounded to 2 decimals"
    ),
    "PEPPOL-EN16931-R121": "cac:Price/cbc:BaseQuantity (BT-149) must be greater than zero",
    "PEPPOL-EN16931-R130": (
        "give cac:Price/cbc:BaseQuantity the same @unitCode as cbc:InvoicedQuantity"
    ),
    # NLCIUS, Peppol NL rules (NL-R-*) and SI-UBL 2.0 (BR-NL-*)
    "NL-R-001": (
        "a Dutch credit note must reference the invoice it corrects: add "
        "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID (BT-25)"
    ),
    "NL-R-002": _NL_ADDRESS.format(_SUPPLIER),
    "NL-R-003": _NL_LEGAL_ID.format(_SUPPLIER),
    "NL-R-004": _NL_ADDRESS.format(_CUSTOMER),
    "NL-R-005": _NL_LEGAL_ID.format(_CUSTOMER),
    "NL-R-006": _NL_ADDRESS.format(_REPRESENTATIVE),
    "NL-R-007": "add cac:PaymentMeans (BG-16) with cbc:PaymentMeansCode (BT-81)",
    "NL-R-008": _NL_PAYMENT_MEANS,
    "NL-R-009": (
        "cac:OrderLineReference/cbc:LineID (BT-132) needs an order on the document: add "
        "cac:OrderReference/cbc:ID (BT-13)"
    ),
    "BR-NL-1": _NL_LEGAL_ID.format(_SUPPLIER),
    "BR-NL-2": "add cbc:BuyerReference (BT-10) or cac:OrderReference/cbc:ID (BT-13)",
    "BR-NL-3": _NL_ADDRESS.format(_SUPPLIER),
    "BR-NL-4": _NL_ADDRESS.format(_CUSTOMER),
    "BR-NL-5": _NL_ADDRESS.format(_REPRESENTATIVE),
    "BR-NL-7": "use type code 380, 381, 384 or 389 (cbc:InvoiceTypeCode or cbc:CreditNoteTypeCode)",
    "BR-NL-8": (
        "write a credit note (type 381) as a UBL CreditNote document, not as an Invoice with "
        "cbc:InvoiceTypeCode 381"
    ),
    "BR-NL-9": (
        "a corrective invoice (384) must reference the invoice it corrects: add "
        "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID (BT-25)"
    ),
    "BR-NL-10": _NL_LEGAL_ID.format(_CUSTOMER),
    "BR-NL-11": "add cac:PaymentMeans (BG-16) with cbc:PaymentMeansCode (BT-81)",
    "BR-NL-12": _NL_PAYMENT_MEANS,
    "BR-NL-13": (
        "cac:OrderLineReference/cbc:LineID (BT-132) needs an order on the document: add "
        "cac:OrderReference/cbc:ID (BT-13)"
    ),
    # our own findings
    "UNKNOWN-CUSTOMIZATION-ID": (
        "set cbc:CustomizationID (BT-24) to the specification the document follows, or pass "
        "profile= (peppol-bis3, nlcius, en16931) to choose the rules"
    ),
    "SAXON-ERROR": (
        "the official rules could not run on this document; a repeated element the rules allow "
        "once (e.g. two cbc:RegistrationName in one cac:PartyLegalEntity) is the usual cause"
    ),
    "UBL-DOCUMENT-TYPE": (
        "validate the document as what its root says it is: drop document_type= (the root "
        "picks the schema) or pass the matching one"
    ),
    "UBL-ROOT": (
        "only UBL 2.1 Invoice and CreditNote documents can be validated: leave other documents "
        "out, or check the root element's name and namespace "
        "(urn:oasis:names:specification:ubl:schema:xsd:Invoice-2)"
    ),
    "VALIDATOR-LIMIT": (
        "flatten the nesting (it is usually inside ext:ExtensionContent); the official rules "
        "cannot be run on the document as it is"
    ),
    "SCHEMAV_ELEMENT_CONTENT": (
        "UBL fixes the order and the number of child elements: move or remove the element "
        "named, or add the one the schema expects"
    ),
}
"""Fix hints by rule id, as the library call (``ubl.validate.validate``) is told them."""

COMMAND_LINE_HINTS: Final[dict[str, str]] = {
    "UNKNOWN-CUSTOMIZATION-ID": (
        "set cbc:CustomizationID (BT-24) to the specification the document follows, or pass "
        "--profile peppol-bis3, nlcius or en16931 to choose the rules"
    ),
}
"""The hints that name a library argument, as ``ledgerlink validate`` words them (its
option instead of the argument)."""


def hint_for(rule: str) -> str | None:
    """The fix hint for ``rule``, or None when there is none."""
    return HINTS.get(rule)
