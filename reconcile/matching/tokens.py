"""What a booking's text and references hold: payment-reference candidates and invoice-number
keys, in the spellings banks use.

References: RF ISO 11649 (``RF18 5390 0754 7034``), the Belgian OGM (``+++010/8068/17183+++``,
``***010/8068/17183***``) and digit runs that may be a Dutch betalingskenmerk (``5000 0567
8901 2345``, ``BETALINGSKENM. 1067931951601240``), grouped by spaces, dots or dashes.
Invoice numbers: the letters-and-digits form of each token and of runs of tokens, and the
digits of runs of digit groups (``fact 2026-0842``, ``INV2026 0842``, ``factuurnr 20260842``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from model.identifiers import betalingskenmerk, ogm, rf
from reconcile.matching.book import MIN_DIGIT_KEY
from reconcile.open_items import compact_reference
from reconcile.transaction import Transaction

__all__ = [
    "ReferenceCandidate",
    "checked_kind",
    "number_keys",
    "reference_candidates",
    "valid_reference",
]

_RF = re.compile(r"RF(?=(\d{2}(?: ?[0-9A-Z]{1,4}){1,6}))")  # overlapping: RF09 INV6 RF79 INV7
_OGM = re.compile(r"([+*]{3})\s*(\d{3})\s*/?\s*(\d{4})\s*/?\s*(\d{5})\s*\1")
_DIGIT_RUN = re.compile(r"\d+(?:[ .\-/]\d+)*")
_SEPARATOR = re.compile(r"[ .\-/]")
_TOKEN = re.compile(r"[0-9A-Z]+")
_KEYWORD = re.compile(r"KENM|REF|MEDEDELING|COMMUNICATION")
_KENMERK_LENGTHS = frozenset({7, 9, 10, 11, 12, 13, 14, 16})
_NEAR_LENGTHS = frozenset({9, 10, 11, 12, 13, 14, 16})


@dataclass(frozen=True, slots=True)
class ReferenceCandidate:
    value: str
    """Compact: ``RF18539007547034``, ``010806817183``, ``5000056789012345``."""
    marked: bool
    """True when the booking marks it as a reference (the structured field, an RF or OGM
    spelling, a whole run of 16 digits, or a run of 9-14 digits after ``KENMERK``,
    ``BETALINGSKENM.``, ``REF`` or ``MEDEDELING``), so a near miss may be looked at."""


def valid_reference(value: str) -> str | None:
    """The kind of a reference whose check holds: ``RF``, ``OGM``, ``betalingskenmerk``,
    else None. A 7-digit betalingskenmerk carries no check and counts as valid."""
    if _COMPACT.fullmatch(value):
        return _compact_kind(value)
    return checked_kind(value)


def checked_kind(value: str) -> str | None:
    """:func:`valid_reference` by the model's validators (python-stdnum), for any value."""
    if value.startswith("RF"):
        return "RF" if rf.is_valid(value) else None
    if not value.isdigit():
        return None
    if len(value) == 12 and ogm.is_valid(value):
        return "OGM"
    if betalingskenmerk.is_valid(value):
        return "betalingskenmerk"
    return None


_COMPACT = re.compile(r"[0-9A-Z]+")
_RF_SHAPE = re.compile(r"RF(0[2-9]|[1-8][0-9]|9[0-8])[0-9A-Z]{1,21}")


def _compact_kind(value: str) -> str | None:
    """:func:`valid_reference` of a compact value (``[0-9A-Z]+``, what every candidate is),
    without python-stdnum's cleaning and exceptions: the same checks, in line. RF:
    ISO 11649 (RF, check digits 02-98, 1 to 21 letters or digits, MOD 97-10 of the body
    followed by ``RF`` and the check digits is 1); OGM: 12 digits, not all zero, the last
    two the first ten MOD 97 (97 for 0); betalingskenmerk: 7 digits, or 9-14 digits whose
    second digit is the length code, or 16, with the weighted MOD 11 check digit first
    (:func:`model.identifiers.betalingskenmerk.calc_check_digit`)."""
    if value.startswith("RF"):
        if not _RF_SHAPE.fullmatch(value):
            return None
        moved = value[4:] + value[:4]
        return "RF" if int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1 else None
    if not value.isdigit():
        return None
    length = len(value)
    if length == 12 and int(value) > 0 and f"{int(value[:10]) % 97 or 97:02d}" == value[10:]:
        return "OGM"
    if length not in _KENMERK_LENGTHS:
        return None
    if length == 7:
        return "betalingskenmerk"
    if length < 16 and value[1] != str((length - 2) % 10):
        return None
    if value[0] != betalingskenmerk.calc_check_digit(value[1:]):
        return None
    return "betalingskenmerk"


