"""``ledgerlink artifacts ...``: install and list the pinned validation artefact bundles.

Exit codes: 0 success, 1 a checksum mismatch or a failed download/copy, 2 an unknown
bundle or another usage error. ``ubl.artifacts`` is imported inside the commands so
that ``--help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ledgerlink._output import fail
from ledgerlink.cache_option import CacheOption

app = typer.Typer(
    help="Install and list the official validation artefacts (UBL XSD, Schematron XSLT).",
    no_args_is_help=True,
)


@app.command()
def install(
    bundles: Annotated[
        list[str] | None,
        typer.Argument(
            help="Bundles to install: NAME (its newest pinned version) or NAME==VERSION. "
            "None: the newest version of every bundle.",
            metavar="BUNDLE",
            show_default=False,
        ),
    ] = None,
    from_dir: Annotated[
        Path | None,
        typer.Option(
            "--from",
            help="Copy from this folder of official files (any layout; found by file name "
            "and sha256) instead of downloading the pinned URLs.",
            exists=True,
            file_okay=False,
        ),
    ] = None,
    cache: CacheOption = None,
) -> None:
    """Install bundles into the cache; every file's sha256 is checked, a mismatch refuses it."""
    from rich.console import Console
    from rich.markup import escape

    from ubl import artifacts

    try:
        chosen = artifacts.load_manifest().select(bundles or ())
    except artifacts.UnknownBundle as exc:
        fail(str(exc), code=2)
    before = {(b.name, b.version) for b in artifacts.installed(cache)}
    console = Console(highlight=False, soft_wrap=True)
    for spec in chosen:
        try:
            (bundle,) = artifacts.install([spec.requirement], source_dir=from_dir, cache=cache)
        except artifacts.ArtifactError as exc:
            fail(str(exc), code=1)
        state = "already installed" if (bundle.name, bundle.version) in before else "installed"
        count = f"{len(bundle.files)} file{'' if len(bundle.files) == 1 else 's'}"
        console.print(
            f"{state} [bold]{escape(bundle.name)}[/] {escape(bundle.version)} ({count}) "
            f"in {escape(str(bundle.root))}"
        )


@app.command("list")
def list_bundles(cache: CacheOption = None) -> None:
    """Show the installed bundles, and the pinned bundles not installed yet."""
    from rich.console import Console
    from rich.table import Table

    from ubl import artifacts

    root = artifacts.cache_dir() if cache is None else cache
    present = artifacts.installed(root)
    table = Table(title=f"artifact bundles in {root}", title_justify="left")
    table.add_column("bundle", no_wrap=True)
    table.add_column("version", no_wrap=True)
    table.add_column("files", justify="right")
    table.add_column("location", overflow="fold")
    for bundle in present:
        table.add_row(bundle.name, bundle.version, str(len(bundle.files)), str(bundle.root))
    have = {(bundle.name, bundle.version) for bundle in present}
    for spec in artifacts.load_manifest().bundles:
        if (spec.name, spec.version) not in have:
            table.add_row(spec.name, spec.version, str(len(spec.files)), "[dim]not installed[/]")
    Console(highlight=False).print(table)
