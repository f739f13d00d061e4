"""Envelopes, receipts, errors and the channel settings models."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from delivery.base import (
    ChannelRefused,
    DeliveryState,
    DirectorySettings,
    Envelope,
    PeppolApSettings,
    Receipt,
    SmtpSettings,
    open_channel,
    parse_channel_settings,
    safe_file_name,
)
from model.document import DocumentKind


def test_settings_are_told_apart_by_type() -> None:
    assert isinstance(
        parse_channel_settings({"type": "directory", "path": "out"}), DirectorySettings
    )
    ap = parse_channel_settings({"type": "peppol-ap", "url": "http://ap", "token_env": "AP_TOKEN"})
    assert isinstance(ap, PeppolApSettings)
    smtp = parse_channel_settings({"type": "smtp", "host": "mail", "from": "billing@example.com"})
    assert isinstance(smtp, SmtpSettings)
    assert (smtp.sender, smtp.port, smtp.starttls) == ("billing@example.com", 587, True)


def test_unknown_type_and_unknown_keys_are_refused_naming_them() -> None:
    with pytest.raises(ValidationError, match="fax"):
        parse_channel_settings({"type": "fax"})
    with pytest.raises(ValidationError, match="pth"):
        parse_channel_settings({"type": "directory", "path": "x", "pth": "y"})


@pytest.mark.parametrize(
    "data",
    [
        {"type": "smtp", "host": "mail", "from": "a@b.c", "password": "hunter2"},
        {"type": "peppol-ap", "url": "http://ap", "token": "hunter2"},
    ],
)
def test_a_secret_written_into_the_settings_is_refused_without_echoing_it(
    data: dict[str, str],
) -> None:
    with pytest.raises(ValidationError) as info:
        parse_channel_settings(data)
    message = str(info.value).split("[type=", 1)[0]
    assert "_env" in message
    assert "hunter2" not in message


def test_an_unset_secret_variable_is_named_when_the_channel_opens(tmp_path: Path) -> None:
    settings = parse_channel_settings(
        {"type": "peppol-ap", "url": "http://127.0.0.1:9", "token_env": "LL_TEST_NO_SUCH_TOKEN"}
    )
    with pytest.raises(ChannelRefused, match="LL_TEST_NO_SUCH_TOKEN is not set"):
        open_channel("ap", settings, base_dir=tmp_path, environ={})


def test_envelope_needs_a_key_and_a_bare_file_name() -> None:
    fields = dict(connection="shop", number="1", kind=DocumentKind.INVOICE, ubl=b"<x/>")
    with pytest.raises(ValueError, match="idempotency key"):
        Envelope(idempotency_key="", file_name="1.xml", **fields)  # type: ignore[arg-type]
    for bad in ("../1.xml", "a/b.xml", "..", ""):
        with pytest.raises(ValueError, match="bare file name"):
            Envelope(idempotency_key="k", file_name=bad, **fields)  # type: ignore[arg-type]


def test_safe_file_name_keeps_no_separator() -> None:
    assert safe_file_name("INV/2026\\..7") == "INV_2026_..7.xml"
    assert safe_file_name("../..") == "document.xml"


def test_a_receipt_reaches_sent_or_delivered_only() -> None:
    assert Receipt(remote_id=None, state=DeliveryState.DELIVERED).state is DeliveryState.DELIVERED
    with pytest.raises(ValueError, match="sent or delivered"):
        Receipt(remote_id=None, state=DeliveryState.ACCEPTED)
