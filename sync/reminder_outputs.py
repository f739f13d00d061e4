"""The outputs of a reminder that fired: a signed webhook and an e-mail with the letter.

Each ``reminders`` row carries a state per output (``webhook_state``, ``email_state``; null
when that output was not configured when it fired). :func:`send_pending` works the rows
that have one ``pending`` (or ``sending``: a run that crashed while sending), each send in
three steps, each committed: claim (``sending``, attempts + 1), send, record (``sent`` or
``failed`` with the reason; a transient failure goes back to ``pending`` for the next run).

* A row whose invoice is no longer open (a payment covered it) or whose triggers were
  stopped since (Invoice Response RE) is ``cancelled``: nothing goes out.
* The webhook: ``POST`` of one JSON object (:func:`webhook_body`) with
  ``Content-Type: application/json``, ``Idempotency-Key`` (the same for every try of one
  reminder, so a receiver can drop a repeat) and ``X-Ledgerlink-Signature: sha256=<hex>``,
  the HMAC-SHA256 of the raw body with the shared secret (:func:`delivery.webhooks.sign`;
  check it with :func:`delivery.webhooks.verify`). A 2xx answer is ``sent``; a 4xx other
  than 408/429 ``failed``; a 5xx, 408, 429 or no answer stays ``pending``. A row found
  ``sending`` is sent again: the key makes the repeat harmless.
* The e-mail: the letter (:func:`sync.reminder_letters.render_letter`, plain text and
  HTML) through the SMTP channel (:meth:`delivery.smtp.SmtpChannel.send_message`) to the
  buyer's e-mail (BT-58) or the configured ``to``. An SMTP server cannot be asked whether
  it took a message, so a row found ``sending`` becomes ``in-doubt`` and is not sent again.

No secret is written to the store, a message or a log line.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from sync.store.schema import connections, reminders

if TYPE_CHECKING:
    from delivery.smtp import SmtpChannel
    from sync.store import Store

__all__ = [
    "MailOutput",
    "OutputSummary",
    "WebhookOutput",
    "checkpoint",
    "reminder_key",
    "send_pending",
    "webhook_body",
]

SIGNATURE_HEADER = "X-Ledgerlink-Signature"


def checkpoint(name: str) -> None:
    """A named point of :func:`send_pending` (``claimed``: the row is ``sending`` and
    committed, the send not done): does nothing; the crash tests replace it."""


@dataclass(frozen=True, slots=True)
class WebhookOutput:
    url: str
    secret: str = field(repr=False)
    timeout: float = 10.0


@dataclass(frozen=True, slots=True)
class MailOutput:
    channel: SmtpChannel
    to: str | None = None
    templates: Path | None = None


@dataclass
class OutputSummary:
    """What one run did per output: counts by the state reached, and the failures."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def add(self, output: str, state: str) -> None:
        per = self.counts.setdefault(output, {})
        per[state] = per.get(state, 0) + 1

    def as_dict(self) -> dict[str, Any]:
        return {**self.counts, "problems": self.problems} if self.problems else dict(self.counts)


def reminder_key(connection: str, source_id: str, step: str) -> str:
    """The idempotency key of one reminder: the same for every try."""
    return hashlib.sha256(f"{connection}\x1f{source_id}\x1f{step}".encode()).hexdigest()


def webhook_body(row: Any) -> bytes:
    """The webhook's JSON body of a ``reminders`` row (keys sorted, UTF-8)."""
    details = row.details
    data = {
        "event": "reminder.fired",
        "id": reminder_key(row.connection, row.source_id, row.step),
        "connection": row.connection,
        "invoice": row.number,
        "debtor": details.get("debtor"),
        "debtor_name": details.get("debtor_name"),
        "step": row.step,
        "step_type": row.step_type,
        "policy": row.policy,
        "market": details.get("market"),
        "fired_on": row.fired_on.isoformat(),
        "due_date": details.get("due_date"),
        "days_overdue": row.days_overdue,
        "currency": row.currency,
        "open": _money(row.open),
        "costs": _money(row.costs),
        "interest": _money(row.interest),
        "interest_periods": details.get("interest_periods", []),
        "pay_by": (details.get("letter") or details.get("term") or {}).get("last_day_to_pay"),
        "letter": details.get("letter"),
    }
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _money(value: Any) -> str:
    from decimal import Decimal

    return str(Decimal(value).quantize(Decimal("0.01")))


