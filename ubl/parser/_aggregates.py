"""The aggregates the document and its lines share: the tax category of a VAT breakdown,
an allowance or charge, or a line (BT-118, BT-95, BT-151 and their rates), parties (BG-4,
BG-7, BG-10, BG-11), payment means (BG-16), allowances and charges (BG-20, BG-21, BG-27,
BG-28), the VAT breakdown (BG-23) and the document totals (BG-22)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Final, NamedTuple, cast

from lxml import etree

from model.document import (
    Address,
    AllowanceCharge,
    Card,
    Contact,
    CreditTransfer,
    Delivery,
    DirectDebit,
    Invoice,
    Party,
    Payee,
    PaymentMeans,
    TaxRepresentative,
    Totals,
    VatBreakdown,
)
from ubl._ns import cac, cbc
from ubl.parser._engine import (
    Reader,
    Table,
    _absent,
    _aggregate,
    _children,
    _Context,
    _first_text,
    _label,
    _merged,
    _record,
    _require,
    _Spec,
    _spec,
)
from ubl.parser._values import (
    _AMOUNT,
    _BOOL,
    _DATE,
    _DECIMAL,
    _IDENTIFIER,
    _MEANS_CODE,
    _TAX_AMOUNT,
    _TEXT,
    _VAT,
    _VAT_SCHEME,
    _one,
)

_ID: Final = cbc("ID")
_NAME: Final = cbc("Name")
_CHARGE_INDICATOR: Final = cbc("ChargeIndicator")


#: Reader of an aggregate holding one cbc:ID (DespatchDocumentReference, ...).
_only_id: Final = _one(_ID)
_vat_scheme: Final = _one(_ID, _VAT_SCHEME)


def _tax_category(owner: type[Any], category: str, rate: str, **more: str) -> Table:
    """cac:TaxCategory / cac:ClassifiedTaxCategory: ID, Percent, extra leaves, TaxScheme."""
    table = {
        _ID: _spec(category, _TEXT, owner),
        cbc("Percent"): _spec(rate, _DECIMAL, owner),
        cac("TaxScheme"): _spec("", _vat_scheme, owner, field=category),
    }
    table.update({cbc(local): _spec(key, _TEXT, owner) for local, key in more.items()})
    return table


_ADDRESS: Final[Table] = {
    cbc("StreetName"): _spec("line1", _TEXT, Address),
    cbc("AdditionalStreetName"): _spec("line2", _TEXT, Address),
    cbc("CityName"): _spec("city", _TEXT, Address),
    cbc("PostalZone"): _spec("postal_code", _TEXT, Address),
    cbc("CountrySubentity"): _spec("subdivision", _TEXT, Address),
    cac("AddressLine"): _spec("line3", _one(cbc("Line")), Address),
    cac("Country"): _spec("country", _one(cbc("IdentificationCode")), Address),
}
_address: Final = _aggregate(Address, _ADDRESS, ("country", "cac:Country/cbc:IdentificationCode"))
_COUNTRY_HINT: Final = "cac:PostalAddress/cac:Country/cbc:IdentificationCode"

_contact: Final = _aggregate(
    Contact,
    {
        _NAME: _spec("name", _TEXT, Contact),
        cbc("Telephone"): _spec("phone", _TEXT, Contact),
        cbc("ElectronicMail"): _spec("email", _TEXT, Contact),
    },
)

_TAX_SCHEME_HOLDER: Final[Table] = {
    cbc("CompanyID"): _spec("company_id", _TEXT, Party, field="vat_id"),
    cac("TaxScheme"): _spec("scheme", _only_id, Party, field="tax_registration_scheme"),
}


def _party_tax_scheme(
    ctx: _Context, element: etree._Element, spec: _Spec, role: str
) -> dict[str, Any] | None:
    """VAT id BT-31/48 when TaxScheme/ID is VAT, else tax registration BT-32 with its scheme."""
    values = _record(ctx, element, _TAX_SCHEME_HOLDER, role)
    company_id = values.get("company_id")
    if company_id is None:
        if values:
            ctx.add(element, "tax scheme without cbc:CompanyID: ignored")
        else:
            _absent(ctx, element)
        return None
    scheme = values.get("scheme")
    if scheme == _VAT:
        return {"vat_id": company_id}
    return {"tax_registration": company_id, "tax_registration_scheme": scheme}


_PARTY: Final[Table] = {
    cbc("EndpointID"): _spec("endpoint", _IDENTIFIER, Party),
    cac("PartyIdentification"): _spec("identifiers", _one(_ID, _IDENTIFIER), Party, many=True),
    cac("PartyName"): _spec("trading_name", _one(_NAME), Party),
    cac("PostalAddress"): _spec("address", _address, Party),
    cac("PartyTaxScheme"): _spec("", _party_tax_scheme, Party, field="vat_id"),
    cac("PartyLegalEntity"): _spec(
        "",
        _merged(
            {
                cbc("RegistrationName"): _spec("name", _TEXT, Party),
                cbc("CompanyID"): _spec("legal_registration", _IDENTIFIER, Party),
                cbc("CompanyLegalForm"): _spec("legal_info", _TEXT, Party),
            }
        ),
        Party,
        field="name",
    ),
    cac("Contact"): _spec("contact", _contact, Party),
}


def _party(ctx: _Context, element: etree._Element, spec: _Spec, role: str) -> Party | None:
    """Seller BG-4 or buyer BG-7 (cac:Party).

    A party without cac:PartyLegalEntity/cbc:RegistrationName takes its name
    (BT-27/BT-44) from cac:PartyName/cbc:Name, and the report says so.
    """
    values = _record(ctx, element, _PARTY, role)
    if "name" not in values and "trading_name" in values:
        values["name"] = values["trading_name"]
        ctx.add(
            element,
            f"no cac:PartyLegalEntity/cbc:RegistrationName: {_label(Party, 'name', role)} "
            "taken from cac:PartyName/cbc:Name",
        )
    _require(
        ctx,
        element,
        values,
        Party,
        role,
        (("name", "cac:PartyLegalEntity/cbc:RegistrationName"), ("address", _COUNTRY_HINT)),
    )
    return Party(**values)


_payee: Final = _aggregate(
    Payee,
    {
        cac("PartyIdentification"): _spec("identifier", _one(_ID, _IDENTIFIER), Payee),
        cac("PartyName"): _spec("name", _one(_NAME), Payee),
        cac("PartyLegalEntity"): _spec(
            "legal_registration", _one(cbc("CompanyID"), _IDENTIFIER), Payee
        ),
    },
    ("name", "cac:PartyName/cbc:Name"),
)


def _representative_vat(
    ctx: _Context, element: etree._Element, spec: _Spec, role: str
) -> str | None:
    """BT-63: the tax representative's cac:PartyTaxScheme must be the VAT scheme."""
    values = _record(ctx, element, _TAX_SCHEME_HOLDER, role)
    if not values:
        _absent(ctx, element)
        return None
    scheme = values.get("scheme")
    if scheme != _VAT and "company_id" in values:
        ctx.add(element, f"tax scheme {scheme!r} is not VAT: BT-63 not taken from it")
        return None
    return cast("str | None", values.get("company_id"))


