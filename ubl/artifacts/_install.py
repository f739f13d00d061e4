"""Install bundles: copy from a folder of official files, or download the pinned URLs.

Each bundle is assembled in a hidden temporary directory beside its final place;
every file's sha256 and size are checked as it is written, the ``installed.json``
marker is written last, and only then is the directory renamed into place. A
mismatch or a failed download leaves nothing of that bundle behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ubl.artifacts._cache import MARKER, Bundle, cache_dir, marker_for, matches
from ubl.artifacts._errors import ChecksumMismatch, FetchError
from ubl.artifacts._manifest import BundleSpec, FileSpec, Manifest, load_manifest

if TYPE_CHECKING:
    import httpx

__all__ = ["install"]

_CHUNK = 1 << 16


def install(
    names: Sequence[str] | str = (),
    *,
    source_dir: Path | None = None,
    cache: Path | None = None,
    manifest: Manifest | None = None,
    timeout: float = 60.0,
) -> list[Bundle]:
    """Install the bundles ``names`` selects into ``cache`` and return them.

    ``names``: ``"nlcius"`` (its newest version) or ``"nlcius==2.0.3.12"``; empty
    means the newest version of every bundle. With ``source_dir`` every file is
    looked up there by file name and sha256 (any layout); otherwise it is downloaded
    from its pinned URL (``timeout`` seconds per read). A bundle already installed
    with exactly the pinned files is left as it is. ``manifest`` replaces the
    committed one (tests point it at a local server).

    Raises ``UnknownBundle`` before installing anything, ``ChecksumMismatch`` or
    ``FetchError`` for the bundle that failed (bundles before it stay installed).
    """
    chosen = (manifest or load_manifest()).select(names)
    root = cache_dir() if cache is None else cache
    source: _Source = (
        _FolderSource(source_dir, chosen) if source_dir is not None else _HttpSource(timeout)
    )
    try:
        return [_install_bundle(spec, root, source) for spec in chosen]
    finally:
        source.close()


def _install_bundle(spec: BundleSpec, root: Path, source: _Source) -> Bundle:
    target = root / spec.name / spec.version
    current = matches(target, spec)
    if current is not None:
        return current
    created = not target.parent.exists()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(
        tempfile.mkdtemp(prefix=f".{spec.version}.", suffix=".partial", dir=target.parent)
    )
    try:
        for file in spec.files:
            dest = staging.joinpath(*file.parts)
            dest.parent.mkdir(parents=True, exist_ok=True)
            source.fetch(spec, file, dest)
        (staging / MARKER).write_text(_json(marker_for(spec)), encoding="utf-8")
        if matches(target, spec) is None:  # another process may have finished first
            _move_into_place(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if created:  # a failed install leaves no empty <cache>/<bundle>/ behind
            with contextlib.suppress(OSError):
                target.parent.rmdir()
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    bundle = matches(target, spec)
    if bundle is None:  # pragma: no cover - only when another process broke the cache
        raise FetchError(f"bundle '{spec.name}' {spec.version}: {target} changed while installing")
    return bundle


def _move_into_place(staging: Path, target: Path) -> None:
    """Rename ``staging`` to ``target``; an old incomplete ``target`` is moved aside first."""
    old: Path | None = None
    if target.exists():
        old = target.with_name(f".{target.name}.{uuid.uuid4().hex}.old")
        target.rename(old)
    try:
        staging.rename(target)
    except OSError:
        if not (target / MARKER).exists():  # not a concurrent install that finished first
            raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def _json(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _write_hashed(chunks: Iterable[bytes], dest: Path, limit: int) -> tuple[str, int]:
    """Write ``chunks`` to ``dest``, stopping past ``limit`` bytes; (sha256, bytes written)."""
    digest = hashlib.sha256()
    written = 0
    with dest.open("wb") as out:
        for chunk in chunks:
            digest.update(chunk)
            out.write(chunk)
            written += len(chunk)
            if written > limit:
                break
    return digest.hexdigest(), written


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            yield chunk


class _Source(Protocol):
    def fetch(self, spec: BundleSpec, file: FileSpec, dest: Path) -> None:
        """Write ``file`` to ``dest`` with its pinned sha256, or raise."""

    def close(self) -> None: ...


class _FolderSource:
    """Official files found anywhere under a folder, by file name and sha256."""

    def __init__(self, folder: Path, bundles: Sequence[BundleSpec]) -> None:
        self._folder = folder
        self._wanted = {file.parts[-1] for spec in bundles for file in spec.files}
        self._index: dict[str, list[Path]] | None = None

    def _by_name(self) -> dict[str, list[Path]]:
        """File name -> paths under the folder, walked once, on the first file needed."""
        if self._index is None:
            if not self._folder.is_dir():
                raise FetchError(f"{self._folder} is not a folder")
            self._index = {}
            for dirpath, dirnames, filenames in os.walk(self._folder):
                dirnames.sort()
                for filename in sorted(filenames):
                    if filename in self._wanted:
                        self._index.setdefault(filename, []).append(Path(dirpath, filename))
        return self._index

    def fetch(self, spec: BundleSpec, file: FileSpec, dest: Path) -> None:
        candidates = self._by_name().get(file.parts[-1], [])
        if not candidates:
            raise FetchError(
                f"bundle '{spec.name}' {spec.version}: no file named {file.parts[-1]} "
                f"under {self._folder}"
            )
        # Same size first: those are the only ones that can match, so try them first.
        candidates = sorted(candidates, key=lambda path: path.stat().st_size != file.size)
        mismatches: list[tuple[str, int, Path]] = []
        for candidate in candidates:
            if candidate.stat().st_size == file.size:
                actual, size = _write_hashed(_file_chunks(candidate), dest, file.size)
            else:
                actual, size = _hash_file(candidate), candidate.stat().st_size
            if actual == file.sha256 and size == file.size:
                return
            mismatches.append((actual, size, candidate))
        actual, size, candidate = mismatches[0]
        raise ChecksumMismatch(
            spec.name,
            spec.version,
            file.path,
            expected=file.sha256,
            actual=actual,
            origin=str(candidate),
            size=(size, file.size),
        )

    def close(self) -> None:
        return None


def _hash_file(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


class _HttpSource:
    """Downloads with one httpx client (imported only when something is downloaded)."""

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout
        self._client: httpx.Client | None = None

    def _get_client(self) -> httpx.Client:
        if self._client is None:
            import httpx

            self._client = httpx.Client(
                timeout=httpx.Timeout(self._timeout, connect=min(self._timeout, 15.0)),
                follow_redirects=True,
                headers={"User-Agent": "ledgerlink-artifacts"},
            )
        return self._client

    def fetch(self, spec: BundleSpec, file: FileSpec, dest: Path) -> None:
        import httpx

        client = self._get_client()
        try:
            with client.stream("GET", file.url) as response:
                response.raise_for_status()
                actual, size = _write_hashed(response.iter_bytes(_CHUNK), dest, file.size)
        except httpx.HTTPStatusError as exc:
            raise FetchError(
                f"bundle '{spec.name}' {spec.version}: download of {file.url} failed: "
                f"HTTP {exc.response.status_code}"
            ) from exc
        except httpx.HTTPError as exc:
            reason = str(exc) or type(exc).__name__
            raise FetchError(
                f"bundle '{spec.name}' {spec.version}: download of {file.url} failed: {reason}"
            ) from exc
        if actual != file.sha256 or size != file.size:
            raise ChecksumMismatch(
                spec.name,
                spec.version,
                file.path,
                expected=file.sha256,
                actual=actual,
                origin=file.url,
                size=(size, file.size),
            )

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
