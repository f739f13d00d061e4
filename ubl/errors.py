"""Errors raised by the UBL writer and parser.

Exception tree::

    UblError
    +-- InputError      bad input: not XML, wrong root, DOCTYPE/entities, a bad
    |                   value; names the file, the line and the field
    +-- ProfileError    the model cannot satisfy the chosen profile or the EN 16931
                        calculation rules; carries each broken rule as a
                        model.findings.Finding (rule id, field, message)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the model is imported only where a finding is made: ubl.validate stays light
    from model.findings import Finding

__all__ = ["InputError", "ProfileError", "UblError"]


class UblError(Exception):
    """Base class of every error raised by :mod:`ubl`."""


class InputError(UblError):
    """A document that cannot be read, with where and why.

    ``source`` is the file name (or ``<bytes>``), ``line`` the 1-based line
    number where known, ``field`` the UBL element or model field concerned.
    ``rule`` says what kind of failure it is where the reader knows, as the
    validator's ``input`` findings name it: ``INPUT-TOO-LARGE``,
    ``INPUT-UNREADABLE``, ``XML-SYNTAX``, ``XML-DOCTYPE``, ``XML-ENCODING``,
    ``XML-TOO-DEEP``; None for a value the parser cannot read.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str = "<bytes>",
        line: int | None = None,
        field: str | None = None,
        rule: str | None = None,
    ) -> None:
        self.message = message
        self.source = source
        self.line = line
        self.field = field
        self.rule = rule
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        what = f" [{self.field}]" if self.field else ""
        return f"{where}:{what} {self.message}"


class ProfileError(UblError):
    """The writer refused a model: it breaks a rule of the profile, its figures break the
    EN 16931 calculation rules, or it holds text XML 1.0 cannot carry.

    ``findings``: each broken rule as a :class:`model.findings.Finding` (layer ``profile``
    or ``calculation``) with its rule id, model field and message, one per line of the
    error's text.
    """

    def __init__(self, profile: str, findings: Iterable[Finding]) -> None:
        self.profile = profile
        self.findings = tuple(findings)
        lines = "\n".join(f"  {f}" for f in self.findings)
        super().__init__(f"document does not satisfy profile {profile!r}:\n{lines}")

    def __reduce__(self) -> tuple[type[ProfileError], tuple[str, tuple[Finding, ...]]]:
        return type(self), (self.profile, self.findings)
