"""MT940 tokenizer: a file's lines, streamed, as ``(tag, lines, line number)`` tokens.

It drops what wraps the statements: the SWIFT blocks ``{1:}{2:}{4:`` ... ``-}``, the bank
preambles (``ABNANL2A⏎940⏎ABNANL2A``, ``0000 01INGBNL2AXXXX00001``, ``940 00``, ``:940:``)
and the trailers (``-``, ``-XXX``, ``-}``). Inside a ``{4:`` block only ``-}`` or ``}`` ends
the message: ING wraps fields anywhere, so a bare ``-`` there is field text. Every line is
decoded as UTF-8 (a BOM dropped), falling back to cp1252 for a line that is not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

__all__ = ["Token", "tokens"]

_TAG = re.compile(r":(\d\d[A-Z]?):(.*)")
_TRAILER = re.compile(r"-(XXX)?\}?")


@dataclass(slots=True)
class Token:
    """One tag (``61``, ``86``, ``60F``...), its first line's text and continuation lines."""

    tag: str
    lines: list[str]
    line: int
    """The file line of the tag."""
    block: bool
    """Read inside a SWIFT ``{4:`` block (ING wraps fields anywhere there)."""
    header: str
    """The ``{2:`` application header of its message, or ''."""


def _decode(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    return text.rstrip("\r\n").lstrip("\ufeff")


def tokens(stream: BinaryIO) -> Iterator[Token]:
    """Yield the tags of ``stream`` in order; non-tag lines outside a tag are dropped."""
    current: Token | None = None
    block = False
    header = ""
    for number, raw in enumerate(stream, start=1):
        line = _decode(raw)
        stripped = line.strip()
        if line.startswith("{"):
            if current is not None:
                yield current
                current = None
            block = "{4:" in line
            found = re.search(r"\{2:([^}]*)\}?", line)
            header = found.group(1) if found else header
            continue
        tag = _TAG.fullmatch(line)
        if tag and tag.group(1) != "940":
            if current is not None:
                yield current
            current = Token(tag.group(1), [tag.group(2)], number, block, header)
            continue
        if block:
            if stripped in ("-}", "}"):
                if current is not None:
                    yield current
                current = None
                block = False
                continue
        elif _TRAILER.fullmatch(stripped) or (tag and tag.group(1) == "940"):
            if current is not None:
                yield current
            current = None
            continue
        if current is not None:
            current.lines.append(line)
    if current is not None:
        yield current
