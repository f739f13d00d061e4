"""The directory channel (``type = "directory"``): drop each document into a folder, atomically.

**Names.** A document goes in under its envelope's file name, ``<number>.xml`` (BT-1,
:func:`~delivery.base.safe_file_name`). When a file of that name holds other bytes (another
supplier's, connection's or source record's document with the same number), it goes in as
``<number>~<short id>.xml``, the way ``ledgerlink pull --ubl-dir`` names a taken name. The
short id is the first 12 characters of the envelope's idempotency key (of the key's
SHA-256 where the key is not hex), so the same document always gets the same name and a
resend finds its own file. Names are compared without case (a folder on a
case-insensitive file system, or a consumer that lower-cases: ``INV-1.xml`` and
``inv-1.xml`` clash). A file of either name with the same bytes means the document is
there already: nothing is written. An existing file is never overwritten; only when both
names hold other documents is the send refused (:class:`~delivery.base.ChannelRefused`).

**Writing.** :meth:`DirectoryChannel.send_batch` writes a batch in four steps
(:meth:`~DirectoryChannel.send` is a batch of one), so that nobody ever sees half a file
and a receipt never speaks for bytes that may not be on disk:

1. each document goes into a hidden temporary file in the folder
   (``.<file name>.<random>.tmp``), unless it was written ahead: a validation pool's
   worker that built it staged it already, fsynced, under a hidden name of its bytes'
   hash (:mod:`delivery.directory_staging`), and that file is taken instead (steps 1
   and 2 done);
2. each temporary file is fsynced: the bytes are on disk before a name points at them.
   The fsyncs of a batch run from a few threads at once (:data:`FSYNC_THREADS`), each
   file still fsynced on its own and its failure that document's alone; a journaling
   file system commits concurrent fsyncs together;
3. each is linked under its name, which fails rather than replace a file that came
   meanwhile (that document then takes its ``~`` name; a file system without hard links
   gets a rename after a check that the name is free), and the folder is fsynced once:
   every name of the batch survives a power loss;
4. only then are the receipts written, one record per document holding the idempotency
   key, the file name, the number and the SHA-256 of the bytes, found under
   ``<path>/.ledgerlink/<key>.json`` (the idempotency key, or its SHA-256 where the key
   is not hex). A batch writes its records as JSON lines into one temporary file,
   fsyncs it once, links it under each key's name and removes the temporary name, then
   fsyncs ``.ledgerlink`` once (the links are entries of that folder). A batch of one,
   and a file system without hard links, gets a file per key instead: temporary file,
   fsync, rename, and the one fsync of ``.ledgerlink``. The receipts live apart so that
   whatever watches the folder sees only documents.

**Leftovers.** The temporary files a killed sender left are removed by the channel's first
batch once untouched for :data:`STALE_TEMP_SECONDS` (:mod:`delivery.directory_leftovers`).

One document's failure (a full disk, a quota, an I/O error) removes its temporary file:
no half-written file is left, that document gets :class:`~delivery.base.ChannelUnavailable`
saying why (it stays queued and is retried), and the others of the batch go on. A folder
that cannot be written at all (permission, read-only file system, a path that is a file)
is :class:`~delivery.base.ChannelRefused`. A receipt that cannot be written (the disk
filled up right after the document) does not undo the delivery: the document is in
place and on disk, and a lookup decides by its bytes. An envelope whose key has a receipt
is delivered already: nothing is written again, even when a consumer took the file away.

**Lookup** after a crash between send and record (:meth:`DirectoryChannel.lookup`): a
receipt with this key means delivered, even when a consumer already took the file away.
``<key>.json`` may hold one record or a batch's records a line each: the line with this
key counts, a damaged line of another key does not hide it (and a key whose own line is
damaged has no receipt: its file decides, and a resend replaces the receipt). A receipt
of the earliest layout, ``.ledgerlink/<file name>.json``, counts when it holds the key.
Without a receipt the file decides: the same bytes under either name mean delivered (the
crash came after the document got its name, before its receipt; the file and the folder
are fsynced before the answer, as the crash may have come before the folder's fsync),
anything else means not sent. State after a send: ``delivered``. The directory has no
status answers (:meth:`~DirectoryChannel.poll` is empty).

Durability is one fsync per document file, one for a batch's receipts and one per folder
and batch, which every POSIX system offers. Linux's ``syncfs`` would flush a batch in one
call (``benchmarks/directory_channel.py`` measures it), but it writes back every dirty file
of the whole file system, at a cost the other writers decide, and before Linux 5.8 it did
not report write-back errors; it is not used.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import stat
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from delivery.base import (
    ChannelError,
    ChannelRefused,
    ChannelUnavailable,
    DeliveryState,
    Envelope,
    Receipt,
    StatusEvent,
)
from delivery.directory_leftovers import STALE_TEMP_SECONDS, remove_stale, stale_temp_files
from delivery.directory_staging import DirectoryStager, take_staged

__all__ = [
    "FSYNC_THREADS",
    "RECEIPT_FOLDER",
    "SHORT_ID_LENGTH",
    "STALE_TEMP_SECONDS",
    "DirectoryChannel",
    "stale_temp_files",
]


RECEIPT_FOLDER: Final = ".ledgerlink"
"""The subfolder of a channel's folder that holds the send receipts."""

