"""The e-mail channel against a real SMTP server (aiosmtpd) on 127.0.0.1, with STARTTLS and login."""

from __future__ import annotations

import asyncio
import email
import email.policy
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiosmtpd.controller as aiosmtpd_controller
import aiosmtpd.smtp as aiosmtpd_smtp
import pytest

from delivery.base import (
    CannotAsk,
    ChannelRefused,
    ChannelUnavailable,
    DeliveryState,
    Envelope,
    OutcomeUnknown,
    SmtpSettings,
    open_channel,
    parse_channel_settings,
)
from delivery.smtp import SmtpChannel, message_id
from model.document import DocumentKind

UBL = b'<?xml version="1.0" encoding="UTF-8"?>\n<Invoice><ID>2026/0042</ID></Invoice>\n'
USER, PASSWORD = "billing", "s3cret-pw"


@dataclass
class Inbox:
    """What the test server received: one (mail from, recipients, message) per mail."""

    mails: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    reply: str = "250 OK"
    delay: float = 0.0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.reply.startswith("250"):
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            self.mails.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return self.reply


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, made with openssl."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make the test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def start_server(inbox: Inbox, certificate: tuple[Path, Path] | None, **options: Any) -> Any:
    kwargs: dict[str, Any] = {}
    if certificate is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(certificate[0]), str(certificate[1]))
        kwargs.update(tls_context=context, require_starttls=True)

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        login, password = data.login.decode(), data.password.decode()
        inbox.logins.append((mechanism, login))
        ok = (login, password) == (USER, PASSWORD)
        return aiosmtpd_smtp.AuthResult(success=ok, handled=False)

    kwargs.update(authenticator=authenticator, auth_required=True)
    kwargs.update(options)
    controller = aiosmtpd_controller.Controller(
        inbox, hostname="127.0.0.1", port=free_port(), **kwargs
    )
    controller.start()
    return controller


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    controller = start_server(inbox, certificate)
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


def envelope(email_address: str | None = "buyer@example.com", key: str = "key-42") -> Envelope:
    return Envelope(
        idempotency_key=key,
        connection="shop",
        number="2026/0042",
        kind=DocumentKind.INVOICE,
        ubl=UBL,
        file_name="2026_0042.xml",
        buyer_email=email_address,
    )


def settings(port: int, **changes: Any) -> SmtpSettings:
    data: dict[str, Any] = {
        "type": "smtp",
        "host": "127.0.0.1",
        "port": port,
        "starttls": True,
        "username": USER,
        "password_env": "LL_SMTP_PASSWORD",
        "from": "billing@seller.example",
        "timeout": 5,
    }
    data.update(changes)
    parsed = parse_channel_settings(data)
    assert isinstance(parsed, SmtpSettings)
    return parsed


