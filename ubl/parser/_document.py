"""The document (BG-0): its header, references and periods, every aggregate's reader in
one table, and :func:`parse_document`."""

from __future__ import annotations

import os
from typing import Any, Final, NamedTuple

from lxml import etree

from model.document import (
    AdditionalDocument,
    DocumentKind,
    Identifier,
    Invoice,
    PaymentMeans,
    Period,
    PrecedingInvoice,
    Totals,
)
from ubl import _ns
from ubl._ns import cac, cbc
from ubl._xml import DEFAULT_MAX_BYTES, load, read_file, too_large
from ubl.errors import InputError
from ubl.parser._aggregates import (
    _DOCUMENT_ALLOWANCE_CHARGE,
    _ID,
    _allowance_charge,
    _credit_note_payment_means,
    _delivery,
    _only_id,
    _party,
    _payee,
    _payment_means,
    _tax_representative,
    _tax_total,
    _TaxTotal,
    _totals,
)
from ubl.parser._engine import (
    Table,
    _absent,
    _aggregate,
    _children,
    _Context,
    _first_text,
    _label,
    _line,
    _merged,
    _or_absent,
    _record,
    _require,
    _Spec,
    _spec,
)
from ubl.parser._lines import _PERIOD, _line_reader
from ubl.parser._result import ParseResult
from ubl.parser._values import _ATTACHMENT, _DATE, _IDENTIFIER, _NOTE, _TEXT, _one

_INVOICE_PERIOD: Final[Table] = {
    **_PERIOD,
    cbc("DescriptionCode"): _spec("tax_point_code", _TEXT, Invoice),
}


def _invoice_period(
    ctx: _Context, element: etree._Element, spec: _Spec, role: str
) -> dict[str, Any] | None:
    """BG-14 invoicing period (BT-73/74) and the VAT point date code BT-8 it carries."""
    values = _record(ctx, element, _INVOICE_PERIOD, role)
    merged: dict[str, Any] = {}
    code = values.pop("tax_point_code", None)
    if code is not None:
        merged["tax_point_code"] = code
    if values:
        merged["invoice_period"] = Period(**values)
    return _or_absent(ctx, element, merged)


_ORDER_REFERENCE: Final[Table] = {
    _ID: _spec("order_reference", _TEXT, Invoice),
    cbc("SalesOrderID"): _spec("sales_order_reference", _TEXT, Invoice),
}


def _order_reference(
    ctx: _Context, element: etree._Element, spec: _Spec, role: str
) -> dict[str, Any] | None:
    """BT-13 and BT-14; ID "NA" beside a SalesOrderID means no purchase order (Peppol)."""
    values = _record(ctx, element, _ORDER_REFERENCE, role)
    if values.get("order_reference") == "NA" and "sales_order_reference" in values:
        del values["order_reference"]
    return _or_absent(ctx, element, values)


class _Reference(NamedTuple):
    element: etree._Element
    document: AdditionalDocument


_ADDITIONAL_DOCUMENT: Final[Table] = {
    _ID: _spec("id", _IDENTIFIER, AdditionalDocument),
    cbc("DocumentTypeCode"): _spec("type_code", _TEXT, AdditionalDocument),
    cbc("DocumentDescription"): _spec("description", _TEXT, AdditionalDocument),
    cac("Attachment"): _spec(
        "",
        _merged(
            {
                cbc("EmbeddedDocumentBinaryObject"): _spec(
                    "attachment", _ATTACHMENT, AdditionalDocument
                ),
                cac("ExternalReference"): _spec("uri", _one(cbc("URI")), AdditionalDocument),
            }
        ),
        AdditionalDocument,
        field="attachment",
    ),
}


def _additional_document(
    ctx: _Context, element: etree._Element, spec: _Spec, role: str
) -> _Reference | None:
    """BG-24 (or BT-18 / BT-11, sorted out by the document once all are read)."""
    values = _record(ctx, element, _ADDITIONAL_DOCUMENT, role)
    if not values:
        _absent(ctx, element)
        return None
    reference = values.pop("id", None)
    if reference is None:
        raise ctx.missing(element, "cbc:ID", AdditionalDocument, "id", role)
    document = AdditionalDocument(id=reference.value, id_scheme=reference.scheme, **values)
    return _Reference(element, document)


