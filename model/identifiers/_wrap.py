"""Helpers shared by the identifier modules.

* :func:`checked` runs a python-stdnum ``validate`` and turns its
  :class:`stdnum.exceptions.ValidationError` into :class:`InvalidIdentifier` whose
  message names the standard, the value and what is wrong;
* :func:`digits` is the compact-and-count check of the plain digit identifiers
  written here (KvK, OIN, betalingskenmerk);
* :func:`is_valid` is the ``is_valid`` of every module, given its ``validate``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping

from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)
from stdnum.util import clean, isdigits

from model.identifiers._errors import InvalidIdentifier

Reasons = Mapping[type[ValidationError], str]

_REASONS: Reasons = {
    InvalidChecksum: "check digit does not match",
    InvalidLength: "has the wrong length",
    InvalidComponent: "contains an unknown or invalid part",
    InvalidFormat: "has an invalid format",
    ValidationError: "is not valid",
}


def _reason(error: ValidationError, reasons: Reasons) -> str:
    """The most specific reason for ``error``: per-standard wording before the default."""
    for cls in type(error).__mro__:
        for table in (reasons, _REASONS):
            if cls in table:
                return table[cls]
    return _REASONS[ValidationError]


def checked(
    standard: str,
    validate: Callable[[str], str],
    number: str,
    reasons: Reasons | None = None,
) -> str:
    """Return ``validate(number)``; re-raise a stdnum ValidationError as InvalidIdentifier.

    ``reasons`` overrides the default wording for some stdnum exception classes.
    """
    try:
        return validate(number)
    except ValidationError as error:
        raise InvalidIdentifier(standard, number, _reason(error, reasons or {})) from error


def is_valid(validate: Callable[[str], str], number: str) -> bool:
    """True if ``validate(number)`` does not raise InvalidIdentifier."""
    try:
        validate(number)
    except InvalidIdentifier:
        return False
    return True


def compact_digits(number: str) -> str:
    """Strip spaces, dashes and dots (the usual separators of digit identifiers)."""
    return clean(number, " -.").strip()


def digits(standard: str, number: str, lengths: Collection[int], expected: str) -> str:
    """Compact ``number`` and check that it is all digits with a length in ``lengths``.

    ``expected`` describes the allowed lengths for the message, e.g. ``"8 digits"``.
    """
    compact = compact_digits(number)
    if not compact:
        raise InvalidIdentifier(standard, number, f"is empty (expected {expected})")
    if not isdigits(compact):
        raise InvalidIdentifier(standard, number, f"must contain only digits ({expected})")
    if len(compact) not in lengths:
        raise InvalidIdentifier(standard, number, f"must have {expected}, has {len(compact)}")
    return compact
