"""The ``ledgerlink`` command line: the root app and its sub-apps.

Exit codes: 0 success, 1 a document failed, 2 a usage error. ``ledgerlink --version``
prints the version and exits 0.
"""

from __future__ import annotations

import typer

from ledgerlink import (
    artifacts_commands,
    collection_command,
    config_option,
    daemon_command,
    debtors_command,
    demo_command,
    mappings_command,
    migrate_command,
    outbox_command,
    pull_command,
    reconcile_command,
    reminders_command,
    report_command,
    statements_command,
    store_command,
    sync_command,
    ubl_commands,
    validate_command,
)

app = typer.Typer(
    name="ledgerlink",
    help="E-invoicing and accounting integration: EN 16931 model, UBL 2.1 (Peppol BIS 3, NLCIUS).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.callback()(config_option.root)
app.add_typer(ubl_commands.app, name="ubl")
app.add_typer(artifacts_commands.app, name="artifacts")
app.command("validate")(validate_command.validate)
app.command("demo")(demo_command.demo)
app.command("pull")(pull_command.pull)
app.add_typer(mappings_command.app, name="mappings")
app.add_typer(store_command.app, name="store")
app.command("sync")(sync_command.sync)
app.command("status")(sync_command.status)
app.command("show")(sync_command.show)
app.command("retry")(sync_command.retry)
app.add_typer(outbox_command.app, name="outbox")
app.command("migrate")(migrate_command.migrate)
app.command("daemon")(daemon_command.daemon)
app.add_typer(reconcile_command.app, name="reconcile")
app.add_typer(statements_command.app, name="statements")
app.command("debtors")(debtors_command.debtors)
app.add_typer(report_command.app, name="report")
app.add_typer(reminders_command.app, name="reminders")
app.add_typer(collection_command.app, name="collection")


def main() -> None:
    """Console-script entry point."""
    app()
