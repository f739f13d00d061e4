"""Code lists: ``BR-CL-nn``, all profiles. Each code the writer writes must be in its list,
compared after ``normalize-space``.

The lists come from :mod:`model.codes`, generated from the Peppol 3.0.19 code lists. Where the
CEN 1.3.16 rules accept codes those lists lack (newer ICD and EAS schemes, more document type
codes), the rules accept them too (:data:`_CEN_ONLY_CODES`), so no valid document is refused;
where they refuse codes the lists have (three currencies), the rules refuse them too
(:data:`_CEN_REFUSED`). :data:`CODE_LIST_NOTES` lists the differences; a test compares every
rule's codes with the official Schematron. BR-CL-08 (note subject code) is left out:
:mod:`model.codes` has no UNCL4451 list. The Peppol code-list rules (PEPPOL-EN16931-CLnnn) use
the lists of the Peppol 3.0.21 Schematron instead: :mod:`ubl.rules.peppol_codes`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from typing import Any, Final

from model.codes import (
    eas,
    icd,
    iso3166,
    iso4217,
    mime,
    rec20,
    rec21,
    uncl1001,
    uncl1153,
    uncl2005,
    uncl4461,
    uncl5189,
    uncl5305,
    uncl7143,
    uncl7161,
    vatex,
)
from model.document import Identifier, Invoice
from ubl.rules._base import (
    NOTHING,
    Breach,
    Context,
    Registry,
    RuleSet,
    Selection,
    Values,
    at,
    pairs,
    per,
    per_charge,
    register_rows,
    selection,
)
from ubl.rules._model import (
    classifications,
    code,
    code_set,
    deliver_to,
    given,
    legal_registrations,
    party_identifiers,
    representative_address,
    written_id,
)

__all__ = ["CODE_LIST_NOTES", "rules"]

rules = Registry(RuleSet.EN16931)

CODE_LIST_NOTES: Final = (
    "BR-CL-01: model.codes.uncl1001 holds the Peppol subsets (27 invoice and 5 credit note "
    "type codes); CEN 1.3.16 allows 50 and 13.",
    "BR-CL-10/11/21/22/25/26: model.codes icd, eas and vatex lack codes of CEN 1.3.16 "
    "(ICD 0241-0248; EAS 0219, 0220, 0242-0248, AN, AQ, AS, AU, EM; VATEX-EU-135-1).",
    "BR-CL-04/05: model.codes.iso4217 has ANG, BGN, STN where CEN 1.3.16 has CNH, STD, XCG; "
    "the rules follow CEN.",
)
"""Where the generated code lists (Peppol 3.0.19) differ from the CEN 1.3.16 Schematron."""

_CEN_ONLY_CODES: Final = {
    "invoice": code_set(
        "81 130 202 203 204 211 295 325 385 387 390 394 456 457 471 472 473 500 501 527 633 751 935"
    ),
    "credit note": code_set("261 262 296 308 420 458 502 503"),
    "ISO 4217": frozenset({"CNH", "STD", "XCG"}),
    "EAS": code_set("0219 0220 0242 0244 0245 0246 0248 AN AQ AS AU EM"),
    "ISO 6523 ICD": code_set("0241 0242 0243 0244 0245 0246 0247 0248"),
    "VATEX": frozenset({"VATEX-EU-135-1"}),
}
"""Codes the CEN 1.3.16 rules accept that :mod:`model.codes` lacks (:data:`CODE_LIST_NOTES`).

