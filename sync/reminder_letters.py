"""Reminder letters as e-mail: subject, plain text and HTML rendered from Jinja2 templates.

The shipped templates live in ``reconcile/reminders/templates/`` (Dutch): ``subject.txt.j2``,
``reminder.txt.j2`` / ``reminder.html.j2`` (the B2B letters and every step without its own)
and ``fourteen_day_letter.txt.j2`` / ``.html.j2`` (the consumer 14-day letter with the
amount, the costs if not paid within fourteen days after the day after receipt, and the
exact end date). A tenant's folder (``[reminders.email] templates``) is searched first; a
letter is found by the step's name, then its type, then ``reminder``: ``aanmaning.txt.j2``
overrides one step, ``final_notice.html.j2`` every final notice. HTML is autoescaped; an
undefined variable is an error, not an empty string.

Variables: ``invoice``, ``connection``, ``debtor``, ``debtor_name``, ``step``, ``step_type``,
``policy``, ``market``, ``on`` (the day it fired), ``issue_date``, ``due_date``,
``days_overdue``, ``currency``, ``amount`` (BT-115), ``open``, ``costs``, ``interest``,
``total`` (open + costs + interest), ``interest_periods`` (``from``, ``to``, ``rate``,
``amount``), ``payment_reference`` (BT-83), ``costs_owed_from`` (B2B: the day after the due
date), ``term`` (``received``, ``last_day_to_pay``), ``letter`` (the 14-day letter:
``sent``, ``received``, ``term_start``, ``last_day_to_pay``, ``costs_from``, ``costs``,
``amount``; None before it), ``sender``, ``subject`` (in the bodies). Dates are
``datetime.date`` and amounts ``Decimal``; filters ``nl_date`` (``23 december 2026``) and
``eur`` (``€ 1.234,56``; ``eur("USD")`` names another currency).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

__all__ = ["Letter", "eur", "letter_context", "nl_date", "render_letter"]

_MONTHS = (
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Letter:
    subject: str
    text: str
    html: str


def nl_date(value: date | str | None) -> str:
    """``2026-12-23`` -> ``23 december 2026``."""
    if value is None:
        return ""
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def eur(value: Decimal | str, currency: str = "EUR") -> str:
    """``Decimal("1234.5")`` -> ``€ 1.234,50`` (Dutch separators); another currency by code."""
    amount = Decimal(value).quantize(Decimal("0.01"))
    sign = "-" if amount < 0 else ""
    whole, cents = f"{abs(amount):.2f}".split(".")
    groups = f"{int(whole):,}".replace(",", ".")
    symbol = "€" if currency == "EUR" else currency
    return f"{sign}{symbol} {groups},{cents}"


def _dates(data: Mapping[str, Any] | None, keys: tuple[str, ...]) -> dict[str, Any] | None:
    if data is None:
        return None
    out = dict(data)
    for key in keys:
        if isinstance(out.get(key), str):
            out[key] = date.fromisoformat(out[key])
    return out


def letter_context(row: Mapping[str, Any], sender: str) -> dict[str, Any]:
    """The template variables of a ``reminders`` row (its columns and ``details``)."""
    details: Mapping[str, Any] = row["details"]
    open_, costs, interest = (Decimal(row[k]) for k in ("open", "costs", "interest"))
    letter = _dates(
        details.get("letter"), ("sent", "received", "term_start", "last_day_to_pay", "costs_from")
    )
    if letter is not None:
        letter["costs"] = Decimal(letter["costs"])
        letter["amount"] = open_
    periods = [
        {
            "from": date.fromisoformat(p["from"]),
            "to": date.fromisoformat(p["to"]),
            "rate": p["rate"],
            "amount": Decimal(p["amount"]),
        }
        for p in details.get("interest_periods", [])
    ]
    issue = details.get("issue_date")
    return {
        "invoice": row["number"],
        "connection": details.get("connection"),
        "debtor": details.get("debtor"),
        "debtor_name": details.get("debtor_name"),
        "step": row["step"],
        "step_type": row["step_type"],
        "policy": row["policy"],
        "market": details.get("market"),
        "on": row["fired_on"],
        "issue_date": date.fromisoformat(issue) if issue else None,
        "due_date": date.fromisoformat(details["due_date"]),
        "days_overdue": row["days_overdue"],
        "currency": row["currency"],
        "amount": Decimal(details.get("amount") or open_),
        "open": open_,
        "costs": costs,
        "interest": interest,
        "total": open_ + costs + interest,
        "interest_periods": periods,
        "payment_reference": details.get("payment_reference"),
        "costs_owed_from": _date_or_none(details.get("costs_owed_from")),
        "term": _dates(details.get("term"), ("received", "last_day_to_pay")),
        "letter": letter,
        "sender": sender,
    }


def _date_or_none(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _environment(templates: Path | None) -> Any:
    from jinja2 import (
        ChoiceLoader,
        Environment,
        FileSystemLoader,
        PackageLoader,
        StrictUndefined,
        select_autoescape,
    )

    loaders: list[Any] = [FileSystemLoader(str(templates))] if templates is not None else []
    loaders.append(PackageLoader("reconcile.reminders", "templates"))
    environment = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    environment.filters["nl_date"] = nl_date
    environment.filters["eur"] = eur
    return environment


def render_letter(row: Mapping[str, Any], *, sender: str, templates: Path | None = None) -> Letter:
    """The letter of a ``reminders`` row; ``templates``: the tenant's folder, searched first.
    Raises ``jinja2.TemplateError`` for a template that cannot be rendered."""
    from jinja2 import TemplateNotFound

    environment = _environment(templates)
    context = letter_context(row, sender)

    def pick(suffix: str) -> Any:
        for name in (row["step"], row["step_type"], "reminder"):
            try:
                return environment.get_template(f"{name}.{suffix}.j2")
            except TemplateNotFound:
                continue
        raise TemplateNotFound(f"reminder.{suffix}.j2")

    subject = " ".join(environment.get_template("subject.txt.j2").render(context).split())
    context["subject"] = subject
    return Letter(
        subject=subject,
        text=pick("txt").render(context),
        html=pick("html").render(context),
    )