_tax_representative: Final = _aggregate(
    TaxRepresentative,
    {
        cac("PartyName"): _spec("name", _one(_NAME), TaxRepresentative),
        cac("PostalAddress"): _spec("address", _address, TaxRepresentative),
        cac("PartyTaxScheme"): _spec("vat_id", _representative_vat, TaxRepresentative),
    },
    ("name", "cac:PartyName/cbc:Name"),
    ("vat_id", "cac:PartyTaxScheme/cbc:CompanyID"),
    ("address", _COUNTRY_HINT),
)

_delivery: Final = _aggregate(
    Delivery,
    {
        cbc("ActualDeliveryDate"): _spec("date", _DATE, Delivery),
        cac("DeliveryLocation"): _spec(
            "",
            _merged(
                {
                    _ID: _spec("location", _IDENTIFIER, Delivery),
                    cac("Address"): _spec("address", _address, Delivery),
                }
            ),
            Delivery,
            field="location",
        ),
        cac("DeliveryParty"): _spec("party_name", _one(cac("PartyName"), _one(_NAME)), Delivery),
    },
)

_PAYMENT_MEANS: Final[Table] = {
    cbc("PaymentMeansCode"): _spec("", _MEANS_CODE, PaymentMeans, field="code"),
    cbc("PaymentID"): _spec("remittance_info", _TEXT, PaymentMeans),
    cac("CardAccount"): _spec(
        "card",
        _aggregate(
            Card,
            {
                cbc("PrimaryAccountNumberID"): _spec("pan", _TEXT, Card),
                cbc("NetworkID"): _spec("network", _TEXT, Card),
                cbc("HolderName"): _spec("holder", _TEXT, Card),
            },
            ("pan", "cbc:PrimaryAccountNumberID"),
            ("network", "cbc:NetworkID"),
        ),
        PaymentMeans,
    ),
    cac("PayeeFinancialAccount"): _spec(
        "credit_transfer",
        _aggregate(
            CreditTransfer,
            {
                _ID: _spec("account_id", _TEXT, CreditTransfer),
                _NAME: _spec("account_name", _TEXT, CreditTransfer),
                cac("FinancialInstitutionBranch"): _spec("provider", _one(_ID), CreditTransfer),
            },
            ("account_id", "cbc:ID"),
        ),
        PaymentMeans,
    ),
    cac("PaymentMandate"): _spec(
        "direct_debit",
        _aggregate(
            DirectDebit,
            {
                _ID: _spec("mandate", _TEXT, DirectDebit),
                cac("PayerFinancialAccount"): _spec("debited_account", _one(_ID), DirectDebit),
            },
        ),
        PaymentMeans,
    ),
}
#: A credit note carries its due date BT-9 in cac:PaymentMeans (no root cbc:DueDate there).
_CREDIT_NOTE_PAYMENT_MEANS: Final[Table] = {
    **_PAYMENT_MEANS,
    cbc("PaymentDueDate"): _spec("due_date", _DATE, Invoice),
}


