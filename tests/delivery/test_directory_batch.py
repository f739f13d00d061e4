"""The directory channel's batch: every guarantee of a single send holds per document, and a
receipt is written only once the documents it speaks for are on disk."""

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
    synced = sorted(name.split(".")[1] for _, name in steps[:2])  # in threads: either order
    assert synced == ["A", "B"]
    assert steps[4] == ("fsync folder", f"{tmp_path.name} (0 receipts)")
    assert kinds[5:] == ["fsync", "fsync folder"]  # the batch's receipt file, then .ledgerlink
    assert steps[5][1].startswith(".batch.")
    assert steps[6] == ("fsync folder", f"{RECEIPT_FOLDER} (2 receipts)")


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


# -- the batch's receipt file ------------------------------------------------------------------


def receipt_path(folder: Path, key: str) -> Path:
    """Where a key's receipt is: ``.ledgerlink/<SHA-256 of the key>.json`` (a key not hex)."""
    return folder / RECEIPT_FOLDER / f"{hashlib.sha256(key.encode()).hexdigest()}.json"


def take_away(folder: Path) -> None:
    """What a consumer does: every document leaves the folder."""
    for name in visible(folder):
        (folder / name).unlink()


def test_a_batch_writes_one_receipt_file_linked_under_each_key(tmp_path: Path) -> None:
    channel = DirectoryChannel("archive", tmp_path)
    batch = [envelope(f"INV-{n}") for n in range(1, 4)]
    channel.send_batch(batch)
    paths = [receipt_path(tmp_path, each.idempotency_key) for each in batch]
    assert len({path.stat().st_ino for path in paths}) == 1  # one file, three names
    records = [json.loads(line) for line in paths[0].read_bytes().splitlines()]
    assert [r["idempotency_key"] for r in records] == [each.idempotency_key for each in batch]
    assert [r["file"] for r in records] == [each.file_name for each in batch]
    assert [r["sha256"] for r in records] == [hashlib.sha256(e.ubl).hexdigest() for e in batch]
    assert sorted(os.listdir(tmp_path / RECEIPT_FOLDER)) == sorted(p.name for p in paths)
    take_away(tmp_path)
    for each in batch:  # the key is found in the receipt of several records
        found = channel.lookup(each)
        assert found is not None and found.remote_id == str(tmp_path / each.file_name)
    assert all(isinstance(r, Receipt) for r in channel.send_batch(batch))
    assert visible(tmp_path) == []  # delivered once already: not written again


def test_a_damaged_line_of_a_receipt_file_leaves_the_other_keys_found(tmp_path: Path) -> None:
    channel = DirectoryChannel("archive", tmp_path)
    batch = [envelope(f"INV-{n}") for n in range(1, 5)]
    channel.send_batch(batch)
    shared = receipt_path(tmp_path, batch[0].idempotency_key)
    lines = shared.read_bytes().splitlines(keepends=True)
    for damaged in (1, 2):  # the records of INV-2 and INV-3, cut in half
        lines[damaged] = lines[damaged][: len(lines[damaged]) // 2] + b"\n"
    with open(shared, "r+b") as file:  # in place: every name of the file sees it
        file.write(b"".join(lines))
        file.truncate()
    take_away(tmp_path)
    assert channel.lookup(batch[0]) is not None
    assert channel.lookup(batch[3]) is not None
    assert channel.lookup(batch[1]) is None  # no receipt to trust, no file: not sent
    assert channel.lookup(batch[2]) is None
    results = channel.send_batch(batch)  # only those two are written again
    assert all(isinstance(r, Receipt) for r in results)
    assert visible(tmp_path) == ["INV-2.xml", "INV-3.xml"]
    assert (tmp_path / "INV-2.xml").read_bytes() == batch[1].ubl
    take_away(tmp_path)
    assert all(channel.lookup(each) is not None for each in batch)  # damaged ones replaced
    assert not [name for name in os.listdir(tmp_path / RECEIPT_FOLDER) if name.endswith(".tmp")]


def test_a_folder_of_the_per_key_layout_is_still_looked_up_right(tmp_path: Path) -> None:
    """Receipts as earlier versions wrote them: a file per key holding one record, and the
    first layout's ``<file name>.json`` (here over several lines)."""
    (tmp_path / RECEIPT_FOLDER).mkdir()
    old = [envelope("INV-1"), envelope("INV-2")]
    for each in old:
        record = {
            "file": each.file_name,
            "idempotency_key": each.idempotency_key,
            "number": each.number,
            "sha256": hashlib.sha256(each.ubl).hexdigest(),
        }
        receipt_path(tmp_path, each.idempotency_key).write_bytes(
            json.dumps(record, sort_keys=True).encode() + b"\n"
        )
    first = envelope("INV-3")
    record = {"idempotency_key": first.idempotency_key, "file": "INV-3.xml", "number": "INV-3"}
    (tmp_path / RECEIPT_FOLDER / "INV-3.xml.json").write_text(json.dumps(record, indent=2))
    channel = DirectoryChannel("archive", tmp_path)
    for each in [*old, first]:  # the consumer took every file away
        found = channel.lookup(each)
        assert found is not None and found.remote_id == str(tmp_path / each.file_name)
    assert channel.lookup(envelope("INV-1", key="another key", data=b"<other/>")) is None
    new = envelope("INV-4")
    results = channel.send_batch([*old, first, new])
    assert all(isinstance(r, Receipt) for r in results)
    assert visible(tmp_path) == ["INV-4.xml"]  # the old ones are delivered already


def test_without_hard_links_each_key_gets_a_receipt_file_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(source: object, target: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(directory.os, "link", no_links)
    channel = DirectoryChannel("archive", tmp_path)
    batch = [envelope(f"INV-{n}") for n in range(1, 4)]
    assert all(isinstance(r, Receipt) for r in channel.send_batch(batch))
    monkeypatch.undo()
    paths = [receipt_path(tmp_path, each.idempotency_key) for each in batch]
    assert len({path.stat().st_ino for path in paths}) == 3
    assert sorted(os.listdir(tmp_path / RECEIPT_FOLDER)) == sorted(p.name for p in paths)
    take_away(tmp_path)
    assert all(channel.lookup(each) is not None for each in batch)


def test_one_failing_fsync_fails_only_its_document(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fsync = os.fsync

    def io_error_for_b(fd: int) -> None:
        if os.path.basename(os.readlink(f"/proc/self/fd/{fd}")).startswith(".B.xml."):
            raise OSError(errno.EIO, "Input/output error")
        fsync(fd)

    monkeypatch.setattr(directory.os, "fsync", io_error_for_b)
    channel = DirectoryChannel("archive", tmp_path)
    batch = [envelope("A"), envelope("B"), envelope("C")]
    results = channel.send_batch(batch)
    monkeypatch.undo()
    assert [type(r) for r in results] == [Receipt, ChannelUnavailable, Receipt]
    assert "Input/output error" in str(results[1]) and "B.xml" in str(results[1])
    assert visible(tmp_path) == ["A.xml", "C.xml"]  # no temporary file left
    assert channel.lookup(batch[1]) is None
