"""Fault injection: a delivery worker killed with SIGKILL at random points, restarted
until it is done, delivers every one of 200 documents exactly once to the access-point
emulator (which runs in the test process and counts the POSTs per idempotency key) and
leaves exactly one note per status transition at the source.

The points are seeded: the seed is printed, and ``LEDGERLINK_KILL9_SEED=N`` replays a
run (``LEDGERLINK_KILL9_KILLS`` sets how many kills, 20 by default).
"""

from __future__ import annotations

import os
import random
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import func, select
from support.kill_points import run_to_kill_point
from support.outbox_doubles import NoteSource, add_document, envelope_for

from delivery.ap_emulator import ApEmulator, default_script
from sync.outbox import enqueue
from sync.store import events, open_store, outbox

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = 200
WAIT = 90.0
"""Seconds any one worker may take before the test gives up (no hang)."""


ANSWERS = len(default_script("INV-0000"))
"""The emulator's answers to each document (MLR AB, Invoice Response AB, AP)."""


def _fill(url: str) -> None:
    with open_store(url, create=True) as store:
        store.ensure()
        with store.begin() as conn:
            for index in range(DOCUMENTS):
                number = f"INV-{index:04d}"
                document_id, source_id, digest = add_document(conn, number)
                assert enqueue(
                    conn,
                    document_id=document_id,
                    connection="shop",
                    source_id=source_id,
                    content_hash=digest,
                    envelope=envelope_for(number, source_id, digest),
                    channels=[_Peppol()],
                )


class _Peppol:
    """Stands for the worker's access-point channel when queueing: it accepts all."""

    name = "ap"

    def accepts(self, envelope: object) -> bool:
        return True


def _pick(rng: random.Random, url: str, sends: bool, posted: Iterable[str]) -> str:
    """A random point the next run will still pass: with ``sends`` among the sends left
    (their claim, or after their send before its record): the rows still queued, and
    those a kill left ``sending`` that the access point never got (``posted``: the keys
    it got), which recovery sends again. Otherwise among the pushes left (each event not
    pushed yet, and those the remaining sends and answers will add)."""
    with open_store(url) as store, store.begin() as conn:
        rows = conn.execute(
            select(outbox.c.state, outbox.c.idempotency_key).where(
                outbox.c.state.in_(("queued", "sending"))
            )
        ).all()
        unpushed = conn.execute(
            select(func.count()).select_from(events).where(events.c.pushed_at.is_(None))
        ).scalar_one()
    got = set(posted)
    unsent = len(rows)
    to_send = sum(1 for row in rows if row.state == "queued" or row.idempotency_key not in got)
    if sends and to_send:
        name = rng.choice(["claimed", "sent"])
        return f"{name}:{rng.randint(1, min(to_send, 20))}"
    pushes = unpushed + unsent * (1 + ANSWERS)
    return f"pushed:{rng.randint(1, max(1, min(pushes, 100)))}"


def _run(url: str, ap: str, tmp: Path, point: str | None) -> str:
    """One worker: 'killed' when it reached ``point`` and was killed, 'done' when it ended."""
    return run_to_kill_point(
        ["-m", "support.outbox_worker", url, ap, str(tmp / "source")], tmp, point, wait=WAIT
    )


def test_kill_9_at_random_points_delivers_each_document_once(
    store_url: str, tmp_path: Path
) -> None:
    seed = int(os.environ.get("LEDGERLINK_KILL9_SEED") or random.SystemRandom().randrange(10**6))
    kills = int(os.environ.get("LEDGERLINK_KILL9_KILLS", "20"))
    print(f"kill -9 seed {seed} (replay: LEDGERLINK_KILL9_SEED={seed})")
    rng = random.Random(seed)
    _fill(store_url)

    killed: Counter[str] = Counter()
    with ApEmulator() as emulator:
        for _ in range(3 * kills):
            if sum(killed.values()) == kills:
                break
            sending = killed["claimed"] + killed["sent"] < kills // 2
            point = _pick(rng, store_url, sending, emulator.posts)
            if _run(store_url, emulator.url, tmp_path, point) == "killed":
                killed[point.partition(":")[0]] += 1
        assert _run(store_url, emulator.url, tmp_path, None) == "done"
    print(f"seed {seed}: killed at {dict(killed)}")

    sends = emulator.posts
    assert len(emulator.documents) == len(sends)
    assert len(sends) == DOCUMENTS, f"seed {seed}: {DOCUMENTS - len(sends)} documents lost"
    assert set(sends.values()) == {1}, f"seed {seed}: sent twice: {sends.most_common(3)}"
    with open_store(store_url) as store, store.begin() as conn:
        final = Counter(conn.execute(select(outbox.c.state)).scalars())
        transitions = conn.execute(select(func.count()).select_from(events)).scalar_one()
        unpushed = conn.execute(
            select(func.count()).select_from(events).where(events.c.pushed_at.is_(None))
        ).scalar_one()
    assert final == {"accepted": DOCUMENTS}, f"seed {seed}"
    assert unpushed == 0
    assert transitions == DOCUMENTS * (2 + ANSWERS)  # queued, sent and each answer
    notes = NoteSource(tmp_path / "source").notes()
    per_transition = Counter((note["record"], note["message"]) for note in notes)
    assert len(notes) == transitions and set(per_transition.values()) == {1}, f"seed {seed}"
    per_document = Counter(note["record"] for note in notes)
    assert set(per_document.values()) == {2 + ANSWERS}, f"seed {seed}"
    assert killed["claimed"] + killed["sent"] > 0 and killed["pushed"] > 0, f"seed {seed}"