SHORT_ID_LENGTH: Final = 12
"""Characters of the idempotency key in a ``<number>~<short id>.xml`` name."""

_PERMANENT: Final = frozenset(
    {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.EISDIR, errno.ENAMETOOLONG}
)
_NO_HARD_LINKS: Final = frozenset({errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS})
"""What ``link`` answers on a file system without hard links (FAT, some network shares)."""

_CHUNK: Final = 128
"""Documents of a batch written at once: each keeps a file descriptor open until fsynced."""

FSYNC_THREADS: Final = 8
"""Threads that fsync a batch's documents at once (``fsync`` releases the GIL, and a
journaling file system commits concurrent fsyncs together)."""

_HEX_KEY: Final = re.compile(r"[0-9a-f]{32,128}")


def _write_file(fd: int, data: bytes) -> None:
    """Write all of ``data`` to ``fd`` (a seam the tests use to inject a full disk)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _link(temp: str, target: Path) -> None:
    """``temp`` under the name ``target``, never replacing a file: FileExistsError when the
    name is taken (compared the file system's way, so without case where it ignores case)."""
    try:
        os.link(temp, target)
    except OSError as exc:
        if exc.errno not in _NO_HARD_LINKS:
            raise
        if os.path.lexists(target):
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(target)) from None
        os.replace(temp, target)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _key_token(key: str) -> str:
    """The idempotency key as a file name part: the key when it is hex (the outbox's keys
    are SHA-256 hex), else the SHA-256 of the key."""
    return key if _HEX_KEY.fullmatch(key) else _sha256(key.encode("utf-8"))


def _find_record(data: bytes, key: str) -> dict[str, object] | None:
    """The record of ``key`` in a receipt file's ``data``: a JSON object per line (a damaged
    line is skipped), or one JSON object over several lines (an earlier layout)."""
    quoted = json.dumps(key).encode()
    lines = data.splitlines()
    for line in sorted(lines, key=lambda line: quoted not in line):  # likely ones first
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("idempotency_key") == key:
            return record
    if len(lines) > 1:
        with contextlib.suppress(ValueError):
            record = json.loads(data)
            if isinstance(record, dict) and record.get("idempotency_key") == key:
                return record
    return None


def _names(envelope: Envelope) -> tuple[str, str]:
    """The two names a document may have: its file name, and ``<stem>~<short id><suffix>``."""
    plain = envelope.file_name
    short = _key_token(envelope.idempotency_key)[:SHORT_ID_LENGTH]
    stem, dot, suffix = plain.rpartition(".")
    if not dot or not stem:
        return plain, f"{plain}~{short}"
    return plain, f"{stem}~{short}.{suffix}"


@dataclass(slots=True, eq=False)
class _Job:
    """One document of a batch on its way into the folder."""

    envelope: Envelope
    name: str
    """Where the document is (already there) or goes."""
    temp: str | None = None
    """Its document's temporary file while it is written."""
    fd: int | None = None
    """The temporary file's descriptor, open until the file is fsynced."""
    leader: _Job | None = None
    """Another document of the batch with the same bytes, which writes the file."""
    result: Receipt | ChannelError | None = None
    """Set when the document is done: delivered, or why not."""
    staged: bool = False
    """``temp`` is the document's staged file (:mod:`delivery.directory_staging`): fsynced
    by whoever staged it."""
    digest: str = ""
    """The SHA-256 of the document's bytes, once computed."""


