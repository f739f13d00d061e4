"""``ledgerlink collection export``: hand invoices over to a collection agency (issue 17,
section 4).

::

    ledgerlink collection export NUMBER... --to DIR [--on DATE] [--policy nl-b2b|nl-b2c|FILE]
                                 [--format text|json] [--store URL]

For each invoice past its reminder policy's last step on DATE (default: today): the last step
has fired (``ledgerlink reminders``), or is due and fires with the handover. It writes the dossier
of :mod:`ledgerlink.collection_dossier` to ``DIR/NUMBER/``: the UBL and a human-readable
copy, every reminder sent with its date and channel, the 14-day letter and its proof of
sending, the payments and matches, the costs and interest to DATE, the debtor's identifiers
and addresses, and ``summary.json``. The policy is the debtor's from the ``[reminders]`` settings
(``--policy`` gives one for every debtor). The handover is then recorded in the store as an
event of the document (``ledgerlink show NUMBER`` lists it), so the invoice's reminders stop.

An invoice that cannot be handed over (unknown, ambiguous, settled, a credit note, not past
the last step) is reported and the others are still exported. ``json`` prints exactly one
object: ``{"exported": [{"invoice": NUMBER, "folder": PATH, "claim": "12.34"}], "failed":
[{"invoice": NUMBER, "error": str}]}``. Exit codes: 0 all exported, 1 any invoice failed,
2 a usage error or a store that cannot be used.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ledgerlink._output import fail
from ledgerlink.store_command import StoreOption

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from ledgerlink.collection_dossier import SentLetter
    from ledgerlink.reminders_settings import ReminderSettings
    from reconcile.reminders import Reminder
    from sync.collection import Dossier
    from sync.reminders import Planned

__all__ = ["app", "export"]

app = typer.Typer(
    help="Hand invoices past the last reminder step over to a collection agency.",
    no_args_is_help=True,
)

_FORMATS = ("text", "json")


def _day(text: str | None) -> date:
    if text is None:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"--on {text!r}: give a date as YYYY-MM-DD", 2)


def _letters(
    conn: Connection, dossier: Dossier, sender: str, templates: Path | None
) -> list[SentLetter]:
    """Every reminder fired for the invoice, in order, with the letter rendered from its
    stored row (what the letter said: amounts, dates, the debtor) and its outputs' states."""
    from sqlalchemy import select

    from ledgerlink.collection_dossier import SentLetter
    from sync.reminder_letters import render_letter
    from sync.store.schema import reminders

    rows = conn.execute(
        select(reminders)
        .where(reminders.c.connection_id == dossier.connection_id)
        .where(reminders.c.source_id == dossier.source_id)
        .order_by(reminders.c.fired_on, reminders.c.id)
    ).all()
    found = []
    for row in rows:
        letter = render_letter(dict(row._mapping), sender=sender, templates=templates)
        outputs = [
            (kind, state)
            for kind, state in (("e-mail", row.email_state), ("webhook", row.webhook_state))
            if state is not None
        ]
        channel = ", ".join(kind for kind, state in outputs if state == "sent") or (
            "not sent" if outputs else "recorded"
        )
        proof = (
            "; ".join(
                f"{kind} {state} at {row.updated_at.isoformat(timespec='seconds')}"
                for kind, state in outputs
            )
            or f"recorded in the store at {row.created_at.isoformat(timespec='seconds')}"
        )
        stem = f"{row.fired_on.isoformat()}-{row.step}"
        found.append(
            SentLetter(
                step=row.step,
                sent_on=row.fired_on,
                channel=channel,
                proof=proof,
                files={
                    f"{stem}.html": letter.html.encode(),
                    f"{stem}.txt": f"Subject: {letter.subject}\n\n{letter.text}".encode(),
                },
            )
        )
    return found


def _ready(dossier: Dossier, planned: Planned | None, on: date, problems: list[str]) -> Reminder:
    """The invoice's reminder on ``on``: it must have passed the policy's last step (the
    last step has fired, or it is the handover step and fires now: the export is it)."""
    from reconcile.reminders import StepType
    from sync.collection import CollectionError

    number = dossier.item.number
    if planned is None:
        why = next((p for p in problems if p.startswith(f"{number} ({dossier.connection})")), None)
        raise CollectionError(f"invoice {number}: {why or f'not overdue on {on.isoformat()}'}")
    decision = planned.decision
    last = planned.policy.steps[-1]
    handover = last.type is StepType.COLLECTION
    if decision.state == "done" or (
        decision.state == "fires" and decision.fires == last and handover
    ):
        return decision.reminder
    if decision.state == "stopped" and "handed over to collection" in decision.reason:
        return decision.reminder  # exported before: the dossier is written again
    if decision.state in ("paused", "stopped"):
        raise CollectionError(f"invoice {number}: reminders {decision.reason}")
    reached = decision.reminder.step_name
    raise CollectionError(
        f"invoice {number}: at step {reached!r} of {planned.policy.name} on {on.isoformat()}"
        f" ({decision.reason}); the last step is {last.name!r}"
    )


