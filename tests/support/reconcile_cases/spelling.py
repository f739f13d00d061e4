"""How payers and banks write what the matcher looks for: references grouped, prefixed and
mistyped, invoice numbers in other spellings."""

from __future__ import annotations

import random

from model.identifiers import betalingskenmerk, ogm, rf

__all__ = ["number_text", "spell_reference", "wrong_digit"]

_PREFIXES = ("", "Uw kenmerk: ", "REF ", "/ROC/", "betaling ", "Mededeling: ", "kenmerk: ")


def _grouped(digits: str, rng: random.Random) -> str:
    """Digits in groups of four from the right, separated by spaces, dots or dashes."""
    spaced = betalingskenmerk.format(digits)
    return spaced.replace(" ", rng.choice((" ", " ", ".", "-")))


def spell_reference(rng: random.Random, reference: str) -> str:
    """A reference as a bank or a payer writes it in the text."""
    if reference.startswith("RF"):
        spelled = rf.format(reference) if rng.random() < 0.7 else reference
        if rng.random() < 0.2:
            spelled = spelled.lower()
        return f"{rng.choice(_PREFIXES)}{spelled}".strip()
    if len(reference) == 12 and ogm.is_valid(reference):
        marks = rng.choice(("+++", "***", "+++", ""))
        body = f"{reference[:3]}/{reference[3:7]}/{reference[7:]}"
        return f"{rng.choice(('', 'Communication ', 'mededeling '))}{marks}{body}{marks}".strip()
    spelled = _grouped(reference, rng) if rng.random() < 0.6 else reference
    return rng.choice((f"BETALINGSKENM. {spelled}", f"kenmerk {spelled}", spelled))


def number_text(rng: random.Random, number: str) -> str:
    """Invoice ``number`` (``2026-00042``) as a payer writes it in the text."""
    year, seq = number.split("-")
    return rng.choice(
        (
            f"fact {number}",
            f"INV{year} {seq}",
            f"factuurnr {year}{seq}",
            f"Factuur {number} dank u",
            f"betaling inv. {year}-{seq}",
            f"F {year}/{seq}",
            f"fact.nr. {year} {seq}",
            f"INV-{year}-{seq}.",
            f"factuur: {year}{seq}",
            f"nota {year}.{seq} okt",
            f"Fact{year}-{seq} dec",
        )
    )


def wrong_digit(rng: random.Random, reference: str) -> str:
    """``reference`` with one digit (not of the RF check digits) replaced by another."""
    body = list(reference)
    start = 4 if reference.startswith("RF") else 0
    while True:
        at = rng.randrange(start, len(body))
        if body[at].isdigit():
            body[at] = str((int(body[at]) + rng.randint(1, 9)) % 10)
            return "".join(body)
