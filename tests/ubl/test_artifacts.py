"""The artifact manager: the pinned manifest, installing from a folder or over HTTP, the
cache layout, the missing-bundle error, and the ``ledgerlink artifacts`` commands."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.util
import os
import re
import shutil
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from support.shared import REPO_ROOT, require_shared
from typer.testing import CliRunner

from ledgerlink.cli import app
from ubl.artifacts import (
    ArtifactMissing,
    ChecksumMismatch,
    FetchError,
    Manifest,
    UnknownBundle,
    bundle_file,
    cache_dir,
    install,
    installed,
    load_manifest,
)
from ubl.errors import UblError

MANIFEST_PATH = REPO_ROOT / "ubl" / "artifacts" / "manifest.json"
BUILDER_PATH = REPO_ROOT / "scripts" / "build_artifact_manifest.py"
PEPPOL_XSLT = "xslt/PEPPOL-EN16931-UBL.xslt"
EXPECTED_BUNDLES = {
    ("ubl-2.1-xsd", "2.1"),
    ("en16931-ubl", "1.3.16"),
    ("peppol-bis3", "3.0.21"),
    ("nlcius", "2.0.3.13"),
    ("nlcius", "2.0.3.12"),
}
runner = CliRunner()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def every_requirement() -> list[str]:
    return [bundle.requirement for bundle in load_manifest().bundles]


def hidden_leftovers(cache: Path) -> list[Path]:
    return [p for p in cache.rglob(".*") if p.is_dir()]


def _load_builder() -> ModuleType:
    """scripts/build_artifact_manifest.py as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("build_artifact_manifest", BUILDER_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


# --- the manifest -----------------------------------------------------------------


def test_manifest_pins_the_bundles_of_the_contract() -> None:
    manifest = load_manifest()
    assert {(b.name, b.version) for b in manifest.bundles} == EXPECTED_BUNDLES
    assert manifest.get("nlcius").version == "2.0.3.13"  # the newest is the default
    xsd = {f.path for f in manifest.get("ubl-2.1-xsd").files}
    assert {"xsdrt/maindoc/UBL-Invoice-2.1.xsd", "xsdrt/maindoc/UBL-CreditNote-2.1.xsd"} <= xsd
    assert "xsdrt/common/UBL-CommonAggregateComponents-2.1.xsd" in xsd
    assert [f.path for f in manifest.get("peppol-bis3").files] == [
        "xslt/CEN-EN16931-UBL.xslt",
        PEPPOL_XSLT,
    ]


def test_manifest_urls_are_pinned_and_name_no_local_path() -> None:
    text = MANIFEST_PATH.read_text(encoding="utf-8")
    for local in ("/work/", "/home/", "/tmp/", "file:", str(REPO_ROOT)):
        assert local not in text
    tags = {"2025-11-27"}  # peppolautoriteit-nl/validation release tag
    for bundle in load_manifest().bundles:
        for file in bundle.files:
            assert file.url.startswith("https://"), file.url
            if file.url.startswith("https://raw.githubusercontent.com/"):
                ref = file.url.split("/")[5]
                assert re.fullmatch(r"[0-9a-f]{40}", ref) or ref in tags, file.url
            else:
                assert file.url.startswith("https://docs.oasis-open.org/ubl/os-UBL-2.1/xsdrt/")
            assert file.url.rsplit("/", 1)[1].rsplit(".", 1)[1] == file.path.rsplit(".", 1)[1]


def test_committed_manifest_matches_the_shared_files() -> None:
    source = require_shared("validation", "validation/SHA256SUMS")
    assert _load_builder().main(["--source", str(source), "--check"]) == 0
    published = {line.split()[0] for line in (source / "SHA256SUMS").read_text().splitlines()}
    for bundle in load_manifest().bundles:
        for file in bundle.files:
            assert file.sha256 in published, f"{bundle.name} {file.path}"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"path": "../escape.xsl"}, "relative POSIX path"),
        ({"path": "/etc/passwd"}, "relative POSIX path"),
        ({"path": "xslt\\a.xsl"}, "relative POSIX path"),
        ({"sha256": "ABC"}, "sha256"),
        ({"size": -1}, "size"),
    ],
)
def test_manifest_refuses_unsafe_entries(change: dict[str, Any], message: str) -> None:
    file = {"path": "xslt/a.xsl", "sha256": "0" * 64, "size": 1, "url": "https://x/a"} | change
    with pytest.raises(ValueError, match=message):
        Manifest.from_dict({"bundles": [{"name": "a", "version": "1", "files": [file]}]})
    with pytest.raises(ValueError, match="plain name"):
        Manifest.from_dict({"bundles": [{"name": "..", "version": "1", "files": []}]})