def _payment_means_values(
    ctx: _Context, element: etree._Element, table: Table, role: str
) -> dict[str, Any] | None:
    values = _record(ctx, element, table, role)
    if not values:
        _absent(ctx, element)
        return None
    _require(ctx, element, values, PaymentMeans, role, (("code", "cbc:PaymentMeansCode"),))
    return values


def _payment_means(
    ctx: _Context, element: etree._Element, spec: _Spec, role: str
) -> PaymentMeans | None:
    """BG-16 payment instructions: one model PaymentMeans per cac:PaymentMeans."""
    values = _payment_means_values(ctx, element, _PAYMENT_MEANS, role)
    return None if values is None else PaymentMeans(**values)


class _CreditNoteMeans(NamedTuple):
    element: etree._Element
    means: PaymentMeans
    due_date: date | None


def _credit_note_payment_means(
    ctx: _Context, element: etree._Element, spec: _Spec, role: str
) -> _CreditNoteMeans | None:
    values = _payment_means_values(ctx, element, _CREDIT_NOTE_PAYMENT_MEANS, role)
    if values is None:
        return None
    due_date = values.pop("due_date", None)
    return _CreditNoteMeans(element, PaymentMeans(**values), due_date)


def _allowance_charge(table: Table) -> Reader:
    """BG-20/21 (document) or BG-27/28 (line) allowance or charge; terms follow the indicator."""

    def read(ctx: _Context, element: etree._Element, spec: _Spec, role: str) -> Any:
        children = _children(element)  # held until _record has read element: _first_text
        is_charge = _first_text(children, _CHARGE_INDICATOR) in ("true", "1")
        if role == "line":
            role = "line_charge" if is_charge else "line_allowance"
        elif is_charge:
            role = "charge"
        values = _record(ctx, element, table, role)
        if not values:
            _absent(ctx, element)
            return None
        _require(
            ctx,
            element,
            values,
            AllowanceCharge,
            role,
            (("is_charge", "cbc:ChargeIndicator"), ("amount", "cbc:Amount")),
        )
        return AllowanceCharge(**values)

    return read