_DOCUMENT: Final[Table] = {
    cbc("CustomizationID"): _spec("customization_id", _TEXT, Invoice),
    cbc("ProfileID"): _spec("profile_id", _TEXT, Invoice),
    _ID: _spec("number", _TEXT, Invoice),
    cbc("IssueDate"): _spec("issue_date", _DATE, Invoice),
    cbc("Note"): _spec("notes", _NOTE, Invoice, many=True),
    cbc("TaxPointDate"): _spec("tax_point_date", _DATE, Invoice),
    cbc("DocumentCurrencyCode"): _spec("currency", _TEXT, Invoice),
    cbc("TaxCurrencyCode"): _spec("tax_currency", _TEXT, Invoice),
    cbc("AccountingCost"): _spec("buyer_accounting_reference", _TEXT, Invoice),
    cbc("BuyerReference"): _spec("buyer_reference", _TEXT, Invoice),
    cac("InvoicePeriod"): _spec("", _invoice_period, Invoice, field="invoice_period"),
    cac("OrderReference"): _spec("", _order_reference, Invoice, field="order_reference"),
    cac("BillingReference"): _spec(
        "preceding_invoices",
        _one(
            cac("InvoiceDocumentReference"),
            _aggregate(
                PrecedingInvoice,
                {
                    _ID: _spec("number", _TEXT, PrecedingInvoice),
                    cbc("IssueDate"): _spec("issue_date", _DATE, PrecedingInvoice),
                },
                ("number", "cbc:ID"),
            ),
        ),
        Invoice,
        many=True,
    ),
    cac("DespatchDocumentReference"): _spec("despatch_advice_reference", _only_id, Invoice),
    cac("ReceiptDocumentReference"): _spec("receiving_advice_reference", _only_id, Invoice),
    cac("OriginatorDocumentReference"): _spec("tender_reference", _only_id, Invoice),
    cac("ContractDocumentReference"): _spec("contract_reference", _only_id, Invoice),
    cac("AdditionalDocumentReference"): _spec(
        "_references", _additional_document, Invoice, field="additional_documents", many=True
    ),
    cac("AccountingSupplierParty"): _spec(
        "seller", _one(cac("Party"), _party), Invoice, role="seller"
    ),
    cac("AccountingCustomerParty"): _spec(
        "buyer", _one(cac("Party"), _party), Invoice, role="buyer"
    ),
    cac("PayeeParty"): _spec("payee", _payee, Invoice),
    cac("TaxRepresentativeParty"): _spec(
        "tax_representative", _tax_representative, Invoice, role="tax_representative"
    ),
    cac("Delivery"): _spec("delivery", _delivery, Invoice, role="delivery"),
    cac("PaymentTerms"): _spec("payment_terms", _one(cbc("Note")), Invoice),
    cac("AllowanceCharge"): _spec(
        "allowances_charges",
        _allowance_charge(_DOCUMENT_ALLOWANCE_CHARGE),
        Invoice,
        many=True,
    ),
    cac("TaxTotal"): _spec("_tax_totals", _tax_total, Invoice, field="totals", many=True),
    cac("LegalMonetaryTotal"): _spec("_totals", _totals, Invoice, field="totals"),
}
_INVOICE: Final[Table] = {
    **_DOCUMENT,
    cbc("DueDate"): _spec("due_date", _DATE, Invoice),
    cbc("InvoiceTypeCode"): _spec("type_code", _TEXT, Invoice),
    cac("ProjectReference"): _spec("project_reference", _only_id, Invoice),
    cac("PaymentMeans"): _spec("payment_means", _payment_means, Invoice, many=True),
    cac("InvoiceLine"): _spec(
        "lines", _line_reader(cbc("InvoicedQuantity")), Invoice, many=True, role="line"
    ),
}
_CREDIT_NOTE: Final[Table] = {
    **_DOCUMENT,
    cbc("CreditNoteTypeCode"): _spec("type_code", _TEXT, Invoice),
    cac("PaymentMeans"): _spec(
        "_payment_means", _credit_note_payment_means, Invoice, field="payment_means", many=True
    ),
    cac("CreditNoteLine"): _spec(
        "lines", _line_reader(cbc("CreditedQuantity")), Invoice, many=True, role="line"
    ),
}
_ROOTS: Final = {
    f"{{{_ns.INVOICE}}}Invoice": (DocumentKind.INVOICE, _INVOICE, "cbc:InvoiceTypeCode"),
    f"{{{_ns.CREDIT_NOTE}}}CreditNote": (
        DocumentKind.CREDIT_NOTE,
        _CREDIT_NOTE,
        "cbc:CreditNoteTypeCode",
    ),
}
_REFERENCE_EXTRAS: Final = frozenset({cbc("DocumentDescription"), cac("Attachment")})


def _child(element: etree._Element, tag: str) -> etree._Element:
    """The first ``tag`` child of ``element`` (``element`` itself if there is none)."""
    return next(element.iterchildren(tag), element)


def _sort_references(ctx: _Context, values: dict[str, Any], kind: DocumentKind) -> None:
    """BT-18 (DocumentTypeCode 130) and, in a credit note, BT-11 (code 50) out of BG-24."""
    documents: list[AdditionalDocument] = []
    for element, document in values.pop("_references", ()):
        code = document.type_code
        value: object
        if code == "130":
            target, value = (
                "invoiced_object",
                Identifier(value=document.id, scheme=document.id_scheme),
            )
        elif code == "50" and kind is DocumentKind.CREDIT_NOTE:
            target, value = "project_reference", document.id
            if document.id_scheme is not None:
                ctx.add(_child(element, _ID), "scheme of BT-11: ignored", attribute="schemeID")
        else:
            documents.append(document)
            continue
        if target in values:
            ctx.duplicate(element, Invoice, target, "")
            continue
        values[target] = value
        for child in element:
            if child.tag in _REFERENCE_EXTRAS:
                ctx.add(child, f"{_label(Invoice, target, '')} holds an identifier only: ignored")
    if documents:
        values["additional_documents"] = tuple(documents)


