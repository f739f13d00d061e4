"""The XSD layer: UBL 2.1 runtime schemas with lxml, each loaded once per process."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final, cast

from lxml import etree

from model.findings import Finding
from ubl._ns import CAC, CBC, CREDIT_NOTE, EXT, INVOICE
from ubl.validate._hints import hint_for

__all__ = ["XsdSchema", "schema_at"]

_SHORT_NAMES: Final = (
    (f"{{{CBC}}}", "cbc:"),
    (f"{{{CAC}}}", "cac:"),
    (f"{{{EXT}}}", "ext:"),
    (f"{{{INVOICE}}}", ""),
    (f"{{{CREDIT_NOTE}}}", ""),
)


def _shorten(message: str) -> str:
    """lxml's message with UBL Clark names written as the usual prefixes (``cbc:IssueDate``)."""
    for clark, prefix in _SHORT_NAMES:
        message = message.replace(clark, prefix)
    return message


class XsdSchema:
    """One compiled UBL 2.1 schema; ``check`` is safe to call from several threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._schema = etree.XMLSchema(etree.parse(str(path)))
        self._lock = threading.Lock()  # the error log belongs to the schema object

    def check(self, tree: etree._ElementTree) -> list[Finding]:
        """One fatal ``xsd`` finding per schema error (rule: lxml's error type name)."""
        with self._lock:
            if self._schema.validate(tree):
                return []
            errors: list[Any] = list(cast("Iterable[Any]", self._schema.error_log))
        return [
            Finding(
                layer="xsd",
                rule=error.type_name,
                location=error.path or None,
                line=error.line or None,
                message=_shorten(error.message),
                hint=hint_for(error.type_name),
            )
            for error in errors
        ]


_SCHEMAS: dict[Path, XsdSchema] = {}
_LOCK: Final = threading.Lock()


def schema_at(path: Path) -> XsdSchema:
    """The schema of the XSD file at ``path``, loaded on first use and kept for the process."""
    schema = _SCHEMAS.get(path)
    if schema is None:
        with _LOCK:
            schema = _SCHEMAS.get(path)
            if schema is None:
                schema = _SCHEMAS[path] = XsdSchema(path)
    return schema
