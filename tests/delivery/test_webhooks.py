"""The status callback format, its HMAC signature, and the channel's webhook secret."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from delivery.base import ChannelRefused, DeliveryState, StatusReason, parse_channel_settings
from delivery.responses import Response
from delivery.webhooks import (
    CallbackError,
    callback_body,
    parse_callback,
    sign,
    verify,
    webhook_secrets,
)


def response(kind: str = "invoice-response", code: str = "AP", **more: Any) -> Response:
    return Response(kind=kind, code=code, id="doc-000001-r2", document_id="INV-1", **more)  # type: ignore[arg-type]


def test_the_signature_is_the_hex_hmac_sha256_of_the_raw_body() -> None:
    body = b'{"event_id": "evt-1"}'
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert sign("s3cret", body) == f"sha256={expected}"
    assert verify("s3cret", body, f"sha256={expected}")
    assert verify("s3cret", body, f"SHA256={expected.upper()}")  # case does not matter


@pytest.mark.parametrize(
    "header",
    [None, "", "sha256=", "sha1=abc", "deadbeef", "sha256=" + "0" * 64, "sha256=zz\u00e9"],
)
def test_a_missing_or_malformed_or_wrong_signature_does_not_verify(header: str | None) -> None:
    assert not verify("s3cret", b"{}", header)


def test_a_changed_body_or_another_secret_does_not_verify() -> None:
    header = sign("s3cret", b'{"code": "AP"}')
    assert not verify("s3cret", b'{"code": "RE"}', header)
    assert not verify("s3cret2", b'{"code": "AP"}', header)
    assert not verify("", b'{"code": "AP"}', sign("", b'{"code": "AP"}'))  # no empty secret


def test_a_callback_reads_back_as_its_status_event() -> None:
    reasons = (StatusReason("OPStatusReason", "PPD", "half now"),)
    at = datetime(2026, 3, 1, 10, 15, tzinfo=UTC)
    body = callback_body(
        "evt-7",
        response(code="PD", reasons=reasons),
        idempotency_key="k1",
        remote_id="doc-000001",
        at=at,
    )
    callback = parse_callback(body)
    assert (callback.event_id, callback.idempotency_key, callback.remote_id, callback.at) == (
        "evt-7",
        "k1",
        "doc-000001",
        at,
    )
    status = callback.status
    assert (status.kind, status.code, status.reasons, status.response_id) == (
        "invoice-response",
        "PD",
        reasons,
        "doc-000001-r2",
    )
    # PD with PPD (partially paid) leads a sent document to accepted, not paid
    assert status.state is DeliveryState.ACCEPTED
    assert not status.breaks_rules


def valid() -> dict[str, Any]:
    return json.loads(callback_body("evt-1", response(), idempotency_key="k1"))


@pytest.mark.parametrize(
    ("change", "names"),
    [
        (lambda d: d.pop("event_id"), "'event_id'"),
        (lambda d: d.update(event_id=""), "'event_id'"),
        (
            lambda d: d.update(idempotency_key=None, remote_id=None),
            "'idempotency_key' or 'remote_id'",
        ),
        (lambda d: d.update(at="yesterday"), "'at'"),
        (lambda d: d.pop("response"), "'response'"),
        (lambda d: d["response"].update(type="email"), "'type'"),
        (lambda d: d["response"].update(code="XX"), "'XX'"),
        (lambda d: d["response"].pop("id"), "'id'"),
    ],
)
def test_a_bad_callback_is_refused_naming_the_field(change: Any, names: str) -> None:
    data = valid()
    change(data)
    with pytest.raises(CallbackError, match=names):
        parse_callback(json.dumps(data).encode())


@pytest.mark.parametrize(
    ("body", "says"),
    [(b"not json", "no JSON: .* line 1 column 1"), (b"[1]", "a JSON object"), (b"\xff", "UTF-8")],
)
def test_a_body_that_is_no_json_object_is_refused(body: bytes, says: str) -> None:
    with pytest.raises(CallbackError, match=says):
        parse_callback(body)


def test_the_secret_comes_from_the_variable_the_channel_names(tmp_path: Path) -> None:
    channels = {
        "ap": parse_channel_settings(
            {"type": "peppol-ap", "url": "http://ap", "webhook_secret_env": "AP_HOOK"}
        ),
        "quiet": parse_channel_settings({"type": "peppol-ap", "url": "http://ap2"}),
        "archive": parse_channel_settings({"type": "directory", "path": str(tmp_path)}),
    }
    assert webhook_secrets(channels, {"AP_HOOK": "hunter2"}) == {"ap": "hunter2"}
    with pytest.raises(ChannelRefused) as refused:
        webhook_secrets(channels, {})
    assert "AP_HOOK" in str(refused.value)


def test_a_secret_written_into_the_settings_is_refused() -> None:
    with pytest.raises(ValidationError, match="webhook_secret_env"):
        parse_channel_settings({"type": "peppol-ap", "url": "http://ap", "webhook_secret": "x"})
