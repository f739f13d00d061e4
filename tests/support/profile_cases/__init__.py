"""The profile rule cases, one module per rule family: each case is (profile, a change to
:func:`support.profile_documents.clean_invoice`, the rule id it breaks, the model field named).

:data:`CASES` holds them in one order (the order of the families' parts below, then the
generated core and VAT category cases), :data:`CASE_IDS` their test ids (``rule:field``).
"""

from __future__ import annotations

from support.profile_cases import codes, core, nlcius, peppol, syntax, vat
from support.profile_documents import Case

__all__ = ["CASES", "CASE_IDS"]

CASES: list[Case] = [
    *core.FIRST,
    *vat.FIRST,
    *core.DECIMALS,
    *codes.FIRST,
    *syntax.FIRST,
    *peppol.FIRST,
    *nlcius.CASES,
    *vat.SECOND,
    *codes.SECOND,
    *syntax.SECOND,
    *peppol.SECOND,
]
CASES += core.more_core_cases() + vat.category_cases()
CASE_IDS = [f"{rule}:{field}" for _, _, rule, field in CASES]
