"""Reading what the caller hands to the validator: bytes, a path or a parsed tree.

Anything wrong with the input itself is an ``input`` finding, never an exception: a file that
cannot be read, one over the size limit (refused before it is read), an empty or binary
file, malformed XML, and any DOCTYPE (DTDs and entities are never processed, see
:mod:`ubl._xml`).

Files are read, and bytes parsed, by :mod:`ubl._xml` as every reader does; the rule of
its InputError is the rule reported: ``INPUT-TOO-LARGE``, ``INPUT-UNREADABLE``,
``XML-SYNTAX``, ``XML-DOCTYPE``, ``XML-ENCODING`` (an encoding that contradicts the XML
declaration) or ``XML-TOO-DEEP`` (elements nested deeper than libxml2 allows).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Final, TypeAlias

from lxml import etree

from model.findings import Finding
from ubl._xml import DEFAULT_MAX_BYTES, load, read_file
from ubl.errors import InputError

__all__ = ["DEFAULT_MAX_BYTES", "Document", "Source", "name_of", "read"]

Source: TypeAlias = "bytes | str | os.PathLike[str] | etree._ElementTree | etree._Element"

_UNICODE_BOMS: Final = (b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")
_BINARY_PROBE: Final = 1024


@dataclass(frozen=True, slots=True)
class Document:
    """A document read and parsed once: its name, lxml tree, and its text for Saxon."""

    name: str
    tree: etree._ElementTree
    text: str


def _input_issue(rule: str, message: str, line: int | None = None) -> Finding:
    return Finding(rule=rule, layer="input", message=message, line=line)


def _too_large(size: int, max_bytes: int) -> Finding:
    return _input_issue(
        "INPUT-TOO-LARGE",
        f"document of {size:,} bytes is over the {max_bytes:,}-byte limit; not read",
    )


def _text_of(data: bytes, tree: etree._ElementTree) -> str:
    """The document as text for Saxon: ``data`` decoded with the encoding lxml found
    (Saxon reads text and ignores the declaration), else the tree serialised."""
    try:
        text = data.decode(tree.docinfo.encoding or "utf-8")
    except (LookupError, UnicodeDecodeError):
        return etree.tostring(tree.getroot(), encoding="unicode")
    return text.removeprefix("\ufeff")


def _looks_binary(data: bytes) -> bool:
    head = data[:_BINARY_PROBE]
    return b"\x00" in head and not head.startswith(_UNICODE_BOMS)


def _parse(data: bytes, name: str) -> Document | Finding:
    if not data.strip():
        return _input_issue("INPUT-EMPTY", "empty document: no XML in it")
    try:
        tree = load(data, name)
    except InputError as exc:
        rule = exc.rule or "XML-SYNTAX"
        if rule == "XML-SYNTAX" and _looks_binary(data):
            return _input_issue("INPUT-BINARY", "binary data, not an XML document")
        return _input_issue(rule, exc.message, exc.line)
    return Document(name, tree, _text_of(data, tree))


def _read_file(path: str, max_bytes: int) -> Document | Finding:
    try:
        data = read_file(path, max_bytes)  # the size is checked before reading
    except InputError as exc:
        return _input_issue(exc.rule or "INPUT-UNREADABLE", exc.message)
    return _parse(data, path)


def _from_tree(tree: etree._ElementTree) -> Document:
    # Only the root element goes to Saxon: a caller's DOCTYPE (and its entities) never does.
    return Document(name_of(tree), tree, etree.tostring(tree.getroot(), encoding="unicode"))


def name_of(source: Source) -> str:
    """How reports name ``source``: the path, ``<bytes>``, or a tree's URL (``<tree>``)."""
    if isinstance(source, bytes):
        return "<bytes>"
    if isinstance(source, etree._Element):
        source = source.getroottree()
    if isinstance(source, etree._ElementTree):
        return source.docinfo.URL or "<tree>"
    return os.fspath(source)


def read(source: Source, max_bytes: int = DEFAULT_MAX_BYTES) -> Document | Finding:
    """``source`` read and parsed, or the one ``input`` finding that stops it.

    ``bytes`` are a document; ``str`` and path-likes name a file; an lxml tree or element is
    taken as already parsed (its own line numbers are reported).
    """
    if isinstance(source, bytes):
        if len(source) > max_bytes:
            return _too_large(len(source), max_bytes)
        return _parse(source, "<bytes>")
    if isinstance(source, etree._ElementTree):
        return _from_tree(source)
    if isinstance(source, etree._Element):
        return _from_tree(source.getroottree())
    return _read_file(os.fspath(source), max_bytes)
