"""One document through the checks: read (UBL or model JSON) -> totals -> requirements -> UBL.

Shared by ``ledgerlink ubl convert`` and ``ledgerlink demo``. Nothing here is
silent: every finding comes back as a warning, or as an error that names the
file, the line and the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from model import Invoice

__all__ = ["ConversionError", "Loaded", "check_document", "load_document", "target_profile"]


class ConversionError(Exception):
    """A document that cannot be converted; the message names file, line and field."""


@dataclass
class Loaded:
    """A document read from a file, with what the reading noticed; ``from_ubl`` False for
    model JSON (a model built outside UBL: ``auto`` writes it as peppol-bis3 when it states
    no CustomizationID, BT-24, :func:`target_profile`)."""

    document: Invoice
    source: str
    warnings: list[str] = field(default_factory=list)
    from_ubl: bool = True


def target_profile(loaded: Loaded, profile: str) -> str:
    """The profile ``loaded`` is written as under the ``--profile`` choice: ``profile``; for
    ``auto`` the one its CustomizationID (BT-24) names, keeping its ids; model JSON without
    BT-24 as :data:`ubl.profiles.AUTO_DEFAULT` (:func:`ubl.profiles.for_built`), as the
    sync engine does. UBL without BT-24 stays ``auto`` and breaks BR-01."""
    from ubl.profiles import for_built

    if loaded.from_ubl:
        return profile
    return for_built(profile, loaded.document)


def _looks_like_json(data: bytes) -> bool:
    return data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


def load_document(path: Path, *, max_bytes: int | None = None) -> Loaded:
    """Read a UBL Invoice/CreditNote or a model JSON file into the model.

    A file over ``max_bytes`` (default :data:`ubl.DEFAULT_MAX_BYTES`, 100 MiB) is refused
    before it is read."""
    from model.jsonio import JsonModelError, loads
    from ubl import DEFAULT_MAX_BYTES, InputError, parse, read_file

    source = str(path)
    limit = DEFAULT_MAX_BYTES if max_bytes is None else max_bytes
    try:
        data = read_file(path, limit)
    except InputError as exc:
        raise ConversionError(str(exc)) from exc
    try:
        if _looks_like_json(data):
            return Loaded(loads(data, source=source), source, from_ubl=False)
        result = parse(data, max_bytes=limit)
    except (JsonModelError, InputError) as exc:
        if isinstance(exc, InputError):
            exc.source = source
        raise ConversionError(str(exc)) from exc
    warnings = [
        f"{source}:{entry.line or '?'}: {entry.location}: {entry.message}"
        for entry in result.report
    ]
    return Loaded(result.document, source, warnings)


def check_document(
    loaded: Loaded, *, profile: str = "auto", totals: str = "refuse", strict: bool = False
) -> Invoice:
    """Apply the totals strategy and the legal requirements check; return the document to write.

    ``totals`` is ``refuse`` (a document whose own totals break BR-CO-10..17 is
    an error) or ``rederive`` (re-derive them and warn with the reasons). The
    line net rule PEPPOL-EN16931-R120 applies when the document is written
    as Peppol BIS 3 (``profile``, or for ``auto`` its own CustomizationID).
    With ``strict`` the legal requirement findings are errors, else warnings.
    """
    from model.calculation import Strategy, TotalsMismatch, reconcile
    from model.requirements import check_requirements
    from ubl import detect

    chosen = target_profile(loaded, profile)
    target = detect(loaded.document.customization_id) if chosen == "auto" else chosen
    try:
        document, rederived = reconcile(
            loaded.document, Strategy(totals), line_rule=target == "peppol-bis3"
        )
    except TotalsMismatch as exc:
        raise ConversionError(f"{loaded.source}: {exc}") from exc
    loaded.warnings += [f"{loaded.source}: totals re-derived: {f.message}" for f in rederived]
    findings = [
        f"{loaded.source}: [{f.rule}] {f.field}: {f.message}" for f in check_requirements(document)
    ]
    if strict and findings:
        raise ConversionError("legal requirements not met (--strict):\n  " + "\n  ".join(findings))
    loaded.warnings += findings
    return document
