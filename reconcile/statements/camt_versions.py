"""The camt namespaces this reader supports, and the message for those it does not."""

from __future__ import annotations

import re

__all__ = ["CONTAINERS", "SUPPORTED", "unsupported_message"]

_PREFIX = "urn:iso:std:iso:20022:tech:xsd:"
SUPPORTED: frozenset[str] = frozenset(
    f"{_PREFIX}camt.{kind}.001.{version:02d}" for kind in ("053", "054") for version in range(2, 9)
)
"""camt.053.001.02 to .08 (bank-to-customer statement) and camt.054.001.02 to .08
(debit/credit notification)."""

CONTAINERS: dict[str, tuple[str, str]] = {
    "053": ("BkToCstmrStmt", "Stmt"),
    "054": ("BkToCstmrDbtCdtNtfctn", "Ntfctn"),
}
"""Per message kind: the message element under ``Document`` and the statement element."""

_NAMES = {"052": "intraday report", "053": "statement", "054": "notification"}
_SUPPORTED_TEXT = "supported: camt.053.001.02 to .08, camt.054.001.02 to .08"


def unsupported_message(namespace: str) -> str | None:
    """None when ``namespace`` is supported, else the message naming it."""
    if namespace in SUPPORTED:
        return None
    match = re.fullmatch(re.escape(_PREFIX) + r"camt\.(\d{3})\.(\d{3})\.(\d{2})", namespace)
    if match:
        kind = match.group(1)
        name = f"camt.{kind}.{match.group(2)}.{match.group(3)}"
        what = _NAMES.get(kind)
        label = f"{name} ({what})" if what and kind not in ("053", "054") else name
        return f"{label} is not supported ({_SUPPORTED_TEXT})"
    shown = namespace or "(no namespace)"
    return f"unknown namespace {shown!r}: not a camt.053/camt.054 document ({_SUPPORTED_TEXT})"
