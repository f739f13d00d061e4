"""Belgian OGM/VCS (gestructureerde mededeling / communication structurée).

The structured payment communication of Belgian credit transfers: 12 digits,
written ``+++ddd/dddd/ddddd+++``. The first 10 digits are free; the last two are
(first 10 digits as an integer) mod 97, with 0 replaced by 97. The all-zero
number is not valid.

Worked examples: 0108068171 mod 97 = 83 -> ``+++010/8068/17183+++``;
0000012345 -> 26 -> ``+++000/0012/34526+++``.

In camt statements Belgian banks mark it ``Issr=BBA``.

Sources: Febelfin banking standards; python-stdnum 2.2 ``stdnum.be.ogm_vcs``
(new in 2.2; its ``format`` leaves out the ``+++`` which is added here).

>>> validate('+++010/8068/17183+++')
'010806817183'
>>> create('0108068171')
'010806817183'
>>> format('010806817183')
'+++010/8068/17183+++'
"""

from __future__ import annotations

from stdnum.be import ogm_vcs
from stdnum.exceptions import InvalidFormat, InvalidLength
from stdnum.util import isdigits

from model.identifiers import _wrap
from model.identifiers._errors import InvalidIdentifier

STANDARD = "Belgian OGM/VCS"

_REASONS: _wrap.Reasons = {
    InvalidLength: "must have 12 digits",
    InvalidFormat: "must be 12 digits (not all zero), optionally as +++ddd/dddd/ddddd+++",
}


def compact(number: str) -> str:
    """Strip spaces, ``+`` and ``/``."""
    return ogm_vcs.compact(number)


def validate(number: str) -> str:
    """Return the 12 digits or raise InvalidIdentifier."""
    return _wrap.checked(STANDARD, ogm_vcs.validate, number, _REASONS)


def is_valid(number: str) -> bool:
    """True if ``number`` is a valid OGM/VCS."""
    return _wrap.is_valid(validate, number)


def format(number: str) -> str:
    """The bank form ``+++ddd/dddd/ddddd+++``."""
    return f"+++{ogm_vcs.format(number)}+++"


def create(body10: str) -> str:
    """Append the two check digits to a 10-digit body; return the 12 digits."""
    body = compact(body10)
    if not isdigits(body) or len(body) != 10:
        raise InvalidIdentifier(STANDARD, body10, "body must be 10 digits")
    return body + ogm_vcs.calc_check_digits(body)
