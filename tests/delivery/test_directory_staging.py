"""A document's file written ahead (a validation pool's worker) and taken by the send."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from delivery.base import DeliveryState, Envelope
from delivery.directory import RECEIPT_FOLDER, STALE_TEMP_SECONDS, DirectoryChannel
from delivery.directory_leftovers import stale_temp_files
from delivery.directory_staging import DirectoryStager, staged_name, take_staged
from model.document import DocumentKind

UBL = b'<?xml version="1.0" encoding="UTF-8"?>\n<Invoice>INV-1</Invoice>\n'


def envelope(ubl: bytes = UBL, key: str = "a" * 64) -> Envelope:
    return Envelope(
        idempotency_key=key,
        connection="shop",
        number="INV-1",
        kind=DocumentKind.INVOICE,
        ubl=ubl,
        file_name="INV-1.xml",
    )


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def visible(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def test_a_staged_file_is_hidden_complete_and_named_by_its_bytes(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    assert DirectoryStager(str(folder)).stage("INV-1.xml", UBL, digest(UBL))
    [staged] = list(folder.iterdir())
    assert staged.name == staged_name("INV-1.xml", digest(UBL))
    assert staged.name.startswith(".INV-1.xml.") and staged.read_bytes() == UBL
    assert visible(folder) == []  # staging delivers nothing
    assert take_staged(folder, "INV-1.xml", UBL, digest(UBL)) == str(staged)
    other = UBL.replace(b"INV-1", b"INV-2")
    assert take_staged(folder, "INV-1.xml", other, digest(other)) is None


def test_the_send_links_the_staged_file_in_and_removes_its_staged_name(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    DirectoryStager(str(folder)).stage("INV-1.xml", UBL, digest(UBL))
    staged = folder / staged_name("INV-1.xml", digest(UBL))
    inode = staged.stat().st_ino
    receipt = DirectoryChannel("archive", folder).send(envelope())
    assert receipt.state is DeliveryState.DELIVERED
    assert visible(folder) == ["INV-1.xml"]
    assert (folder / "INV-1.xml").read_bytes() == UBL
    assert (folder / "INV-1.xml").stat().st_ino == inode  # the staged file, not a new one
    assert not staged.exists()
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == [RECEIPT_FOLDER]
    assert DirectoryChannel("archive", folder).lookup(envelope()) is not None


def test_a_staged_file_of_the_wrong_size_is_left_and_the_send_writes_its_own(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    staged = folder / staged_name("INV-1.xml", digest(UBL))
    staged.write_bytes(UBL[:10])  # not what a stager leaves; never taken
    DirectoryChannel("archive", folder).send(envelope())
    assert (folder / "INV-1.xml").read_bytes() == UBL
    assert staged.read_bytes() == UBL[:10]


def test_a_taken_name_sends_the_staged_file_under_the_other_name(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "INV-1.xml").write_bytes(b"another supplier's INV-1")
    DirectoryStager(str(folder)).stage("INV-1.xml", UBL, digest(UBL))
    DirectoryChannel("archive", folder).send(envelope())
    assert visible(folder) == ["INV-1.xml", f"INV-1~{'a' * 12}.xml"]
    assert (folder / f"INV-1~{'a' * 12}.xml").read_bytes() == UBL
    assert (folder / "INV-1.xml").read_bytes() == b"another supplier's INV-1"
    assert not (folder / staged_name("INV-1.xml", digest(UBL))).exists()


def test_a_staged_file_no_send_took_is_swept_once_stale(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    stager = DirectoryStager(str(folder))
    stager.stage("INV-1.xml", UBL, digest(UBL))
    staged = folder / staged_name("INV-1.xml", digest(UBL))
    assert stale_temp_files(folder) == []  # fresh: a send may still take it
    then = time.time() - STALE_TEMP_SECONDS - 1
    os.utime(staged, (then, then))
    assert stale_temp_files(folder) == [staged]
    other = UBL.replace(b"INV-1", b"INV-2")
    DirectoryChannel("archive", folder).send(envelope(other, "b" * 64))
    assert not staged.exists()
    assert visible(folder) == ["INV-1.xml"]
    assert (folder / "INV-1.xml").read_bytes() == other


def test_a_folder_that_cannot_be_written_stages_nothing(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    assert not DirectoryStager(str(blocked / "out")).stage("INV-1.xml", UBL, digest(UBL))
