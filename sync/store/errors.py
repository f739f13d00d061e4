"""The store's exceptions, in one tree; each message is one line naming the store's URL
without its password.

* :class:`StoreError` - anything the store refuses or cannot do.

  * :class:`StoreUnavailable` - the store cannot be opened: an unsupported or malformed
    URL, a path that cannot be written, a file that is no SQLite database, a PostgreSQL
    server that cannot be reached or refuses the login.
  * :class:`StoreVersionError` - the store's schema is not the one this code writes.

    * :class:`StoreTooNew` - written by a newer ledgerlink (a revision this code does not
      know): upgrade ledgerlink.
    * :class:`StoreTooOld` - at an older revision, or empty: run ``ledgerlink store upgrade``.

  * :class:`StoreNotEmpty` - a copy's target already holds rows.
"""

from __future__ import annotations

__all__ = [
    "StoreError",
    "StoreNotEmpty",
    "StoreTooNew",
    "StoreTooOld",
    "StoreUnavailable",
    "StoreVersionError",
]


class StoreError(Exception):
    """Anything the store refuses or cannot do; ``str()`` is one line for the user."""


class StoreUnavailable(StoreError):
    """The store cannot be opened or reached."""


class StoreVersionError(StoreError):
    """The store's revision is not the newest this code knows."""

    def __init__(self, message: str, revision: str | None) -> None:
        super().__init__(message)
        self.revision = revision


class StoreTooNew(StoreVersionError):
    """The store was written by a newer ledgerlink."""


class StoreTooOld(StoreVersionError):
    """The store needs ``ledgerlink store upgrade``."""


class StoreNotEmpty(StoreError):
    """A copy's target already holds rows."""

    def __init__(self, message: str, table: str) -> None:
        super().__init__(message)
        self.table = table
