"""The directory channel removes the temporary files a killed sender left, and only those."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from delivery.base import DeliveryState, Envelope
from delivery.directory import RECEIPT_FOLDER, STALE_TEMP_SECONDS, DirectoryChannel
from delivery.directory_leftovers import stale_temp_files
from model.document import DocumentKind

UBL = b'<?xml version="1.0" encoding="UTF-8"?>\n<Invoice>INV-1</Invoice>\n'

KILLED_BEFORE_THE_LINK = """
import os, sys
from pathlib import Path
from delivery import directory
from delivery.base import Envelope
from model.document import DocumentKind

def killed(temp, target):
    os._exit(9)  # as kill -9 between the fsync and the link

directory._link = killed
directory.DirectoryChannel("archive", Path(sys.argv[1])).send(
    Envelope(idempotency_key="key-1", connection="shop", number="INV-1",
             kind=DocumentKind.INVOICE, ubl=sys.argv[2].encode(), file_name="INV-1.xml")
)
"""


def envelope() -> Envelope:
    return Envelope(
        idempotency_key="key-1",
        connection="shop",
        number="INV-1",
        kind=DocumentKind.INVOICE,
        ubl=UBL,
        file_name="INV-1.xml",
    )


def aged(path: Path, seconds: float) -> Path:
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


def test_the_temporary_file_of_a_killed_send_is_removed_once_stale(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    crashed = subprocess.run(
        [sys.executable, "-c", KILLED_BEFORE_THE_LINK, str(folder), UBL.decode()],
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert crashed.returncode == 9
    (left,) = [p for p in folder.iterdir() if p.name != RECEIPT_FOLDER]
    assert left.name.startswith(".INV-1.xml.") and left.name.endswith(".tmp")
    assert left.read_bytes() == UBL  # written and fsynced, never linked

    # a fresh one may belong to a live sender: a new channel leaves it, and the young crash's
    channel = DirectoryChannel("archive", folder)
    live = folder / ".INV-2.xml.k2j4m9x_.tmp"
    live.write_bytes(b"being written")
    assert channel.remove_stale_temp_files() == []

    aged(left, STALE_TEMP_SECONDS + 60)
    receipts = folder / RECEIPT_FOLDER
    batch = receipts / ".batch.a1b2c3d4.tmp"
    batch.write_bytes(b"{}\n")
    spare = receipts / ".batch.a1b2c3d4.0123456789abcdef.tmp"
    spare.write_bytes(b"{}\n")
    single = receipts / ".q9w8e7r6.tmp"
    single.write_bytes(b"{}\n")
    for each in (batch, spare, single):
        aged(each, STALE_TEMP_SECONDS + 1)
    # what is not of the channel's naming stays, however old
    others = [folder / ".notes.tmp", folder / "INV-3.xml.abcdefgh.tmp", receipts / "x.json"]
    for each in others:
        each.write_bytes(b"mine")
        aged(each, 10 * STALE_TEMP_SECONDS)
    (folder / ".dir.abcdefgh.tmp").mkdir()
    aged(folder / ".dir.abcdefgh.tmp", 10 * STALE_TEMP_SECONDS)
    link = folder / ".link.xml.abcdefgh.tmp"
    os.symlink(left, link)
    then = time.time() - 10 * STALE_TEMP_SECONDS
    os.utime(link, (then, then), follow_symlinks=False)
    assert stale_temp_files(folder) == sorted([left, batch, spare, single])

    fresh = DirectoryChannel("archive", folder)
    receipt = fresh.send(envelope())  # its first batch sweeps
    assert receipt.state is DeliveryState.DELIVERED
    assert (folder / "INV-1.xml").read_bytes() == UBL
    assert not any(p.exists() for p in (left, batch, spare, single))
    assert live.exists() and all(p.exists() for p in others)
    assert (folder / ".dir.abcdefgh.tmp").is_dir() and link.is_symlink()
    assert stale_temp_files(folder) == []
