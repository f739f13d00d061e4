"""The e-mail channel (``type = "smtp"``): the UBL attached to a short message, over SMTP.

Each send is one SMTP conversation: connect to ``host:port``, EHLO, STARTTLS when
``starttls`` is set (the server's certificate is verified against the system's CAs, or
``ca_file``), login when ``username`` is set (the password from the variable
``password_env``; AUTH PLAIN or LOGIN, whichever the server offers), then one message
from ``from`` to the buyer's e-mail address (BT-58 or a contact e-mail; ``to``
overrides it) and to each ``bcc`` (envelope recipients only, no header). The message:
subject ``Invoice <number>`` (or ``Credit note <number>``), a text body naming the
number, the UBL attached as ``application/xml`` named ``<number>.xml``, and a
``Message-ID`` derived from the idempotency key, so the same document always carries
the same id (a mail client shows a resent one as the same message).

SMTP's own reply codes decide (not HTTP's): a 4yz reply is transient,
:class:`~delivery.base.ChannelUnavailable`, and so is a server that cannot be reached or
times out before the message data was handed over; a 5yz reply, a refused login, a
server that offers no STARTTLS or AUTH when asked to, or a certificate that does not
verify is :class:`~delivery.base.ChannelRefused`. A connection lost or timed out after
the message data was sent but before the server's final reply is
:class:`~delivery.base.OutcomeUnknown`: the mail may be on its way. State after a send:
``delivered`` (the server took the message; e-mail brings no answer, :meth:`poll` is
empty). :meth:`SmtpChannel.lookup` raises :class:`~delivery.base.CannotAsk`: an SMTP
server cannot say whether it took a message, so after a crash between send and record
the document becomes ``in-doubt`` for the user to resolve. No message ever holds the
password.
"""

from __future__ import annotations

import hashlib
import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Final

from delivery.base import (
    CannotAsk,
    ChannelRefused,
    ChannelUnavailable,
    DeliveryState,
    Envelope,
    OutcomeUnknown,
    Receipt,
    SmtpSettings,
    StatusEvent,
    safe_file_name,
)
from model.document import DocumentKind

__all__ = ["SmtpChannel", "build_message", "message_id"]


def message_id(envelope: Envelope) -> str:
    """The Message-ID of the envelope's mail, the same for every send of its key."""
    digest = hashlib.sha256(envelope.idempotency_key.encode()).hexdigest()[:32]
    return f"<{digest}@ledgerlink.invalid>"


def build_message(envelope: Envelope, sender: str, recipient: str) -> EmailMessage:
    """The mail for ``envelope``: subject and body naming the number (BT-1), the UBL attached."""
    what = "Credit note" if envelope.kind == DocumentKind.CREDIT_NOTE else "Invoice"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = f"{what} {envelope.number}"
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id(envelope)
    message.set_content(
        f"Dear customer,\n\nattached is {what.lower()} {envelope.number} as an electronic "
        "invoice (UBL 2.1, EN 16931).\n"
    )
    message.add_attachment(
        envelope.ubl,
        maintype="application",
        subtype="xml",
        filename=safe_file_name(envelope.number),
    )
    return message