_LINE_ALLOWANCE_CHARGE: Final[Table] = {
    _CHARGE_INDICATOR: _spec("is_charge", _BOOL, AllowanceCharge),
    cbc("AllowanceChargeReasonCode"): _spec("reason_code", _TEXT, AllowanceCharge),
    cbc("AllowanceChargeReason"): _spec("reason", _TEXT, AllowanceCharge),
    cbc("MultiplierFactorNumeric"): _spec("percentage", _DECIMAL, AllowanceCharge),
    cbc("Amount"): _spec("amount", _AMOUNT, AllowanceCharge),
    cbc("BaseAmount"): _spec("base_amount", _AMOUNT, AllowanceCharge),
}
_DOCUMENT_ALLOWANCE_CHARGE: Final[Table] = {
    **_LINE_ALLOWANCE_CHARGE,
    cac("TaxCategory"): _spec(
        "",
        _merged(_tax_category(AllowanceCharge, "vat_category", "vat_rate")),
        AllowanceCharge,
        field="vat_category",
    ),
}

_vat_breakdown: Final = _aggregate(
    VatBreakdown,
    {
        cbc("TaxableAmount"): _spec("taxable_amount", _AMOUNT, VatBreakdown),
        cbc("TaxAmount"): _spec("tax_amount", _AMOUNT, VatBreakdown),
        cac("TaxCategory"): _spec(
            "",
            _merged(
                _tax_category(
                    VatBreakdown,
                    "category",
                    "rate",
                    TaxExemptionReasonCode="exemption_code",
                    TaxExemptionReason="exemption_reason",
                )
            ),
            VatBreakdown,
            field="category",
        ),
    },
    ("taxable_amount", "cbc:TaxableAmount"),
    ("tax_amount", "cbc:TaxAmount"),
    ("category", "cac:TaxCategory/cbc:ID"),
)


class _TaxTotal(NamedTuple):
    element: etree._Element
    amount: Decimal
    currency: str | None
    breakdown: tuple[VatBreakdown, ...]


_TAX_TOTAL: Final[Table] = {
    cbc("TaxAmount"): _spec("amount", _TAX_AMOUNT, Totals, field="vat"),
    cac("TaxSubtotal"): _spec(
        "breakdown", _vat_breakdown, Invoice, field="vat_breakdown", many=True
    ),
}


def _tax_total(ctx: _Context, element: etree._Element, spec: _Spec, role: str) -> _TaxTotal | None:
    """One cac:TaxTotal; the document decides BT-110 or BT-111 by its currency."""
    values = _record(ctx, element, _TAX_TOTAL, role)
    if not values:
        _absent(ctx, element)
        return None
    tax_amount = values.get("amount")
    if tax_amount is None:
        raise ctx.missing(element, "cbc:TaxAmount", Totals, "vat", role)
    return _TaxTotal(element, tax_amount.amount, tax_amount.currency, values.get("breakdown", ()))


_TOTALS: Final[Table] = {
    cbc("LineExtensionAmount"): _spec("line_net", _AMOUNT, Totals),
    cbc("TaxExclusiveAmount"): _spec("without_vat", _AMOUNT, Totals),
    cbc("TaxInclusiveAmount"): _spec("with_vat", _AMOUNT, Totals),
    cbc("AllowanceTotalAmount"): _spec("allowances", _AMOUNT, Totals),
    cbc("ChargeTotalAmount"): _spec("charges", _AMOUNT, Totals),
    cbc("PrepaidAmount"): _spec("prepaid", _AMOUNT, Totals),
    cbc("PayableRoundingAmount"): _spec("rounding", _AMOUNT, Totals),
    cbc("PayableAmount"): _spec("payable", _AMOUNT, Totals),
}


def _totals(
    ctx: _Context, element: etree._Element, spec: _Spec, role: str
) -> dict[str, Any] | None:
    """BG-22 from cac:LegalMonetaryTotal (BT-110/111 come from cac:TaxTotal)."""
    values = _record(ctx, element, _TOTALS, role)
    _require(
        ctx,
        element,
        values,
        Totals,
        role,
        (
            ("line_net", "cbc:LineExtensionAmount"),
            ("without_vat", "cbc:TaxExclusiveAmount"),
            ("with_vat", "cbc:TaxInclusiveAmount"),
            ("payable", "cbc:PayableAmount"),
        ),
    )
    return values