class DirectoryChannel:
    """Drops documents into ``path`` (created when missing)."""

    kind: Final = "directory"

    def __init__(self, name: str, path: Path) -> None:
        self._name = name
        self.path = Path(path)
        self._swept = False

    @property
    def name(self) -> str:
        return self._name

    def __repr__(self) -> str:
        return f"DirectoryChannel({self._name!r}, {str(self.path)!r})"

    def accepts(self, envelope: Envelope) -> bool:
        """Every document can go into a folder."""
        return True

    def stager(self) -> DirectoryStager:
        """What writes documents ahead into this folder, in another process
        (:mod:`delivery.directory_staging`); a send takes a staged file instead of writing."""
        return DirectoryStager(str(self.path))

    # -- sending ------------------------------------------------------------------------

    def send(self, envelope: Envelope) -> Receipt:
        """Write one document (a batch of one); ChannelUnavailable (full disk...) leaves
        nothing behind, ChannelRefused when the folder cannot be written."""
        result = self.send_batch([envelope])[0]
        if isinstance(result, ChannelError):
            raise result
        return result

    def send_batch(self, envelopes: Sequence[Envelope]) -> list[Receipt | ChannelError]:
        """Write each document, in order: per envelope its Receipt (``delivered``) or the
        ChannelError that stopped it; one document's failure never stops the others."""
        try:
            (self.path / RECEIPT_FOLDER).mkdir(parents=True, exist_ok=True)
            if not self._swept:
                self.remove_stale_temp_files()
            taken = self._taken()
        except OSError as exc:
            return [self._error(exc, f"write {self.path / e.file_name}") for e in envelopes]
        results: list[Receipt | ChannelError] = []
        for start in range(0, len(envelopes), _CHUNK):
            results.extend(self._send_chunk(envelopes[start : start + _CHUNK], taken))
        return results

    def remove_stale_temp_files(self) -> list[Path]:
        """Remove the temporary files a crashed sender left (:func:`stale_temp_files`);
        the files removed. The channel's first batch calls it."""
        self._swept = True
        return remove_stale(self._name, self.path)

    def _send_chunk(
        self, envelopes: Sequence[Envelope], taken: dict[str, list[str]]
    ) -> list[Receipt | ChannelError]:
        jobs: list[_Job] = []
        writing: dict[str, _Job] = {}  # folded name -> the job of this chunk that writes it
        try:
            for envelope in envelopes:
                jobs.append(self._prepare(envelope, taken, writing))
            self._place(jobs, taken)
            self._write_receipts([job for job in jobs if job.result is None])
        finally:
            for job in jobs:  # only after an unexpected error: no descriptor, no temp file left
                self._discard(job)
        results: list[Receipt | ChannelError] = []
        for job in jobs:
            assert job.result is not None
            results.append(job.result)
        return results

    def _prepare(
        self, envelope: Envelope, taken: dict[str, list[str]], writing: dict[str, _Job]
    ) -> _Job:
        """The job of one envelope: delivered already (by its receipt), there already (the
        same bytes under one of its names), following another job with the same bytes, or
        written to a temporary file for the name that is free."""
        job = _Job(envelope=envelope, name=envelope.file_name)
        try:
            found = self._receipt(envelope)
            if found is not None:
                job.result = found
                return job
            for name in _names(envelope):
                folded = name.casefold()
                if (other := writing.get(folded)) is not None:
                    if other.envelope.ubl == envelope.ubl:
                        job.name, job.leader = other.name, other
                        return job
                    continue
                held = {h: self._holds(h, envelope.ubl) for h in taken.get(folded, ())}
                if there := [h for h, same in held.items() if same]:
                    job.name = there[0]  # there already, from an earlier send
                    return job
                if False in held.values():
                    continue  # another document holds this name
                job.name = name
                job.digest = _sha256(envelope.ubl)
                staged = take_staged(self.path, envelope.file_name, envelope.ubl, job.digest)
                if staged is not None:  # written and fsynced ahead: linked in step 3
                    job.temp, job.staged = staged, True
                else:
                    job.fd, job.temp = tempfile.mkstemp(
                        dir=self.path, prefix=f".{name}.", suffix=".tmp"
                    )
                    _write_file(job.fd, envelope.ubl)
                writing[folded] = job
                return job
            job.result = self._both_taken(envelope)
        except OSError as exc:
            self._discard(job)
            job.result = self._error(exc, f"write {self.path / job.name}")
        return job

    def _place(self, jobs: list[_Job], taken: dict[str, list[str]]) -> None:
        """Steps 2 and 3: fsync each file (several at once), link each under its name, fsync
        the folder once. A document that fails here gets its error; its temporary file is
        removed."""
        syncing = [
            job for job in jobs if job.result is None and job.leader is None and not job.staged
        ]
        if len(syncing) > 1 and FSYNC_THREADS > 1:
            with ThreadPoolExecutor(max_workers=min(FSYNC_THREADS, len(syncing))) as pool:
                list(pool.map(self._fsync_job, syncing))
        else:
            for job in syncing:
                self._fsync_job(job)
        for job in jobs:
            if job.temp is None or job.result is not None:
                continue
            try:
                self._link_job(job)
            except OSError as exc:
                job.result = self._error(exc, f"write {self.path / job.name}")
            finally:
                self._discard(job)
            if job.result is None:
                taken.setdefault(job.name.casefold(), []).append(job.name)
        for job in jobs:
            if job.leader is not None and job.result is None:
                job.name = job.leader.name  # the leader may have taken its ~ name meanwhile
                job.result = job.leader.result  # None while the leader's file is fine
        alive = [job for job in jobs if job.result is None]
        if alive:
            try:
                _fsync_dir(self.path)
            except OSError as exc:
                # the files are complete and stay; a resend finds them by their bytes
                for job in alive:
                    job.result = self._error(exc, f"write {self.path / job.name}")

    def _fsync_job(self, job: _Job) -> None:
        """Step 2 for one document (run in a thread: ``fsync`` releases the GIL, and the file
        system joins concurrent fsyncs into one journal commit); a failure is that
        document's alone."""
        try:
            if job.fd is not None:
                os.fsync(job.fd)
                os.close(job.fd)
                job.fd = None
            else:  # there already: it may not be on disk yet, if a send crashed
                _fsync_file(self.path / job.name)
        except OSError as exc:
            self._discard(job)
            job.result = self._error(exc, f"write {self.path / job.name}")

    def _link_job(self, job: _Job) -> None:
        """Link ``job``'s temporary file under its name, or under its ``~`` name when another
        document took the name since the folder was listed; when both are taken, the job's
        result is ChannelRefused."""
        assert job.temp is not None
        names = _names(job.envelope)
        for name in names[names.index(job.name) :]:
            try:
                _link(job.temp, self.path / name)
            except FileExistsError:
                if self._holds(name, job.envelope.ubl):
                    job.name = name  # came meanwhile, with these bytes
                    return
                continue
            job.name = name
            return
        job.result = self._both_taken(job.envelope)

    def _write_receipts(self, jobs: list[_Job]) -> None:
        """Step 4, for documents in place and on disk: one file holding a record per
        document, fsynced once, linked under each key's name, then ``.ledgerlink`` fsynced
        once. A file system without hard links gets a file per key instead. A receipt that
        fails leaves the document delivered (the lookup decides by its bytes)."""
        folder = self.path / RECEIPT_FOLDER
        records: dict[str, bytes] = {}  # key token -> its record, the batch's order
        for job in jobs:
            envelope = job.envelope
            job.result = Receipt(remote_id=str(self.path / job.name), state=DeliveryState.DELIVERED)
            record = {
                "idempotency_key": envelope.idempotency_key,
                "sha256": job.digest or _sha256(envelope.ubl),
                "file": job.name,
                "number": envelope.number,
            }
            token = _key_token(envelope.idempotency_key)
            records[token] = json.dumps(record, sort_keys=True).encode() + b"\n"
        if len(records) < 2:  # a file of its own, renamed: one step less than a link
            self._write_receipt_files(folder, records)
            with contextlib.suppress(OSError):
                _fsync_dir(folder)
            return
        temp: str | None = None
        try:
            fd, temp = tempfile.mkstemp(dir=folder, prefix=".batch.", suffix=".tmp")
            try:
                _write_file(fd, b"".join(records.values()))
                os.fsync(fd)
            finally:
                os.close(fd)
            linked = self._link_receipts(temp, folder, records)
        except OSError:
            return  # receipts are a hint: the documents are in place and on disk
        finally:
            if temp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temp)
        unlinked = {token: record for token, record in records.items() if token not in linked}
        if unlinked:  # no hard links here
            self._write_receipt_files(folder, unlinked)
        with contextlib.suppress(OSError):
            _fsync_dir(folder)

    def _link_receipts(self, temp: str, folder: Path, records: dict[str, bytes]) -> set[str]:
        """Link the batch's receipt file ``temp`` as ``<key token>.json`` for each token
        (replacing a receipt of that name that did not hold the key); the tokens linked.
        Stops at the first sign of a file system without hard links."""
        linked: set[str] = set()
        for token in records:
            target = folder / f"{token}.json"
            try:
                try:
                    os.link(temp, target)
                except FileExistsError:  # an unreadable receipt of this key: replaced
                    spare = f"{temp.removesuffix('.tmp')}.{token[:16]}.tmp"
                    os.link(temp, spare)
                    try:
                        os.replace(spare, target)
                    except OSError:
                        with contextlib.suppress(OSError):
                            os.unlink(spare)
                        raise
            except OSError as exc:
                if exc.errno in _NO_HARD_LINKS:
                    break
                continue  # this key has no receipt; its document is on disk all the same
            linked.add(token)
        return linked

    def _write_receipt_files(self, folder: Path, records: dict[str, bytes]) -> None:
        """A receipt file per key (where there are no hard links): each written, each
        fsynced, each renamed; the caller fsyncs ``.ledgerlink``."""
        for token, record in records.items():
            temp: str | None = None
            try:
                fd, temp = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
                try:
                    _write_file(fd, record)
                    os.fsync(fd)
                finally:
                    os.close(fd)
                os.replace(temp, folder / f"{token}.json")
                temp = None
            except OSError:
                pass
            finally:
                if temp is not None:
                    with contextlib.suppress(OSError):
                        os.unlink(temp)

    def _discard(self, job: _Job) -> None:
        """Close ``job``'s descriptor and remove its temporary file, where it has them."""
        if job.fd is not None:
            with contextlib.suppress(OSError):
                os.close(job.fd)
            job.fd = None
        if job.temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(job.temp)
            job.temp = None

    def _both_taken(self, envelope: Envelope) -> ChannelRefused:
        plain, other = _names(envelope)
        return ChannelRefused(
            f"{self.path / plain} and {other} already hold other documents; not overwritten",
            channel=self._name,
        )

    # -- reading ------------------------------------------------------------------------

    def _taken(self) -> dict[str, list[str]]:
        """The folder's names by their case-folded form (one listing per batch)."""
        taken: dict[str, list[str]] = {}
        for name in os.listdir(self.path):
            taken.setdefault(name.casefold(), []).append(name)
        return taken

    def _holds(self, name: str, data: bytes) -> bool | None:
        """Whether the file ``name`` holds exactly ``data``: None when there is no such file,
        False for other bytes or something that is not a file."""
        try:
            with open(self.path / name, "rb") as file:
                info = os.fstat(file.fileno())
                if not stat.S_ISREG(info.st_mode) or info.st_size != len(data):
                    return False
                return file.read(len(data) + 1) == data
        except FileNotFoundError:
            return None
        except IsADirectoryError:
            return False

    def _receipt(self, envelope: Envelope) -> Receipt | None:
        """The Receipt when a receipt holds this envelope's key (the key's own
        ``<key token>.json``, with one record or a batch's records a line each, or the
        earlier layout's ``<file name>.json``); None otherwise."""
        folder = f"{self.path}{os.sep}{RECEIPT_FOLDER}{os.sep}"
        key = envelope.idempotency_key
        for path in (f"{folder}{_key_token(key)}.json", f"{folder}{envelope.file_name}.json"):
            try:
                fd = os.open(path, os.O_RDONLY)
            except OSError:
                continue  # none (the common case of a fresh send), or unreadable
            try:
                with open(fd, "rb") as file:
                    data = file.read()
            except OSError:
                continue
            record = _find_record(data, key)
            if record is not None:
                name = record.get("file")
                if not isinstance(name, str) or not name or re.search(r"[/\\\0]", name):
                    name = envelope.file_name
                return Receipt(remote_id=str(self.path / name), state=DeliveryState.DELIVERED)
        return None

    def _error(self, exc: OSError, doing: str) -> ChannelUnavailable | ChannelRefused:
        reason = f"cannot {doing}: {exc.strerror or exc}"
        if exc.errno in _PERMANENT:
            return ChannelRefused(reason, channel=self._name)
        return ChannelUnavailable(reason, channel=self._name)

    def lookup(self, envelope: Envelope) -> Receipt | None:
        """Delivered when a receipt holds this key, or (no receipt) a file of either of its
        names (compared without case) holds these bytes; None otherwise."""
        found = self._receipt(envelope)
        if found is not None:
            return found
        try:
            taken = self._taken()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise self._error(exc, f"read {self.path}") from None
        for name in _names(envelope):
            for held in taken.get(name.casefold(), ()):
                try:
                    if self._holds(held, envelope.ubl):
                        _fsync_file(self.path / held)  # so "delivered" holds after a power loss
                        _fsync_dir(self.path)
                        return Receipt(
                            remote_id=str(self.path / held), state=DeliveryState.DELIVERED
                        )
                except OSError as exc:
                    raise self._error(exc, f"read {self.path / held}") from None
        return None

    def poll(self, envelope: Envelope, remote_id: str) -> list[StatusEvent]:
        """A folder gives no answers."""
        return []

    def close(self) -> None:
        """Nothing to release."""
