"""Without a PostgreSQL server the store tests skip on a user's machine and fail under CI."""

from __future__ import annotations

import pytest
from support.postgres import REQUIRE_ENV, SERVER, missing_postgres


def test_an_unreachable_server_skips_saying_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match=f"PostgreSQL at {SERVER} is not reachable"):
        missing_postgres("connection refused")


def test_under_ci_an_unreachable_server_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match=f"{REQUIRE_ENV} is set"):
        missing_postgres("connection refused")
