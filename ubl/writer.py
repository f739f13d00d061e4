"""UBL 2.1 writer: the EN 16931 model (:class:`model.document.Invoice`) as UBL XML.

One function per UBL aggregate, each writing its children in the order the UBL 2.1
XSD requires (``UBL-Invoice-2.1.xsd``, ``UBL-CreditNote-2.1.xsd``,
``UBL-CommonAggregateComponents-2.1.xsd``); the field-by-field mapping is the shared
binding (BT-/BG- terms are named in each helper). The rules every helper keeps:

* an absent value (``None``, a blank string, an empty tuple) writes nothing, and an
  aggregate left without children is dropped again, so the output has no empty element;
* every amount carries ``currencyID`` (the document currency BT-5, except the BT-111
  ``TaxAmount`` in the VAT accounting currency BT-6);
* decimals are written as the model holds them (``format(d, "f")``), never rounded;
* the output depends on the model only: the same model gives the same bytes.

How: the helpers append escaped, indented markup to a :class:`_Markup` (an aggregate
that may stay empty is opened with :meth:`_Markup.open` and closed with
:meth:`_Markup.close`, which drops it when nothing was written into it). The bytes are
exactly what ``etree.tostring(root, xml_declaration=True, encoding="UTF-8",
pretty_print=True)`` gives for the same tree: same declaration, two-space indentation,
lxml's escaping (the tests re-serialise the output with lxml and compare). lxml is not
used to build the tree because ``etree.SubElement`` costs about 1 µs per element here,
which made a ten-line invoice take 0.4-0.9 ms against the required 3,000 documents a
second; text building plus an lxml parse and ``tostring`` still took 0.4 ms.
Characters XML 1.0 cannot carry raise ``ValueError`` instead of producing bad XML.

The writer does not check the document against the profile or the EN 16931 calculation
rules; :func:`ubl.write` does that before it calls :func:`write_document`.
"""

from __future__ import annotations

import base64
import re
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Final

from model.document import (
    AdditionalDocument,
    Address,
    AllowanceCharge,
    Contact,
    Delivery,
    Identifier,
    Invoice,
    Item,
    Line,
    Party,
    Payee,
    PaymentMeans,
    Period,
    Price,
    TaxRepresentative,
)
from ubl._ns import CAC, CBC, CREDIT_NOTE, INVOICE

if TYPE_CHECKING:
    from ubl.profiles import Profile

__all__ = ["write_document"]

#: DocumentTypeCode of an AdditionalDocumentReference holding BT-18 (invoiced object).
INVOICED_OBJECT_TYPE_CODE: Final = "130"
#: DocumentTypeCode of the AdditionalDocumentReference holding BT-11 in a CreditNote (Peppol).
PROJECT_REFERENCE_TYPE_CODE: Final = "50"
#: cac:OrderReference/cbc:ID written when only BT-14 (sales order reference) is known (Peppol).
ORDER_ID_NOT_APPLICABLE: Final = "NA"
#: TaxScheme/ID of a BT-32 tax registration whose scheme the model does not name.
DEFAULT_TAX_REGISTRATION_SCHEME: Final = "FC"
VAT: Final = "VAT"

_INVALID_XML_CHARACTER: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_XML_DECLARATION: Final = "<?xml version='1.0' encoding='UTF-8'?>\n"
_INDENT: Final = "  "
_DEDENT: Final = -len(_INDENT)


# --- escaping ---------------------------------------------------------------------------------


def _escape(value: str) -> str:
    """``value`` as XML character data, escaped as lxml does (``\\r`` as ``&#13;``).

    Raises ``ValueError`` for a character XML 1.0 cannot carry (control character, lone
    surrogate, U+FFFE/U+FFFF). The callers skip it for a :func:`_plain` value.
    """
    if not value.isprintable():
        invalid = _INVALID_XML_CHARACTER.search(value)
        if invalid is not None:
            raise ValueError(
                f"character {invalid.group()!r} cannot be written in XML (in {value!r})"
            )
    if "&" in value or "<" in value or ">" in value or "\r" in value:
        value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        value = value.replace("\r", "&#13;")
    return value


