"""Write and read UBL 2.1 Invoice and CreditNote (Peppol BIS Billing 3.0, EN 16931, NLCIUS).

The public API, used by the CLI and every other package::

    from ubl import parse, write

    result = parse("invoice.xml")          # ParseResult: .document, .report, .source
    xml = write(result.document, profile="nlcius")
    report = validate(xml)                 # Report: XSD + official Schematron

``write`` refuses a model that cannot satisfy the profile or whose figures
break the EN 16931 calculation rules BR-CO-10..17 (``ProfileError``, whose
``findings`` name each rule id, field and, for a figure, the stated and the
derived amount); ``parse`` raises ``InputError`` (file, line,
field) for anything it cannot read, and lists content EN 16931 does not
cover in ``ParseResult.report`` (each a ``model.findings.Finding`` of layer
``parse``). A document over ``DEFAULT_MAX_BYTES`` (100 MiB; ``parse(...,
max_bytes=)`` and ``Validator(max_bytes=)`` set another limit) is refused
before it is read; ``read_file`` reads any document file under that rule.
``validate`` runs the UBL 2.1 XSD and the official Schematron chosen by the
CustomizationID (see :mod:`ubl.validate`; the bundles come from
:mod:`ubl.artifacts`).

Profiles: ``peppol-bis3`` (default), ``en16931``, ``nlcius``, and ``auto``,
which keeps the document's own CustomizationID and ProfileID (BT-24/BT-23)
and holds it to the rules of the profile they name (``en16931`` for ids of
none of the three, such as XRechnung).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ubl._xml import DEFAULT_MAX_BYTES, read_file
from ubl.errors import InputError, ProfileError, UblError
from ubl.validate import Report, validate

if TYPE_CHECKING:
    from model import Invoice
    from model.findings import Finding
    from ubl.header import Header, sniff
    from ubl.parser import ParseResult
    from ubl.parser import parse_document as parse
    from ubl.profiles import PROFILE_NAMES, Profile, detect

__all__ = [
    "DEFAULT_MAX_BYTES",
    "PROFILE_NAMES",
    "Header",
    "InputError",
    "ParseResult",
    "Profile",
    "ProfileError",
    "Report",
    "UblError",
    "detect",
    "parse",
    "read_file",
    "sniff",
    "validate",
    "write",
]


def write(document: Invoice, profile: str = "peppol-bis3") -> bytes:
    """The UBL 2.1 XML of ``document`` under ``profile``, as UTF-8 bytes.

    The same model always gives the same bytes. Before any XML is written, the
    document is held to the rules of the profile and to the EN 16931 calculation
    rules (:func:`model.calculation.check`: the line net amounts BT-131 under
    PEPPOL-EN16931-R120 for ``peppol-bis3``, the VAT breakdown BG-23 and the
    totals BR-CO-10..17, exactly). Raises ``ProfileError`` listing every rule
    the model breaks (``findings``: layer ``profile`` or ``calculation``; a
    figure's message states its value and the derived one), or for text XML 1.0
    cannot carry (a control character); ``ValueError`` for an unknown profile
    name. :func:`model.calculation.reconcile` re-derives wrong figures first.
    """
    from model.findings import Finding
    from ubl.profiles import resolve
    from ubl.writer import write_document

    chosen = resolve(profile, document)
    findings = chosen.check(document)
    findings += _calculation(document, chosen.name)
    if findings:
        raise ProfileError(chosen.name, findings)
    try:
        return write_document(document, chosen)
    except ValueError as exc:  # the writer refuses characters XML cannot carry
        finding = Finding(
            rule="XML-1.0-CHAR",
            layer="profile",
            message=str(exc),
            hint="remove the control character from the text",
        )
        raise ProfileError(chosen.name, [finding]) from exc


def _calculation(document: Invoice, profile: str) -> list[Finding]:
    """What :func:`model.calculation.check` finds; PEPPOL-EN16931-R120 only for ``peppol-bis3``
    (EN 16931 and NLCIUS do not require it).

    A document the calculation cannot work on (a VAT category without its rate, a price base
    quantity of 0) raises ``ValueError`` there: that is one finding of rule ``CALCULATION``
    (the profile rules name the cause as well).
    """
    from dataclasses import replace

    from model.calculation import check
    from model.findings import Finding

    try:
        found = check(document, line_rule=profile == "peppol-bis3")
    except ValueError as exc:
        return [Finding(rule="CALCULATION", layer="calculation", message=str(exc))]
    return [replace(finding, hint=_REDERIVE) for finding in found]


_REDERIVE = (
    "correct the figure at the source, or re-derive the figures first: "
    "model.calculation.reconcile(document, Strategy.REDERIVE), ubl convert --totals rederive"
)
"""The hint of a calculation finding of :func:`write`."""


_LAZY: dict[str, tuple[str, str]] = {
    "parse": ("ubl.parser", "parse_document"),
    "ParseResult": ("ubl.parser", "ParseResult"),
    "PROFILE_NAMES": ("ubl.profiles", "PROFILE_NAMES"),
    "Profile": ("ubl.profiles", "Profile"),
    "detect": ("ubl.profiles", "detect"),
    "sniff": ("ubl.header", "sniff"),
    "Header": ("ubl.header", "Header"),
}
"""Names imported on first use: the parser and the profiles' rules (with the model) cost
more to import than validation needs, and ``ledgerlink validate`` starts a process per run.
``parse`` is :func:`ubl.parser.parse_document` (read a UBL Invoice or CreditNote from bytes
or a path); ``sniff`` is :func:`ubl.header.sniff` (what a document is, from its first bytes)."""


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'ubl' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
