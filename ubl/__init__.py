"""Write and read UBL 2.1 Invoice and CreditNote (Peppol BIS Billing 3.0, EN 16931, NLCIUS).

The public API, used by the CLI and every other package::

    from ubl import parse, write

    result = parse("invoice.xml")          # ParseResult: .document, .report, .source
    xml = write(result.document, profile="nlcius")
    report = validate(xml)                 # Report: XSD + official Schematron

``write`` refuses a model that cannot satisfy the profile (``ProfileError``,
naming each rule id and field); ``parse`` raises ``InputError`` (file, line,
field) for anything it cannot read, and lists content EN 16931 does not
cover in ``ParseResult.report``. ``validate`` runs the UBL 2.1 XSD and the
official Schematron chosen by the CustomizationID (see :mod:`ubl.validate`;
the bundles come from :mod:`ubl.artifacts`).

Profiles: ``peppol-bis3`` (default), ``en16931``, ``nlcius``, and ``auto``,
which keeps the document's own CustomizationID and ProfileID (BT-24/BT-23)
and holds it to the rules of the profile they name (``en16931`` for ids of
none of the three, such as XRechnung).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ubl.errors import InputError, ProfileError, UblError, Violation
from ubl.validate import Report, validate

if TYPE_CHECKING:
    from model import Invoice
    from ubl.header import Header, sniff
    from ubl.parser import ParseResult, ReportEntry
    from ubl.parser import parse_document as parse
    from ubl.profiles import PROFILE_NAMES, Profile, detect

__all__ = [
    "PROFILE_NAMES",
    "Header",
    "InputError",
    "ParseResult",
    "Profile",
    "ProfileError",
    "Report",
    "ReportEntry",
    "UblError",
    "Violation",
    "detect",
    "parse",
    "sniff",
    "validate",
    "write",
]


def write(document: Invoice, profile: str = "peppol-bis3") -> bytes:
    """The UBL 2.1 XML of ``document`` under ``profile``, as UTF-8 bytes.

    The same model always gives the same bytes. Raises ``ProfileError`` when
    the model breaks a rule of the profile or holds text XML 1.0 cannot carry
    (a control character), and ``ValueError`` for an unknown profile name.
    """
    from ubl.profiles import resolve
    from ubl.writer import write_document

    chosen = resolve(profile, document)
    violations = chosen.check(document)
    if violations:
        raise ProfileError(chosen.name, violations)
    try:
        return write_document(document, chosen)
    except ValueError as exc:  # the writer refuses characters XML cannot carry
        raise ProfileError(chosen.name, [Violation("XML-1.0-CHAR", "text", str(exc))]) from exc


_LAZY: dict[str, tuple[str, str]] = {
    "parse": ("ubl.parser", "parse_document"),
    "ParseResult": ("ubl.parser", "ParseResult"),
    "ReportEntry": ("ubl.parser", "ReportEntry"),
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
