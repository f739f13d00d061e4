"""``ledgerlink reminders`` on the store: what fires today, recorded once, then sent.

::

    ledgerlink reminders [--on DATE] [--policy nl-b2b|nl-b2c|FILE] [--due-today] [--dry-run]
                         [--format text|json|csv] [--store URL]

Every open invoice of the store that is overdue on DATE (today), or whose step fired or
fires, with the step it is at and its state: ``fires`` (the next step fires on this run),
``waiting`` (the next step is not due yet), ``paused``, ``stopped`` or ``done``. The policy
is the ``[reminders]`` table's, per debtor (:mod:`ledgerlink.reminders_settings`); ``--policy``
applies one policy to every debtor. Without ``--dry-run`` each step that fires is recorded
(:func:`sync.reminders.record`: once per invoice and step, whatever reruns or crashes) and
then sent to the configured outputs (:mod:`sync.reminder_outputs`); ``--dry-run`` records
and sends nothing. ``--due-today`` shows only what fires.

``json`` is the store-free object (``on``, ``policy``, ``reminders``) with more fields per
reminder: ``connection``, ``policy``, ``market``, ``state``, ``fires``, ``reason``,
``fired_on`` (the day the step shown fired), ``next_step``, ``next_on``, ``pay_by`` (the
14-day letter's last day), ``recorded`` (this run wrote the step), and at the top
``policies``, ``dry_run``, ``outputs`` (what was sent) and ``problems`` (invoices that
could not be decided, also on stderr; the rest goes on).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from ledgerlink._output import fail, warn

if TYPE_CHECKING:
    from ledgerlink.reminders_settings import ReminderSettings
    from reconcile.reminders import Policy
    from sync.reminders import Planned, ReminderPolicies

__all__ = ["policies_of", "reminder_settings", "run_on_store"]


def reminder_settings(ctx: typer.Context) -> tuple[ReminderSettings, Path, dict[str, Any]]:
    """The ``[reminders]`` table, the settings file's folder and its ``[channels]``
    (defaults without a file)."""
    from connectors.errors import ConfigurationError
    from ledgerlink.config_option import SettingsFile
    from ledgerlink.reminders_settings import ReminderSettings
    from ledgerlink.settings import config_path, load_settings

    stored = ctx.find_root().obj
    explicit = stored.explicit if isinstance(stored, SettingsFile) else None
    path, _ = config_path(explicit)
    if not path.is_file():
        return ReminderSettings(), Path.cwd(), {}
    try:
        loaded = load_settings(explicit)
        return loaded.reminders, path.parent, dict(loaded.channels)
    except ConfigurationError as failure:
        fail(str(failure), 2)


def _policy(spec: str, folder: Path, what: str) -> Policy:
    from reconcile.reminders import PRESETS, DataError, load_policy

    target: str | Path = spec if spec in PRESETS else folder / spec
    try:
        return load_policy(target)
    except DataError as failure:
        fail(f"{what}: {failure}", 2)


def policies_of(settings: ReminderSettings, folder: Path, override: str | None) -> ReminderPolicies:
    """The tenant's policies; ``override`` (``--policy``) for every debtor."""
    from sync.reminders import ReminderPolicies

    if override is not None:
        one = _policy(override, Path.cwd(), "--policy")
        return ReminderPolicies(b2b=one, b2c=one, market=one.market)
    return ReminderPolicies(
        b2b=_policy(settings.policy, folder, "[reminders] policy"),
        b2c=_policy(settings.b2c_policy, folder, "[reminders] b2c_policy"),
        market=settings.market,
        debtors=dict(settings.debtors),
    )


def _entry(planned: Planned, recorded: set[tuple[int, str]]) -> dict[str, Any]:
    from ledgerlink.reminders_command import reminder_json

    decision = planned.decision
    reminder = decision.reminder
    shown = reminder.step.name if reminder.step is not None else None
    fired_on = planned.fired_on.get(shown) if shown else None
    entry = reminder_json(reminder)
    entry.update(
        {
            "connection": planned.connection,
            "policy": planned.policy.name,
            "market": planned.policy.market,
            "state": decision.state,
            "fires": decision.fires is not None,
            "reason": decision.reason,
            "fired_on": fired_on.isoformat() if fired_on else None,
            "next_step": decision.next_step.name if decision.next_step else None,
            "next_on": decision.next_on.isoformat() if decision.next_on else None,
            "pay_by": reminder.letter.last_day_to_pay.isoformat() if reminder.letter else None,
            "recorded": (planned.connection_id, planned.source_id) in recorded,
        }
    )
    return entry


def run_on_store(
    ctx: typer.Context,
    store: str | None,
    day: date,
    policy: str | None,
    format_: str,
    *,
    due_today: bool,
    dry_run: bool,
) -> None:
    """The store mode of ``ledgerlink reminders`` (see the module docstring)."""
    from ledgerlink.reminders_command import print_reminders, reminders_csv
    from ledgerlink.reminders_outputs import open_outputs
    from ledgerlink.store_command import checked_store
    from sync.reminders_run import run_day

    settings, folder, channels = reminder_settings(ctx)
    policies = policies_of(settings, folder, policy)
    webhook, mail = (None, None) if dry_run else open_outputs(settings, folder, channels)
    with checked_store(ctx, store) as opened:
        run = run_day(
            opened,
            day,
            policies,
            dry_run=dry_run,
            only_firing=due_today,
            webhook=webhook,
            mail=mail,
        )
    planned, recorded, sent = run.planned, run.recorded, run.outputs
    for problem in run.problems:
        warn(problem)
    if due_today:
        planned = [p for p in planned if p.decision.fires is not None]
    entries = [_entry(p, recorded) for p in planned]
    if format_ == "json":
        out = {
            "on": day.isoformat(),
            "policy": policies.b2b.name,
            "policies": sorted({policies.b2b.name, policies.b2c.name}),
            "dry_run": dry_run,
            "reminders": entries,
            "outputs": sent,
            "problems": run.problems,
        }
        typer.echo(json.dumps(out, indent=2))
        return
    found = [p.decision.reminder for p in planned]
    if format_ == "csv":
        extra = ("connection", "policy", "state", "fires", "reason", "fired_on", "next_on")
        values = [
            [str(e[key]).lower() if key == "fires" else e[key] or "" for key in extra]
            for e in entries
        ]
        typer.echo(reminders_csv(found, extra, values), nl=False)
        return
    mode = "dry run: nothing recorded or sent" if dry_run else f"{len(recorded)} recorded"
    print_reminders(
        found,
        f"reminders on {day.isoformat()} from the store ({mode})",
        [(e["state"], e["reason"]) for e in entries],
    )
    for name, summary in sent.items():
        typer.echo(f"{name}: {summary}")