def _credit_note_due_date(ctx: _Context, values: dict[str, Any]) -> None:
    """BT-9 of a credit note: the first cac:PaymentMeans/cbc:PaymentDueDate."""
    means: list[PaymentMeans] = []
    for element, payment_means, due_date in values.pop("_payment_means", ()):
        means.append(payment_means)
        if due_date is None:
            continue
        if "due_date" not in values:
            values["due_date"] = due_date
        elif due_date != values["due_date"]:
            ctx.duplicate(_child(element, cbc("PaymentDueDate")), Invoice, "due_date", "")
    if means:
        values["payment_means"] = tuple(means)


def _document_totals(ctx: _Context, root: etree._Element, values: dict[str, Any]) -> None:
    """BG-22 from cac:LegalMonetaryTotal plus BT-110/BT-111 and BG-23 from cac:TaxTotal."""
    totals = values.pop("_totals", None)
    if totals is None:
        raise ctx.missing(root, "cac:LegalMonetaryTotal", Invoice, "totals", "")
    found: dict[str, _TaxTotal] = {}
    for tax_total in values.pop("_tax_totals", ()):
        if tax_total.currency in (None, ctx.currency) and "vat" not in found:
            found["vat"] = tax_total
        elif tax_total.currency == ctx.tax_currency and "vat_in_tax_currency" not in found:
            found["vat_in_tax_currency"] = tax_total
            for child in tax_total.element.iterchildren(cac("TaxSubtotal")):
                ctx.add(child, "VAT breakdown in the tax currency: not covered by EN 16931")
        else:
            ctx.add(
                tax_total.element,
                f"cac:TaxTotal in {tax_total.currency!r}: the model holds one total in the "
                "document currency (BT-110) and one in the tax currency (BT-111); ignored",
            )
    for key, tax_total in found.items():
        totals[key] = tax_total.amount
    if "vat" in found and found["vat"].breakdown:
        values["vat_breakdown"] = found["vat"].breakdown
    values["totals"] = Totals(**totals)


_DOCUMENT_CURRENCY: Final = cbc("DocumentCurrencyCode")
_TAX_CURRENCY: Final = cbc("TaxCurrencyCode")


def _document(ctx: _Context, root: etree._Element) -> Invoice:
    entry = _ROOTS.get(root.tag)
    if entry is None:
        raise InputError(
            f"wrong root element {root.tag}: expected UBL 2.1 Invoice or CreditNote",
            source=ctx.source,
            line=_line(root),
        )
    kind, table, type_code_hint = entry
    children = _children(root)  # held until _record has read root: see _first_text
    ctx.currency = _first_text(children, _DOCUMENT_CURRENCY)
    if ctx.currency is None:
        raise ctx.missing(root, "cbc:DocumentCurrencyCode", Invoice, "currency", "")
    ctx.tax_currency = _first_text(children, _TAX_CURRENCY)
    values = _record(ctx, root, table, "")
    _require(
        ctx,
        root,
        values,
        Invoice,
        "",
        (
            ("number", "cbc:ID"),
            ("issue_date", "cbc:IssueDate"),
            ("type_code", type_code_hint),
            ("seller", "cac:AccountingSupplierParty/cac:Party"),
            ("buyer", "cac:AccountingCustomerParty/cac:Party"),
        ),
    )
    _sort_references(ctx, values, kind)
    if kind is DocumentKind.CREDIT_NOTE:
        _credit_note_due_date(ctx, values)
    _document_totals(ctx, root, values)
    return Invoice(kind=kind, **values)


def _read(source: bytes | str | os.PathLike[str], max_bytes: int) -> tuple[bytes, str]:
    if isinstance(source, bytes | bytearray | memoryview):
        if len(source) > max_bytes:
            raise too_large(len(source), max_bytes)
        return bytes(source), "<bytes>"
    name = os.fspath(source)
    try:
        return read_file(name, max_bytes), name
    except InputError as exc:
        if exc.rule == "INPUT-UNREADABLE" and name.lstrip().startswith("<"):
            exc.message += " (XML text must be passed as bytes)"
        raise


def parse_document(
    source: bytes | str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES
) -> ParseResult:
    """Read a UBL 2.1 Invoice or CreditNote from bytes or a file path.

    Returns the model, the report of content EN 16931 does not cover, and the
    source name. Raises InputError (source, line, element) for anything that
    cannot be read: a document over ``max_bytes`` (100 MiB by default; a file's size
    is checked before it is read), malformed or hostile XML, a wrong root, a bad
    value or missing mandatory content.
    """
    data, name = _read(source, max_bytes)
    ctx = _Context(name)
    document = _document(ctx, load(data, name, keep_blank_text=False).getroot())
    return ParseResult(document=document, report=tuple(ctx.report), source=name)