def reference_candidates(transaction: Transaction) -> list[ReferenceCandidate]:
    """Every payment reference the booking may carry, structured field first, without
    duplicates (Rabobank repeats the structured reference in the text)."""
    references = (transaction.structured_reference, *transaction.structured_references)
    return list(_candidates(references, transaction.text))


@functools.lru_cache(maxsize=4096)
def _candidates(references: tuple[str | None, ...], text: str) -> tuple[ReferenceCandidate, ...]:
    """:func:`reference_candidates` of a booking's structured references and text (kept
    for the next stages and the checks that read the same booking again)."""
    found: dict[str, ReferenceCandidate] = {}

    def add(value: str, marked: bool) -> None:
        if len(value) < 5:
            return
        old = found.get(value)
        if old is None or (marked and not old.marked):
            found[value] = ReferenceCandidate(value, marked)

    for reference in references:
        if reference:
            add(compact_reference(reference), True)
    if not text:
        return tuple(found.values())
    text = text.upper()
    if "RF" in text:
        for match in _RF.finditer(text):
            for value in _rf_prefixes("RF" + match.group(1)):
                add(value, True)
    if "++" in text or "**" in text:
        for match in _OGM.finditer(text):
            add(match.group(2) + match.group(3) + match.group(4), True)
    for run in _DIGIT_RUN.finditer(text):
        groups = _SEPARATOR.split(run.group(0))
        whole = "".join(groups)
        keyword = _KEYWORD.search(text, max(0, run.start() - 24), run.start()) is not None
        if len(whole) == 16 or (keyword and len(whole) in _NEAR_LENGTHS):
            add(whole, True)
        for value in _windows(groups):
            if len(value) in _KENMERK_LENGTHS:
                add(value, False)
    return tuple(found.values())


def _rf_prefixes(spelled: str) -> Iterator[str]:
    """An RF spelling cut at each group boundary, longest first (the regular expression may
    run on into the next word)."""
    parts = spelled.split(" ")
    head = parts[0]
    groups = parts[1:]
    for end in range(len(groups), -1, -1):
        value = head + "".join(groups[:end])
        if 5 <= len(value) <= 25:
            yield value


def _windows(groups: list[str], widest: int = 5) -> Iterator[str]:
    for start in range(len(groups)):
        value = ""
        for end in range(start, min(len(groups), start + widest)):
            value += groups[end]
            yield value


def number_keys(transaction: Transaction) -> list[str]:
    """The invoice-number keys of the booking's text and EndToEndId: each token and each run
    of up to three adjacent tokens as letters and digits, and runs of digit groups as digits.
    The EndToEndId's keys come first."""
    return list(_number_keys(transaction.end_to_end_id, transaction.text))


@functools.lru_cache(maxsize=4096)
def _number_keys(end_to_end_id: str | None, text: str) -> tuple[str, ...]:
    """:func:`number_keys` of a booking's EndToEndId and text."""
    keys: dict[str, None] = {}
    sources = []
    if end_to_end_id:
        sources.append(end_to_end_id.upper())
    if text:
        sources.append(text.upper())
    for source in sources:
        tokens = _TOKEN.findall(source)
        for start in range(len(tokens)):
            value = ""
            for end in range(start, min(len(tokens), start + 3)):
                value += tokens[end]
                if not value.isalpha():  # tokens are [0-9A-Z]: not all letters has a digit
                    keys[value] = None
        for run in _DIGIT_RUN.finditer(source):
            groups = _SEPARATOR.split(run.group(0))
            for value in _windows(groups, widest=3):
                if len(value) >= MIN_DIGIT_KEY:
                    keys[value] = None
    return tuple(keys)
