"""A store that cannot be written, on a real read-only file system: a clear message, exit 2,
and nothing delivered (issue 14, section 8).

Tests run as root, where file permissions do not stop a write; a read-only mount does.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.file_sources import FIXTURES
from support.mounts import tmpfs
from typer.testing import CliRunner

from ledgerlink.cli import app

runner = CliRunner()


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    """A folder on a read-only tmpfs (needs mount; skipped where not allowed)."""
    with tmpfs(tmp_path / "read-only", "ro,size=64k") as mount:
        yield mount


def test_store_upgrade_on_a_read_only_folder_says_so(read_only: Path) -> None:
    url = f"sqlite:///{read_only / 'ledgerlink.db'}"
    result = runner.invoke(app, ["store", "upgrade", "--store", url])
    assert result.exit_code == 2, result.output
    assert f"cannot use the store {url}" in result.stderr
    assert "can the folder be written?" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.usefixtures("artifacts_cache")
def test_sync_with_a_store_that_cannot_be_written_delivers_nothing(
    read_only: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEDGERLINK_STORE", raising=False)
    (tmp_path / "inbox").mkdir()
    shutil.copyfile(FIXTURES / "nl-standard-21-9.xml", tmp_path / "inbox" / "one.xml")
    settings = tmp_path / "ledgerlink.toml"
    settings.write_text(
        f'[store]\nurl = "sqlite:///{read_only / "ledgerlink.db"}"\n'
        '[channels.archive]\ntype = "directory"\npath = "delivered"\n'
        '[connections.shop]\nconnector = "ubl-dir"\npath = "inbox"\nchannels = ["archive"]\n',
        encoding="utf-8",
    )
    result = runner.invoke(app, ["--config", str(settings), "sync", "shop"])
    assert result.exit_code == 2, result.output
    assert "cannot use the store" in result.stderr and str(read_only) in result.stderr
    assert not any((tmp_path / "delivered").glob("*.xml"))  # nothing delivered
    assert (tmp_path / "inbox" / "one.xml").exists()  # the source is untouched