def test_select_resolves_names_and_versions() -> None:
    manifest = load_manifest()
    defaults = manifest.select()
    assert [(b.name, b.version) for b in defaults] == [
        ("ubl-2.1-xsd", "2.1"),
        ("en16931-ubl", "1.3.16"),
        ("peppol-bis3", "3.0.21"),
        ("nlcius", "2.0.3.13"),
    ]
    picked = manifest.select(["nlcius==2.0.3.12", "nlcius", "nlcius"])
    assert [b.version for b in picked] == ["2.0.3.12", "2.0.3.13"]
    assert manifest.select("nlcius") == [manifest.get("nlcius")]
    with pytest.raises(UnknownBundle, match="unknown bundle 'nope'"):
        manifest.select(["nope"])
    with pytest.raises(UnknownBundle, match=r"no version 9 \(known: 2.0.3.13, 2.0.3.12\)"):
        manifest.select(["nlcius==9"])


# --- the cache --------------------------------------------------------------------


def test_cache_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LEDGERLINK_ARTIFACTS_DIR", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("LEDGERLINK_ARTIFACTS_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "ledgerlink" / "artifacts"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "ledgerlink" / "artifacts"


def test_install_every_bundle_from_the_shared_folder(tmp_path: Path) -> None:
    source = require_shared("validation")
    bundles = install(every_requirement(), source_dir=source, cache=tmp_path)
    for spec, bundle in zip(load_manifest().bundles, bundles, strict=True):
        assert bundle.root == tmp_path / spec.name / spec.version
        for file in spec.files:
            assert sha256(bundle.file(file.path)) == file.sha256, file.path
    listed = [(b.name, b.version) for b in installed(tmp_path)]
    assert set(listed) == EXPECTED_BUNDLES
    assert listed.index(("nlcius", "2.0.3.12")) + 1 == listed.index(("nlcius", "2.0.3.13"))
    older = bundle_file("nlcius", "xslt/si-ubl-2.0.3.12.xsl", version="2.0.3.12", cache=tmp_path)
    assert older == tmp_path / "nlcius" / "2.0.3.12" / "xslt" / "si-ubl-2.0.3.12.xsl"
    newest = bundle_file("nlcius", "xslt/si-ubl-2.0.3.13.xslt", cache=tmp_path)
    assert newest.parent.parent.name == "2.0.3.13"
    assert hidden_leftovers(tmp_path) == []


def test_reinstall_keeps_an_installed_bundle_and_replaces_an_incomplete_one(
    tmp_path: Path,
) -> None:
    source = require_shared("validation")
    (incomplete := tmp_path / "en16931-ubl" / "1.3.16").mkdir(parents=True)
    (incomplete / "stray.txt").write_text("left by an interrupted run")
    (bundle,) = install(["en16931-ubl"], source_dir=source, cache=tmp_path)
    assert not (incomplete / "stray.txt").exists()
    xslt = bundle.file("xslt/EN16931-UBL-validation.xslt")
    stamp = xslt.stat().st_mtime_ns
    (again,) = install(["en16931-ubl"], source_dir=tmp_path / "nowhere-needed", cache=tmp_path)
    assert again == bundle
    assert xslt.stat().st_mtime_ns == stamp
    assert hidden_leftovers(tmp_path) == []


def test_a_missing_bundle_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LEDGERLINK_ARTIFACTS_DIR", str(tmp_path))
    with pytest.raises(ArtifactMissing) as missing:
        bundle_file("peppol-bis3", PEPPOL_XSLT)
    assert isinstance(missing.value, UblError)
    assert str(missing.value) == (
        "bundle 'peppol-bis3' 3.0.21 is not installed: run `ledgerlink artifacts install "
        "peppol-bis3` (or `--from DIR` with the official files)"
    )
    with pytest.raises(ArtifactMissing, match=r"install nlcius==2\.0\.3\.12 --cache "):
        bundle_file("nlcius", "xslt/si-ubl-2.0.3.12.xsl", version="2.0.3.12", cache=tmp_path / "x")
    with pytest.raises(UnknownBundle, match=r"has no file 'xslt/nope\.xslt'"):
        bundle_file("peppol-bis3", "xslt/nope.xslt")
    with pytest.raises(UnknownBundle):
        bundle_file("nope", "x.xsl")