def _export_one(
    conn: Connection,
    given: str,
    planned: dict[tuple[int, str], Planned],
    problems: list[str],
    on: date,
    target: Path,
    letters_from: tuple[str | None, Path | None],
) -> dict[str, Any]:
    from ledgerlink.collection_dossier import summary, write_dossier
    from sync.collection import gather, record_handover
    from sync.reminders import record

    dossier = gather(conn, given)
    entry = planned.get((dossier.connection_id, dossier.source_id))
    reminder = _ready(dossier, entry, on, problems)
    assert entry is not None
    if entry.decision.state == "fires":  # the handover step: fired by the export itself
        record(conn, [entry], on, webhook=False, email=False)
    sender, templates = letters_from
    letters = _letters(conn, dossier, sender or dossier.invoice.seller.name, templates)
    data = summary(dossier, reminder, entry.policy, letters, on)
    # a number documents share is named NUMBER@SOURCE_ID: so is its folder
    folder = write_dossier(target, dossier, data, letters, name=given if "@" in given else None)
    record_handover(conn, dossier, on, folder)
    return {"invoice": dossier.item.number, "folder": str(folder), "claim": data["claim"]}


@app.command()
def export(
    ctx: typer.Context,
    numbers: Annotated[
        list[str], typer.Argument(metavar="NUMBER...", help="Invoice numbers (BT-1).")
    ],
    to: Annotated[Path, typer.Option("--to", help="Folder to write the dossiers in.")],
    on: Annotated[
        str | None, typer.Option("--on", help="Export date, YYYY-MM-DD (default: today).")
    ] = None,
    policy: Annotated[
        str | None,
        typer.Option(
            "--policy",
            help="Reminder policy for every debtor: nl-b2b, nl-b2c or a TOML file "
            "(default: the \\[reminders] settings).",
        ),
    ] = None,
    output: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
    store: StoreOption = None,
) -> None:
    """Write a collection dossier for each invoice past the policy's last step."""
    if output not in _FORMATS:
        fail(f"--format {output!r}: choose one of {', '.join(_FORMATS)}", 2)
    day = _day(on)
    from jinja2 import TemplateError

    from ledgerlink.reminders_store import policies_of, reminder_settings
    from ledgerlink.store_command import checked_store
    from sync.collection import CollectionError
    from sync.reminders import plan

    settings, folder, channels = reminder_settings(ctx)
    policies = policies_of(settings, folder, policy)
    letters_from = _letter_settings(settings, folder, channels)
    opened = checked_store(ctx, store)
    problems: list[str] = []  # invoices the rate tables do not cover: failed, the rest go on
    with opened.begin() as conn:
        planned = {
            (p.connection_id, p.source_id): p for p in plan(conn, day, policies, problems=problems)
        }
    exported: list[dict[str, Any]] = []
    failed: list[dict[str, str]] = []
    for number in numbers:
        try:
            with opened.begin() as conn:
                exported.append(_export_one(conn, number, planned, problems, day, to, letters_from))
        except (CollectionError, OSError, TemplateError) as failure:
            failed.append({"invoice": number, "error": str(failure)})
    if output == "json":
        typer.echo(json.dumps({"exported": exported, "failed": failed}))
    else:
        for done in exported:
            typer.echo(f"{done['invoice']}: claim {done['claim']} -> {done['folder']}")
        for problem in failed:
            typer.echo(f"error: {problem['error']}", err=True)
    if failed:
        raise typer.Exit(1)


def _letter_settings(
    settings: ReminderSettings, folder: Path, channels: dict[str, Any]
) -> tuple[str | None, Path | None]:
    """The sender and the tenant's templates the letters were e-mailed with, if any."""
    if settings.email is None:
        return None, None
    channel = channels.get(settings.email.channel)
    sender = getattr(channel, "sender", None)
    templates = settings.email.templates
    if templates is not None and not templates.is_absolute():
        templates = folder / templates
    return (sender if isinstance(sender, str) else None), templates