def _plain(value: str) -> bool:
    """``value`` is character data as it is: printable (so no ``\\r`` and nothing XML cannot
    carry) and without ``&<>``. The writer's hot paths test this inline, sparing the call of
    :func:`_escape` for almost every value."""
    return value.isprintable() and "&" not in value and "<" not in value and ">" not in value


def _escape_attribute(value: str) -> str:
    """``value`` inside a double-quoted attribute, whitespace kept as references (as lxml)."""
    value = _escape(value)
    if '"' in value or "\n" in value or "\t" in value:
        value = value.replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")
    return value


def _attribute(name: str, value: str | None) -> str:
    """`` name="value"`` for a start tag, or ``""`` when the value is absent or blank."""
    if value and not value.isspace():
        if not value.isprintable() or "&" in value or "<" in value or ">" in value or '"' in value:
            value = _escape_attribute(value)
        return f' {name}="{value}"'
    return ""


# --- markup -----------------------------------------------------------------------------------


class _Markup:
    """The document under construction: one indented line per element, as lxml's
    ``pretty_print`` lays it out. ``pad`` is the line break and indentation of the
    children of the aggregate that is open."""

    __slots__ = ("pad", "parts")

    def __init__(self, root_start: str) -> None:
        self.parts = [_XML_DECLARATION, root_start]
        self.pad = "\n" + _INDENT

    def text(self, local: str, value: str | None, attributes: str = "") -> None:
        """cbc:<local> holding ``value``; nothing when the value is absent or blank."""
        if value and not value.isspace():
            if not value.isprintable() or "&" in value or "<" in value or ">" in value:
                value = _escape(value)
            self.parts.append(f"{self.pad}<cbc:{local}{attributes}>{value}</cbc:{local}>")

    def decimal(self, local: str, value: Decimal | None, attributes: str = "") -> None:
        """cbc:<local> holding a decimal exactly as the model holds it (``format(d, "f")``).

        Amounts pass their ``currencyID`` in ``attributes``. ``str(d)`` is the same text unless
        it uses exponent notation (``1E+2``, ``1E-7``), and about twice as quick.
        """
        if value is not None:
            text = str(value)
            if type(value) is not Decimal or "E" in text or "e" in text:
                text = f"{value:f}"
            self.parts.append(f"{self.pad}<cbc:{local}{attributes}>{text}</cbc:{local}>")

    def date(self, local: str, value: date | None) -> None:
        """cbc:<local> date as YYYY-MM-DD."""
        if value is not None:
            self.parts.append(f"{self.pad}<cbc:{local}>{value.isoformat()}</cbc:{local}>")

    def identifier(self, local: str, identifier: Identifier | None) -> None:
        """cbc:<local> identifier with its optional ``schemeID``."""
        if identifier is not None:
            self.text(local, identifier.value, _attribute("schemeID", identifier.scheme))

    def start(self, local: str) -> None:
        """Start cac:<local>, which the caller knows will not stay empty."""
        self.parts.append(f"{self.pad}<cac:{local}>")
        self.pad += _INDENT

    def end(self, local: str) -> None:
        self.pad = self.pad[:_DEDENT]
        self.parts.append(f"{self.pad}</cac:{local}>")

    def open(self, local: str) -> int:
        """Start cac:<local> that may stay empty; returns the mark :meth:`close` needs."""
        self.start(local)
        return len(self.parts)

    def close(self, local: str, mark: int) -> None:
        """End cac:<local>, or drop its start tag when nothing was written since :meth:`open`."""
        if len(self.parts) == mark:
            self.pad = self.pad[:_DEDENT]
            self.parts.pop()
        else:
            self.end(local)

    def wrapped(self, outer: str, inner: str, value: str | None, attributes: str = "") -> None:
        """cac:<outer>/cbc:<inner> holding one value (e.g. PartyName/Name), or nothing."""
        if value and not value.isspace():
            if not value.isprintable() or "&" in value or "<" in value or ">" in value:
                value = _escape(value)
            pad = self.pad
            self.parts.append(
                f"{pad}<cac:{outer}>{pad}{_INDENT}<cbc:{inner}{attributes}>{value}"
                f"</cbc:{inner}>{pad}</cac:{outer}>"
            )

    def wrapped_identifier(self, outer: str, identifier: Identifier | None) -> None:
        """cac:<outer>/cbc:ID with its ``schemeID``, or nothing."""
        if identifier is not None:
            self.wrapped(outer, "ID", identifier.value, _attribute("schemeID", identifier.scheme))


