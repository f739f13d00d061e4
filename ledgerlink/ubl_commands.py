"""``ledgerlink ubl ...``: convert between model JSON and UBL, print the JSON Schema."""

from __future__ import annotations

import enum
import json
from pathlib import Path
from typing import Annotated

import typer

from ledgerlink._output import fail, warn

app = typer.Typer(help="Write and read UBL 2.1 Invoice and CreditNote.", no_args_is_help=True)


class ProfileChoice(enum.StrEnum):
    AUTO = "auto"
    PEPPOL_BIS3 = "peppol-bis3"
    EN16931 = "en16931"
    NLCIUS = "nlcius"


class OutputFormat(enum.StrEnum):
    UBL = "ubl"
    JSON = "json"


class TotalsChoice(enum.StrEnum):
    REFUSE = "refuse"
    REDERIVE = "rederive"


@app.command()
def convert(
    input: Annotated[Path, typer.Argument(help="A UBL Invoice/CreditNote or a model JSON file.")],
    profile: Annotated[
        ProfileChoice,
        typer.Option(help="auto keeps the input's own CustomizationID/ProfileID (BT-24/BT-23)."),
    ] = ProfileChoice.AUTO,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write here instead of stdout.")
    ] = None,
    to: Annotated[
        OutputFormat, typer.Option(help="Write UBL XML or model JSON.")
    ] = OutputFormat.UBL,
    totals: Annotated[
        TotalsChoice,
        typer.Option(
            help="When the document's totals break BR-CO-10..17: refuse, or re-derive and warn."
        ),
    ] = TotalsChoice.REFUSE,
    strict: Annotated[
        bool, typer.Option(help="Treat missing legal invoice requirements as errors.")
    ] = False,
    max_bytes: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Refuse a larger INPUT unread (default 104857600, 100 MiB).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Convert INPUT (UBL or model JSON) to UBL under a profile, or to model JSON."""
    from ledgerlink.conversion import (
        ConversionError,
        check_document,
        load_document,
        target_profile,
    )

    try:
        loaded = load_document(input, max_bytes=max_bytes)
        document = check_document(loaded, profile=profile.value, totals=totals.value, strict=strict)
    except ConversionError as exc:
        too_large = getattr(exc.__cause__, "rule", None) == "INPUT-TOO-LARGE"
        fail(f"{exc} (--max-bytes sets the limit)" if too_large else str(exc))
    for message in loaded.warnings:
        warn(message)
    if to is OutputFormat.JSON:
        from model.jsonio import dumps

        data = dumps(document).encode("utf-8")
    else:
        from ubl import ProfileError, write

        try:
            data = write(document, profile=target_profile(loaded, profile.value))
        except ProfileError as exc:
            fail(f"{input}: {exc}")
    if output is None:
        typer.echo(data.decode("utf-8"), nl=False)
    else:
        output.write_bytes(data)


@app.command()
def schema(
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write here.")] = None,
) -> None:
    """Print the JSON Schema of the model JSON that `convert` reads and writes."""
    from model.jsonio import json_schema

    text = json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
