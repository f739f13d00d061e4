"""The access point channel against the emulator, over real HTTP on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from delivery.ap_emulator import ApEmulator, Fault, ResponseFormat, Scripted, default_script
from delivery.base import (
    ChannelRefused,
    ChannelUnavailable,
    DeliveryState,
    Envelope,
    StatusReason,
    open_channel,
    parse_channel_settings,
)
from delivery.peppol_ap import PeppolApChannel
from delivery.responses import RULE_RESPONSE_ORDER, RULE_RESPONSE_UNREADABLE, LineIssue
from model.document import DocumentKind, Identifier

S = DeliveryState


def ubl(number: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"'
        ' xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">'
        f"<cbc:ID>{number}</cbc:ID></Invoice>\n"
    ).encode()


def envelope(number: str = "INV-1", key: str | None = None) -> Envelope:
    return Envelope(
        idempotency_key=key or f"key-{number}",
        connection="shop",
        number=number,
        kind=DocumentKind.INVOICE,
        ubl=ubl(number),
        file_name=f"{number}.xml",
        buyer_endpoint=Identifier(value="87654321", scheme="0106"),
        seller_endpoint=Identifier(value="12345678", scheme="0106"),
    )


@pytest.fixture
def ap() -> Iterator[ApEmulator]:
    with ApEmulator(token="t0ken", slow_seconds=1.0) as emulator:
        yield emulator


def channel_for(ap: ApEmulator, **options: object) -> PeppolApChannel:
    settings: dict[str, object] = {"timeout": 0.3, "attempts": 3, "backoff": 0.0}
    settings.update(options)
    return PeppolApChannel("peppol", ap.url, token="t0ken", **settings)  # type: ignore[arg-type]


def test_send_posts_once_and_reaches_sent(ap: ApEmulator) -> None:
    channel = channel_for(ap)
    receipt = channel.send(envelope())
    assert receipt.state is S.SENT and receipt.remote_id
    stored = ap.stored("key-INV-1")
    assert stored is not None
    assert (stored.number, stored.receiver, stored.sender) == (
        "INV-1",
        "0106:87654321",
        "0106:12345678",
    )
    assert stored.ubl == ubl("INV-1")
    assert ap.post_count("key-INV-1") == 1


def test_open_channel_reads_the_token_from_the_named_variable(
    ap: ApEmulator, tmp_path: Path
) -> None:
    settings = parse_channel_settings({"type": "peppol-ap", "url": ap.url, "token_env": "AP_TOKEN"})
    channel = open_channel("peppol", settings, base_dir=tmp_path, environ={"AP_TOKEN": "t0ken"})
    assert channel.send(envelope()).state is S.SENT
    wrong = open_channel("peppol", settings, base_dir=tmp_path, environ={"AP_TOKEN": "nope"})
    with pytest.raises(ChannelRefused, match="HTTP 401") as info:
        wrong.send(envelope("INV-2"))
    assert "nope" not in str(info.value) and "t0ken" not in str(info.value)


def test_a_second_send_with_the_same_key_sends_nothing_new(ap: ApEmulator) -> None:
    channel = channel_for(ap)
    first = channel.send(envelope())
    second = channel.send(envelope())
    assert first.remote_id == second.remote_id
    assert len(ap.documents) == 1
    assert ap.post_count("key-INV-1") == 2  # the emulator counts what reached it


def test_other_bytes_under_a_used_key_are_refused(ap: ApEmulator) -> None:
    channel = channel_for(ap)
    channel.send(envelope())
    other = Envelope(**_fields(envelope(), ubl=ubl("INV-9")))  # type: ignore[arg-type]
    with pytest.raises(ChannelRefused, match="HTTP 409"):
        channel.send(other)


def _fields(env: Envelope, **changes: object) -> dict[str, object]:
    data = {name: getattr(env, name) for name in env.__dataclass_fields__}
    data.update(changes)
    return data


def test_accepts_only_a_buyer_with_an_endpoint() -> None:
    channel = PeppolApChannel("peppol", "http://127.0.0.1:9")
    assert channel.accepts(envelope())
    without = Envelope(**_fields(envelope(), buyer_endpoint=None))  # type: ignore[arg-type]
    assert not channel.accepts(without)
    with pytest.raises(ChannelRefused, match="BT-49"):
        channel.send(without)


def test_lookup_finds_a_sent_key_and_not_another(ap: ApEmulator) -> None:
    channel = channel_for(ap)
    assert channel.lookup(envelope()) is None
    receipt = channel.send(envelope())
    found = channel.lookup(envelope())
    assert found is not None and found.remote_id == receipt.remote_id and found.state is S.SENT
    assert channel.lookup(envelope("INV-2")) is None


def test_a_dropped_connection_after_the_store_is_resolved_by_lookup(ap: ApEmulator) -> None:
    ap.fail(Fault.DROP, times=None, method="POST")
    channel = channel_for(ap)
    with pytest.raises(ChannelUnavailable, match="after 3 attempts"):
        channel.send(envelope())
    assert len(ap.documents) == 1  # it arrived, once, although every answer was lost
    found = channel.lookup(envelope())
    assert found is not None and found.remote_id == ap.documents[0].id


def test_500_then_success_within_the_budget(ap: ApEmulator) -> None:
    ap.fail(Fault.ERROR, times=2, method="POST")
    receipt = channel_for(ap).send(envelope())
    assert receipt.state is S.SENT
    assert ap.post_count("key-INV-1") == 1  # the 500s did nothing; the third try stored it


def test_500_for_ever_is_unavailable(ap: ApEmulator) -> None:
    ap.fail(Fault.ERROR, times=None)
    channel = channel_for(ap)
    with pytest.raises(ChannelUnavailable, match=r"HTTP 500 \(after 3 attempts"):
        channel.send(envelope())
    with pytest.raises(ChannelUnavailable):
        channel.lookup(envelope())
    assert ap.documents == []


def test_a_timeout_for_ever_is_unavailable_and_the_server_kept_it(ap: ApEmulator) -> None:
    ap.fail(Fault.SLOW, times=None, method="POST")
    with pytest.raises(ChannelUnavailable, match="timed out"):
        channel_for(ap, attempts=2).send(envelope())
    ap.heal()
    assert channel_for(ap).lookup(envelope()) is not None


def test_an_unreachable_access_point_is_unavailable() -> None:
    with ApEmulator() as gone:
        url = gone.url
    channel = PeppolApChannel("peppol", url, attempts=2, backoff=0.0, timeout=0.5)
    with pytest.raises(ChannelUnavailable, match="ConnectError"):
        channel.send(envelope())


def test_4xx_is_refused_with_the_reason() -> None:
    with ApEmulator(unknown_receivers=["0106:87654321"]) as ap:
        channel = PeppolApChannel("peppol", ap.url, attempts=3, backoff=0.0)
        with pytest.raises(ChannelRefused, match=r"HTTP 422.*not registered"):
            channel.send(envelope())
        assert ap.post_count("key-INV-1") == 1  # a 4xx is not retried


# -- status ------------------------------------------------------------------------------


@pytest.mark.parametrize("response_format", ["json", "ubl", "ubl-href"])
def test_poll_reads_every_answer_form(response_format: ResponseFormat) -> None:
    def script(number: str) -> list[Scripted]:
        partial = StatusReason("OPStatusReason", "PPD", "half")
        return [
            Scripted("mlr", "AB"),
            Scripted("invoice-response", "UQ", (StatusReason("OPStatusReason", "REF", "PO?"),)),
            Scripted("invoice-response", "AP"),
            Scripted("invoice-response", "PD", (partial,)),
            Scripted("invoice-response", "PD"),
        ]

    with ApEmulator(script=script, response_format=response_format) as ap:
        channel = PeppolApChannel("peppol", ap.url, backoff=0.0)
        receipt = channel.send(envelope())
        events = channel.poll(envelope(), receipt.remote_id or "")
    assert [(e.kind, e.code, e.state) for e in events] == [
        ("mlr", "AB", S.DELIVERED),
        ("invoice-response", "UQ", S.DELIVERED),
        ("invoice-response", "AP", S.ACCEPTED),
        ("invoice-response", "PD", S.ACCEPTED),
        ("invoice-response", "PD", S.PAID),
    ]
    assert events[1].reasons == (StatusReason("OPStatusReason", "REF", "PO?"),)
    assert not any(e.breaks_rules for e in events)
    assert len({e.response_id for e in events}) == 5


def test_poll_returns_only_new_answers(ap: ApEmulator) -> None:
    ap.release = "one-per-poll"
    channel = channel_for(ap)
    receipt = channel.send(envelope())
    remote = receipt.remote_id or ""
    polls = [channel.poll(envelope(), remote) for _ in range(len(default_script("x")) + 1)]
    assert [[e.code for e in poll] for poll in polls] == [["AB"], ["AB"], ["AP"], []]
    assert [e.kind for poll in polls for e in poll] == [
        "mlr",
        "invoice-response",
        "invoice-response",
    ]
    # a new channel object (a restart) gets them all again, with the same response ids
    again = channel_for(ap).poll(envelope(), remote)
    assert [e.response_id for e in again] == [e.response_id for poll in polls for e in poll]


def test_an_mlr_rejection_carries_its_line_responses_as_findings() -> None:
    issue = LineIssue(
        line_id="/Invoice/cbc:DueDate", reason="BV", description="[BR-CO-25] due date or terms"
    )
    warn = LineIssue(line_id="NA", reason="BW", description="a warning")
    script = [Scripted("mlr", "RE", description="Rejected", lines=(issue, warn))]
    with ApEmulator(script=lambda n: script, response_format="ubl") as ap:
        channel = PeppolApChannel("peppol", ap.url, backoff=0.0)
        receipt = channel.send(envelope())
        (event,) = channel.poll(envelope(), receipt.remote_id or "")
    assert event.state is S.REJECTED and event.code == "RE"
    first, second = event.findings
    assert (first.rule, first.layer, first.location, first.fatal) == (
        "BR-CO-25",
        "delivery",
        "/Invoice/cbc:DueDate",
        True,
    )
    assert (second.rule, second.location, second.severity) == ("MLR-BW", None, "warning")


@pytest.mark.parametrize("response_format", ["json", "ubl"])
def test_answers_that_break_the_rules_become_findings_not_crashes(
    response_format: ResponseFormat,
) -> None:
    broken = [
        Scripted("invoice-response", "AP"),
        Scripted("invoice-response", "UQ"),  # AP may only be followed by PD
        Scripted("invoice-response", "RE"),  # same
        Scripted("invoice-response", "PD"),
        Scripted("invoice-response", "AB"),  # nothing after PD
    ]
    with ApEmulator(
        script=lambda n: broken, enforce_rules=False, response_format=response_format
    ) as ap:
        channel = PeppolApChannel("peppol", ap.url, backoff=0.0)
        receipt = channel.send(envelope())
        events = channel.poll(envelope(), receipt.remote_id or "")
    assert [(e.code, e.state, e.breaks_rules) for e in events] == [
        ("AP", S.ACCEPTED, False),
        ("UQ", S.ACCEPTED, True),
        ("RE", S.ACCEPTED, True),
        ("PD", S.PAID, False),
        ("AB", S.PAID, True),
    ]
    assert [f.rule for e in events if e.breaks_rules for f in e.findings] == [
        RULE_RESPONSE_ORDER
    ] * 3
    assert "AP may only be followed by PD" in events[1].findings[0].message
    assert "nothing may follow RE or PD" in events[4].findings[0].message


def test_the_emulator_refuses_a_script_that_breaks_the_rules(ap: ApEmulator) -> None:
    ap.script = lambda n: [Scripted("invoice-response", "RE"), Scripted("invoice-response", "AP")]
    with pytest.raises(ChannelUnavailable):
        channel_for(ap, attempts=1).send(envelope())
    assert ap.errors and "nothing may follow RE or PD" in ap.errors[0]
    ap.script = default_script
    receipt = channel_for(ap).send(envelope("INV-2"))
    ap.respond(receipt.remote_id or "", "invoice-response", "PD")
    with pytest.raises(ValueError, match="nothing may follow RE or PD"):
        ap.respond(receipt.remote_id or "", "invoice-response", "UQ")


def test_an_unreadable_answer_is_a_finding() -> None:
    with ApEmulator(script=lambda n: [Scripted("mlr", "AB")]) as ap:
        channel = PeppolApChannel("peppol", ap.url, backoff=0.0)
        receipt = channel.send(envelope())
        ap.response_format = "ubl"
        original = ap._responses

        def with_garbage(doc: object) -> list[dict[str, object]]:
            items = original(doc)  # type: ignore[arg-type]
            return [
                *items,
                {
                    "id": "x",
                    "content_type": "application/xml",
                    "content_base64": "PCFET0NUWVBFIHg+PHgvPg==",
                },
            ]

        ap._responses = with_garbage  # type: ignore[method-assign,assignment]
        events = channel.poll(envelope(), receipt.remote_id or "")
    assert [e.breaks_rules for e in events] == [False, True]
    assert events[1].findings[0].rule == RULE_RESPONSE_UNREADABLE
    assert "DOCTYPE" in events[1].findings[0].message
    assert events[1].state is S.DELIVERED


def test_a_real_credit_note_goes_through_and_the_emulator_reads_its_number(ap: ApEmulator) -> None:
    from model.jsonio import loads

    fixtures = Path(__file__).resolve().parents[2] / "fixtures"
    invoice = loads((fixtures / "creditnote-billing-reference.json").read_text())
    ubl_bytes = (fixtures / "creditnote-billing-reference.xml").read_bytes()
    env = Envelope.for_invoice(invoice, ubl_bytes, idempotency_key="cn", connection="shop")
    channel = channel_for(ap)
    receipt = channel.send(env)
    stored = ap.stored("cn")
    assert stored is not None and stored.number == "HBE-CN-26-0042" and stored.ubl == ubl_bytes
    events = channel.poll(env, receipt.remote_id or "")
    assert events[-1].state is S.ACCEPTED
    assert "HBE-CN-26-0042" in events[-1].message
