"""Betalingskenmerk (Dutch structured payment reference, ``Issr=CUR``).

The payment reference of Dutch (formerly acceptgiro) credit transfers, marked
``CdtrRefInf/Tp/Issr=CUR`` in camt/pain messages. It is 7, 9 to 14, or 16
digits; 8 and 15 digits are not allowed:

======  ==========  ==============================================
length  layout      check
======  ==========  ==============================================
7       7N          none
9-14    C L nN      check digit C and length code L
16      C 15N       check digit C only
======  ==========  ==============================================

* C, the leftmost digit, is the check digit over everything after it.
* L, the second digit (9-14 digits only), is the number of digits after it,
  modulo 10: 7, 8, 9, 0, 1, 2 for lengths 9 to 14. L counts in the check digit.
* The check digit is weighted modulus 11: weights 2, 4, 8, 5, 10, 9, 7, 3, 6, 1
  (2**k mod 11) from the rightmost digit leftwards, repeating after ten digits;
  A = sum of digit x weight, C = 11 - (A mod 11), where 10 becomes 1 and 11
  becomes 0.

Worked example: body ``000056789012345`` gives A = 215, 215 mod 11 = 6,
C = 11 - 6 = 5 -> ``5000 0567 8901 2345``. The print form is groups of four
digits counted from the right, as on the acceptgiro.

Betaalvereniging advises at least 9 digits; a 7-digit reference carries no
check at all. No Python library implements this; it is written here.

Source: Betaalvereniging Nederland, "Specificaties betalingskenmerk"
(betaalvereniging.nl, giraal betalingsverkeer, wijzigingen verwerking
acceptgirobetalingen).

>>> validate('5000 0567 8901 2345')
'5000056789012345'
>>> create('000056789012345')
'5000056789012345'
>>> create('234534622567')
'12234534622567'
>>> format('12234534622567')
'12 2345 3462 2567'
"""

from __future__ import annotations

from stdnum.util import isdigits

from model.identifiers import _wrap
from model.identifiers._errors import InvalidIdentifier

STANDARD = "betalingskenmerk"

_WEIGHTS = (2, 4, 8, 5, 10, 9, 7, 3, 6, 1)
_LENGTHS = (7, 9, 10, 11, 12, 13, 14, 16)
_EXPECTED = "7, 9 to 14, or 16 digits"


def compact(number: str) -> str:
    """Strip spaces, dashes and dots."""
    return _wrap.compact_digits(number)


def calc_check_digit(number: str) -> str:
    """The check digit C for ``number``, everything after C (including L)."""
    total = sum(int(d) * _WEIGHTS[i % 10] for i, d in enumerate(reversed(number)))
    check = 11 - total % 11
    return str({10: 1, 11: 0}.get(check, check))


def validate(number: str) -> str:
    """Return the compact reference or raise InvalidIdentifier."""
    digits = _wrap.digits(STANDARD, number, _LENGTHS, _EXPECTED)
    if len(digits) == 7:
        return digits
    if len(digits) < 16 and digits[1] != str((len(digits) - 2) % 10):
        raise InvalidIdentifier(
            STANDARD,
            number,
            f"length code (2nd digit) must be {(len(digits) - 2) % 10} "
            f"for {len(digits)} digits, is {digits[1]}",
        )
    if digits[0] != calc_check_digit(digits[1:]):
        raise InvalidIdentifier(STANDARD, number, "check digit does not match")
    return digits


def is_valid(number: str) -> bool:
    """True if ``number`` is a valid betalingskenmerk."""
    return _wrap.is_valid(validate, number)


def format(number: str) -> str:
    """Groups of four digits from the right, e.g. ``'12 2345 3462 2567'``."""
    digits = compact(number)
    head = len(digits) % 4
    groups = [digits[:head]] if head else []
    groups += [digits[i : i + 4] for i in range(head, len(digits), 4)]
    return " ".join(groups)


def create(body: str) -> str:
    """Make a checked reference from ``body``.

    A 15-digit body gives a 16-digit reference (C + body); a body of 7 to 12
    digits gives a 9- to 14-digit reference (C + L + body).
    """
    digits = compact(body)
    if not isdigits(digits):
        raise InvalidIdentifier(STANDARD, body, "body must contain only digits")
    if not (7 <= len(digits) <= 12 or len(digits) == 15):
        raise InvalidIdentifier(
            STANDARD, body, f"body must have 7 to 12 or 15 digits, has {len(digits)}"
        )
    if len(digits) <= 12:
        digits = str(len(digits) % 10) + digits
    return calc_check_digit(digits) + digits
