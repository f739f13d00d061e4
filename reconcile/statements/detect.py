"""Which reader a file needs, by its content (never its name): camt by an XML start, MT940
by its tags or SWIFT blocks in the first 4 KB."""

from __future__ import annotations

import os
import re

from reconcile.statements.errors import StatementError

__all__ = ["detect_format"]

_MT940 = re.compile(rb"(^|\n)(\{1:|\{4:|:20:|:940:)|\{2:[IO]940")


def detect_format(path: str | os.PathLike[str]) -> str:
    """``camt`` or ``mt940``; StatementError for a file that is neither (or missing)."""
    source = os.fspath(path)
    try:
        with open(source, "rb") as stream:
            head = stream.read(4096)
    except OSError as failure:
        raise StatementError(source, f"cannot be read: {failure.strerror or failure}") from None
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not start:
        raise StatementError(source, "empty file: not a camt or MT940 statement")
    if start.startswith(b"<"):
        return "camt"
    if _MT940.search(head):
        return "mt940"
    raise StatementError(source, "not a camt.053/camt.054 (XML) or MT940 statement")
