"""Bank statement readers: CAMT.053 / CAMT.054 (001.02 to 001.08) and MT940 (ING, Rabobank,
ABN AMRO, Triodos, Knab, SNS), all into :class:`reconcile.transaction.Statement`.

>>> for statement in read_statements("statement.xml"):   # doctest: +SKIP
...     print(statement.account, statement.balance_problem)

Both readers stream: a camt file through lxml ``iterparse`` with each entry cleared, an
MT940 file line by line. Every problem with the file is a :class:`StatementError` naming the
file and, where it has one, the entry. IBAN check digits are not a read error (see
:mod:`.ibans`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from reconcile.statements.camt import read_camt
from reconcile.statements.detect import detect_format
from reconcile.statements.errors import StatementError
from reconcile.statements.ibans import IbanProblem, check_ibans, iban_problems
from reconcile.statements.mt940 import read_mt940
from reconcile.transaction import Statement

__all__ = [
    "IbanProblem",
    "StatementError",
    "check_ibans",
    "detect_format",
    "iban_problems",
    "read_statements",
]


def read_statements(path: str | os.PathLike[str]) -> Iterator[Statement]:
    """Yield the statements of the file at ``path``, whatever its format (detected from its
    content). Raises StatementError (possibly after some statements were yielded)."""
    if detect_format(path) == "camt":
        return read_camt(path)
    return read_mt940(path)
