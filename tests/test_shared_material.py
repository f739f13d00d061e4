"""Missing shared material skips on a user's machine and fails under CI."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import shared


def test_missing_material_skips_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(shared.REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="no-such-folder"):
        shared.require_shared("no-such-folder")


@pytest.mark.parametrize("value", ["1", "true", "yes"])
def test_missing_material_fails_when_required(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(shared.REQUIRE_ENV, value)
    with pytest.raises(pytest.fail.Exception, match=r"no-such-folder.*fails instead of skipping"):
        shared.require_shared("no-such-folder")


def test_present_material_is_returned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(shared.REQUIRE_ENV, "1")
    here = Path(__file__).parent
    monkeypatch.setattr(shared, "SHARED", here)
    assert shared.require_shared("support") == here / "support"


def test_ci_script_requires_the_shared_material() -> None:
    """.ci/run sets the variable, so CI cannot pass by skipping the official files."""
    script = (shared.REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert f"export {shared.REQUIRE_ENV}=1" in script