def test_a_tampered_source_file_refuses_the_whole_bundle(tmp_path: Path) -> None:
    official = require_shared("validation/peppol-bis3/xslt")
    source = tmp_path / "source"
    shutil.copytree(official, source)
    tampered = source / "PEPPOL-EN16931-UBL.xslt"
    data = bytearray(tampered.read_bytes())
    data[len(data) // 2] ^= 0x01
    tampered.write_bytes(bytes(data))
    cache = tmp_path / "cache"
    with pytest.raises(ChecksumMismatch) as refused:
        install(["peppol-bis3"], source_dir=source, cache=cache)
    assert refused.value.path == PEPPOL_XSLT
    assert PEPPOL_XSLT in str(refused.value) and str(tampered) in str(refused.value)
    assert refused.value.actual == hashlib.sha256(data).hexdigest()
    assert not (cache / "peppol-bis3").exists()  # no version dir, no leftovers, no empty folder
    assert installed(cache) == []


def test_a_file_missing_from_the_source_folder_is_a_fetch_error(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match=r"no file named EN16931-UBL-validation\.xslt"):
        install(["en16931-ubl"], source_dir=tmp_path, cache=tmp_path / "cache")
    assert installed(tmp_path / "cache") == []


# --- download ---------------------------------------------------------------------


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def http_folder(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served on 127.0.0.1 (random port) for the test, and its base URL."""
    www = tmp_path / "www"
    www.mkdir()
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(www))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield www, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


DEMO_FILES = {
    "xsd/demo.xsd": b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/>\n',
    "xslt/demo.xslt": b'<xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform"/>\n',
}


def demo_manifest(base_url: str) -> Manifest:
    files = [
        {
            "path": path,
            "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data),
            "url": f"{base_url}/{path}",
        }
        for path, data in DEMO_FILES.items()
    ]
    return Manifest.from_dict({"bundles": [{"name": "demo", "version": "1.0", "files": files}]})


def serve(www: Path, files: dict[str, bytes]) -> None:
    for path, data in files.items():
        (www / path).parent.mkdir(parents=True, exist_ok=True)
        (www / path).write_bytes(data)


def test_download_installs_a_good_bundle(http_folder: tuple[Path, str], tmp_path: Path) -> None:
    www, base = http_folder
    serve(www, DEMO_FILES)
    (bundle,) = install(manifest=demo_manifest(base), cache=tmp_path / "cache")
    assert bundle.root == tmp_path / "cache" / "demo" / "1.0"
    for path, data in DEMO_FILES.items():
        assert bundle.file(path).read_bytes() == data


@pytest.mark.parametrize(
    ("served", "found"),
    [
        (b'<xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform"/>\r\n', "sha256"),
        (DEMO_FILES["xslt/demo.xslt"] * 3, r"bytes \(expected"),
    ],
    ids=["one-byte-changed", "too-long"],
)
def test_download_of_a_corrupted_file_is_refused(
    http_folder: tuple[Path, str], tmp_path: Path, served: bytes, found: str
) -> None:
    www, base = http_folder
    serve(www, DEMO_FILES | {"xslt/demo.xslt": served})
    cache = tmp_path / "cache"
    with pytest.raises(ChecksumMismatch, match=found) as refused:
        install(manifest=demo_manifest(base), cache=cache)
    assert refused.value.path == "xslt/demo.xslt"
    assert refused.value.origin == f"{base}/xslt/demo.xslt"
    assert not (cache / "demo").exists()  # no empty bundle folder left behind
    assert installed(cache) == []


def test_a_failed_download_is_a_fetch_error(http_folder: tuple[Path, str], tmp_path: Path) -> None:
    www, base = http_folder
    serve(www, {"xsd/demo.xsd": DEMO_FILES["xsd/demo.xsd"]})  # the XSLT is not served
    with pytest.raises(FetchError, match=r"demo\.xslt failed: HTTP 404"):
        install(manifest=demo_manifest(base), cache=tmp_path / "cache")
    assert installed(tmp_path / "cache") == []
    assert not (tmp_path / "cache" / "demo").exists()


def test_download_of_the_pinned_peppol_bundle_from_a_mirror(
    http_folder: tuple[Path, str], tmp_path: Path
) -> None:
    official = require_shared("validation/peppol-bis3/xslt")
    www, base = http_folder
    shutil.copytree(official, www, dirs_exist_ok=True)
    pinned = load_manifest().get("peppol-bis3")
    mirrored = dataclasses.replace(
        pinned,
        files=tuple(
            dataclasses.replace(f, url=f"{base}/{f.url.rsplit('/', 1)[1]}") for f in pinned.files
        ),
    )
    (bundle,) = install(manifest=Manifest((mirrored,)), cache=tmp_path / "cache")
    assert sha256(bundle.file(PEPPOL_XSLT)) == pinned.file(PEPPOL_XSLT).sha256


# --- the command line ---------------------------------------------------------------


def test_cli_install_from_a_folder_then_list(tmp_path: Path) -> None:
    source = require_shared("validation")
    cache = tmp_path / "cache"
    result = runner.invoke(
        app, ["artifacts", "install", "--from", str(source), "--cache", str(cache)]
    )
    assert result.exit_code == 0, result.output
    for name in ("ubl-2.1-xsd", "en16931-ubl", "peppol-bis3", "nlcius 2.0.3.13"):
        assert f"installed {name}" in result.stdout
    assert "2.0.3.12" not in result.stdout  # only the newest version by default

    result = runner.invoke(
        app,
        [
            *("artifacts", "install", "nlcius==2.0.3.12", "nlcius"),
            *("--from", str(source), "--cache", str(cache)),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "installed nlcius 2.0.3.12" in result.stdout
    assert "already installed nlcius 2.0.3.13" in result.stdout

    listing = runner.invoke(app, ["artifacts", "list", "--cache", str(cache)])
    assert listing.exit_code == 0, listing.output
    assert "not installed" not in listing.stdout
    cells = [line.split("│") for line in listing.stdout.splitlines() if line.count("│") == 5]
    versions = [row[2].strip() for row in cells if row[1].strip() == "nlcius"]
    assert versions == ["2.0.3.12", "2.0.3.13"]  # side by side


def test_cli_list_shows_the_bundles_not_installed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LEDGERLINK_ARTIFACTS_DIR", str(tmp_path))
    listing = runner.invoke(app, ["artifacts", "list"])
    assert listing.exit_code == 0, listing.output
    assert listing.stdout.count("not installed") == len(EXPECTED_BUNDLES)
    assert "peppol-bis3" in listing.stdout


def test_cli_unknown_bundle_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["artifacts", "install", "nope", "--cache", str(tmp_path)])
    assert result.exit_code == 2
    assert "unknown bundle 'nope'" in result.stderr
    assert not any(tmp_path.iterdir())


def test_cli_checksum_mismatch_exits_1(tmp_path: Path) -> None:
    official = require_shared("validation/en16931/xslt/EN16931-UBL-validation.xslt")
    source = tmp_path / "source"
    source.mkdir()
    (source / official.name).write_bytes(official.read_bytes() + b"\n")
    cache = tmp_path / "cache"
    result = runner.invoke(
        app, ["artifacts", "install", "en16931-ubl", "--from", str(source), "--cache", str(cache)]
    )
    assert result.exit_code == 1
    assert "xslt/EN16931-UBL-validation.xslt" in result.stderr
    assert "Traceback" not in result.output
    assert installed(cache) == []


def test_session_fixture_points_the_environment_at_its_cache(artifacts_cache: Path) -> None:
    assert os.environ["LEDGERLINK_ARTIFACTS_DIR"] == str(artifacts_cache)
    assert {(b.name, b.version) for b in installed()} == EXPECTED_BUNDLES
    xslt = bundle_file("en16931-ubl", "xslt/EN16931-UBL-validation.xslt")
    assert xslt.is_relative_to(artifacts_cache)
