"""The directory channel, one document at a time: atomic drop, unique names for two documents with
one number, a full or read-only disk leaves nothing behind, lookup after a crash."""

from __future__ import annotations

import errno
import hashlib
import json
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


OTHER = UBL.replace(b"INV-1", b"INV-X")
"""Another supplier's document with the same number (other bytes)."""


def envelope(key: str = "key-1", ubl: bytes = UBL, file_name: str = "INV-1.xml") -> Envelope:
    return Envelope(
        idempotency_key=key,
        connection="shop",
        number=file_name.removesuffix(".xml"),
        kind=DocumentKind.INVOICE,
        ubl=ubl,
        file_name=file_name,
    )


def visible(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != RECEIPT_FOLDER)


def short(key: str) -> str:
    """The short id of a key that is not hex: the first 12 hex digits of its SHA-256."""
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def receipts(folder: Path) -> list[dict[str, str]]:
    return [json.loads(p.read_bytes()) for p in sorted((folder / RECEIPT_FOLDER).glob("*.json"))]


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


def test_sending_again_after_a_consumer_took_the_file_writes_nothing(tmp_path: Path) -> None:
    channel = DirectoryChannel("archive", tmp_path)
    channel.send(envelope())
    (tmp_path / "INV-1.xml").unlink()
    assert channel.send(envelope()).state is DeliveryState.DELIVERED  # its receipt says so
    assert visible(tmp_path) == []


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


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    """A real read-only file system (needs root and mount; skipped where not allowed)."""
    with tmpfs(tmp_path / "read-only", "ro,size=64k") as mount:
        yield mount


def test_a_read_only_folder_is_refused_and_nothing_is_written(read_only: Path) -> None:
    channel = DirectoryChannel("archive", read_only)
    with pytest.raises(ChannelRefused, match="Read-only file system"):
        channel.send(envelope())
    assert list(read_only.iterdir()) == []
    assert channel.lookup(envelope()) is None


# -- two documents with one number -----------------------------------------------------------


def test_a_second_document_with_the_same_number_gets_the_key_in_its_name(tmp_path: Path) -> None:
    channel = DirectoryChannel("archive", tmp_path)
    first = channel.send(envelope())
    second = channel.send(envelope(key="key-2", ubl=OTHER))
    renamed = f"INV-1~{short('key-2')}.xml"
    assert visible(tmp_path) == ["INV-1.xml", renamed]
    assert (tmp_path / "INV-1.xml").read_bytes() == UBL  # never overwritten
    assert (tmp_path / renamed).read_bytes() == OTHER
    assert (first.remote_id, second.remote_id) == (
        str(tmp_path / "INV-1.xml"),
        str(tmp_path / renamed),
    )
    found = channel.lookup(envelope(key="key-2", ubl=OTHER))
    assert found is not None and found.remote_id == str(tmp_path / renamed)
    assert {r["file"] for r in receipts(tmp_path)} == {"INV-1.xml", renamed}


def test_the_short_id_of_an_outbox_key_is_its_first_twelve_characters(tmp_path: Path) -> None:
    key = hashlib.sha256(b"shop, record 7, content").hexdigest()  # as sync.store.keys makes it
    channel = DirectoryChannel("archive", tmp_path)
    channel.send(envelope())
    channel.send(envelope(key=key, ubl=OTHER))
    assert (tmp_path / f"INV-1~{key[:12]}.xml").read_bytes() == OTHER
    assert (tmp_path / RECEIPT_FOLDER / f"{key}.json").is_file()


def test_a_resend_of_the_second_document_finds_its_own_file(tmp_path: Path) -> None:
    channel = DirectoryChannel("archive", tmp_path)
    channel.send(envelope())
    second = envelope(key="key-2", ubl=OTHER)
    channel.send(second)
    renamed = tmp_path / f"INV-1~{short('key-2')}.xml"
    inode = renamed.stat().st_ino
    for receipt in (tmp_path / RECEIPT_FOLDER).glob("*.json"):
        receipt.unlink()  # a crash before the receipts: the bytes decide
    found = channel.lookup(second)
    assert found is not None and found.remote_id == str(renamed)
    assert channel.send(second).remote_id == str(renamed)
    assert renamed.stat().st_ino == inode and len(visible(tmp_path)) == 2
    # the first document was taken away: the name is free, but the second keeps its own
    (tmp_path / "INV-1.xml").unlink()
    assert channel.lookup(second) is not None
    assert channel.send(second).remote_id == str(renamed)
    assert visible(tmp_path) == [renamed.name]


