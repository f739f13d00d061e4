"""Peppol BIS Billing 3.0.21 code-list rules ``PEPPOL-EN16931-CL001``..``CL008``, profile
``peppol-bis3`` only.

The lists are :mod:`ubl.rules._peppol_lists`, generated from the pinned Peppol Schematron by
``scripts/generate_peppol_code_lists.py``: they differ from :mod:`model.codes` (the Peppol 3.0.19
code-list files), e.g. EAS 0037 and 0147 are gone and 0242, 0244..0246 and 0248 are new, and the
currencies follow CEN (CNH and XCG, no ANG or BGN). Each check applies its rule to the model
field the writer puts in the element the rule's context names:

* CL001 ``EmbeddedDocumentBinaryObject/@mimeCode``: BT-125-1 of each embedded attachment;
* CL002 / CL003 ``AllowanceCharge/AllowanceChargeReasonCode`` of an allowance / charge: BT-98
  and BT-140 (allowances), BT-105 and BT-145 (charges), at document and line level;
* CL006 ``InvoicePeriod/DescriptionCode``: BT-8, the VAT point date code (``tax_point_code``);
* CL007 ``@currencyID`` of every amount: the document currency BT-5, and the VAT accounting
  currency BT-6 where BT-111 is written in it;
* CL008 ``EndpointID/@schemeID``: BT-34-1 and BT-49-1.

Element text is compared after ``normalize-space`` (CL002, CL003, CL006), an attribute as it is
written (CL001, CL007, CL008), as the Schematron does. The rules the CEN code lists hold every
profile to (``BR-CL-nn``) are in :mod:`ubl.rules.codelists`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Final

from model.document import Identifier, Invoice
from ubl.rules import _peppol_lists as lists
from ubl.rules._base import (
    Breach,
    Context,
    Registry,
    RuleSet,
    Values,
    at,
    pairs,
    per_charge,
    register_rows,
)
from ubl.rules._model import code, given, written_id

__all__ = ["rules"]

rules = Registry(RuleSet.PEPPOL)

_RELEASE: Final = f"Peppol BIS Billing {lists.VERSION}"

_Test = tuple[Callable[[Any], bool], Callable[[Any], str]]
"""A rule's ``bad`` predicate and its message."""


def _attachments(doc: Invoice) -> Iterator[tuple[str, Any]]:
    """@mimeCode of each written EmbeddedDocumentBinaryObject (an attachment with content)."""
    for i, document in enumerate(doc.additional_documents):
        attachment = document.attachment
        if attachment is not None and attachment.content:
            yield f"additional_documents[{i}].attachment.mime_code", attachment.mime_code


def _element_code(codes: frozenset[str], name: str) -> _Test:
    """``bad`` and the message for a code written as element text (``normalize-space``)."""

    def bad(value: str | None) -> bool:
        return given(value) and code(value) not in codes

    return bad, lambda value: f"{code(value)!r} is not a code of {name} ({_RELEASE})"


def _attribute_code(codes: frozenset[str], name: str) -> _Test:
    """``bad`` and the message for a code written as an attribute when given (compared as is)."""

    def bad(value: str | None) -> bool:
        return given(value) and value not in codes

    return bad, lambda value: f"{value!r} is not a code of {name} ({_RELEASE})"


_CODES: Final[tuple[tuple[str, Values, _Test], ...]] = (
    ("PEPPOL-EN16931-CL001", pairs(_attachments, "additional_documents"),
     _attribute_code(lists.MIMECODE, "the Peppol MIME codes")),
    ("PEPPOL-EN16931-CL002", per_charge("reason_code", "document", False),
     _element_code(lists.UNCL5189, "the Peppol subset of UNCL5189")),
    ("PEPPOL-EN16931-CL002", per_charge("reason_code", "line", False),
     _element_code(lists.UNCL5189, "the Peppol subset of UNCL5189")),
    ("PEPPOL-EN16931-CL003", per_charge("reason_code", "document", True),
     _element_code(lists.UNCL7161, "UNCL7161")),
    ("PEPPOL-EN16931-CL003", per_charge("reason_code", "line", True),
     _element_code(lists.UNCL7161, "UNCL7161")),
    ("PEPPOL-EN16931-CL006", at("tax_point_code"),
     _element_code(lists.UNCL2005, "the Peppol subset of UNCL2005")),
)  # fmt: skip
"""(rule, where the writer writes the code, (bad, message))."""


def _code_rule(rule_id: str, values: Values, test: _Test) -> None:
    bad, message = test
    rules.each(rule_id, values, bad, message)


register_rows(_code_rule, _CODES)


@rules.rule("PEPPOL-EN16931-CL007")
def _amount_currencies(ctx: Context) -> Iterator[Breach]:
    """Every amount carries ``currencyID`` BT-5; BT-111 carries BT-6 (or BT-5 without it). A
    blank code writes no attribute, which the rule refuses too."""
    doc = ctx.doc
    if doc.currency not in lists.ISO4217:
        yield "currency", f"{doc.currency!r} is not an ISO 4217 currency code ({_RELEASE})"
    tax_currency = doc.tax_currency
    written = doc.totals.vat_in_tax_currency is not None and tax_currency
    if written and tax_currency not in lists.ISO4217:
        yield "tax_currency", f"{tax_currency!r} is not an ISO 4217 currency code ({_RELEASE})"


def _endpoint_scheme(endpoint: Identifier | None) -> bool:
    return written_id(endpoint) and given(endpoint.scheme) and endpoint.scheme not in lists.EAID


for _role in ("seller", "buyer"):
    rules.each(
        "PEPPOL-EN16931-CL008",
        at(f"{_role}.endpoint", f"{_role}.endpoint.scheme"),
        _endpoint_scheme,
        lambda endpoint: (
            f"{endpoint.scheme!r} is not a Peppol electronic address scheme (EAS, {_RELEASE})"
        ),
    )
