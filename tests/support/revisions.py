"""The store revisions as the packaged migrations define them, so tests never hard-code the
newest one (a new migration must not make them need editing)."""

from __future__ import annotations

import re
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory

import sync.store

__all__ = ["HEAD", "VERSION_FILES"]


def _scripts() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", "sync.store:migrations")
    return ScriptDirectory.from_config(config)


HEAD: str = _scripts().get_current_head() or ""
"""The newest revision of the packaged migrations."""

VERSION_FILES: list[str] = sorted(
    match.group(1)
    for path in (Path(sync.store.__file__).parent / "migrations" / "versions").glob("r*.py")
    if (match := re.fullmatch(r"r(\d{4})_\w+\.py", path.name))
)
"""The revision of each migration file (``r0001_sync_tables.py``: ``0001``), in order."""