def test_the_same_bytes_under_the_number_are_already_there(tmp_path: Path) -> None:
    channel = DirectoryChannel("archive", tmp_path)
    channel.send(envelope())
    again = channel.send(envelope(key="key-2"))  # another key, the same document
    assert again.remote_id == str(tmp_path / "INV-1.xml")
    assert visible(tmp_path) == ["INV-1.xml"]
    assert channel.lookup(envelope(key="key-2")) is not None


def test_names_that_differ_only_in_case_clash(tmp_path: Path) -> None:
    channel = DirectoryChannel("archive", tmp_path)
    channel.send(envelope())  # INV-1.xml
    lower = channel.send(envelope(key="key-2", ubl=OTHER, file_name="inv-1.xml"))
    renamed = f"inv-1~{short('key-2')}.xml"
    assert lower.remote_id == str(tmp_path / renamed)
    assert visible(tmp_path) == ["INV-1.xml", renamed]
    # the same bytes under a name that differs only in case: already there
    same = channel.send(envelope(key="key-3", file_name="inv-1.xml"))
    assert same.remote_id == str(tmp_path / "INV-1.xml")
    assert len(visible(tmp_path)) == 2
    for receipt in (tmp_path / RECEIPT_FOLDER).glob("*.json"):
        receipt.unlink()
    found = channel.lookup(envelope(key="key-3", file_name="inv-1.xml"))
    assert found is not None and found.remote_id == str(tmp_path / "INV-1.xml")


def test_both_names_taken_by_other_documents_is_refused_and_nothing_overwritten(
    tmp_path: Path,
) -> None:
    renamed = f"INV-1~{short('key-3')}.xml"
    (tmp_path / "INV-1.xml").write_bytes(UBL)
    (tmp_path / renamed).write_bytes(OTHER)
    channel = DirectoryChannel("archive", tmp_path)
    with pytest.raises(ChannelRefused, match=f"INV-1.xml and {renamed} already hold other"):
        channel.send(envelope(key="key-3", ubl=b"<Invoice>third</Invoice>"))
    assert (tmp_path / "INV-1.xml").read_bytes() == UBL
    assert (tmp_path / renamed).read_bytes() == OTHER
    assert visible(tmp_path) == ["INV-1.xml", renamed]


def test_a_file_that_comes_after_the_listing_is_not_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write = directory._write_file

    def another_writer_first(fd: int, data: bytes) -> None:
        (tmp_path / "INV-1.xml").write_bytes(OTHER)  # between the listing and the link
        write(fd, data)

    monkeypatch.setattr(directory, "_write_file", another_writer_first)
    receipt = DirectoryChannel("archive", tmp_path).send(envelope())
    monkeypatch.undo()
    renamed = f"INV-1~{short('key-1')}.xml"
    assert receipt.remote_id == str(tmp_path / renamed)
    assert (tmp_path / "INV-1.xml").read_bytes() == OTHER
    assert (tmp_path / renamed).read_bytes() == UBL


def test_a_file_system_without_hard_links_still_never_overwrites(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(source: object, target: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(directory.os, "link", no_links)
    channel = DirectoryChannel("archive", tmp_path)
    channel.send(envelope())
    channel.send(envelope(key="key-2", ubl=OTHER))
    monkeypatch.undo()
    assert (tmp_path / "INV-1.xml").read_bytes() == UBL
    assert (tmp_path / f"INV-1~{short('key-2')}.xml").read_bytes() == OTHER
    assert len(visible(tmp_path)) == 2  # no temporary file left


def test_lookup_honours_a_receipt_of_the_earlier_layout(tmp_path: Path) -> None:
    (tmp_path / RECEIPT_FOLDER).mkdir()
    record = {"idempotency_key": "key-1", "file": "INV-1.xml", "number": "INV-1", "sha256": "x"}
    (tmp_path / RECEIPT_FOLDER / "INV-1.xml.json").write_text(json.dumps(record))
    channel = DirectoryChannel("archive", tmp_path)
    assert channel.lookup(envelope()) is not None  # the consumer took the file away
    assert channel.lookup(envelope(key="key-2", ubl=OTHER)) is None
    channel.send(envelope())
    assert visible(tmp_path) == []  # delivered once already: not written again
