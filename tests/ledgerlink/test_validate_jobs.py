"""The scheduling helpers of ``ledgerlink validate --jobs`` (the runs themselves are tested
through the command in test_validate_command.py)."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from ledgerlink._validate_jobs import _others_asleep, _Run


def test_others_asleep_is_false_while_another_thread_runs_native_code() -> None:
    # Forking is safe only while every other thread waits in the kernel; hashlib releases
    # the GIL on large buffers, so this thread runs outside Python as Saxon's would.
    data = bytes(50_000_000)
    stop = threading.Event()

    def hash_until_stopped() -> None:
        while not stop.is_set():
            hashlib.sha256(data).digest()

    worker = threading.Thread(target=hash_until_stopped)
    worker.start()
    try:
        assert not _others_asleep(patience=0.05)
    finally:
        stop.set()
        worker.join()


def test_others_asleep_is_true_while_the_other_threads_wait() -> None:
    release = threading.Event()
    waiters = [threading.Thread(target=release.wait) for _ in range(2)]
    for waiter in waiters:
        waiter.start()
    try:
        assert _others_asleep()
    finally:
        release.set()
        for waiter in waiters:
            waiter.join()


def test_this_process_takes_a_chunk_of_the_smallest_files_and_the_rest_keep_their_order(
    tmp_path: Path,
) -> None:
    # The smallest files are the least likely to exhaust this process's memory; the others
    # stay in input order, in chunks of the same size.
    paths = []
    for index in range(40):
        path = tmp_path / f"{index:02d}.xml"
        path.write_bytes(b"<Invoice/>" + b" " * (1000 if index not in (7, 23) else 0))
        paths.append(str(path))
    run = _Run(paths, "auto", jobs=2)  # 40 files over 2 jobs: chunks of 2
    assert list(run.groups) == ["en16931"]  # no CustomizationID
    assert run._take_smallest("en16931") == [7, 23]
    rest = [index for index in range(40) if index not in (7, 23)]
    assert list(run.groups["en16931"]) == [rest[i : i + 2] for i in range(0, 38, 2)]
