"""What a booking's text and references hold: payment-reference candidates and invoice-number
keys, in the spellings banks use.

References: RF ISO 11649 (``RF18 5390 0754 7034``), the Belgian OGM (``+++010/8068/17183+++``,
``***010/8068/17183***``) and digit runs that may be a Dutch betalingskenmerk (``5000 0567
8901 2345``, ``BETALINGSKENM. 1067931951601240``), grouped by spaces, dots or dashes.
Invoice numbers: the letters-and-digits form of each token and of runs of tokens, and the
digits of runs of digit groups (``fact 2026-0842``, ``INV2026 0842``, ``factuurnr 20260842``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from model.identifiers import betalingskenmerk, ogm, rf
from reconcile.matching.book import MIN_DIGIT_KEY
from reconcile.open_items import compact_reference
from reconcile.transaction import Transaction

__all__ = ["ReferenceCandidate", "number_keys", "reference_candidates", "valid_reference"]

_RF = re.compile(r"RF(?=(\d{2}(?: ?[0-9A-Z]{1,4}){1,6}))")  # overlapping: RF09 INV6 RF79 INV7
_OGM = re.compile(r"([+*]{3})\s*(\d{3})\s*/?\s*(\d{4})\s*/?\s*(\d{5})\s*\1")
_DIGIT_RUN = re.compile(r"\d+(?:[ .\-/]\d+)*")
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
    if value.startswith("RF"):
        return "RF" if rf.is_valid(value) else None
    if not value.isdigit():
        return None
    if len(value) == 12 and ogm.is_valid(value):
        return "OGM"
    if betalingskenmerk.is_valid(value):
        return "betalingskenmerk"
    return None


def reference_candidates(transaction: Transaction) -> list[ReferenceCandidate]:
    """Every payment reference the booking may carry, structured field first, without
    duplicates (Rabobank repeats the structured reference in the text)."""
    found: dict[str, ReferenceCandidate] = {}

    def add(value: str, marked: bool) -> None:
        if len(value) < 5:
            return
        old = found.get(value)
        if old is None or (marked and not old.marked):
            found[value] = ReferenceCandidate(value, marked)

    for reference in (transaction.structured_reference, *transaction.structured_references):
        if reference:
            add(compact_reference(reference), True)
    text = transaction.text.upper()
    for match in _RF.finditer(text):
        for value in _rf_prefixes("RF" + match.group(1)):
            add(value, True)
    for match in _OGM.finditer(text):
        add(match.group(2) + match.group(3) + match.group(4), True)
    for run in _DIGIT_RUN.finditer(text):
        groups = re.split(r"[ .\-/]", run.group(0))
        whole = "".join(groups)
        keyword = _KEYWORD.search(text, max(0, run.start() - 24), run.start()) is not None
        if len(whole) == 16 or (keyword and len(whole) in _NEAR_LENGTHS):
            add(whole, True)
        for value in _windows(groups):
            if len(value) in _KENMERK_LENGTHS:
                add(value, False)
    return list(found.values())


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
    keys: dict[str, None] = {}
    sources = []
    if transaction.end_to_end_id:
        sources.append(transaction.end_to_end_id.upper())
    sources.append(transaction.text.upper())
    for source in sources:
        tokens = _TOKEN.findall(source)
        for start in range(len(tokens)):
            value = ""
            for end in range(start, min(len(tokens), start + 3)):
                value += tokens[end]
                if any(ch.isdigit() for ch in value):
                    keys[value] = None
        for run in _DIGIT_RUN.finditer(source):
            groups = re.split(r"[ .\-/]", run.group(0))
            for value in _windows(groups, widest=3):
                if len(value) >= MIN_DIGIT_KEY:
                    keys[value] = None
    return list(keys)
