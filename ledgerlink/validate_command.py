"""``ledgerlink validate PATH...``: XSD + official Schematron for CI.

Every file named, and every ``*.xml`` under a folder named (sorted; folders whose name
starts with a dot are skipped), is validated with :mod:`ubl.validate`; ``-`` is one document
read from standard input (reported as ``-``). A file that is no readable XML document is a
failed document with an ``input`` finding, and so is a PATH that does not exist
(``INPUT-MISSING``) and a folder with no ``*.xml`` in it (``INPUT-NO-DOCUMENTS``): the run goes
on with the others.

Exit codes: 0 every document passed, 1 a document failed (``--fail-on fatal``: it has a
fatal finding; ``warning``: it has any), 2 a usage or installation error (no document at all
to validate: every PATH missing or a folder without ``*.xml``; a validation bundle not
installed), 130 interrupted (Ctrl-C), after saying how many documents were validated.
"""

from __future__ import annotations

import enum
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Final

import typer

from ledgerlink._output import fail, warn
from ledgerlink.cache_option import CacheOption, using_cache
from ledgerlink.ubl_commands import ProfileChoice

if TYPE_CHECKING:
    from ubl.validate import Report

__all__ = ["Target", "documents", "validate"]

STDIN: Final = "-"
INPUT_MISSING: Final = "INPUT-MISSING"
INPUT_NO_DOCUMENTS: Final = "INPUT-NO-DOCUMENTS"


class ReportFormat(enum.StrEnum):
    TEXT = "text"
    JSON = "json"
    JUNIT = "junit"
    GITHUB = "github"
    SARIF = "sarif"


class FailOn(enum.StrEnum):
    FATAL = "fatal"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Target:
    """One entry of the run: a file to validate, or a PATH that holds none (``problem``: the
    rule and message of its input finding)."""

    path: str
    problem: tuple[str, str] | None = None


def _xml_under(folder: Path) -> Iterator[Path]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = [name for name in dirs if not name.startswith(".")]
        for name in files:
            if name.lower().endswith(".xml"):
                yield Path(root, name)


def documents(paths: Sequence[Path]) -> list[Target]:
    """What the run reports on, in order: each file named (``-``: standard input), the sorted
    ``*.xml`` under each folder named, each once; a PATH that does not exist and a folder
    without ``*.xml`` as an entry with its problem."""
    found: dict[str, Target] = {}
    for path in paths:
        name = str(path)
        if name == STDIN:
            found.setdefault(STDIN, Target(STDIN))
        elif path.is_dir():
            chosen = sorted(_xml_under(path))
            if not chosen:
                message = f"no *.xml files in {path} (folders starting with a dot are skipped)"
                found.setdefault(name, Target(name, (INPUT_NO_DOCUMENTS, message)))
            for file in map(str, chosen):
                found.setdefault(file, Target(file))
        elif not path.exists():
            found.setdefault(name, Target(name, (INPUT_MISSING, f"{path}: no such file or folder")))
        else:
            found.setdefault(name, Target(name))
    return list(found.values())


def _input_report(target: Target, profile: str) -> Report:
    from model.findings import Finding
    from ubl.validate import Report

    assert target.problem is not None
    rule, message = target.problem
    return Report(target.path, profile, (Finding(rule=rule, layer="input", message=message),))


def _stdin_file(stack: ExitStack) -> str:
    """Standard input copied to a temporary file (workers read files), up to one byte over
    the validator's size limit, which then refuses it as it refuses a large file."""
    from ubl.validate import DEFAULT_MAX_BYTES

    data = sys.stdin.buffer.read(DEFAULT_MAX_BYTES + 1)
    folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="ledgerlink-stdin-"))
    path = Path(folder, "stdin.xml")
    path.write_bytes(data)
    return str(path)


def _for_the_command_line(report: Report, source: str) -> Report:
    """``report`` under the name the user gave (``-`` for standard input), with the hints
    that name a library argument worded with this command's option (``--profile``)."""
    from ubl.validate import COMMAND_LINE_HINTS

    issues = tuple(
        replace(issue, hint=COMMAND_LINE_HINTS[issue.rule])
        if issue.rule in COMMAND_LINE_HINTS
        else issue
        for issue in report.issues
    )
    return replace(report, source=source, issues=issues)


def _usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def validate(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="UBL files, folders to search for *.xml, or - for standard input.",
            metavar="PATH",
            show_default=False,
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
    cache: CacheOption = None,
) -> None:
    """Validate UBL Invoices and CreditNotes: UBL 2.1 XSD + the official Schematron."""
    from ledgerlink._report_formats import FORMATS, Outcome
    from ledgerlink._validate_jobs import Interrupted, SetupError, validate_files

    targets = documents(paths)
    if all(target.problem for target in targets):
        problems = "; ".join(target.problem[1] for target in targets if target.problem)
        fail(f"nothing to validate: {problems}", code=2)
    cores = _usable_cores()
    if jobs > cores:
        warn(
            f"--jobs {jobs} is more than the {cores} core(s) this process may use; the extra "
            "workers only take turns on them"
        )
    with ExitStack() as stack:
        stack.enter_context(using_cache(cache))
        files = [
            _stdin_file(stack) if target.path == STDIN else target.path
            for target in targets
            if target.problem is None
        ]
        try:
            validated = iter(validate_files(files, profile.value, jobs))
        except SetupError as exc:
            from ledgerlink.bundles import with_cache

            fail(with_cache(str(exc), cache), code=2)
        except Interrupted as stopped:
            fail(
                f"interrupted: {stopped.done} of {stopped.total} document(s) validated, "
                f"{stopped.total - stopped.done} not; no report was written",
                code=130,
            )
    reports = tuple(
        _input_report(target, profile.value)
        if target.problem
        else _for_the_command_line(next(validated), target.path)
        for target in targets
    )
    outcome = Outcome(reports, fail_on.value)
    output = FORMATS[output_format.value](outcome)
    if output_format is ReportFormat.TEXT:
        from rich.console import Console

        Console(highlight=False, soft_wrap=True).print(output)
    else:
        typer.echo(output)
    raise typer.Exit(1 if outcome.failures else 0)
