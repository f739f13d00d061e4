"""The directory channel: atomic drop, a full disk leaves nothing behind, lookup after a crash."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.mounts import tmpfs

from delivery import directory
from delivery.base import (
    ChannelRefused,
    ChannelUnavailable,
    DeliveryState,
    Envelope,
    open_channel,
    parse_channel_settings,
)
from delivery.directory import RECEIPT_FOLDER, DirectoryChannel
from model.document import DocumentKind

UBL = b'<?xml version="1.0" encoding="UTF-8"?>\n<Invoice>INV-1</Invoice>\n'


def envelope(key: str = "key-1", ubl: bytes = UBL, file_name: str = "INV-1.xml") -> Envelope:
    return Envelope(
        idempotency_key=key,
        connection="shop",
        number="INV-1",
        kind=DocumentKind.INVOICE,
        ubl=ubl,
        file_name=file_name,
    )


def visible(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != RECEIPT_FOLDER)


def test_send_drops_the_exact_bytes_and_nothing_else(tmp_path: Path) -> None:
    channel = DirectoryChannel("archive", tmp_path / "out")
    receipt = channel.send(envelope())
    assert receipt.state is DeliveryState.DELIVERED
    assert (tmp_path / "out" / "INV-1.xml").read_bytes() == UBL
    assert visible(tmp_path / "out") == ["INV-1.xml"]  # no temporary file left
    assert channel.poll(envelope(), receipt.remote_id or "") == []


def test_open_channel_takes_a_relative_path_from_the_settings_folder(tmp_path: Path) -> None:
    settings = parse_channel_settings({"type": "directory", "path": "delivered"})
    channel = open_channel("archive", settings, base_dir=tmp_path)
    assert (channel.name, channel.kind) == ("archive", "directory")
    channel.send(envelope())
    assert (tmp_path / "delivered" / "INV-1.xml").read_bytes() == UBL


def test_sending_again_writes_nothing_new(tmp_path: Path) -> None:
    channel = DirectoryChannel("archive", tmp_path)
    channel.send(envelope())
    before = (tmp_path / "INV-1.xml").stat().st_ino
    channel.send(envelope())
    assert (tmp_path / "INV-1.xml").stat().st_ino == before


def test_another_document_of_the_same_name_is_never_overwritten(tmp_path: Path) -> None:
    channel = DirectoryChannel("archive", tmp_path)
    channel.send(envelope())
    with pytest.raises(ChannelRefused, match="already holds another document"):
        channel.send(envelope(key="key-2", ubl=UBL.replace(b"INV-1", b"INV-X")))
    assert (tmp_path / "INV-1.xml").read_bytes() == UBL


def test_full_disk_through_the_write_seam_leaves_no_half_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def half_then_full(fd: int, data: bytes) -> None:
        os.write(fd, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(directory, "_write_file", half_then_full)
    channel = DirectoryChannel("archive", tmp_path)
    with pytest.raises(ChannelUnavailable, match="No space left on device"):
        channel.send(envelope())
    assert visible(tmp_path) == []
    assert channel.lookup(envelope()) is None  # so the document stays queued and is retried
    monkeypatch.undo()
    channel.send(envelope())
    assert (tmp_path / "INV-1.xml").read_bytes() == UBL


@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A real 64 KiB file system (needs root and mount; skipped where not allowed)."""
    with tmpfs(tmp_path / "small", "size=64k") as mount:
        yield mount


def test_a_really_full_disk_leaves_no_half_file_and_stays_retryable(small_tmpfs: Path) -> None:
    channel = DirectoryChannel("archive", small_tmpfs)
    small = envelope(key="small", file_name="small.xml")
    channel.send(small)
    big = envelope(key="big", ubl=UBL + b"<!-- " + b"x" * 200_000 + b" -->\n", file_name="big.xml")
    with pytest.raises(ChannelUnavailable, match="No space left on device"):
        channel.send(big)
    assert visible(small_tmpfs) == ["small.xml"]
    assert (small_tmpfs / "small.xml").read_bytes() == UBL
    assert channel.lookup(big) is None


def test_lookup_finds_a_sent_document(tmp_path: Path) -> None:
    channel = DirectoryChannel("archive", tmp_path)
    assert channel.lookup(envelope()) is None
    channel.send(envelope())
    found = channel.lookup(envelope())
    assert found is not None and found.state is DeliveryState.DELIVERED


def test_lookup_counts_a_document_a_consumer_already_took_away(tmp_path: Path) -> None:
    channel = DirectoryChannel("archive", tmp_path)
    channel.send(envelope())
    (tmp_path / "INV-1.xml").unlink()
    assert channel.lookup(envelope()) is not None


def test_lookup_after_a_crash_between_rename_and_receipt_trusts_equal_bytes(tmp_path: Path) -> None:
    (tmp_path / "INV-1.xml").write_bytes(UBL)  # the rename happened, the receipt did not
    channel = DirectoryChannel("archive", tmp_path)
    assert channel.lookup(envelope()) is not None
    assert channel.lookup(envelope(ubl=UBL + b" ")) is None


def test_lookup_lets_the_key_decide_for_a_different_file_of_that_name(tmp_path: Path) -> None:
    channel = DirectoryChannel("archive", tmp_path)
    channel.send(envelope(key="other", ubl=b"<Invoice>other</Invoice>"))
    assert channel.lookup(envelope(key="mine")) is None
    # ours, edited afterwards by whoever reads the folder: still delivered
    channel.send(envelope(key="mine", file_name="mine.xml"))
    (tmp_path / "mine.xml").write_bytes(b"<edited/>")
    assert channel.lookup(envelope(key="mine", file_name="mine.xml")) is not None


def test_a_folder_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(ChannelRefused, match="cannot write"):
        DirectoryChannel("archive", tmp_path / "file").send(envelope())
