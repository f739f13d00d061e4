"""``ledgerlink validate PATH...``: XSD + official Schematron for CI.

Every file named, and every ``*.xml`` under a folder named (sorted; folders whose name
starts with a dot are skipped), is validated with :mod:`ubl.validate`. A file that is no
readable XML document is a failed document with an ``input`` issue; the run goes on.

Exit codes: 0 every document passed, 1 a document failed (``--fail-on fatal``: it has a
fatal issue; ``warning``: it has any issue), 2 a usage or installation error (no PATH, a
PATH that does not exist, no document found, a validation bundle not installed).
"""

from __future__ import annotations

import enum
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Annotated

import typer

from ledgerlink._output import fail
from ledgerlink.ubl_commands import ProfileChoice


class ReportFormat(enum.StrEnum):
    TEXT = "text"
    JSON = "json"
    JUNIT = "junit"
    GITHUB = "github"
    SARIF = "sarif"


class FailOn(enum.StrEnum):
    FATAL = "fatal"
    WARNING = "warning"


def _xml_under(folder: Path) -> Iterator[Path]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = [name for name in dirs if not name.startswith(".")]
        for name in files:
            if name.lower().endswith(".xml"):
                yield Path(root, name)


def documents(paths: Sequence[Path]) -> list[str]:
    """The files to validate: each file named, and the sorted ``*.xml`` under each folder
    named; each file once, in that order."""
    found: dict[str, None] = {}
    for path in paths:
        chosen = sorted(_xml_under(path)) if path.is_dir() else [path]
        found.update(dict.fromkeys(map(str, chosen)))
    return list(found)


def validate(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="UBL files, or folders to search for *.xml.", metavar="PATH", show_default=False
        ),
    ],
    profile: Annotated[
        ProfileChoice,
        typer.Option(help="auto: the scenario the CustomizationID (BT-24) names."),
    ] = ProfileChoice.AUTO,
    output_format: Annotated[
        ReportFormat, typer.Option("--format", help="Output format.")
    ] = ReportFormat.TEXT,
    fail_on: Annotated[
        FailOn,
        typer.Option(help="What fails a document: a fatal issue, or also a warning."),
    ] = FailOn.FATAL,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", min=1, help="Worker processes (1: this process).")
    ] = 1,
) -> None:
    """Validate UBL Invoices and CreditNotes: UBL 2.1 XSD + the official Schematron."""
    from ledgerlink._report_formats import FORMATS, Outcome
    from ledgerlink._validate_jobs import SetupError, validate_files

    for path in paths:
        if not path.exists():
            fail(f"{path}: no such file or folder", code=2)
    files = documents(paths)
    if not files:
        fail(f"no *.xml documents in {', '.join(map(str, paths))}", code=2)
    try:
        reports = validate_files(files, profile.value, jobs)
    except SetupError as exc:
        fail(str(exc), code=2)
    outcome = Outcome(tuple(reports), fail_on.value)
    output = FORMATS[output_format.value](outcome)
    if output_format is ReportFormat.TEXT:
        from rich.console import Console

        Console(highlight=False, soft_wrap=True).print(output)
    else:
        typer.echo(output)
    raise typer.Exit(1 if outcome.failures else 0)