# --- aggregates -------------------------------------------------------------------------------


def _period(out: _Markup, period: Period | None, description_code: str | None = None) -> None:
    """cac:InvoicePeriod: BT-73/BT-74 (document, with BT-8) or BT-134/BT-135 (line)."""
    if period is None and not description_code:
        return
    mark = out.open("InvoicePeriod")
    if period is not None:
        out.date("StartDate", period.start)
        out.date("EndDate", period.end)
    out.text("DescriptionCode", description_code)
    out.close("InvoicePeriod", mark)


def _address(out: _Markup, local: str, address: Address | None) -> None:
    """cac:PostalAddress / cac:Address (BG-5, BG-8, BG-12, BG-15): BT-35..BT-40, BT-162."""
    if address is None:
        return
    mark = out.open(local)
    out.text("StreetName", address.line1)
    out.text("AdditionalStreetName", address.line2)
    out.text("CityName", address.city)
    out.text("PostalZone", address.postal_code)
    out.text("CountrySubentity", address.subdivision)
    out.wrapped("AddressLine", "Line", address.line3)
    out.wrapped("Country", "IdentificationCode", address.country)
    out.close(local, mark)


def _tax_scheme(out: _Markup, scheme: str = VAT) -> None:
    out.wrapped("TaxScheme", "ID", scheme)


def _party_tax_scheme(out: _Markup, company_id: str | None, scheme: str) -> None:
    """cac:PartyTaxScheme: CompanyID (BT-31/48/63, or BT-32) under TaxScheme ``scheme``."""
    if company_id and not company_id.isspace():
        out.start("PartyTaxScheme")
        out.text("CompanyID", company_id)
        _tax_scheme(out, scheme)
        out.end("PartyTaxScheme")


def _contact(out: _Markup, contact: Contact | None) -> None:
    """cac:Contact BG-6/BG-9: BT-41 name, BT-42 telephone, BT-43 e-mail."""
    if contact is None:
        return
    mark = out.open("Contact")
    out.text("Name", contact.name)
    out.text("Telephone", contact.phone)
    out.text("ElectronicMail", contact.email)
    out.close("Contact", mark)


def _party(out: _Markup, outer: str, party: Party) -> None:
    """cac:AccountingSupplierParty (BG-4) or cac:AccountingCustomerParty (BG-7) with its Party.

    BT-32 goes in a second PartyTaxScheme under its own scheme (``FC`` when not named);
    PartyLegalEntity always holds the name BT-27/BT-44.
    """
    role = out.open(outer)
    mark = out.open("Party")
    out.identifier("EndpointID", party.endpoint)
    for identifier in party.identifiers:
        out.wrapped_identifier("PartyIdentification", identifier)
    out.wrapped("PartyName", "Name", party.trading_name)
    _address(out, "PostalAddress", party.address)
    _party_tax_scheme(out, party.vat_id, VAT)
    _party_tax_scheme(
        out,
        party.tax_registration,
        party.tax_registration_scheme or DEFAULT_TAX_REGISTRATION_SCHEME,
    )
    legal = out.open("PartyLegalEntity")
    out.text("RegistrationName", party.name)
    out.identifier("CompanyID", party.legal_registration)
    out.text("CompanyLegalForm", party.legal_info)
    out.close("PartyLegalEntity", legal)
    _contact(out, party.contact)
    out.close("Party", mark)
    out.close(outer, role)


def _payee(out: _Markup, payee: Payee | None) -> None:
    """cac:PayeeParty BG-10: BT-60 identifier, BT-59 name, BT-61 legal registration."""
    if payee is None:
        return
    mark = out.open("PayeeParty")
    out.wrapped_identifier("PartyIdentification", payee.identifier)
    out.wrapped("PartyName", "Name", payee.name)
    if payee.legal_registration is not None:
        legal = out.open("PartyLegalEntity")
        out.identifier("CompanyID", payee.legal_registration)
        out.close("PartyLegalEntity", legal)
    out.close("PayeeParty", mark)


