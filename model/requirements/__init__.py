"""National legal invoice requirements, per seller country, beyond EN 16931.

EN 16931 (and the CIUS Schematron) says what a *valid e-invoice* is. A tax
authority says what an *invoice* must state for VAT purposes, and some of that
is optional in EN 16931: the seller's chamber of commerce number, the supply
date, the customer's VAT number under reverse charge. This package checks
those national requirements only; it never repeats an EN 16931 rule. For
every country it also checks that the identifiers the invoice carries pass
their standard's check (:mod:`model.requirements.identifiers`).

Which rules apply follows the seller's country (BT-40, ``seller.address.country``)
because the invoicing rules are those of the member state where the supply is
taxed, which for the documents this connector writes is the seller's.

    >>> findings = check_requirements(invoice)          # doctest: +SKIP
    >>> [f"{f.rule} {f.field}" for f in findings]       # doctest: +SKIP
    ['NL-FACTUUR-5 seller.legal_registration']

Adding a country
----------------

1. Write ``model/requirements/<cc>.py`` (``cc`` the ISO 3166-1 alpha-2 code in
   lower case, e.g. ``be.py``) with a function
   ``check(document: Invoice) -> list[Finding]`` (:class:`model.findings.Finding`,
   layer ``requirements``). Keep it a table of small rule functions as in
   :mod:`model.requirements.nl`; give each finding a rule id
   ``<CC>-<NAME>-<n>``, the model field path it is about and a message that
   names the national requirement and explains it in English.
2. Add the upper-case code to ``BUILT_IN_COUNTRIES`` below. The module is
   imported the first time a document from that country is checked.
3. Add tests next to ``tests/model/test_requirements.py``.

Code outside this package (a customer-specific rule set, a plug-in) calls
:func:`register` instead; a registered checker replaces the built-in one for
that country.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from model.document import Invoice
from model.findings import Finding

__all__ = [
    "BUILT_IN_COUNTRIES",
    "Checker",
    "check_requirements",
    "checker_for",
    "register",
]


Checker = Callable[[Invoice], list[Finding]]
"""A country's rule set: the findings for one document."""

BUILT_IN_COUNTRIES: frozenset[str] = frozenset({"NL"})
"""Countries with a module ``model.requirements.<cc>`` that exposes ``check``."""

_checkers: dict[str, Checker] = {}


def register(country: str, checker: Checker) -> None:
    """Use ``checker`` for documents whose seller is in ``country`` (ISO 3166-1 alpha-2).

    Replaces any checker registered or built in for that country.
    """
    _checkers[_country_key(country)] = checker


def checker_for(country: str) -> Checker | None:
    """The checker for a seller country, loading a built-in module on first use."""
    key = _country_key(country)
    checker = _checkers.get(key)
    if checker is None and key in BUILT_IN_COUNTRIES:
        module = importlib.import_module(f"{__name__}.{key.lower()}")
        loaded: Checker = module.check
        checker = _checkers.setdefault(key, loaded)
    return checker


def check_requirements(document: Invoice) -> list[Finding]:
    """What ``document`` misses: identifiers that fail their check, then national requirements.

    The identifier check (:mod:`model.requirements.identifiers`: VAT ids, IBAN,
    scheme identifiers such as KvK and GLN, structured payment references)
    runs for every document; the national requirements are those of the
    seller's country (BT-40), and a country without a checker has none.
    """
    from model.requirements import identifiers

    checker = checker_for(document.seller.address.country)
    national = [] if checker is None else checker(document)
    return identifiers.check(document) + national


def _country_key(country: str) -> str:
    return country.strip().upper()
