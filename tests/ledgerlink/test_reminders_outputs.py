"""What fires goes out once: the signed webhook to a real HTTP server on 127.0.0.1, the
letter as e-mail to a real SMTP server (aiosmtpd) through the smtp channel, rendered from
the shipped templates or the tenant's own; and the secret shows up nowhere."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import aiosmtpd.controller as aiosmtpd_controller
import pytest
from sqlalchemy import create_engine, select
from support.profile_documents import BUYER, clean_invoice
from support.two_shops import ledgerlink, make_folder, write

from delivery.webhooks import verify
from model.document import Contact, Identifier, Party
from sync.store.schema import reminders

pytestmark = pytest.mark.usefixtures("artifacts_cache")
ON = date(2026, 12, 7)  # a Monday
SECRET = "wh-s3cret-7f2a"
CONSUMER = Party(
    name="J. de Vries",
    address=BUYER.address,
    endpoint=Identifier(value="8712345000004", scheme="0088"),
    contact=Contact(email="j.devries@example.nl"),
)


@dataclass
class Hooks:
    """What the webhook server received; it answers ``status`` (then 200) ``fail`` times."""

    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    fail: int = 0
    status: int = 503


@pytest.fixture
def hooks() -> Iterator[tuple[Hooks, str]]:
    state = Hooks()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            code = 200
            if state.fail > 0:
                state.fail -= 1
                code = state.status
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/hooks/reminders"
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Inbox:
    mails: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.mails.append((list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    inbox = Inbox()
    controller = aiosmtpd_controller.Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def _folder(root: Path, extra: str) -> Path:
    make_folder(root, {})
    path = root / "ledgerlink.toml"
    path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return root


def _invoice(folder: Path, number: str, due: date, buyer: Party = BUYER) -> None:
    doc = replace(
        clean_invoice(), number=number, issue_date=due - timedelta(30), due_date=due, buyer=buyer
    )
    write(folder, doc)


def _run(root: Path, on: date, *args: str) -> dict[str, Any]:
    result = ledgerlink(root, "reminders", "--on", on.isoformat(), "--format", "json", *args)
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def _states(root: Path) -> list[tuple[str, str | None, str | None]]:
    engine = create_engine(f"sqlite:///{root / 'ledgerlink.db'}")
    with engine.connect() as conn:
        found = [
            (r.number, r.webhook_state, r.email_state)
            for r in conn.execute(select(reminders).order_by(reminders.c.id))
        ]
    engine.dispose()
    return found


def test_the_webhook_is_signed_sent_once_and_retried_after_a_5xx(
    tmp_path: Path, hooks: tuple[Hooks, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    state, url = hooks
    monkeypatch.setenv("REMINDER_WEBHOOK_SECRET", SECRET)
    root = _folder(
        tmp_path, f'[reminders.webhook]\nurl = "{url}"\nsecret_env = "REMINDER_WEBHOOK_SECRET"\n'
    )
    _invoice(root / "shop", "S-1", ON - timedelta(days=7))
    result = ledgerlink(root, "sync")
    assert result.exit_code == 0, result.output
    state.fail = 1  # the receiver is down for the first try
    first = _run(root, ON)
    assert first["outputs"]["webhook"] == {"pending": 1}
    assert _states(root) == [("S-1", "pending", None)]
    # the rerun decides nothing new (with --due-today it lists nothing), and sends what is
    # pending: S-1 is still open, so its reminder is not cancelled
    second = _run(root, ON, "--due-today")
    assert second["outputs"]["webhook"] == {"sent": 1}
    assert second["reminders"] == []
    assert _run(root, ON)["outputs"] == {}
    assert len(state.received) == 2
    (h1, b1), (h2, b2) = state.received
    assert b1 == b2 and h1["idempotency-key"] == h2["idempotency-key"]
    assert verify(SECRET, b2, h2["x-ledgerlink-signature"])
    assert not verify("another secret", b2, h2["x-ledgerlink-signature"])
    body = json.loads(b2)
    assert (body["event"], body["invoice"], body["step"], body["costs"]) == (
        "reminder.fired", "S-1", "reminder_1", "40.00",
    )  # fmt: skip
    assert body["fired_on"] == ON.isoformat() and body["id"] == h2["idempotency-key"]
    assert SECRET.encode() not in b2


def test_an_unset_secret_is_named_and_nothing_fires(tmp_path: Path) -> None:
    root = _folder(
        tmp_path,
        '[reminders.webhook]\nurl = "http://127.0.0.1:9/x"\nsecret_env = "NO_SUCH_SECRET_VAR"\n',
    )
    _invoice(root / "shop", "S-1", ON - timedelta(days=7))
    assert ledgerlink(root, "sync").exit_code == 0
    result = ledgerlink(root, "reminders", "--on", ON.isoformat())
    assert result.exit_code == 2
    assert "NO_SUCH_SECRET_VAR is not set" in result.output
    assert _states(root) == []


def _mail_folder(root: Path, port: int, extra: str = "") -> Path:
    return _folder(
        root,
        f'[channels.mail]\ntype = "smtp"\nhost = "127.0.0.1"\nport = {port}\nstarttls = false\n'
        'from = "debiteuren@lindeboom.example"\n'
        '[reminders]\nmarket = "auto"\n[reminders.email]\nchannel = "mail"\n' + extra,
    )


def test_the_fourteen_day_letter_is_mailed_as_text_and_html_once(
    tmp_path: Path, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    root = _mail_folder(tmp_path, port)
    _invoice(root / "erp", "C-1", ON - timedelta(days=14), buyer=CONSUMER)
    assert ledgerlink(root, "sync").exit_code == 0
    _run(root, ON - timedelta(days=7))  # reminder_1
    letter = _run(root, ON)
    assert letter["outputs"]["email"] == {"sent": 1}, letter["outputs"]
    _run(root, ON)
    assert len(inbox.mails) == 2
    recipients, message = inbox.mails[1]
    assert recipients == ["j.devries@example.nl"]
    assert (
        message["Subject"] == "Veertiendagenbrief: factuur C-1 — betaal uiterlijk 23 december 2026"
    )
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    plain, markup = text.get_content(), html.get_content()
    for needed in ("€ 121,00", "uiterlijk op 23 december 2026", "€ 40,00", "24 december 2026",
                   "de dag na ontvangst van deze brief"):  # fmt: skip
        assert needed in plain and needed in markup
    assert "<strong>uiterlijk op 23 december 2026</strong>" in markup
    assert _states(root) == [("C-1", None, "sent"), ("C-1", None, "sent")]


def test_a_tenant_template_overrides_one_step_and_html_is_escaped(
    tmp_path: Path, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    letters = tmp_path / "letters"
    letters.mkdir()
    (letters / "reminder_1.txt.j2").write_text(
        "Beste {{ debtor_name }}, {{ invoice }}: {{ total | eur }} voor {{ term.last_day_to_pay | nl_date }}.\n",
        encoding="utf-8",
    )
    (letters / "reminder_1.html.j2").write_text("<p>{{ debtor_name }}</p>\n", encoding="utf-8")
    root = _mail_folder(tmp_path, port, 'templates = "letters"\nto = "post@lindeboom.example"\n')
    buyer = replace(BUYER, name="Koffie & <Co>")
    _invoice(root / "shop", "S-1", ON - timedelta(days=7), buyer=buyer)
    assert ledgerlink(root, "sync").exit_code == 0
    _run(root, ON)
    ((recipients, message),) = inbox.mails
    assert recipients == ["post@lindeboom.example"]
    plain = message.get_body(("plain",)).get_content().replace("\r\n", "\n")  # type: ignore[union-attr]
    # 121.00 + EUR 40 + interest of 7 days at 10.15 % (0.24); pay by 14 days after receipt
    assert plain == "Beste Koffie & <Co>, S-1: € 161,24 voor 23 december 2026.\n"
    markup = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert markup.strip() == "<p>Koffie &amp; &lt;Co&gt;</p>"


class Crash(Exception):
    pass


def test_a_crash_while_mailing_leaves_the_mail_in_doubt_not_sent_twice(
    tmp_path: Path, smtp: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sync.reminder_outputs

    inbox, port = smtp
    root = _mail_folder(tmp_path, port)
    _invoice(root / "shop", "S-1", ON - timedelta(days=7))
    assert ledgerlink(root, "sync").exit_code == 0

    def crash(name: str) -> None:
        raise Crash(name)

    monkeypatch.setattr(sync.reminder_outputs, "checkpoint", crash)
    result = ledgerlink(root, "reminders", "--on", ON.isoformat())
    assert isinstance(result.exception, Crash)
    assert _states(root) == [("S-1", None, "sending")]
    monkeypatch.undo()
    again = _run(root, ON)
    assert again["outputs"]["email"] == {"in-doubt": 1}
    assert "the server cannot be asked" in again["outputs"]["problems"][0]
    assert _states(root) == [("S-1", None, "in-doubt")] and inbox.mails == []
