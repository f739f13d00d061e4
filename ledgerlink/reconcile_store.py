"""The store mode of ``ledgerlink reconcile`` and ``ledgerlink reconcile confirm``.

``reconcile`` first learns the payments booked in the sources themselves
(:func:`sync.source_payments.learn_source_payments`: a Tryton invoice paid there), then
matches the stored open bookings (:func:`sync.reconciliation.reconcile`),
prints each match with its stage, reason and confidence, then the unmatched with their
suggestions, records the matches as events and pushes each applied payment back once
(:func:`sync.payment_push.push_payments`) through the connections of the settings file.
``--dry-run`` stores and pushes nothing. ``--format json`` prints one object: the keys of
the store-free mode (``entries``, ``unmatched``, ``open``) and ``recorded`` (match events
written), ``pushed`` (``{"pushed", "found", "in_doubt", "unsupported", "failed"}`` counts)
and ``problems`` (one line each: a reversal the source cannot take, a push in doubt).

Exit codes: 0 done, 1 a push failed or is in doubt, or ``confirm`` cannot apply, 2 a usage
error or a store that cannot be used.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import typer

from ledgerlink._output import fail
from ledgerlink.store_command import checked_store

if TYPE_CHECKING:
    from connectors.base import Connector
    from reconcile.matching import MatchPolicy
    from sync.payment_push import PushSummary
    from sync.store import Store

__all__ = ["confirm_mode", "store_mode"]


def _connectors(ctx: typer.Context) -> dict[str, Connector] | None:
    """The connections the settings file names, opened; None without a settings file."""
    from connectors.errors import ConfigurationError
    from ledgerlink.config_option import SettingsFile
    from ledgerlink.connections import open_connection
    from ledgerlink.settings import config_path, load_settings

    stored = ctx.find_root().obj
    explicit = stored.explicit if isinstance(stored, SettingsFile) else None
    path, _ = config_path(explicit)
    if not path.is_file():
        return None
    try:
        settings = load_settings(explicit)
        connectors = {}
        for name in settings.connections:
            connectors[name] = open_connection(settings, name, source=path)
    except ConfigurationError as failure:
        fail(str(failure), 2)
    return connectors


def _push(store: Store, connectors: dict[str, Connector] | None) -> PushSummary:
    """Push the queued payments of every connection the settings file names."""
    from sync.payment_push import PushSummary, push_payments

    if connectors is None:
        summary = PushSummary()
        summary.problems.append("no settings file: nothing pushed (the pushes stay queued)")
        return summary
    return push_payments(store, connectors)


def store_mode(
    ctx: typer.Context, given: str | None, policy: MatchPolicy, *, dry_run: bool, as_json: bool
) -> None:
    from ledgerlink.reconcile_command import _print_text, outcome_json
    from sync.payment_push import PushSummary
    from sync.reconciliation import reconcile
    from sync.source_payments import learn_source_payments

    with checked_store(ctx, given) as store:
        connectors = None if dry_run else _connectors(ctx)
        if connectors:  # what was paid in the sources first: the open amounts follow
            learn_source_payments(store, connectors)
        run = reconcile(store, policy, dry_run=dry_run)
        pushed = PushSummary() if dry_run else _push(store, connectors)
    if as_json:
        data: dict[str, Any] = outcome_json(run.outcome)
        data |= {
            "recorded": run.recorded,
            "pushed": {
                "pushed": pushed.pushed,
                "found": pushed.found,
                "in_doubt": pushed.in_doubt,
                "unsupported": pushed.unsupported,
                "failed": pushed.failed,
            },
            "problems": pushed.problems,
        }
        typer.echo(json.dumps(data, indent=2))
    else:
        _print_text(run.outcome)
        if dry_run:
            typer.echo("dry run: nothing stored, nothing pushed")
        else:
            typer.echo(
                f"recorded {run.recorded} match events; pushed {pushed.pushed}, found at the "
                f"source {pushed.found}, in doubt {pushed.in_doubt}, not supported "
                f"{pushed.unsupported}, failed {pushed.failed}"
            )
        for problem in pushed.problems:
            typer.echo(f"  {problem}")
    if pushed.failed or pushed.in_doubt:
        raise typer.Exit(1)


def confirm_mode(
    ctx: typer.Context, given: str | None, bank_reference: str, numbers: list[str]
) -> None:
    from sync.reconciliation import ConfirmError, confirm

    with checked_store(ctx, given) as store:
        try:
            found = confirm(store, bank_reference, numbers)
        except ConfirmError as failure:
            fail(str(failure), 1)
        pushed = _push(store, _connectors(ctx))
    # as the user named them: NUMBER, or NUMBER@SOURCE_ID for a number documents share
    applied = ", ".join(f"{n} {a.amount}" for n, a in zip(numbers, found.allocations, strict=True))
    typer.echo(f"{found.bank_reference}: applied by hand to {applied}")
    typer.echo(f"pushed {pushed.pushed}, not supported {pushed.unsupported}")
    for problem in pushed.problems:
        typer.echo(f"  {problem}")