class SmtpChannel:
    """Sends each document as an e-mail attachment through one SMTP server."""

    kind: Final = "smtp"
    askable: Final = False
    """:meth:`lookup` cannot tell whether a message went out (see :func:`delivery.base.can_ask`)."""

    def __init__(
        self,
        name: str,
        settings: SmtpSettings,
        *,
        password: str | None = None,
        ca_file: Path | None = None,
    ) -> None:
        self._name = name
        self.settings = settings
        self._password = password
        self._ca_file = ca_file if ca_file is not None else settings.ca_file

    @property
    def name(self) -> str:
        return self._name

    def __repr__(self) -> str:
        return f"SmtpChannel({self._name!r}, {self.settings.host!r}, {self.settings.port})"

    def accepts(self, envelope: Envelope) -> bool:
        """Needs an address: the ``to`` override or the buyer's e-mail."""
        return bool(self.settings.to or envelope.buyer_email)

    def _context(self) -> ssl.SSLContext:
        if self._ca_file is not None:
            return ssl.create_default_context(cafile=str(self._ca_file))
        return ssl.create_default_context()

    def _reply(
        self, code: int, reply: bytes | str, doing: str
    ) -> ChannelUnavailable | ChannelRefused:
        text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
        reason = f"{doing}: the server answered {code} {text}".strip()
        if 400 <= code < 500:
            return ChannelUnavailable(reason, channel=self._name)
        return ChannelRefused(reason, channel=self._name)

    def send(self, envelope: Envelope) -> Receipt:
        """One SMTP conversation; the state reached is ``delivered``."""
        settings = self.settings
        recipient = settings.to or envelope.buyer_email
        if not recipient:
            raise ChannelRefused(
                f"{envelope.number} has no buyer e-mail address (BT-58)", channel=self._name
            )
        try:
            message = build_message(envelope, settings.sender, recipient)
        except ValueError as exc:  # a line break in a header, an address that is none
            raise ChannelRefused(
                f"cannot write the mail for {envelope.number!r}: {exc}", channel=self._name
            ) from None
        self.send_message(message, recipient, envelope.number)
        return Receipt(remote_id=message_id(envelope), state=DeliveryState.DELIVERED)

    def send_message(self, message: EmailMessage, recipient: str, label: str) -> None:
        """One SMTP conversation handing ``message`` to ``recipient`` (and each ``bcc``);
        ``label`` names it in errors (the invoice number). Raises as :meth:`send` does."""
        settings = self.settings
        server = f"{settings.host}:{settings.port}"
        data_sent = False
        try:
            with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
                smtp.ehlo()
                if settings.starttls:
                    smtp.starttls(context=self._context())
                    smtp.ehlo()
                if settings.username:
                    smtp.login(settings.username, self._password or "")
                code, reply = smtp.mail(settings.sender)
                if code != 250:
                    raise self._reply(code, reply, f"sender {settings.sender} refused")
                for address in (recipient, *settings.bcc):
                    code, reply = smtp.rcpt(address)
                    if code not in (250, 251):
                        raise self._reply(code, reply, f"recipient {address} refused")
                data_sent = True
                # CRLF line ends (RFC 5321 2.3.8): smtplib leaves bytes as they are, and a
                # server refuses a message with bare LFs once a line passes its limit.
                code, reply = smtp.data(
                    message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
                )
                if code != 250:
                    raise self._reply(code, reply, f"the message for {label} refused")
        except smtplib.SMTPDataError as exc:  # the server refused the data: it has no copy
            raise self._reply(
                exc.smtp_code, exc.smtp_error, f"the message for {label} refused"
            ) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise ChannelRefused(
                f"{server} refused the login of {settings.username!r} ({exc.smtp_code})",
                channel=self._name,
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise ChannelRefused(f"{server}: {exc}", channel=self._name) from None
        except ssl.SSLError as exc:
            raise ChannelRefused(
                f"TLS with {server} failed: {exc.reason or exc}", channel=self._name
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise self._reply(exc.smtp_code, exc.smtp_error, f"{server}") from None
        except (smtplib.SMTPException, OSError) as exc:
            what = (
                "timed out" if isinstance(exc, socket.timeout | TimeoutError) else f"failed: {exc}"
            )
            if data_sent:
                raise OutcomeUnknown(
                    f"the connection to {server} {what} after the message for "
                    f"{label} was handed over; it may have been sent",
                    channel=self._name,
                ) from None
            raise ChannelUnavailable(f"{server} {what}", channel=self._name) from None

    def lookup(self, envelope: Envelope) -> Receipt | None:
        """Always CannotAsk: an SMTP server keeps no record it would show."""
        raise CannotAsk(
            f"an SMTP server cannot tell whether {envelope.number} was sent; "
            "resolve it with `ledgerlink outbox resolve`",
            channel=self._name,
        )

    def poll(self, envelope: Envelope, remote_id: str) -> list[StatusEvent]:
        """E-mail brings no status answers."""
        return []

    def close(self) -> None:
        """Nothing held open between sends."""