def _tax_representative(out: _Markup, representative: TaxRepresentative | None) -> None:
    """cac:TaxRepresentativeParty BG-11: BT-62 name, BG-12 address, BT-63 VAT id."""
    if representative is None:
        return
    mark = out.open("TaxRepresentativeParty")
    out.wrapped("PartyName", "Name", representative.name)
    _address(out, "PostalAddress", representative.address)
    _party_tax_scheme(out, representative.vat_id, VAT)
    out.close("TaxRepresentativeParty", mark)


def _delivery(out: _Markup, delivery: Delivery | None) -> None:
    """cac:Delivery BG-13: BT-72 date, BT-71 location id with BG-15 address, BT-70 party name."""
    if delivery is None:
        return
    mark = out.open("Delivery")
    out.date("ActualDeliveryDate", delivery.date)
    location = out.open("DeliveryLocation")
    out.identifier("ID", delivery.location)
    _address(out, "Address", delivery.address)
    out.close("DeliveryLocation", location)
    party = out.open("DeliveryParty")
    out.wrapped("PartyName", "Name", delivery.party_name)
    out.close("DeliveryParty", party)
    out.close("Delivery", mark)


def _payment_means(out: _Markup, means: PaymentMeans, due_date: date | None) -> None:
    """cac:PaymentMeans BG-16: BT-81/82 code and text, BT-83, card BG-18, transfer BG-17,
    direct debit BG-19. ``due_date`` (BT-9, as PaymentDueDate) is given for the first payment
    means of a credit note only: the CreditNote has no root DueDate, and UBL-SR-45 allows one
    PaymentDueDate per document."""
    mark = out.open("PaymentMeans")
    out.text("PaymentMeansCode", means.code, _attribute("name", means.text))
    out.date("PaymentDueDate", due_date)
    out.text("PaymentID", means.remittance_info)
    card = means.card
    if card is not None:
        account = out.open("CardAccount")
        out.text("PrimaryAccountNumberID", card.pan)
        out.text("NetworkID", card.network)
        out.text("HolderName", card.holder)
        out.close("CardAccount", account)
    transfer = means.credit_transfer
    if transfer is not None:
        account = out.open("PayeeFinancialAccount")
        out.text("ID", transfer.account_id)
        out.text("Name", transfer.account_name)
        out.wrapped("FinancialInstitutionBranch", "ID", transfer.provider)
        out.close("PayeeFinancialAccount", account)
    debit = means.direct_debit
    if debit is not None:
        mandate = out.open("PaymentMandate")
        out.text("ID", debit.mandate)
        out.wrapped("PayerFinancialAccount", "ID", debit.debited_account)
        out.close("PaymentMandate", mandate)
    out.close("PaymentMeans", mark)


def _tax_category(
    out: _Markup,
    local: str,
    category: str | None,
    rate: Decimal | None,
    exemption_code: str | None = None,
    exemption_reason: str | None = None,
) -> None:
    """cac:TaxCategory / cac:ClassifiedTaxCategory: ID, Percent (only when a rate is given:
    category O has none), exemption code BT-121 and reason BT-120, TaxScheme VAT."""
    if not category and rate is None:
        return
    out.start(local)
    out.text("ID", category)
    out.decimal("Percent", rate)
    out.text("TaxExemptionReasonCode", exemption_code)
    out.text("TaxExemptionReason", exemption_reason)
    _tax_scheme(out)
    out.end(local)


def _allowance_charge(
    out: _Markup, charge: AllowanceCharge, currency: str, *, with_tax_category: bool
) -> None:
    """cac:AllowanceCharge: document level BG-20/BG-21 (with its VAT category BT-95/96,
    BT-102/103) or line level BG-27/BG-28 (without). ``currency`` is the currencyID attribute."""
    out.start("AllowanceCharge")
    out.text("ChargeIndicator", "true" if charge.is_charge else "false")
    out.text("AllowanceChargeReasonCode", charge.reason_code)
    out.text("AllowanceChargeReason", charge.reason)
    out.decimal("MultiplierFactorNumeric", charge.percentage)
    out.decimal("Amount", charge.amount, currency)
    out.decimal("BaseAmount", charge.base_amount, currency)
    if with_tax_category:
        _tax_category(out, "TaxCategory", charge.vat_category, charge.vat_rate)
    out.end("AllowanceCharge")


