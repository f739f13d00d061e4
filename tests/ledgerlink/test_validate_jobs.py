"""The scheduling helpers of ``ledgerlink validate --jobs`` (the runs themselves are tested
through the command in test_validate_command.py)."""

from __future__ import annotations

import hashlib
import threading

from ledgerlink._validate_jobs import _others_asleep


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