Accepted too, so that no valid document is refused (the official example ubl-tc434-example5
has EndpointID scheme EM). Drop this when model.codes carries the CEN lists.
"""

_CEN_REFUSED: Final = {"ISO 4217": frozenset({"ANG", "BGN", "STN"})}
"""Codes of :mod:`model.codes` the CEN 1.3.16 rules refuse (:data:`CODE_LIST_NOTES`): the
Antillean guilder (replaced by XCG), the lev (Bulgaria uses the euro from 2026) and the new
dobra (CEN still lists STD). Refused too: a document with them would only fail validation."""

_INVOICE_TYPES: Final = frozenset(uncl1001.INVOICE) | _CEN_ONLY_CODES["invoice"]
_CREDIT_NOTE_TYPES: Final = frozenset(uncl1001.CREDIT_NOTE) | _CEN_ONLY_CODES["credit note"]
_ACCEPTED: Final[dict[str, set[str]]] = {}
"""Every code each table rule (:data:`_CODE_LISTS`) accepts, by rule id; filled as the rules
are registered. What the tests compare with the official Schematron."""


@rules.rule("BR-CL-01")
def _type_code_list(ctx: Context) -> Iterator[Breach]:
    type_code = code(ctx.doc.type_code)
    kind = "credit note" if ctx.doc.is_credit_note else "invoice"
    allowed = _CREDIT_NOTE_TYPES if ctx.doc.is_credit_note else _INVOICE_TYPES
    if type_code and type_code not in allowed:
        yield "type_code", f"{type_code!r} is not a UNCL1001 {kind} type code"


def _party_schemes(ctx: Context) -> frozenset[str | None]:
    """The schemes of every written party identifier: all a party's scheme can be."""
    return ctx.id_schemes


def _schemes(identifiers: Callable[[Invoice], Iterable[tuple[str, Identifier]]]) -> Values:
    """The scheme of each written party identifier that ``identifiers`` yields."""
    schemes = pairs(lambda doc: ((f"{path}.scheme", x.scheme) for path, x in identifiers(doc)))
    return schemes._replace(among=_party_schemes)


def _scheme(identifiers: Values, party: bool = False) -> Values:
    """The scheme of each written identifier that ``identifiers`` selects (``party``: a party's
    identifier, one of :func:`~ubl.rules._model.scheme_identifiers`)."""

    def values(doc: Invoice) -> Selection:
        selected, where = identifiers.select(doc)
        if not any(selected) or not any(map(written_id, selected)):
            return NOTHING
        return selection([(where(i), x.scheme) for i, x in enumerate(selected) if written_id(x)])

    return Values(values, identifiers.needs, among=_party_schemes if party else None)


def _typed_object_schemes(doc: Invoice) -> Iterator[tuple[str, Any]]:
    """The schemes of BG-24 documents typed 130 (invoiced object)."""
    for i, document in enumerate(doc.additional_documents):
        if code(document.type_code) == "130":
            yield f"additional_documents[{i}].id_scheme", document.id_scheme


def _countries(doc: Invoice) -> Iterator[tuple[str, Any]]:
    """cac:Country/cbc:IdentificationCode: BT-40, BT-55, BT-69, BT-80."""
    for path, address in (
        ("seller.address", doc.seller.address),
        ("buyer.address", doc.buyer.address),
        ("tax_representative.address", representative_address(doc)),
        ("delivery.address", deliver_to(doc)),
    ):
        if address is not None:
            yield f"{path}.country", address.country


def _base_units(doc: Invoice) -> Iterator[tuple[str, Any]]:
    """@unitCode of a written base quantity: BT-150."""
    for i, line in enumerate(doc.lines):
        if line.price.base_quantity is not None:
            yield f"lines[{i}].price.base_unit", line.price.base_unit


def _attachments(doc: Invoice) -> Iterator[tuple[str, Any]]:
    for i, document in enumerate(doc.additional_documents):
        if document.attachment is not None:
            yield f"additional_documents[{i}].attachment.mime_code", document.attachment.mime_code


def _classification_lists(doc: Invoice) -> Iterator[tuple[str, Any]]:
    return ((path, c.list_id) for path, c in classifications(doc) if given(c.code))


class _UpperCased(frozenset[str]):
    """Codes a rule compares upper-cased: BR-CL-22."""

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and super().__contains__(value.upper())


_VATEX: Final = _UpperCased(
    frozenset(value.upper() for value in vatex.CODES) | _CEN_ONLY_CODES["VATEX"]
)
_ICD_OR_SEPA: Final = frozenset(icd.CODES) | {"SEPA"}
"""BR-CL-10: a seller or payee identifier may also be the SEPA creditor id."""
_UNITS: Final = frozenset(rec20.CODES) | frozenset(rec21.CODES)


