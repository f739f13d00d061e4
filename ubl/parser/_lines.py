"""Invoice and credit note lines (BG-25): their period (BG-26), item (BG-31) and price (BG-29)."""

from __future__ import annotations

from typing import Any, Final, cast

from lxml import etree

from model.document import (
    Identifier,
    Item,
    ItemAttribute,
    Line,
    Period,
    Price,
)
from ubl._ns import cac, cbc
from ubl.parser._aggregates import (
    _CHARGE_INDICATOR,
    _ID,
    _LINE_ALLOWANCE_CHARGE,
    _NAME,
    _allowance_charge,
    _tax_category,
)
from ubl.parser._engine import (
    Reader,
    Table,
    _absent,
    _aggregate,
    _Context,
    _merged,
    _or_absent,
    _qname,
    _record,
    _Spec,
    _spec,
)
from ubl.parser._values import (
    _AMOUNT,
    _BASE_QUANTITY,
    _BOOL,
    _CLASSIFICATION,
    _DATE,
    _IDENTIFIER,
    _QUANTITY,
    _TEXT,
    _one,
)

_PERIOD: Final[Table] = {
    cbc("StartDate"): _spec("start", _DATE, Period),
    cbc("EndDate"): _spec("end", _DATE, Period),
}

_ITEM: Final[Table] = {
    cbc("Description"): _spec("description", _TEXT, Item),
    _NAME: _spec("name", _TEXT, Item),
    cac("BuyersItemIdentification"): _spec("buyer_id", _one(_ID), Item),
    cac("SellersItemIdentification"): _spec("seller_id", _one(_ID), Item),
    cac("StandardItemIdentification"): _spec("standard_id", _one(_ID, _IDENTIFIER), Item),
    cac("OriginCountry"): _spec("origin_country", _one(cbc("IdentificationCode")), Item),
    cac("CommodityClassification"): _spec(
        "classifications", _one(cbc("ItemClassificationCode"), _CLASSIFICATION), Item, many=True
    ),
    cac("ClassifiedTaxCategory"): _spec(
        "", _merged(_tax_category(Item, "vat_category", "vat_rate")), Item, field="vat_category"
    ),
    cac("AdditionalItemProperty"): _spec(
        "attributes",
        _aggregate(
            ItemAttribute,
            {
                _NAME: _spec("name", _TEXT, ItemAttribute),
                cbc("Value"): _spec("value", _TEXT, ItemAttribute),
            },
            ("name", "cbc:Name"),
            ("value", "cbc:Value"),
        ),
        Item,
        many=True,
    ),
}

_PRICE_DISCOUNT: Final[Table] = {
    _CHARGE_INDICATOR: _spec("is_charge", _BOOL, Price, field="discount"),
    cbc("Amount"): _spec("discount", _AMOUNT, Price),
    cbc("BaseAmount"): _spec("gross", _AMOUNT, Price),
}


def _price_discount(
    ctx: _Context, element: etree._Element, spec: _Spec, role: str
) -> dict[str, Any] | None:
    """BT-147 price discount and BT-148 gross price from cac:Price/cac:AllowanceCharge."""
    values = _record(ctx, element, _PRICE_DISCOUNT, role)
    if values.pop("is_charge", False):
        ctx.add(element, "charge on the item price: not covered by EN 16931, ignored")
        return None
    return _or_absent(ctx, element, values)


_PRICE: Final[Table] = {
    cbc("PriceAmount"): _spec("net", _AMOUNT, Price),
    cbc("BaseQuantity"): _spec("", _BASE_QUANTITY, Price, field="base_quantity"),
    cac("AllowanceCharge"): _spec("", _price_discount, Price, field="discount"),
}

_LINE_OBJECT: Final[Table] = {
    _ID: _spec("id", _IDENTIFIER, Line, field="object_id"),
    cbc("DocumentTypeCode"): _spec("type_code", _TEXT, Line, field="object_id"),
}


def _line_object(
    ctx: _Context, element: etree._Element, spec: _Spec, role: str
) -> Identifier | None:
    """BT-128 invoice line object identifier (cac:DocumentReference, DocumentTypeCode 130)."""
    values = _record(ctx, element, _LINE_OBJECT, role)
    if not values:
        _absent(ctx, element)
        return None
    code = values.get("type_code")
    if code not in (None, "130") or "id" not in values:
        ctx.add(element, f"document reference without BT-128 (DocumentTypeCode {code!r}): ignored")
        return None
    return cast(Identifier, values["id"])


def _line_reader(quantity_tag: str) -> Reader:
    """BG-25 reader for cac:InvoiceLine (cbc:InvoicedQuantity) or cac:CreditNoteLine."""
    table: Table = {
        _ID: _spec("id", _TEXT, Line),
        cbc("Note"): _spec("note", _TEXT, Line),
        quantity_tag: _spec("", _QUANTITY, Line, field="quantity"),
        cbc("LineExtensionAmount"): _spec("net_amount", _AMOUNT, Line),
        cbc("AccountingCost"): _spec("accounting_cost", _TEXT, Line),
        cac("InvoicePeriod"): _spec("period", _aggregate(Period, _PERIOD), Line),
        cac("OrderLineReference"): _spec("order_line_ref", _one(cbc("LineID")), Line),
        cac("DocumentReference"): _spec("object_id", _line_object, Line),
        cac("AllowanceCharge"): _spec(
            "allowances_charges", _allowance_charge(_LINE_ALLOWANCE_CHARGE), Line, many=True
        ),
        cac("Item"): _spec(
            "item",
            _aggregate(
                Item,
                _ITEM,
                ("name", "cbc:Name"),
                ("vat_category", "cac:ClassifiedTaxCategory/cbc:ID"),
            ),
            Line,
        ),
        cac("Price"): _spec("price", _aggregate(Price, _PRICE, ("net", "cbc:PriceAmount")), Line),
    }
    return _aggregate(
        Line,
        table,
        ("id", "cbc:ID"),
        ("quantity", _qname(quantity_tag)),
        ("net_amount", "cbc:LineExtensionAmount"),
        ("item", "cac:Item/cbc:Name"),
        ("price", "cac:Price/cbc:PriceAmount"),
    )
