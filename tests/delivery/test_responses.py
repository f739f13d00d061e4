"""MLR 3 and Invoice Response 3 as UBL ApplicationResponse: against the XSD and the code lists."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from lxml import etree
from support.shared import require_shared

from delivery.ap_emulator import demo_script
from delivery.base import (
    INVOICE_RESPONSE_CODES,
    MLR_CODES,
    MLR_STATUS_REASONS,
    OP_STATUS_ACTIONS,
    OP_STATUS_REASONS,
    DeliveryState,
    StatusReason,
)
from delivery.responses import (
    CUSTOMIZATION_IDS,
    PROFILE_IDS,
    LineIssue,
    Response,
    ResponseError,
    check_sequence,
    from_json,
    from_ubl,
    status_events,
    to_json,
    to_ubl,
)
from model.document import Identifier

XSD = "validation/xsd/ubl-2.1/xsd/maindoc/UBL-ApplicationResponse-2.1.xsd"
REFERENCE = "reference/credit-management.md"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
AT = datetime(2026, 12, 7, 10, 30, 15, tzinfo=UTC)
BUYER = Identifier(value="87654321", scheme="0106")
SELLER = Identifier(value="12345678", scheme="0106")


def samples() -> list[Response]:
    """One response of every code of both kinds, with reasons and line issues."""
    out = [
        Response(
            kind="invoice-response",
            code=code,
            id=f"ir-{code}",
            document_id="INV-1",
            issued=AT,
            sender=BUYER,
            receiver=SELLER,
            reasons=(
                (
                    StatusReason("OPStatusReason", "REF", "order number unknown"),
                    StatusReason("OPStatusAction", "PIN", None),
                )
                if code in ("UQ", "RE", "CA")
                else ()
            ),
        )
        for code in INVOICE_RESPONSE_CODES
    ]
    out.append(
        Response(
            kind="invoice-response",
            code="PD",
            id="ir-PPD",
            document_id="INV-1",
            issued=AT,
            sender=BUYER,
            receiver=SELLER,
            reasons=(StatusReason("OPStatusReason", "PPD", "half"),),
        )
    )
    out += [
        Response(
            kind="mlr",
            code=code,
            id=f"mlr-{code}",
            document_id="INV-1",
            issued=AT,
            sender=BUYER,
            receiver=SELLER,
            description="Rejected" if code == "RE" else None,
            lines=(
                (
                    LineIssue(
                        line_id="/Invoice/cbc:DueDate", reason="BV", description="[BR-CO-25] x"
                    ),
                    LineIssue(line_id="NA", reason="SV", description="syntax"),
                )
                if code == "RE"
                else ()
            ),
        )
        for code in MLR_CODES
    ]
    return out


@pytest.mark.parametrize("response", samples(), ids=lambda r: r.id)
def test_the_ubl_validates_against_the_application_response_xsd(response: Response) -> None:
    schema = etree.XMLSchema(etree.parse(str(require_shared(XSD))))
    document = etree.fromstring(to_ubl(response))
    schema.assertValid(document)
    assert document.findtext(f"{{{CBC}}}CustomizationID") == CUSTOMIZATION_IDS[response.kind]
    assert document.findtext(f"{{{CBC}}}ProfileID") == PROFILE_IDS[response.kind]


@pytest.mark.parametrize("response", samples(), ids=lambda r: r.id)
def test_ubl_and_json_read_back_to_the_same_response(response: Response) -> None:
    assert from_ubl(to_ubl(response)) == response
    assert from_json(to_json(response)) == Response(
        **{
            **{f: getattr(response, f) for f in response.__dataclass_fields__},
            "sender": None,
            "receiver": None,
        }
    )


def test_the_identifiers_are_those_of_the_reference() -> None:
    text = require_shared(REFERENCE).read_text(encoding="utf-8")
    for kind in ("invoice-response", "mlr"):
        assert CUSTOMIZATION_IDS[kind] in text
        assert PROFILE_IDS[kind] in text


def _section(text: str, start: str, end: str) -> str:
    return text[text.index(start) : text.index(end, text.index(start))]


def test_the_codes_are_those_of_the_reference_code_lists() -> None:
    text = require_shared(REFERENCE).read_text(encoding="utf-8")
    invoice_response = _section(text, "### 4.1", "### 4.2")
    table = re.findall(r"^\| ([A-Z]{2})\b[^|]*\| ([^|]+) \|", invoice_response, re.M)
    assert {code for code, _ in table} == set(INVOICE_RESPONSE_CODES)
    reasons = _section(invoice_response, "**OPStatusReason**", "**OPStatusAction**")
    assert re.findall(r"\b([A-Z]{3})\b", reasons.split("—", 1)[1]) == list(OP_STATUS_REASONS)
    actions = _section(invoice_response, "**OPStatusAction**", "[src")
    assert re.findall(r"\b([A-Z]{3})\b", actions.split("—", 1)[1]) == list(OP_STATUS_ACTIONS)
    mlr = _section(text, "### 4.2", "### 4.3")
    assert re.findall(r"\*\*([A-Z]{2})\*\* (?:message|accepted|rejected)", mlr) == list(MLR_CODES)
    assert re.findall(r"\*\*([A-Z]{2})\*\* (?:business|syntax)", mlr) == list(MLR_STATUS_REASONS)


def test_unknown_codes_and_an_mlr_rejection_without_description_are_refused() -> None:
    with pytest.raises(ResponseError, match="'PD' is not one of AB, AP, RE"):
        Response(kind="mlr", code="PD", id="x", document_id="1")
    with pytest.raises(ResponseError, match="OPStatusReason has no code 'XYZ'"):
        Response(
            kind="invoice-response",
            code="UQ",
            id="x",
            document_id="1",
            reasons=(StatusReason("OPStatusReason", "XYZ"),),
        )
    with pytest.raises(ResponseError, match="needs a description"):
        Response(kind="mlr", code="RE", id="x", document_id="1")


def test_from_ubl_names_what_is_wrong() -> None:
    ubl = to_ubl(samples()[0])
    with pytest.raises(ResponseError, match="neither Invoice Response 3 nor MLR 3"):
        from_ubl(ubl.replace(b"invoice_response:3</cbc:Cust", b"invoice_response:2</cbc:Cust"))
    with pytest.raises(ResponseError, match="DOCTYPE"):
        from_ubl(b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>')
    with pytest.raises(ResponseError, match="no ApplicationResponse"):
        from_ubl(b"<Invoice/>")
    with pytest.raises(ResponseError, match="'code' must be a non-empty string"):
        from_json({"type": "mlr", "id": "1", "document_id": "1"})


def test_a_second_final_mlr_breaks_the_rules() -> None:
    ab = Response(kind="mlr", code="AB", id="1", document_id="1")
    ap = Response(kind="mlr", code="AP", id="2", document_id="1")
    re_ = Response(kind="mlr", code="RE", id="3", document_id="1", description="late")
    events = status_events([ab, ap, re_])
    assert [(e.state, e.breaks_rules) for e in events] == [
        (DeliveryState.DELIVERED, False),
        (DeliveryState.DELIVERED, False),
        (DeliveryState.DELIVERED, True),
    ]
    with pytest.raises(ValueError, match="after a final MLR"):
        check_sequence([ab, ap, re_])


def test_every_demo_fate_follows_the_rules_and_all_fates_occur() -> None:
    final_states = set()
    for number in (str(n) for n in range(1, 13)):
        responses = [
            Response(
                kind=s.kind,
                code=s.code,
                id=str(i),
                document_id=number,
                reasons=s.reasons,
                description=s.description,
                lines=s.lines,
            )
            for i, s in enumerate(demo_script(number))
        ]
        check_sequence(responses)
        final_states.add(status_events(responses)[-1].state)
    assert final_states == {
        DeliveryState.PAID,
        DeliveryState.ACCEPTED,
        DeliveryState.DELIVERED,
        DeliveryState.REJECTED,
    }