def test_starttls_login_and_the_attachment_arrive_byte_for_byte(
    tls_server: tuple[Inbox, int], certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    inbox, port = tls_server
    channel = open_channel(
        "mail",
        settings(port, ca_file=str(certificate[0]), bcc=["archive@seller.example"]),
        base_dir=tmp_path,
        environ={"LL_SMTP_PASSWORD": PASSWORD},
    )
    assert channel.accepts(envelope())
    receipt = channel.send(envelope())
    assert receipt.state is DeliveryState.DELIVERED
    ((mail_from, recipients, message),) = inbox.mails
    assert mail_from == "billing@seller.example"
    assert recipients == ["buyer@example.com", "archive@seller.example"]
    assert "Bcc" not in message and message["To"] == "buyer@example.com"
    assert message["Subject"] == "Invoice 2026/0042"
    assert message["Message-ID"] == message_id(envelope()) == receipt.remote_id
    body = message.get_body(("plain",))
    assert body is not None and "2026/0042" in body.get_content()
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/xml"
    assert attachment.get_filename() == "2026_0042.xml"
    assert attachment.get_payload(decode=True) == UBL
    assert inbox.logins == [("PLAIN", USER)]


def test_auth_login_when_the_server_offers_no_plain(certificate: tuple[Path, Path]) -> None:
    inbox = Inbox()
    controller = start_server(inbox, certificate, auth_exclude_mechanism=["PLAIN"])
    try:
        channel = SmtpChannel(
            "mail", settings(controller.port), password=PASSWORD, ca_file=certificate[0]
        )
        channel.send(envelope())
    finally:
        controller.stop()
    assert inbox.logins == [("LOGIN", USER)]
    assert len(inbox.mails) == 1


def test_a_wrong_password_is_refused_without_showing_it(
    tls_server: tuple[Inbox, int], certificate: tuple[Path, Path]
) -> None:
    inbox, port = tls_server
    channel = SmtpChannel("mail", settings(port), password="wrong-pw", ca_file=certificate[0])
    with pytest.raises(ChannelRefused, match="refused the login of 'billing'") as info:
        channel.send(envelope())
    assert "wrong-pw" not in str(info.value) and PASSWORD not in str(info.value)
    assert inbox.mails == []


def test_an_untrusted_certificate_is_refused(tls_server: tuple[Inbox, int]) -> None:
    _, port = tls_server
    channel = SmtpChannel("mail", settings(port), password=PASSWORD)  # system CAs only
    with pytest.raises(ChannelRefused, match=r"TLS with 127\.0\.0\.1"):
        channel.send(envelope())


def test_a_server_without_starttls_is_refused_before_any_password_is_sent() -> None:
    inbox = Inbox()
    controller = start_server(inbox, None, auth_require_tls=True)
    try:
        channel = SmtpChannel("mail", settings(controller.port), password=PASSWORD)
        with pytest.raises(ChannelRefused, match="STARTTLS"):
            channel.send(envelope())
    finally:
        controller.stop()
    assert inbox.logins == []


@pytest.mark.parametrize(
    ("reply", "error"),
    [("451 4.3.0 try again later", ChannelUnavailable), ("554 5.7.1 rejected", ChannelRefused)],
)
def test_smtp_reply_codes_decide_transient_or_permanent(
    tls_server: tuple[Inbox, int],
    certificate: tuple[Path, Path],
    reply: str,
    error: type[Exception],
) -> None:
    inbox, port = tls_server
    inbox.reply = reply
    channel = SmtpChannel("mail", settings(port), password=PASSWORD, ca_file=certificate[0])
    with pytest.raises(error, match=reply.split()[0]):
        channel.send(envelope())


def test_an_unreachable_server_is_unavailable() -> None:
    channel = SmtpChannel("mail", settings(free_port(), timeout=2), password=PASSWORD)
    with pytest.raises(ChannelUnavailable, match=r"127\.0\.0\.1"):
        channel.send(envelope())


def test_lookup_cannot_ask_and_an_address_is_needed() -> None:
    channel = SmtpChannel("mail", settings(25))
    with pytest.raises(CannotAsk, match="outbox resolve"):
        channel.lookup(envelope())
    assert not channel.accepts(envelope(None))
    assert SmtpChannel("mail", settings(25, to="ap@buyer.example")).accepts(envelope(None))
    with pytest.raises(ChannelRefused, match="BT-58"):
        channel.send(envelope(None))
    assert channel.poll(envelope(), "x") == []


def test_a_connection_lost_after_the_data_is_an_unknown_outcome(
    tls_server: tuple[Inbox, int], certificate: tuple[Path, Path]
) -> None:
    inbox, port = tls_server
    inbox.delay = 3.0  # the server takes the data but answers after the client gave up
    channel = SmtpChannel(
        "mail", settings(port, timeout=0.5), password=PASSWORD, ca_file=certificate[0]
    )
    with pytest.raises(OutcomeUnknown, match="may have been sent"):
        channel.send(envelope())


def test_a_number_that_would_inject_a_header_is_refused_not_sent() -> None:
    bad = Envelope(
        idempotency_key="k",
        connection="shop",
        number="1\r\nBcc: victim@example.com",
        kind=DocumentKind.INVOICE,
        ubl=UBL,
        file_name="1.xml",
        buyer_email="buyer@example.com",
    )
    with pytest.raises(ChannelRefused, match="cannot write the mail"):
        SmtpChannel("mail", settings(free_port())).send(bad)
