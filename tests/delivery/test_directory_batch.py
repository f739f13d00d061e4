"""The directory channel's batch: every guarantee of a single send holds per document, and a
receipt is written only once the documents it speaks for are on disk."""

from __future__ import annotations

import errno
import hashlib
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
    Receipt,
    send_batch,
)
from delivery.directory import RECEIPT_FOLDER, DirectoryChannel
from model.document import DocumentKind


def ubl(number: str, filler: int = 0) -> bytes:
    padding = b"<!-- " + b"x" * filler + b" -->" if filler else b""
    return f"<Invoice>{number}</Invoice>".encode() + padding + b"\n"


def envelope(number: str, key: str | None = None, data: bytes | None = None) -> Envelope:
    return Envelope(
        idempotency_key=key or f"key-{number}",
        connection="shop",
        number=number,
        kind=DocumentKind.INVOICE,
        ubl=ubl(number) if data is None else data,
        file_name=f"{number}.xml",
    )


def visible(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != RECEIPT_FOLDER)


def short(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def test_a_batch_delivers_every_document_with_its_receipt(tmp_path: Path) -> None:
    channel = DirectoryChannel("archive", tmp_path / "out")
    batch = [envelope(f"INV-{n}") for n in range(1, 6)]
    results = channel.send_batch(batch)
    assert [r.remote_id for r in results if isinstance(r, Receipt)] == [
        str(tmp_path / "out" / f"INV-{n}.xml") for n in range(1, 6)
    ]
    assert all(r.state is DeliveryState.DELIVERED for r in results if isinstance(r, Receipt))
    assert visible(tmp_path / "out") == [f"INV-{n}.xml" for n in range(1, 6)]
    assert len(list((tmp_path / "out" / RECEIPT_FOLDER).iterdir())) == 5  # no temporary file
    for each in batch:
        assert (tmp_path / "out" / each.file_name).read_bytes() == each.ubl
        assert channel.lookup(each) is not None


def test_a_batch_larger_than_a_chunk_leaves_no_descriptor_open(tmp_path: Path) -> None:
    before = len(os.listdir("/proc/self/fd"))
    batch = [envelope(f"INV-{n:04d}") for n in range(300)]
    results = DirectoryChannel("archive", tmp_path).send_batch(batch)
    assert all(isinstance(r, Receipt) for r in results)
    assert len(visible(tmp_path)) == 300
    assert len(os.listdir("/proc/self/fd")) == before


def test_one_document_on_a_full_disk_alone_stays_queued(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write = directory._write_file
    doomed = envelope("INV-2")

    def full_for_inv_2(fd: int, data: bytes) -> None:
        if data == doomed.ubl:
            os.write(fd, data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")
        write(fd, data)

    monkeypatch.setattr(directory, "_write_file", full_for_inv_2)
    channel = DirectoryChannel("archive", tmp_path)
    batch = [envelope("INV-1"), doomed, envelope("INV-3")]
    results = send_batch(channel, batch)
    assert [type(r) for r in results] == [Receipt, ChannelUnavailable, Receipt]
    assert "No space left on device" in str(results[1])
    assert visible(tmp_path) == ["INV-1.xml", "INV-3.xml"]  # nothing half-written
    assert channel.lookup(doomed) is None  # so it is retried
    monkeypatch.undo()
    assert isinstance(channel.send_batch(batch)[1], Receipt)
    assert (tmp_path / "INV-2.xml").read_bytes() == doomed.ubl


@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A real 64 KiB file system (needs root and mount; skipped where not allowed)."""
    with tmpfs(tmp_path / "small", "size=64k") as mount:
        yield mount


def test_a_really_full_disk_fails_only_the_document_that_does_not_fit(small_tmpfs: Path) -> None:
    channel = DirectoryChannel("archive", small_tmpfs)
    big = envelope("BIG", data=ubl("BIG", filler=200_000))
    batch = [envelope("INV-1"), big, envelope("INV-2"), envelope("INV-3")]
    results = channel.send_batch(batch)
    assert [type(r) for r in results] == [Receipt, ChannelUnavailable, Receipt, Receipt]
    assert "No space left on device" in str(results[1])
    assert visible(small_tmpfs) == ["INV-1.xml", "INV-2.xml", "INV-3.xml"]
    assert [
        name for name in os.listdir(small_tmpfs / RECEIPT_FOLDER) if name.endswith(".tmp")
    ] == []
    assert channel.lookup(big) is None
    assert all(channel.lookup(each) is not None for each in batch if each is not big)


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    with tmpfs(tmp_path / "read-only", "ro,size=64k") as mount:
        yield mount


def test_a_read_only_folder_refuses_every_document(read_only: Path) -> None:
    results = DirectoryChannel("archive", read_only).send_batch([envelope("A"), envelope("B")])
    assert [type(r) for r in results] == [ChannelRefused, ChannelRefused]
    assert all("Read-only file system" in str(r) for r in results)
    assert list(read_only.iterdir()) == []


def test_receipts_are_written_only_once_the_documents_are_on_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The order a power loss cannot undo: each file fsynced before it gets its name, the
    folder fsynced after the last name, and only then the receipts."""
    steps: list[tuple[str, str]] = []
    fsync, link, fsync_dir = os.fsync, directory._link, directory._fsync_dir

    def spy_fsync(fd: int) -> None:
        path = os.readlink(f"/proc/self/fd/{fd}")
        if not os.path.isdir(path):  # a folder's fsync is the step spy_fsync_dir records
            steps.append(("fsync", os.path.basename(path)))
        fsync(fd)

    def spy_link(temp: str, target: Path) -> None:
        steps.append(("link", target.name))
        link(temp, target)

    def spy_fsync_dir(folder: Path) -> None:
        receipts = len(list((tmp_path / RECEIPT_FOLDER).glob("*.json")))
        steps.append(("fsync folder", f"{folder.name} ({receipts} receipts)"))
        fsync_dir(folder)

    monkeypatch.setattr(directory.os, "fsync", spy_fsync)
    monkeypatch.setattr(directory, "_link", spy_link)
    monkeypatch.setattr(directory, "_fsync_dir", spy_fsync_dir)
    results = DirectoryChannel("archive", tmp_path).send_batch([envelope("A"), envelope("B")])
    monkeypatch.undo()
    assert all(isinstance(r, Receipt) for r in results)
    kinds = [kind for kind, _ in steps]
    assert kinds[:5] == ["fsync", "fsync", "link", "link", "fsync folder"]
    assert steps[0][1].startswith(".A.xml.") and steps[1][1].startswith(".B.xml.")
    assert steps[4] == ("fsync folder", f"{tmp_path.name} (0 receipts)")
    assert kinds[5:] == ["fsync", "fsync", "fsync folder"]  # the two receipts, then .ledgerlink
    assert steps[7] == ("fsync folder", f"{RECEIPT_FOLDER} (2 receipts)")


def test_two_documents_with_one_number_in_one_batch_both_arrive(tmp_path: Path) -> None:
    first = envelope("INV-1", key="supplier-a")
    second = envelope("INV-1", key="supplier-b", data=b"<Invoice>INV-1 of b</Invoice>")
    results = DirectoryChannel("archive", tmp_path).send_batch([first, second])
    renamed = f"INV-1~{short('supplier-b')}.xml"
    assert [r.remote_id for r in results if isinstance(r, Receipt)] == [
        str(tmp_path / "INV-1.xml"),
        str(tmp_path / renamed),
    ]
    assert (tmp_path / "INV-1.xml").read_bytes() == first.ubl
    assert (tmp_path / renamed).read_bytes() == second.ubl


def test_two_keys_with_the_same_bytes_in_one_batch_share_one_file(tmp_path: Path) -> None:
    channel = DirectoryChannel("archive", tmp_path)
    both = [envelope("INV-1", key="a"), envelope("INV-1", key="b")]
    results = channel.send_batch(both)
    assert [r.remote_id for r in results if isinstance(r, Receipt)] == [
        str(tmp_path / "INV-1.xml")
    ] * 2
    assert visible(tmp_path) == ["INV-1.xml"]
    assert len(list((tmp_path / RECEIPT_FOLDER).glob("*.json"))) == 2
    assert all(channel.lookup(each) is not None for each in both)


def test_a_document_delivered_before_is_not_written_again(tmp_path: Path) -> None:
    channel = DirectoryChannel("archive", tmp_path)
    channel.send(envelope("INV-1"))
    inode = (tmp_path / "INV-1.xml").stat().st_ino
    results = channel.send_batch([envelope("INV-1"), envelope("INV-2")])
    assert all(isinstance(r, Receipt) for r in results)
    assert (tmp_path / "INV-1.xml").stat().st_ino == inode
    assert visible(tmp_path) == ["INV-1.xml", "INV-2.xml"]


def test_a_refused_document_does_not_stop_the_batch(tmp_path: Path) -> None:
    third = envelope("INV-1", key="third", data=b"<Invoice>third</Invoice>")
    (tmp_path / "INV-1.xml").write_bytes(b"<Invoice>first</Invoice>")
    (tmp_path / f"INV-1~{short('third')}.xml").write_bytes(b"<Invoice>second</Invoice>")
    results = DirectoryChannel("archive", tmp_path).send_batch([third, envelope("INV-2")])
    assert [type(r) for r in results] == [ChannelRefused, Receipt]
    assert "already hold other documents" in str(results[0])