def _additional_document(out: _Markup, document: AdditionalDocument) -> None:
    """cac:AdditionalDocumentReference BG-24: BT-122 id, type code, BT-123 description,
    BT-125 embedded attachment (base64, mime code, file name) and BT-124 URI."""
    mark = out.open("AdditionalDocumentReference")
    out.text("ID", document.id, _attribute("schemeID", document.id_scheme))
    out.text("DocumentTypeCode", document.type_code)
    out.text("DocumentDescription", document.description)
    holder = out.open("Attachment")
    attachment = document.attachment
    if attachment is not None:
        attributes = _attribute("mimeCode", attachment.mime_code) + _attribute(
            "filename", attachment.filename
        )
        content = base64.b64encode(attachment.content).decode("ascii")
        out.text("EmbeddedDocumentBinaryObject", content, attributes)
    out.wrapped("ExternalReference", "URI", document.uri)
    out.close("Attachment", holder)
    out.close("AdditionalDocumentReference", mark)


def _typed_reference(
    out: _Markup, local: str, identifier: Identifier | None, type_code: str
) -> None:
    """A document reference holding one identifier with a fixed DocumentTypeCode: BT-18 and
    line BT-128 with ``130``, a credit note's BT-11 with ``50``."""
    if identifier is not None and identifier.value and not identifier.value.isspace():
        out.start(local)
        out.identifier("ID", identifier)
        out.text("DocumentTypeCode", type_code)
        out.end(local)


def _item(out: _Markup, item: Item) -> None:
    """cac:Item BG-31 with its line VAT information BG-30."""
    mark = out.open("Item")
    out.text("Description", item.description)
    out.text("Name", item.name)
    out.wrapped("BuyersItemIdentification", "ID", item.buyer_id)
    out.wrapped("SellersItemIdentification", "ID", item.seller_id)
    out.wrapped_identifier("StandardItemIdentification", item.standard_id)
    out.wrapped("OriginCountry", "IdentificationCode", item.origin_country)
    for classification in item.classifications:
        attributes = _attribute("listID", classification.list_id) + _attribute(
            "listVersionID", classification.list_version
        )
        out.wrapped(
            "CommodityClassification",
            "ItemClassificationCode",
            classification.code,
            attributes,
        )
    _tax_category(out, "ClassifiedTaxCategory", item.vat_category, item.vat_rate)
    for attribute in item.attributes:
        property_ = out.open("AdditionalItemProperty")
        out.text("Name", attribute.name)
        out.text("Value", attribute.value)
        out.close("AdditionalItemProperty", property_)
    out.close("Item", mark)


def _price(out: _Markup, price: Price, currency: str) -> None:
    """cac:Price BG-29: BT-146 net price, BT-149/150 base quantity, and the price discount
    BT-147 / gross price BT-148 as an allowance.

    UBL requires the allowance's Amount: with a gross price but no discount (BT-147 None)
    it is written as 0, so the document read back has a discount of 0, not None.
    """
    out.start("Price")
    out.decimal("PriceAmount", price.net, currency)
    out.decimal("BaseQuantity", price.base_quantity, _attribute("unitCode", price.base_unit))
    if price.discount is not None or price.gross is not None:
        out.start("AllowanceCharge")
        out.text("ChargeIndicator", "false")
        out.decimal("Amount", Decimal(0) if price.discount is None else price.discount, currency)
        out.decimal("BaseAmount", price.gross, currency)
        out.end("AllowanceCharge")
    out.end("Price")


