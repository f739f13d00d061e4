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


REPO = Path(__file__).resolve().parents[2]


def test_envelope_for_invoice_takes_bt1_bt49_bt58_and_bt34() -> None:
    from model.jsonio import loads

    invoice = loads((REPO / "fixtures" / "creditnote-billing-reference.json").read_text())
    ubl = (REPO / "fixtures" / "creditnote-billing-reference.xml").read_bytes()
    env = Envelope.for_invoice(invoice, ubl, idempotency_key="k", connection="shop")
    assert (env.number, env.kind, env.file_name) == (
        "HBE-CN-26-0042",
        DocumentKind.CREDIT_NOTE,
        "HBE-CN-26-0042.xml",
    )
    assert env.buyer_endpoint == invoice.buyer.endpoint is not None
    assert env.seller_endpoint == invoice.seller.endpoint is not None
    assert env.buyer_email == "inkoop@bakkerijjansen.example"
    assert env.ubl == ubl
    override = Envelope.for_invoice(
        invoice, ubl, idempotency_key="k", connection="shop", buyer_email="ap@x.example"
    )
    assert override.buyer_email == "ap@x.example"


def test_the_readme_channel_settings_parse() -> None:
    import re
    import tomllib

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Delivery channels") :]
    block = re.search(r"```toml\n(.*?)```", section, re.S)
    assert block is not None
    channels = tomllib.loads(block.group(1))["channels"]
    kinds = {name: type(parse_channel_settings(table)) for name, table in channels.items()}
    assert kinds == {
        "archive": DirectorySettings,
        "peppol": PeppolApSettings,
        "mail": SmtpSettings,
    }


def test_delivery_imports_only_ubl_and_model_of_ours() -> None:
    import ast

    ours = {"model", "ubl", "delivery", "connectors", "mappings", "sync", "ledgerlink", "reconcile"}
    for path in sorted((REPO / "delivery").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top not in ours - {"model", "ubl", "delivery"}, f"{path.name} imports {name}"


def test_the_states_are_the_outbox_states_of_the_store() -> None:
    from sync.store.schema import OUTBOX_STATES

    # the outbox adds its own bookkeeping: a row being sent, a row replaced before it was sent
    assert [state.value for state in DeliveryState] + ["sending", "cancelled"] == list(
        OUTBOX_STATES
    )


def test_an_access_point_url_must_be_http() -> None:
    with pytest.raises(ValidationError, match="url"):
        parse_channel_settings({"type": "peppol-ap", "url": "ap.example/api"})
