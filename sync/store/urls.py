"""Store URLs: which ones are accepted, how a driver is chosen, how they are shown.

``sqlite:///PATH`` (relative to the working folder; ``sqlite:////abs/path`` is absolute)
and ``postgresql://user@host:port/db``; ``postgresql://`` and ``postgres://`` mean
psycopg 3 (``postgresql+psycopg://``). A URL is never shown with its password:
:func:`redact` replaces it with ``***``. Nothing here imports SQLAlchemy.
"""

from __future__ import annotations

import re
from pathlib import Path

from sync.store.errors import StoreUnavailable

__all__ = ["driver_url", "redact", "sqlite_file", "with_sqlite_base"]

_SCHEMES = {
    "sqlite": "sqlite",
    "sqlite+pysqlite": "sqlite",
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
}
_QUERY_PASSWORD = re.compile(r"(?i)([?&]password=)[^&]*")


def redact(url: str) -> str:
    """``url`` with any password replaced by ``***`` (in the user part and in the query).

    >>> redact("postgresql://user:secret@host/db")
    'postgresql://user:***@host/db'
    >>> redact("postgresql://host/db?user=u&password=s3")
    'postgresql://host/db?user=u&password=***'
    >>> redact("sqlite:///ledgerlink.db")
    'sqlite:///ledgerlink.db'
    """
    scheme, sep, rest = url.partition("://")
    if sep:
        authority_end = len(rest)
        for stop in "/?#":
            position = rest.find(stop, rest.rfind("@") + 1)
            if position != -1:
                authority_end = min(authority_end, position)
        authority = rest[:authority_end]
        userinfo, at, host = authority.rpartition("@")
        if at and ":" in userinfo:
            user = userinfo.split(":", 1)[0]
            rest = f"{user}:***@{host}{rest[authority_end:]}"
        url = f"{scheme}{sep}{rest}"
    return _QUERY_PASSWORD.sub(r"\1***", url)


def _scheme(url: str) -> str:
    scheme, sep, _ = url.partition("://")
    if not sep:
        raise StoreUnavailable(
            f"{redact(url)!r} is no store URL: use sqlite:///PATH or postgresql://user@host/db"
        )
    return scheme.lower()


def driver_url(url: str) -> str:
    """The URL SQLAlchemy is given: ``postgresql://`` becomes ``postgresql+psycopg://``."""
    scheme = _scheme(url)
    try:
        driver = _SCHEMES[scheme]
    except KeyError:
        raise StoreUnavailable(
            f"store URL {redact(url)}: unsupported scheme {scheme!r} "
            "(use sqlite:///PATH or postgresql://user@host/db)"
        ) from None
    return driver + url[len(scheme) :]


def sqlite_file(url: str) -> Path | None:
    """The database file of a ``sqlite:///PATH`` URL; None for memory or another database."""
    scheme = _scheme(url)
    if _SCHEMES.get(scheme) != "sqlite":
        return None
    path = url[len(scheme) + len(":///") :].split("?", 1)[0]
    if not path or path == ":memory:" or not url.startswith(f"{scheme}:///"):
        return None
    return Path(path)


def with_sqlite_base(url: str, base: Path) -> str:
    """``url`` with a relative SQLite path made relative to ``base`` (other URLs as given)."""
    path = sqlite_file(url)
    if path is None or path.is_absolute():
        return url
    scheme = url.partition("://")[0]
    query = url.partition("?")[2]
    absolute = (base / path).resolve()
    return f"{scheme}:///{absolute}" + (f"?{query}" if query else "")