def _line(out: _Markup, line: Line, kind: _Kind, currency: str) -> None:
    """cac:InvoiceLine / cac:CreditNoteLine BG-25."""
    out.start(kind.line)
    out.text("ID", line.id)
    out.text("Note", line.note)
    out.decimal(kind.quantity, line.quantity, _attribute("unitCode", line.unit))
    out.decimal("LineExtensionAmount", line.net_amount, currency)
    out.text("AccountingCost", line.accounting_cost)
    _period(out, line.period)
    out.wrapped("OrderLineReference", "LineID", line.order_line_ref)
    _typed_reference(out, "DocumentReference", line.object_id, INVOICED_OBJECT_TYPE_CODE)
    for charge in line.allowances_charges:
        _allowance_charge(out, charge, currency, with_tax_category=False)
    _item(out, line.item)
    _price(out, line.price, currency)
    out.end(kind.line)


# --- document ---------------------------------------------------------------------------------


class _Kind:
    """What differs between the Invoice and the CreditNote root."""

    __slots__ = ("credit_note", "end", "line", "quantity", "start", "type_code")

    def __init__(self, root: str, namespace: str, *, credit_note: bool) -> None:
        self.credit_note = credit_note
        self.start = f'<{root} xmlns="{namespace}" xmlns:cac="{CAC}" xmlns:cbc="{CBC}">'
        self.end = f"\n</{root}>\n"
        self.type_code = f"{root}TypeCode"
        self.line = f"{root}Line"
        self.quantity = "CreditedQuantity" if credit_note else "InvoicedQuantity"


_INVOICE: Final = _Kind("Invoice", INVOICE, credit_note=False)
_CREDIT_NOTE: Final = _Kind("CreditNote", CREDIT_NOTE, credit_note=True)


def _header(out: _Markup, document: Invoice, profile: Profile, kind: _Kind) -> None:
    """BT-24, BT-23, BT-1, BT-2, BT-9 (Invoice), BT-3, BG-1, BT-7, BT-5, BT-6, BT-19, BT-10.

    A CreditNote has no DueDate and puts TaxPointDate before its type code. A note's
    subject code BT-21 is written as the prefix ``#CODE#`` of its text BT-22.
    """
    out.text("CustomizationID", profile.customization_id or document.customization_id)
    out.text("ProfileID", profile.profile_id or document.profile_id)
    out.text("ID", document.number)
    out.date("IssueDate", document.issue_date)
    if kind.credit_note:
        out.date("TaxPointDate", document.tax_point_date)
    else:
        out.date("DueDate", document.due_date)
    out.text(kind.type_code, document.type_code)
    for note in document.notes:
        out.text("Note", f"#{note.subject_code}#{note.text}" if note.subject_code else note.text)
    if not kind.credit_note:
        out.date("TaxPointDate", document.tax_point_date)
    out.text("DocumentCurrencyCode", document.currency)
    out.text("TaxCurrencyCode", document.tax_currency)
    out.text("AccountingCost", document.buyer_accounting_reference)
    out.text("BuyerReference", document.buyer_reference)


def _references(out: _Markup, document: Invoice, kind: _Kind) -> None:
    """BG-14 period with BT-8, BT-13/14, BG-3, BT-16, BT-15, BT-17, BT-12, BG-24, BT-18, BT-11.

    The CreditNote writes OriginatorDocumentReference after the additional documents and
    BT-11 as an AdditionalDocumentReference; the Invoice has cac:ProjectReference.
    """
    _period(out, document.invoice_period, document.tax_point_code)
    order_id = document.order_reference
    if order_id or document.sales_order_reference:
        mark = out.open("OrderReference")
        out.text("ID", order_id or ORDER_ID_NOT_APPLICABLE)
        out.text("SalesOrderID", document.sales_order_reference)
        out.close("OrderReference", mark)
    for preceding in document.preceding_invoices:
        billing = out.open("BillingReference")
        mark = out.open("InvoiceDocumentReference")
        out.text("ID", preceding.number)
        out.date("IssueDate", preceding.issue_date)
        out.close("InvoiceDocumentReference", mark)
        out.close("BillingReference", billing)
    out.wrapped("DespatchDocumentReference", "ID", document.despatch_advice_reference)
    out.wrapped("ReceiptDocumentReference", "ID", document.receiving_advice_reference)
    if not kind.credit_note:
        out.wrapped("OriginatorDocumentReference", "ID", document.tender_reference)
    out.wrapped("ContractDocumentReference", "ID", document.contract_reference)
    for additional in document.additional_documents:
        _additional_document(out, additional)
    reference = "AdditionalDocumentReference"
    _typed_reference(out, reference, document.invoiced_object, INVOICED_OBJECT_TYPE_CODE)
    if kind.credit_note:
        if document.project_reference:
            project = Identifier(value=document.project_reference)
            _typed_reference(out, reference, project, PROJECT_REFERENCE_TYPE_CODE)
        out.wrapped("OriginatorDocumentReference", "ID", document.tender_reference)
    else:
        out.wrapped("ProjectReference", "ID", document.project_reference)