_CODE_LISTS: Final[tuple[tuple[str, str, Values, Collection[str]], ...]] = (
    ("BR-CL-04", "ISO 4217", at("currency"), iso4217.CODES),
    ("BR-CL-05", "ISO 4217", at("tax_currency"), iso4217.CODES),
    ("BR-CL-06", "UNCL2005", at("tax_point_code"), uncl2005.CODES),
    (
        "BR-CL-07",
        "UNCL1153",
        _scheme(at("invoiced_object", "invoiced_object.scheme")),
        uncl1153.CODES,
    ),
    (
        "BR-CL-07",
        "UNCL1153",
        _scheme(per("lines", "object_id", "object_id.scheme", optional=True)),
        uncl1153.CODES,
    ),
    (
        "BR-CL-07",
        "UNCL1153",
        pairs(_typed_object_schemes, "additional_documents"),
        uncl1153.CODES,
    ),
    ("BR-CL-10", "ISO 6523 ICD", _schemes(lambda d: party_identifiers(d, False)), _ICD_OR_SEPA),
    ("BR-CL-10", "ISO 6523 ICD", _schemes(lambda d: party_identifiers(d, True)), icd.CODES),
    ("BR-CL-11", "ISO 6523 ICD", _schemes(legal_registrations), icd.CODES),
    (
        "BR-CL-13",
        "UNCL7143",
        pairs(_classification_lists, "lines.item.classifications"),
        uncl7143.CODES,
    ),
    ("BR-CL-14", "ISO 3166-1", pairs(_countries), iso3166.CODES),
    ("BR-CL-15", "ISO 3166-1", per("lines", "item.origin_country", optional=True), iso3166.CODES),
    ("BR-CL-16", "UNCL4461", per("payment_means", "code"), uncl4461.CODES),
    ("BR-CL-17", "UNCL5305", per_charge("vat_category", "document", None), uncl5305.CODES),
    ("BR-CL-17", "UNCL5305", per("vat_breakdown", "category"), uncl5305.CODES),
    ("BR-CL-18", "UNCL5305", per("lines", "item.vat_category"), uncl5305.CODES),
    ("BR-CL-19", "UNCL5189", per_charge("reason_code", "document", False), uncl5189.CODES),
    ("BR-CL-19", "UNCL5189", per_charge("reason_code", "line", False), uncl5189.CODES),
    ("BR-CL-20", "UNCL7161", per_charge("reason_code", "document", True), uncl7161.CODES),
    ("BR-CL-20", "UNCL7161", per_charge("reason_code", "line", True), uncl7161.CODES),
    (
        "BR-CL-21",
        "ISO 6523 ICD",
        _scheme(per("lines", "item.standard_id", "item.standard_id.scheme", optional=True)),
        icd.CODES,
    ),
    ("BR-CL-22", "VATEX", per("vat_breakdown", "exemption_code"), _VATEX),
    ("BR-CL-23", "UN/ECE Rec 20/21", per("lines", "unit"), _UNITS),
    ("BR-CL-23", "UN/ECE Rec 20/21", pairs(_base_units, "lines.price.base_quantity"), _UNITS),
    ("BR-CL-24", "the MIME codes", pairs(_attachments, "additional_documents"), mime.CODES),
    (
        "BR-CL-25",
        "EAS",
        _scheme(at("seller.endpoint", "seller.endpoint.scheme"), party=True),
        eas.CODES,
    ),
    (
        "BR-CL-25",
        "EAS",
        _scheme(at("buyer.endpoint", "buyer.endpoint.scheme"), party=True),
        eas.CODES,
    ),
    (
        "BR-CL-26",
        "ISO 6523 ICD",
        _scheme(at("delivery.location", "delivery.location.scheme")),
        icd.CODES,
    ),
)
"""(rule, list, where the codes are written, the list's codes)."""


def _code_list(rule_id: str, list_name: str, values: Values, codes: Collection[str]) -> None:
    cen_only = _CEN_ONLY_CODES.get(list_name, frozenset())
    refused = _CEN_REFUSED.get(list_name, frozenset())

    def bad(value: str | None) -> bool:
        if not given(value):
            return False
        value = code(value)
        return value in refused or (value not in codes and value not in cen_only)

    fine = frozenset(candidate for candidate in (*codes, *cen_only, None) if not bad(candidate))
    _ACCEPTED.setdefault(rule_id, set()).update(value for value in fine if value is not None)
    rules.each(
        rule_id,
        values,
        bad,
        lambda value: f"{value!r} is not a code of {list_name}",
        clean=fine.issuperset,
    )


register_rows(_code_list, _CODE_LISTS)
