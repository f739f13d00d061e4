"""The collection dossier on disk: one folder per invoice that a Dutch collection agency
can take over without asking for anything else.

``DIR/NUMBER/``:

* ``invoice.xml``: the UBL 2.1 document as it was delivered;
* ``invoice.html``: a human-readable copy (:mod:`ledgerlink.invoice_copy`);
* ``letters/``: every reminder sent, as it was sent, with its proof of sending;
* ``summary.json``: ties it together (see :func:`summary`).

Files are written to a temporary folder beside it and renamed into place, so an export
that fails half-way leaves no half dossier.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from model.document import Party
    from reconcile.reminders import Policy, Reminder
    from sync.collection import Dossier

__all__ = ["SentLetter", "summary", "write_dossier"]

_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class SentLetter:
    """A reminder that was sent: its step, date and channel, and what was sent."""

    step: str
    sent_on: date
    channel: str
    proof: str
    """What the channel answered (SMTP queue id, webhook status), the proof of sending."""
    files: dict[str, bytes]
    """File name in ``letters/`` -> content (the letter as HTML and as plain text)."""


def _money(amount: Decimal) -> str:
    return str(amount.quantize(_CENT))


def _debtor(party: Party) -> dict[str, Any]:
    """The buyer (BG-7) with every identifier it carries and its postal address (BG-8)."""
    from reconcile.debtors import identifiers_of

    address = party.address
    contact = party.contact
    return {
        "name": party.name,
        "trading_name": party.trading_name,
        "identifiers": [{"kind": k, "value": v} for k, v in sorted(identifiers_of(party))],
        "legal_registration": (
            None
            if party.legal_registration is None
            else {
                "value": party.legal_registration.value,
                "scheme": party.legal_registration.scheme,
            }
        ),
        "vat_id": party.vat_id,
        "endpoint": (
            None
            if party.endpoint is None
            else {"value": party.endpoint.value, "scheme": party.endpoint.scheme}
        ),
        "address": {
            "lines": [line for line in (address.line1, address.line2, address.line3) if line],
            "postal_code": address.postal_code,
            "city": address.city,
            "subdivision": address.subdivision,
            "country": address.country,
        },
        "contact": (
            None
            if contact is None
            else {"name": contact.name, "phone": contact.phone, "email": contact.email}
        ),
    }


def summary(
    dossier: Dossier,
    reminder: Reminder,
    policy: Policy,
    letters: Sequence[SentLetter],
    on: date,
) -> dict[str, Any]:
    """The summary JSON: the claim (open amount, costs and interest to ``on``, by rate
    period), the debtor, the payments and matches, the reminders sent, and the files."""
    item = dossier.item
    invoice = dossier.invoice
    costs = reminder.costs
    interest = reminder.interest.total.quantize(_CENT)
    fourteen = next((letter for letter in letters if letter.step == _letter_step(policy)), None)
    return {
        "invoice": item.number,
        "connection": dossier.connection,
        "source_id": dossier.source_id,
        "exported_on": on.isoformat(),
        "policy": policy.name,
        "currency": item.currency,
        "issue_date": item.issue_date.isoformat(),
        "due_date": reminder.due_date.isoformat(),
        "days_overdue": reminder.days_overdue,
        "step": reminder.step_name,
        "amount": _money(item.amount),
        "open": _money(item.open),
        "costs": _money(costs),
        "interest": _money(interest),
        "interest_periods": [
            {
                "from": p.start.isoformat(),
                "to": p.end.isoformat(),
                "rate": _money(p.rate),
                "amount": _money(p.amount),
            }
            for p in reminder.interest.periods
        ],
        "claim": _money(item.open + costs + interest),
        "payment_reference": item.payment_reference,
        "seller": {"name": invoice.seller.name, "vat_id": invoice.seller.vat_id},
        "debtor": _debtor(invoice.buyer),
        "payments": [
            {
                "booking_date": p.booking_date.isoformat(),
                "bank_reference": p.bank_reference,
                "amount": _money(p.amount),
                "written_off": _money(p.written_off),
                "stage": p.stage,
                "reason": p.reason,
                "confidence": float(p.confidence),
                "counterparty": p.counterparty_name,
                "counterparty_account": p.counterparty_account,
                "remittance": p.remittance,
                "pushed": p.pushed,
            }
            for p in dossier.payments
        ],
        "reminders": [
            {
                "step": letter.step,
                "sent_on": letter.sent_on.isoformat(),
                "channel": letter.channel,
                "proof": letter.proof,
                "files": [f"letters/{_safe(name)}" for name in sorted(letter.files)],
            }
            for letter in letters
        ],
        "fourteen_day_letter": (
            None
            if reminder.letter is None
            else {
                "sent_on": (fourteen.sent_on if fourteen else reminder.letter.sent).isoformat(),
                "last_day_to_pay": reminder.letter.last_day_to_pay.isoformat(),
                "sent": fourteen is not None and fourteen.channel not in ("recorded", "not sent"),
                "proof": fourteen.proof if fourteen else None,
            }
        ),
        "files": {"ubl": "invoice.xml", "copy": "invoice.html", "summary": "summary.json"},
    }


def _letter_step(policy: Policy) -> str | None:
    step = policy.fourteen_day_letter
    return None if step is None else step.name


def _safe(number: str) -> str:
    """A folder name for an invoice number: path separators and leading dots replaced."""
    cleaned = "".join("_" if ch in '/\\:*?"<>|' or ord(ch) < 32 else ch for ch in number)
    return cleaned.lstrip(".") or "_"


def write_dossier(
    target: Path,
    dossier: Dossier,
    data: dict[str, Any],
    letters: Sequence[SentLetter],
    *,
    name: str | None = None,
) -> Path:
    """Write the dossier of one invoice under ``target`` in a folder named after its number
    (or ``name``) and return the folder. An earlier export of it is replaced whole."""
    from ledgerlink.invoice_copy import html_copy

    target.mkdir(parents=True, exist_ok=True)
    final = target / _safe(name or dossier.item.number)
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=target))
    try:
        (staging / "invoice.xml").write_bytes(dossier.ubl)
        (staging / "invoice.html").write_text(html_copy(dossier.invoice), encoding="utf-8")
        if letters:
            (staging / "letters").mkdir()
        for letter in letters:
            for file_name, content in letter.files.items():
                (staging / "letters" / _safe(file_name)).write_bytes(content)
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        (staging / "summary.json").write_text(text, encoding="utf-8")
        if final.exists():
            shutil.rmtree(final)
        os.replace(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return final