def _tax_totals(out: _Markup, document: Invoice, currency: str) -> None:
    """cac:TaxTotal: BT-110 with the BG-23 breakdown, then BT-111 in the tax currency."""
    totals = document.totals
    if totals.vat is not None or document.vat_breakdown:
        out.start("TaxTotal")
        out.decimal("TaxAmount", totals.vat, currency)
        for breakdown in document.vat_breakdown:
            out.start("TaxSubtotal")
            out.decimal("TaxableAmount", breakdown.taxable_amount, currency)
            out.decimal("TaxAmount", breakdown.tax_amount, currency)
            _tax_category(
                out,
                "TaxCategory",
                breakdown.category,
                breakdown.rate,
                breakdown.exemption_code,
                breakdown.exemption_reason,
            )
            out.end("TaxSubtotal")
        out.end("TaxTotal")
    if totals.vat_in_tax_currency is not None:
        tax_currency = _attribute("currencyID", document.tax_currency or document.currency)
        out.start("TaxTotal")
        out.decimal("TaxAmount", totals.vat_in_tax_currency, tax_currency)
        out.end("TaxTotal")


def _monetary_total(out: _Markup, document: Invoice, currency: str) -> None:
    """cac:LegalMonetaryTotal BG-22: BT-106, BT-109, BT-112, BT-107, BT-108, BT-113..BT-115."""
    totals = document.totals
    out.start("LegalMonetaryTotal")
    out.decimal("LineExtensionAmount", totals.line_net, currency)
    out.decimal("TaxExclusiveAmount", totals.without_vat, currency)
    out.decimal("TaxInclusiveAmount", totals.with_vat, currency)
    out.decimal("AllowanceTotalAmount", totals.allowances, currency)
    out.decimal("ChargeTotalAmount", totals.charges, currency)
    out.decimal("PrepaidAmount", totals.prepaid, currency)
    out.decimal("PayableRoundingAmount", totals.rounding, currency)
    out.decimal("PayableAmount", totals.payable, currency)
    out.end("LegalMonetaryTotal")


def write_document(document: Invoice, profile: Profile) -> bytes:
    """UBL 2.1 XML (UTF-8, with declaration, indented) of ``document`` under ``profile``.

    BT-24/BT-23 come from the profile, or from the document where the profile leaves
    them open (``None``). The profile's rules are not checked here (see ``ubl.write``).
    Raises ``ValueError`` when a text holds a character XML cannot carry.
    """
    kind = _CREDIT_NOTE if document.is_credit_note else _INVOICE
    currency = _attribute("currencyID", document.currency)
    out = _Markup(kind.start)
    _header(out, document, profile, kind)
    _references(out, document, kind)
    _party(out, "AccountingSupplierParty", document.seller)
    _party(out, "AccountingCustomerParty", document.buyer)
    _payee(out, document.payee)
    _tax_representative(out, document.tax_representative)
    _delivery(out, document.delivery)
    due_date = document.due_date if kind.credit_note else None
    for means in document.payment_means:
        _payment_means(out, means, due_date)
        due_date = None  # BT-9 goes in the first PaymentMeans only
    out.wrapped("PaymentTerms", "Note", document.payment_terms)
    for charge in document.allowances_charges:
        _allowance_charge(out, charge, currency, with_tax_category=True)
    _tax_totals(out, document, currency)
    _monetary_total(out, document, currency)
    for line in document.lines:
        _line(out, line, kind, currency)
    out.parts.append(kind.end)
    return "".join(out.parts).encode("utf-8")
