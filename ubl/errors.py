"""Errors raised by the UBL writer and parser.

Exception tree::

    UblError
    +-- InputError      bad input: not XML, wrong root, DOCTYPE/entities, a bad
    |                   value; names the file, the line and the field
    +-- ProfileError    the model cannot satisfy the chosen profile; carries the
                        violated rules, each with its rule id and field
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["InputError", "ProfileError", "UblError", "Violation"]


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


@dataclass(frozen=True, slots=True)
class Violation:
    """One profile rule that a model breaks: rule id (``BR-NL-1``), model field, text."""

    rule: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.rule} ({self.field}): {self.message}"


class ProfileError(UblError):
    """The writer refused a model that cannot satisfy the profile."""

    def __init__(self, profile: str, violations: list[Violation]) -> None:
        self.profile = profile
        self.violations = tuple(violations)
        lines = "\n".join(f"  {v}" for v in self.violations)
        super().__init__(f"document does not satisfy profile {profile!r}:\n{lines}")