def _post(output: WebhookOutput, body: bytes, key: str) -> tuple[str, str | None]:
    """(state, why): ``sent``, ``failed`` or ``pending`` (try again)."""
    import httpx

    from delivery._http import display_url
    from delivery.webhooks import sign

    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": key,
        SIGNATURE_HEADER: sign(output.secret, body),
    }
    try:
        answer = httpx.post(output.url, content=body, headers=headers, timeout=output.timeout)
    except httpx.HTTPError as failure:
        return "pending", f"webhook {display_url(output.url)}: {type(failure).__name__}"
    if 200 <= answer.status_code < 300:
        return "sent", None
    why = f"webhook {display_url(output.url)} answered {answer.status_code}"
    if answer.status_code >= 500 or answer.status_code in (408, 429):
        return "pending", why
    return "failed", why


def _mail(output: MailOutput, row: Any) -> tuple[str, str | None]:
    from jinja2 import TemplateError

    from delivery.base import ChannelRefused, ChannelUnavailable, OutcomeUnknown
    from sync.reminder_letters import render_letter

    channel = output.channel
    recipient = output.to or row.details.get("email")
    if not recipient:
        return (
            "failed",
            f"{row.number}: no buyer e-mail address (BT-58) and no [reminders.email] to",
        )
    try:
        letter = render_letter(
            row._mapping, sender=channel.settings.sender, templates=output.templates
        )
    except (TemplateError, KeyError, ValueError) as failure:
        return "failed", f"{row.number}: the letter cannot be rendered: {failure}"
    message = EmailMessage()
    message["From"] = channel.settings.sender
    message["To"] = recipient
    message["Subject"] = letter.subject
    message["Date"] = formatdate(usegmt=True)
    key = reminder_key(row.connection, row.source_id, row.step)
    message["Message-ID"] = f"<{key[:32]}@ledgerlink.invalid>"
    message.set_content(letter.text)
    message.add_alternative(letter.html, subtype="html")
    try:
        channel.send_message(message, recipient, row.number)
    except ChannelRefused as failure:
        return "failed", str(failure)
    except ChannelUnavailable as failure:
        return "pending", str(failure)
    except OutcomeUnknown as failure:
        return "in-doubt", str(failure)
    return "sent", None


def _set(store: Store, row_id: int, column: str, state: str, why: str | None) -> None:
    values: dict[str, Any] = {column: state}
    if why is not None:
        values["last_error"] = why
    with store.begin() as conn:
        conn.execute(update(reminders).where(reminders.c.id == row_id).values(**values))


def send_pending(
    store: Store,
    *,
    webhook: WebhookOutput | None,
    mail: MailOutput | None,
    still_due: Callable[[str, str], bool],
) -> OutputSummary:
    """Send every pending output of the recorded reminders. ``still_due(connection,
    source_id)``: whether the invoice is still open and its triggers not stopped; a row
    whose invoice is not is ``cancelled``."""
    summary = OutputSummary()
    with store.begin() as conn:
        rows = list(
            conn.execute(
                select(reminders, connections.c.name.label("connection"))
                .join(connections, connections.c.id == reminders.c.connection_id)
                .where(
                    reminders.c.webhook_state.in_(("pending", "sending"))
                    | reminders.c.email_state.in_(("pending", "sending"))
                )
                .order_by(reminders.c.id)
            )
        )
    for row in rows:
        due = still_due(row.connection, row.source_id)
        for column, output, send in (
            ("webhook_state", webhook, _webhook_sender(webhook, row)),
            ("email_state", mail, _mail_sender(mail, row)),
        ):
            name = column.removesuffix("_state")
            state = getattr(row, column)
            if state not in ("pending", "sending"):
                continue
            if not due:
                _set(store, row.id, column, "cancelled", None)
                summary.add(name, "cancelled")
                continue
            if state == "sending" and name == "email":
                doubt = f"{row.number}: a run stopped while mailing it; the server cannot be asked"
                _set(store, row.id, column, "in-doubt", doubt)
                summary.add(name, "in-doubt")
                summary.problems.append(doubt)
                continue
            if output is None:
                summary.add(name, "not-configured")
                continue
            with store.begin() as conn:
                conn.execute(
                    update(reminders)
                    .where(reminders.c.id == row.id)
                    .values({column: "sending", "attempts": reminders.c.attempts + 1})
                )
            checkpoint("claimed")
            reached, why = send()
            _set(store, row.id, column, reached, why)
            summary.add(name, reached)
            if why is not None:
                summary.problems.append(why)
    return summary


def _webhook_sender(output: WebhookOutput | None, row: Any) -> Callable[[], tuple[str, str | None]]:
    def send() -> tuple[str, str | None]:
        assert output is not None
        key = reminder_key(row.connection, row.source_id, row.step)
        return _post(output, webhook_body(row), key)

    return send


def _mail_sender(output: MailOutput | None, row: Any) -> Callable[[], tuple[str, str | None]]:
    def send() -> tuple[str, str | None]:
        assert output is not None
        return _mail(output, row)

    return send
