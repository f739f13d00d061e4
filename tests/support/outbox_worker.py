"""The worker the kill -9 test starts: one ``deliver`` run over a store, to be killed.

``python -m support.outbox_worker STORE_URL CHANNEL SOURCE_DIR`` delivers connection
``shop`` through channel ``ap`` and pushes to a :class:`~support.outbox_doubles.NoteSource`
in SOURCE_DIR. CHANNEL is ``http://...`` (the access-point emulator: a
:class:`~delivery.peppol_ap.PeppolApChannel`) or a folder (a
:class:`~support.outbox_doubles.FileChannel`). With ``LEDGERLINK_KILL_POINT=NAME:COUNT``
and ``LEDGERLINK_KILL_MARKER=PATH`` it stops at the COUNT-th pass of the outbox
checkpoint NAME: it writes PATH and sleeps, so the test can kill it right there.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import sync.outbox
from delivery.base import Channel
from delivery.peppol_ap import PeppolApChannel
from support.kill_points import kill_point_pause
from support.outbox_doubles import FileChannel, NoteSource
from sync.outbox import deliver
from sync.store import open_store


def _install_pause() -> None:
    sync.outbox.checkpoint = kill_point_pause()


def main(argv: list[str]) -> int:
    url, where, source_dir = argv
    _install_pause()
    channel: Channel
    if where.startswith("http"):
        channel = PeppolApChannel("ap", where, timeout=30, attempts=1)
    else:
        channel = FileChannel(Path(where))
    source = NoteSource(Path(source_dir))
    with open_store(url) as store:
        summary = deliver(store, connection="shop", channels={"ap": channel}, source=source)
    print(json.dumps({"delivered": summary.delivered, "pushed": summary.pushed}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
