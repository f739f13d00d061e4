"""Hardened XML loading shared by every reader of untrusted XML.

``read_file`` reads a file only when it is within the size limit (``DEFAULT_MAX_BYTES``,
100 MiB, unless the caller sets another): the size is checked before anything is read,
and never more than the limit plus one byte is read. ``load`` parses bytes with an lxml
parser that never touches the network, never resolves entities, never loads a DTD and
refuses any DOCTYPE (so billion-laughs and XXE documents are rejected instead of
expanded). Every failure is an :class:`~ubl.errors.InputError` naming the source and
line, with a ``rule`` id saying which kind of failure it is.

Parsers are not thread-safe, so each thread builds its own once.
"""

from __future__ import annotations

import os
import threading
from typing import Any, Final, cast

from lxml import etree

from ubl.errors import InputError

__all__ = ["DEFAULT_MAX_BYTES", "load", "read_file", "too_large"]

DEFAULT_MAX_BYTES: Final = 100 * 1024 * 1024
"""Documents larger than this (100 MiB) are refused unread."""

_LOCAL = threading.local()


def too_large(size: int, max_bytes: int, source: str = "<bytes>") -> InputError:
    """The error for a document of ``size`` bytes over the ``max_bytes`` limit."""
    return InputError(
        f"document of {size:,} bytes is over the {max_bytes:,}-byte limit; not read",
        source=source,
        rule="INPUT-TOO-LARGE",
    )


def read_file(path: str | os.PathLike[str], max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The bytes of the file at ``path``; an InputError naming the file when it cannot
    be read or is larger than ``max_bytes`` (checked before reading, and never more than
    ``max_bytes + 1`` bytes are read, so a file that grows meanwhile is refused too)."""
    name = os.fspath(path)
    try:
        size = os.stat(name).st_size
        if size > max_bytes:
            raise too_large(size, max_bytes, name)
        with open(name, "rb") as file:
            data = file.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(
            f"cannot read the file: {exc.strerror or exc}", source=name, rule="INPUT-UNREADABLE"
        ) from None
    if len(data) > max_bytes:  # grew since stat
        raise too_large(len(data), max_bytes, name)
    return data


class _RefuseResolver(etree.Resolver):
    """Answers every external resource request with empty content (defence in depth)."""

    def resolve(self, system_url: str, public_id: str, context: Any = None) -> Any:
        return self.resolve_string("", context, base_url=None)


def _new_parser(keep_blank_text: bool) -> etree.XMLParser:
    # collect_ids stays at its default: collect_ids=False makes libxml2 load
    # the external DTD subset even with load_dtd=False.
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=True,
        remove_comments=False,
        remove_blank_text=not keep_blank_text,
    )
    parser.resolvers.add(_RefuseResolver())
    return parser


def _parser(keep_blank_text: bool) -> etree.XMLParser:
    """This thread's parser of the kind asked for, built on first use."""
    name = "parser" if keep_blank_text else "parser_without_blank_text"
    parser: etree.XMLParser | None = getattr(_LOCAL, name, None)
    if parser is None:
        parser = _new_parser(keep_blank_text)
        setattr(_LOCAL, name, parser)
    return parser


def _doctype_line(data: bytes) -> int | None:
    at = data.find(b"<!DOCTYPE")
    return data.count(b"\n", 0, at) + 1 if at >= 0 else None


def load(data: bytes, source: str, *, keep_blank_text: bool = True) -> etree._ElementTree:
    """Parse ``data`` into a tree; ``source`` names the document in errors.

    ``keep_blank_text=False`` drops whitespace-only text between elements
    (libxml2's ignorable blanks: text inside a leaf is kept), which readers
    that ignore it parse faster.

    Raises InputError for malformed XML, empty or binary input, an encoding
    that contradicts the XML declaration, and any DOCTYPE declaration.
    """
    try:
        root = etree.fromstring(data, _parser(keep_blank_text))
    except etree.XMLSyntaxError as exc:
        message = " ".join((cast("str | None", exc.msg) or str(exc)).split())
        raise InputError(
            f"not well-formed XML: {message}", source=source, line=exc.lineno or None
        ) from None
    tree = root.getroottree()
    docinfo = tree.docinfo
    if cast(Any, docinfo).doctype or docinfo.internalDTD is not None:
        raise InputError(
            "DOCTYPE declarations are not allowed (DTDs and entities are never processed)",
            source=source,
            line=_doctype_line(data) or 1,
        )
    return tree
