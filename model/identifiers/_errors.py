"""The one exception raised by :mod:`model.identifiers`."""

from __future__ import annotations

__all__ = ["InvalidIdentifier"]


class InvalidIdentifier(ValueError):
    """An identifier that fails its standard's checks.

    The message reads ``"<standard> <value>: <reason>"``, for example
    ``"NL VAT number NL000099998B58: check digit does not match"``. The three parts
    are also kept as attributes so that callers can build their own messages.
    """

    def __init__(self, standard: str, value: str, reason: str) -> None:
        self.standard = standard
        self.value = value
        self.reason = reason
        shown = value.strip() or repr(value)
        super().__init__(f"{standard} {shown}: {reason}")

    def __reduce__(self) -> tuple[type[InvalidIdentifier], tuple[str, str, str]]:
        # ValueError pickles its message only; keep the three parts instead.
        return (type(self), (self.standard, self.value, self.reason))
