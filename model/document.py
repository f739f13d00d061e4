"""The canonical EN 16931 semantic model: one invoice or credit note.

Frozen, typed dataclasses. Every field names its EN 16931 business term (BT-n)
or group (BG-n) in its ``Term`` metadata. Amounts and quantities are
``Decimal``; dates are ``datetime.date``. Lists are tuples so a model is
hashable and immutable.

The model describes what a document *says*. It does not compute anything:
``model.calculation`` derives totals and the VAT breakdown from the lines and
checks a document's own figures against the EN 16931 rules.

Where UBL allows more than EN 16931 (several ``cac:PaymentMeans``, a card
network id that the UBL schema requires), the model follows UBL so that a
parsed document writes back the same.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated

from model._fast_init import speed_up_init
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
    "Totals",
    "VatBreakdown",
]


class DocumentKind(enum.StrEnum):
    """The UBL document type that carries the invoice: ``Invoice`` or ``CreditNote``."""

    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


@dataclass(frozen=True, slots=True, kw_only=True)
class Identifier:
    """An identifier with an optional scheme (ISO 6523 ICD, EAS, or another list)."""

    value: Annotated[str, Term("", "Identifier value")]
    scheme: Annotated[str | None, Term("", "Scheme identifier (ICD/EAS code)")] = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Address:
    """A postal address: seller BG-5, buyer BG-8, tax representative BG-12, deliver-to BG-15."""

    line1: Annotated[str | None, Term("BT-35", "Address line 1")] = None
    line2: Annotated[str | None, Term("BT-36", "Address line 2")] = None
    line3: Annotated[str | None, Term("BT-162", "Address line 3")] = None
    city: Annotated[str | None, Term("BT-37", "City")] = None
    postal_code: Annotated[str | None, Term("BT-38", "Post code")] = None
    subdivision: Annotated[str | None, Term("BT-39", "Country subdivision")] = None
    country: Annotated[str, Term("BT-40", "Country code (ISO 3166-1 alpha-2)")]


@dataclass(frozen=True, slots=True, kw_only=True)
class Contact:
    """Seller contact BG-6 or buyer contact BG-9."""

    name: Annotated[str | None, Term("BT-41", "Contact point")] = None
    phone: Annotated[str | None, Term("BT-42", "Contact telephone number")] = None
    email: Annotated[str | None, Term("BT-43", "Contact email address")] = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Party:
    """The seller (BG-4) or the buyer (BG-7).

    Terms are given for the seller; the buyer's are BT-44 name, BT-45 trading
    name, BT-46 identifier, BT-47 legal registration, BT-48 VAT id, BT-49
    endpoint, BG-8 address and BG-9 contact. The buyer has no BT-32/BT-33.
    """

    name: Annotated[str, Term("BT-27", "Seller name")]
    trading_name: Annotated[str | None, Term("BT-28", "Seller trading name")] = None
    identifiers: Annotated[tuple[Identifier, ...], Term("BT-29", "Seller identifier")] = ()
    legal_registration: Annotated[
        Identifier | None, Term("BT-30", "Seller legal registration identifier")
    ] = None
    vat_id: Annotated[str | None, Term("BT-31", "Seller VAT identifier")] = None
    tax_registration: Annotated[str | None, Term("BT-32", "Seller tax registration identifier")] = (
        None
    )
    tax_registration_scheme: Annotated[
        str | None, Term("BT-32", "Tax scheme of BT-32 (UBL TaxScheme/ID, e.g. 'FC')")
    ] = None
    legal_info: Annotated[str | None, Term("BT-33", "Seller additional legal information")] = None
    endpoint: Annotated[Identifier | None, Term("BT-34", "Seller electronic address")] = None
    address: Annotated[Address, Term("BG-5", "Seller postal address")]
    contact: Annotated[Contact | None, Term("BG-6", "Seller contact")] = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Payee:
    """BG-10 Payee: the party paid when it is not the seller."""

    name: Annotated[str, Term("BT-59", "Payee name")]
    identifier: Annotated[Identifier | None, Term("BT-60", "Payee identifier")] = None
    legal_registration: Annotated[
        Identifier | None, Term("BT-61", "Payee legal registration identifier")
    ] = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TaxRepresentative:
    """BG-11 Seller tax representative party."""

    name: Annotated[str, Term("BT-62", "Seller tax representative name")]
    vat_id: Annotated[str, Term("BT-63", "Seller tax representative VAT identifier")]
    address: Annotated[Address, Term("BG-12", "Seller tax representative postal address")]


@dataclass(frozen=True, slots=True, kw_only=True)
class Note:
    """BG-1 Invoice note."""

    text: Annotated[str, Term("BT-22", "Invoice note")]
    subject_code: Annotated[str | None, Term("BT-21", "Invoice note subject code (UNCL4451)")] = (
        None
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class PrecedingInvoice:
    """BG-3 Preceding invoice reference."""

    number: Annotated[str, Term("BT-25", "Preceding invoice reference")]
    issue_date: Annotated[date | None, Term("BT-26", "Preceding invoice issue date")] = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Period:
    """A period: invoicing period BG-14 (BT-73/BT-74) or invoice line period BG-26 (BT-134/135)."""

    start: Annotated[date | None, Term("BT-73", "Invoicing period start date")] = None
    end: Annotated[date | None, Term("BT-74", "Invoicing period end date")] = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    """BG-13 Delivery information."""

    party_name: Annotated[str | None, Term("BT-70", "Deliver to party name")] = None
    location: Annotated[Identifier | None, Term("BT-71", "Deliver to location identifier")] = None
    date: Annotated[date | None, Term("BT-72", "Actual delivery date")] = None
    address: Annotated[Address | None, Term("BG-15", "Deliver to address")] = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CreditTransfer:
    """BG-17 Credit transfer."""

    account_id: Annotated[str, Term("BT-84", "Payment account identifier (IBAN)")]
    account_name: Annotated[str | None, Term("BT-85", "Payment account name")] = None
    provider: Annotated[str | None, Term("BT-86", "Payment service provider identifier (BIC)")] = (
        None
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Card:
    """BG-18 Payment card information."""

    pan: Annotated[str, Term("BT-87", "Payment card primary account number (last digits)")]
    network: Annotated[str, Term("", "Card network (UBL CardAccount/NetworkID, required there)")]
    holder: Annotated[str | None, Term("BT-88", "Payment card holder name")] = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DirectDebit:
    """BG-19 Direct debit.

    BT-90 (bank assigned creditor identifier) is, as in UBL, an identifier of
    the seller (BT-29) or the payee (BT-60) with scheme ``SEPA``.
    """

    mandate: Annotated[str | None, Term("BT-89", "Mandate reference identifier")] = None
    debited_account: Annotated[str | None, Term("BT-91", "Debited account identifier")] = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentMeans:
    """BG-16 Payment instructions (one ``cac:PaymentMeans``).

    EN 16931 has one BG-16 with any number of credit transfers; UBL and Peppol
    carry one ``cac:PaymentMeans`` per account, each with its code. A document
    holds a tuple of these; each has at most one credit transfer.
    """

    code: Annotated[str, Term("BT-81", "Payment means type code (UNCL4461)")]
    text: Annotated[str | None, Term("BT-82", "Payment means text")] = None
    remittance_info: Annotated[str | None, Term("BT-83", "Remittance information")] = None
    credit_transfer: Annotated[CreditTransfer | None, Term("BG-17", "Credit transfer")] = None
    card: Annotated[Card | None, Term("BG-18", "Payment card information")] = None
    direct_debit: Annotated[DirectDebit | None, Term("BG-19", "Direct debit")] = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AllowanceCharge:
    """Document level allowance BG-20 / charge BG-21, or line level BG-27 / BG-28.

    Terms are given for a document allowance; a document charge uses BT-99..105,
    a line allowance BT-136..140, a line charge BT-141..145. Line allowances
    and charges have no VAT category of their own.
    """

    is_charge: Annotated[bool, Term("", "True for a charge (BG-21/BG-28), False for an allowance")]
    amount: Annotated[Decimal, Term("BT-92", "Document level allowance amount")]
    base_amount: Annotated[Decimal | None, Term("BT-93", "Allowance base amount")] = None
    percentage: Annotated[Decimal | None, Term("BT-94", "Allowance percentage")] = None
    vat_category: Annotated[str | None, Term("BT-95", "Allowance VAT category code (UNCL5305)")] = (
        None
    )
    vat_rate: Annotated[Decimal | None, Term("BT-96", "Allowance VAT rate")] = None
    reason: Annotated[str | None, Term("BT-97", "Allowance reason")] = None
    reason_code: Annotated[
        str | None, Term("BT-98", "Allowance reason code (UNCL5189; charges UNCL7161)")
    ] = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Totals:
    """BG-22 Document totals."""

    line_net: Annotated[Decimal, Term("BT-106", "Sum of invoice line net amount")]
    allowances: Annotated[Decimal | None, Term("BT-107", "Sum of allowances on document level")] = (
        None
    )
    charges: Annotated[Decimal | None, Term("BT-108", "Sum of charges on document level")] = None
    without_vat: Annotated[Decimal, Term("BT-109", "Invoice total amount without VAT")]
    vat: Annotated[Decimal | None, Term("BT-110", "Invoice total VAT amount")] = None
    vat_in_tax_currency: Annotated[
        Decimal | None, Term("BT-111", "Invoice total VAT amount in accounting currency")
    ] = None
    with_vat: Annotated[Decimal, Term("BT-112", "Invoice total amount with VAT")]
    prepaid: Annotated[Decimal | None, Term("BT-113", "Paid amount")] = None
    rounding: Annotated[Decimal | None, Term("BT-114", "Rounding amount")] = None
    payable: Annotated[Decimal, Term("BT-115", "Amount due for payment")]


@dataclass(frozen=True, slots=True, kw_only=True)
class VatBreakdown:
    """BG-23 VAT breakdown: one per VAT category and rate."""

    taxable_amount: Annotated[Decimal, Term("BT-116", "VAT category taxable amount")]
    tax_amount: Annotated[Decimal, Term("BT-117", "VAT category tax amount")]
    category: Annotated[str, Term("BT-118", "VAT category code (UNCL5305)")]
    rate: Annotated[Decimal | None, Term("BT-119", "VAT category rate")] = None
    exemption_reason: Annotated[str | None, Term("BT-120", "VAT exemption reason text")] = None
    exemption_code: Annotated[str | None, Term("BT-121", "VAT exemption reason code (VATEX)")] = (
        None
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Attachment:
    """BT-125 Attached document: embedded binary content."""

    content: Annotated[bytes, Term("BT-125", "Attached document (base64 in JSON)")]
    mime_code: Annotated[str, Term("BT-125-1", "Attached document mime code")]
    filename: Annotated[str, Term("BT-125-2", "Attached document filename")]


@dataclass(frozen=True, slots=True, kw_only=True)
class AdditionalDocument:
    """BG-24 Additional supporting documents.

    ``type_code`` is UBL's DocumentTypeCode; EN 16931 uses ``130`` for the
    invoiced object identifier (BT-18), which the model keeps apart in
    ``Invoice.invoiced_object``.
    """

    id: Annotated[str, Term("BT-122", "Supporting document reference")]
    id_scheme: Annotated[str | None, Term("", "Scheme of the reference (UBL ID/@schemeID)")] = None
    type_code: Annotated[str | None, Term("", "UBL DocumentTypeCode")] = None
    description: Annotated[str | None, Term("BT-123", "Supporting document description")] = None
    uri: Annotated[str | None, Term("BT-124", "External document location")] = None
    attachment: Annotated[Attachment | None, Term("BT-125", "Attached document")] = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Classification:
    """BT-158 Item classification identifier, with list id BT-158-1 and version BT-158-2."""

    code: Annotated[str, Term("BT-158", "Item classification identifier")]
    list_id: Annotated[str, Term("BT-158-1", "Scheme identifier (UNTDID 7143)")]
    list_version: Annotated[str | None, Term("BT-158-2", "Scheme version identifier")] = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemAttribute:
    """BG-32 Item attributes."""

    name: Annotated[str, Term("BT-160", "Item attribute name")]
    value: Annotated[str, Term("BT-161", "Item attribute value")]


@dataclass(frozen=True, slots=True, kw_only=True)
class Item:
    """BG-31 Item information, with the line VAT information BG-30."""

    name: Annotated[str, Term("BT-153", "Item name")]
    description: Annotated[str | None, Term("BT-154", "Item description")] = None
    seller_id: Annotated[str | None, Term("BT-155", "Item Seller's identifier")] = None
    buyer_id: Annotated[str | None, Term("BT-156", "Item Buyer's identifier")] = None
    standard_id: Annotated[Identifier | None, Term("BT-157", "Item standard identifier")] = None
    classifications: Annotated[
        tuple[Classification, ...], Term("BT-158", "Item classification identifier")
    ] = ()
    origin_country: Annotated[str | None, Term("BT-159", "Item country of origin")] = None
    attributes: Annotated[tuple[ItemAttribute, ...], Term("BG-32", "Item attributes")] = ()
    vat_category: Annotated[str, Term("BT-151", "Invoiced item VAT category code (UNCL5305)")]
    vat_rate: Annotated[Decimal | None, Term("BT-152", "Invoiced item VAT rate")] = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Price:
    """BG-29 Price details."""

    net: Annotated[Decimal, Term("BT-146", "Item net price")]
    discount: Annotated[Decimal | None, Term("BT-147", "Item price discount")] = None
    gross: Annotated[Decimal | None, Term("BT-148", "Item gross price")] = None
    base_quantity: Annotated[Decimal | None, Term("BT-149", "Item price base quantity")] = None
    base_unit: Annotated[
        str | None, Term("BT-150", "Item price base quantity unit of measure code")
    ] = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Line:
    """BG-25 Invoice line."""

    id: Annotated[str, Term("BT-126", "Invoice line identifier")]
    note: Annotated[str | None, Term("BT-127", "Invoice line note")] = None
    object_id: Annotated[Identifier | None, Term("BT-128", "Invoice line object identifier")] = None
    quantity: Annotated[Decimal, Term("BT-129", "Invoiced quantity")]
    unit: Annotated[str, Term("BT-130", "Invoiced quantity unit of measure (UN/ECE Rec 20/21)")]
    net_amount: Annotated[Decimal, Term("BT-131", "Invoice line net amount")]
    order_line_ref: Annotated[
        str | None, Term("BT-132", "Referenced purchase order line reference")
    ] = None
    accounting_cost: Annotated[
        str | None, Term("BT-133", "Invoice line Buyer accounting reference")
    ] = None
    period: Annotated[Period | None, Term("BG-26", "Invoice line period (BT-134/BT-135)")] = None
    allowances_charges: Annotated[
        tuple[AllowanceCharge, ...],
        Term("BG-27", "Invoice line allowances (BG-27) and charges (BG-28)"),
    ] = ()
    price: Annotated[Price, Term("BG-29", "Price details")]
    item: Annotated[Item, Term("BG-31", "Item information, with line VAT information BG-30")]


@dataclass(frozen=True, slots=True, kw_only=True)
class Invoice:
    """An EN 16931 invoice or credit note (the whole semantic model, BG-0).

    ``kind`` chooses the UBL root (``Invoice`` or ``CreditNote``); BT-3 is the
    type code within it.
    """

    kind: Annotated[DocumentKind, Term("", "UBL document: invoice or credit_note")] = (
        DocumentKind.INVOICE
    )
    customization_id: Annotated[
        str | None, Term("BT-24", "Specification identifier (set by the writer's profile)")
    ] = None
    profile_id: Annotated[
        str | None, Term("BT-23", "Business process type (set by the writer's profile)")
    ] = None
    number: Annotated[str, Term("BT-1", "Invoice number")]
    issue_date: Annotated[date, Term("BT-2", "Invoice issue date")]
    type_code: Annotated[str, Term("BT-3", "Invoice type code (UNCL1001)")] = "380"
    currency: Annotated[str, Term("BT-5", "Invoice currency code (ISO 4217)")]
    tax_currency: Annotated[str | None, Term("BT-6", "VAT accounting currency code")] = None
    tax_point_date: Annotated[date | None, Term("BT-7", "Value added tax point date")] = None
    tax_point_code: Annotated[
        str | None, Term("BT-8", "Value added tax point date code (UNCL2005)")
    ] = None
    due_date: Annotated[date | None, Term("BT-9", "Payment due date")] = None
    buyer_reference: Annotated[str | None, Term("BT-10", "Buyer reference")] = None
    project_reference: Annotated[str | None, Term("BT-11", "Project reference")] = None
    contract_reference: Annotated[str | None, Term("BT-12", "Contract reference")] = None
    order_reference: Annotated[str | None, Term("BT-13", "Purchase order reference")] = None
    sales_order_reference: Annotated[str | None, Term("BT-14", "Sales order reference")] = None
    receiving_advice_reference: Annotated[
        str | None, Term("BT-15", "Receiving advice reference")
    ] = None
    despatch_advice_reference: Annotated[str | None, Term("BT-16", "Despatch advice reference")] = (
        None
    )
    tender_reference: Annotated[str | None, Term("BT-17", "Tender or lot reference")] = None
    invoiced_object: Annotated[
        Identifier | None, Term("BT-18", "Invoiced object identifier (with scheme BT-18-1)")
    ] = None
    buyer_accounting_reference: Annotated[
        str | None, Term("BT-19", "Buyer accounting reference")
    ] = None
    payment_terms: Annotated[str | None, Term("BT-20", "Payment terms")] = None
    notes: Annotated[tuple[Note, ...], Term("BG-1", "Invoice note")] = ()
    preceding_invoices: Annotated[
        tuple[PrecedingInvoice, ...], Term("BG-3", "Preceding invoice reference")
    ] = ()
    seller: Annotated[Party, Term("BG-4", "Seller")]
    buyer: Annotated[Party, Term("BG-7", "Buyer")]
    payee: Annotated[Payee | None, Term("BG-10", "Payee")] = None
    tax_representative: Annotated[
        TaxRepresentative | None, Term("BG-11", "Seller tax representative party")
    ] = None
    delivery: Annotated[Delivery | None, Term("BG-13", "Delivery information")] = None
    invoice_period: Annotated[Period | None, Term("BG-14", "Invoicing period")] = None
    payment_means: Annotated[tuple[PaymentMeans, ...], Term("BG-16", "Payment instructions")] = ()
    allowances_charges: Annotated[
        tuple[AllowanceCharge, ...],
        Term("BG-20", "Document level allowances (BG-20) and charges (BG-21)"),
    ] = ()
    totals: Annotated[Totals, Term("BG-22", "Document totals")]
    vat_breakdown: Annotated[tuple[VatBreakdown, ...], Term("BG-23", "VAT breakdown")] = ()
    additional_documents: Annotated[
        tuple[AdditionalDocument, ...], Term("BG-24", "Additional supporting documents")
    ] = ()
    lines: Annotated[tuple[Line, ...], Term("BG-25", "Invoice line")] = ()

    @property
    def is_credit_note(self) -> bool:
        """True when the document travels as a UBL CreditNote."""
        return self.kind is DocumentKind.CREDIT_NOTE


for _cls in (
    Identifier,
    Address,
    Contact,
    Party,
    Payee,
    TaxRepresentative,
    Note,
    PrecedingInvoice,
    Period,
    Delivery,
    CreditTransfer,
    Card,
    DirectDebit,
    PaymentMeans,
    AllowanceCharge,
    Totals,
    VatBreakdown,
    Attachment,
    AdditionalDocument,
    Classification,
    ItemAttribute,
    Item,
    Price,
    Line,
    Invoice,
):
    speed_up_init(_cls)
del _cls
