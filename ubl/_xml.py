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
import re
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


# --------------------------------------------------------------------------- the encoding

_DECLARATION: Final = re.compile(r"""<\?xml\s[^>]*?\bencoding\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_SIXTEEN_BIT: Final = frozenset({"UTF-16", "ISO-10646-UCS-2", "UCS-2"})
_WIDE_PREFIXES: Final = ("UTF-16", "UTF-32", "UCS-2", "UCS-4", "ISO-10646-UCS-")
_HEAD: Final = 512  # bytes enough for any XML declaration
_ENDIAN: Final = {"LE": "little-endian", "BE": "big-endian"}


def _detected(data: bytes) -> tuple[str, str | None, bool]:
    """What the first bytes say the encoding is (XML 1.0 appendix F): the codec to read the
    declaration with, the 16-bit byte order (``LE``/``BE``, None for 8-bit) and whether a
    byte order mark says so."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", None, True
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "utf-32", "32", True
    if data.startswith(b"\xff\xfe"):
        return "utf-16", "LE", True
    if data.startswith(b"\xfe\xff"):
        return "utf-16", "BE", True
    if data.startswith(b"<\x00?\x00"):
        return "utf-16-le", "LE", False
    if data.startswith(b"\x00<\x00?"):
        return "utf-16-be", "BE", False
    return "latin-1", None, False  # ASCII-compatible: the declaration reads the same


def _declared(text: str) -> str | None:
    """The encoding the XML declaration at the start of ``text`` names, upper-cased."""
    if not text.startswith("<?xml"):
        return None
    match = _DECLARATION.match(text)
    if match is None:
        return None
    return (match.group(1) or match.group(2) or "").strip().upper().replace("_", "-")


def _check_encoding(data: bytes, source: str) -> None:
    """Refuse bytes whose encoding contradicts the XML declaration (libxml2 trusts the byte
    order mark or the first bytes over the declaration and would read them silently).

    Refused: 16-bit bytes (UTF-16, with or without a byte order mark) declaring an 8-bit
    encoding such as UTF-8; UTF-16 without a byte order mark declaring plain UTF-16 or
    nothing (XML 1.0 requires the mark of UTF-16; without it the byte order is a guess
    that other readers guess otherwise), where ``UTF-16LE``/``UTF-16BE`` would be right;
    8-bit bytes declaring a 16- or 32-bit encoding; a UTF-8 byte order mark with another
    declared encoding. UTF-16 with a byte order mark declaring UTF-16 (or nothing) is read."""
    codec, order, bom = _detected(data)
    if order == "32":
        return  # libxml2 reads no UTF-32; it says so itself
    declared = _declared(data[:_HEAD].decode(codec, "replace").removeprefix("\ufeff"))
    said = "declares no encoding (so UTF-8)" if declared is None else f"declares {declared}"
    if order is None:
        if bom and declared not in (None, "UTF-8", "UTF8"):
            found = "UTF-8 (with a byte order mark)"
        elif not bom and declared is not None and declared.startswith(_WIDE_PREFIXES):
            found = "8-bit (UTF-8 or another ASCII-compatible encoding)"
        else:
            return
    elif declared == f"UTF-16{order}" or (bom and declared in (None, *_SIXTEEN_BIT)):
        return
    elif declared in _SIXTEEN_BIT:
        raise _encoding_error(
            f"it {said} without the byte order mark XML 1.0 requires of UTF-16; add the mark, "
            f"or declare UTF-16{order} (the bytes are {_ENDIAN[order]})",
            source,
        )
    else:
        how = "with" if bom else "without"
        found = f"UTF-16 ({_ENDIAN[order]}, {how} a byte order mark)"
    raise _encoding_error(
        f"it {said} but the bytes are {found}; "
        "save the file in the encoding it declares, or correct the declaration",
        source,
    )


def _encoding_error(reason: str, source: str) -> InputError:
    return InputError(
        f"encoding contradicts the XML declaration: {reason}",
        source=source,
        line=1,
        rule="XML-ENCODING",
    )


# --------------------------------------------------------------------------- errors


_SPACE: Final = re.compile(r"\s*")
_DEPTH: Final = re.compile(r"Excessive depth in document: (\d+)")
_PROLOG_BYTES: Final = 1024 * 1024  # where a DOCTYPE is looked for: no real prolog is longer


def _text(data: bytes) -> str:
    """The start of ``data`` decoded well enough to find markup and count lines."""
    return data[:_PROLOG_BYTES].decode(_detected(data)[0], "replace").removeprefix("\ufeff")


def _doctype_line(data: bytes) -> int | None:
    """The line of a DOCTYPE declaration in the prolog (before the root element), if any.

    Only the prolog is searched, past the XML declaration, processing instructions,
    comments and white space: ``<!DOCTYPE`` in a comment or a CDATA section is no
    declaration."""
    text = _text(data)
    at = 0
    while True:
        at = _SPACE.match(text, at).end()  # type: ignore[union-attr]  # \s* always matches
        if text.startswith("<!DOCTYPE", at):
            return text.count("\n", 0, at) + 1
        for start, end in (("<?", "?>"), ("<!--", "-->")):
            if text.startswith(start, at):
                close = text.find(end, at + len(start))
                if close < 0:
                    return None
                at = close + len(end)
                break
        else:
            return None


def _doctype_error(source: str, line: int, reason: str = "") -> InputError:
    return InputError(
        f"DOCTYPE declarations are not allowed (DTDs and entities are never processed){reason}",
        source=source,
        line=line,
        rule="XML-DOCTYPE",
    )


def _syntax_error(data: bytes, source: str, exc: etree.XMLSyntaxError) -> InputError:
    """The InputError for what stopped libxml2, named as a user can act on it.

    A DOCTYPE in the prolog is the error whatever libxml2 met after it: an entity-expansion
    bomb stops libxml2 inside the entities with a resource error at a line of the entity's
    text, which is no line of the file. Elements nested deeper than libxml2 allows are said
    so, with the limit and the line."""
    message = " ".join((cast("str | None", exc.msg) or str(exc)).split())
    line = exc.lineno or None
    doctype = _doctype_line(data)
    if doctype is not None:
        reason = ""
        if "entit" in message.lower():
            reason = "; its entities expand beyond the parser's limits (an entity-expansion bomb)"
        return _doctype_error(source, doctype, reason)
    depth = _DEPTH.search(message)
    if depth is not None:
        return InputError(
            f"elements nested deeper than {depth.group(1)} levels at line {line or '?'}: "
            "more than the XML parser allows, and far more than any invoice needs; "
            "check the program that wrote the file",
            source=source,
            line=line,
            rule="XML-TOO-DEEP",
        )
    return InputError(
        f"not well-formed XML: {message}", source=source, line=line, rule="XML-SYNTAX"
    )


def load(data: bytes, source: str, *, keep_blank_text: bool = True) -> etree._ElementTree:
    """Parse ``data`` into a tree; ``source`` names the document in errors.

    ``keep_blank_text=False`` drops whitespace-only text between elements
    (libxml2's ignorable blanks: text inside a leaf is kept), which readers
    that ignore it parse faster.

    Raises InputError for malformed XML (``XML-SYNTAX``), empty or binary input, an
    encoding that contradicts the XML declaration (``XML-ENCODING``), elements nested
    deeper than libxml2 allows (``XML-TOO-DEEP``), and any DOCTYPE declaration
    (``XML-DOCTYPE``, entities unexpanded, at the DOCTYPE's line).
    """
    _check_encoding(data, source)
    try:
        root = etree.fromstring(data, _parser(keep_blank_text))
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(data, source, exc) from None
    tree = root.getroottree()
    docinfo = tree.docinfo
    if cast(Any, docinfo).doctype or docinfo.internalDTD is not None:
        raise _doctype_error(source, _doctype_line(data) or 1)
    return tree
