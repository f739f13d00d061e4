"""What a ``:86:`` splitter returns, and the helpers the splitters share."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Narrative", "join_lines", "looks_like_iban", "slash_tags"]

_IBAN = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}")
_BIC = re.compile(r"[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?")
WRAP = 65
"""A line of this many characters or more (the first line counted with its ``:86:`` tag) was
wrapped by the bank mid-word, so it continues without a separator; a shorter line ended for
a reason and is joined with a space. Rabobank also wraps at 64 (:data:`RABOBANK_WRAP`)."""
RABOBANK_WRAP = 64
TAG_WIDTH = 4
"""``:86:``, which the first line of the field carries in the file."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Narrative:
    """The fields a ``:86:`` gives; the reader puts them on the Transaction."""

    layout: str
    name: str | None = None
    iban: str | None = None
    bic: str | None = None
    ultimate_debtor: str | None = None
    structured_reference: str | None = None
    text: str = ""
    end_to_end_id: str | None = None
    bank_code: str | None = None
    return_reason: str | None = None
    mandate_id: str | None = None
    creditor_id: str | None = None


def join_lines(lines: list[str], wrap: int = WRAP) -> str:
    """The lines as one string by the wrap rule (:data:`WRAP`), whitespace runs folded."""
    out = ""
    for number, line in enumerate(lines):
        if number:
            width = len(lines[number - 1]) + (TAG_WIDTH if number == 1 else 0)
            out += line if width >= wrap else " " + line
        else:
            out = line
    return " ".join(out.split())


def looks_like_iban(value: str | None) -> bool:
    return bool(value) and _IBAN.fullmatch(value or "") is not None


def looks_like_bic(value: str | None) -> bool:
    return bool(value) and _BIC.fullmatch(value or "") is not None


def slash_tags(text: str, tags: tuple[str, ...]) -> dict[str, str]:
    """``/TAG/value/TAG/value`` split on the known ``tags`` (a value may hold ``/``); the
    trailing ``/`` of each value is dropped. The first occurrence of a tag wins."""
    pattern = re.compile("/(" + "|".join(tags) + ")/")
    found = list(pattern.finditer(text))
    out: dict[str, str] = {}
    for here, following in zip(found, [*found[1:], None], strict=False):
        end = following.start() if following is not None else len(text)
        value = text[here.end() : end]
        if value.endswith("/"):
            value = value[:-1]
        out.setdefault(here.group(1), value.strip())
    return out


def no_id(value: str | None) -> str | None:
    """None for an empty value or ``NOTPROVIDED``."""
    if value is None:
        return None
    value = value.strip()
    return None if not value or value.upper() == "NOTPROVIDED" else value


def compact(value: str | None) -> str | None:
    """A reference without spaces, or None."""
    if value is None:
        return None
    value = "".join(value.split())
    return value or None
