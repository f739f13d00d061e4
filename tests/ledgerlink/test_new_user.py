"""What a new user meets first, as they call the command line: a usage or installation error
is one line and exit 2 with the fix, before anything is written, pulled or stored."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support.file_sources import FIXTURES
from typer.testing import CliRunner, Result

from ledgerlink.cli import app

runner = CliRunner()
SETTINGS = """\
[channels.archive]
type = "directory"
path = "delivered"
[connections.shop]
connector = "ubl-dir"
path = "inbox"
channels = ["archive"]
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "inbox").mkdir()
    shutil.copyfile(FIXTURES / "nl-standard-21-9.xml", tmp_path / "inbox" / "one.xml")
    (tmp_path / "ledgerlink.toml").write_text(SETTINGS, encoding="utf-8")
    return tmp_path


def ledgerlink(*args: str, env: dict[str, str | None] | None = None) -> Result:
    unset: dict[str, str | None] = {"LEDGERLINK_STORE": None, "LEDGERLINK_CONFIG": None}
    return runner.invoke(app, list(args), env={**unset, **(env or {})})


def one_line_error(result: Result) -> str:
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def nothing_happened(folder: Path, *made: str) -> None:
    for name in ("ledgerlink.db", "delivered", *made):
        assert not (folder / name).exists(), name


# -- 1. the validation bundles are checked first -----------------------------------------------


@pytest.mark.parametrize(
    ("command", "made"),
    [
        (["pull", "shop", "--ubl-dir", "{folder}/out"], "out"),
        (["sync"], None),
        (["sync", "shop"], None),
        (["retry"], None),
        (["migrate", "shop", "--to", "{folder}/out"], "out"),
        (["migrate", "shop", "--to", "{folder}/out", "--dry-run"], "out"),
    ],
)
@pytest.mark.parametrize("with_cache", [False, True])
def test_missing_bundles_are_all_named_with_the_install_command_and_nothing_is_done(
    folder: Path, tmp_path: Path, command: list[str], made: str | None, with_cache: bool
) -> None:
    empty = tmp_path / "empty-cache"
    args = [part.format(folder=folder) for part in command]
    if with_cache:
        result = ledgerlink(
            "--config", str(folder / "ledgerlink.toml"), *args, "--cache", str(empty)
        )
    else:
        env = {"LEDGERLINK_ARTIFACTS_DIR": str(empty)}
        result = ledgerlink("--config", str(folder / "ledgerlink.toml"), *args, env=env)
    line = one_line_error(result)
    assert "'ubl-2.1-xsd'" in line and "'peppol-bis3'" in line  # every one, not the first
    install = "`ledgerlink artifacts install ubl-2.1-xsd peppol-bis3"
    assert (install + f" --cache {empty}`" if with_cache else install + "`") in line
    nothing_happened(folder, *([made] if made else []))


def test_validate_with_cache_gives_the_install_command_with_that_cache(tmp_path: Path) -> None:
    empty = tmp_path / "empty-cache"
    result = ledgerlink("validate", str(FIXTURES / "nl-standard-21-9.xml"), "--cache", str(empty))
    line = one_line_error(result)
    assert f"`ledgerlink artifacts install ubl-2.1-xsd --cache {empty}`" in line


# -- 2. a connection's settings are checked before the cycle -----------------------------------

BAD_SETTINGS = {
    "a misspelt key": (
        ('path = "inbox"', 'pth = "inbox"'),
        "connections.shop.pth: unknown key 'pth'; did you mean 'path'?",
    ),
    "an unknown connector": (('"ubl-dir"', '"ubl_dir"'), "unknown connector 'ubl_dir'"),
    "an unset channel token": (
        ('channels = ["archive"]', 'channels = ["archive", "ap"]'),
        "[channels.ap]",
    ),
}


@pytest.mark.usefixtures("artifacts_cache")
@pytest.mark.parametrize("command", [["sync"], ["sync", "shop"], ["retry"]])
@pytest.mark.parametrize("case", sorted(BAD_SETTINGS))
def test_a_settings_error_in_a_connection_stops_sync_before_anything_runs(
    folder: Path, command: list[str], case: str
) -> None:
    (old, new), complaint = BAD_SETTINGS[case]
    settings = folder / "ledgerlink.toml"
    text = SETTINGS.replace(old, new)
    text += '[channels.ap]\ntype = "peppol-ap"\nurl = "http://127.0.0.1:1"\n'
    text += 'token_env = "LEDGERLINK_TEST_UNSET_TOKEN"\n'
    settings.write_text(text, encoding="utf-8")
    result = ledgerlink("--config", str(settings), *command)
    line = one_line_error(result)
    assert complaint in line and str(settings) in line
    assert any(
        table in line for table in ("[connections.shop]", "connections.shop.", "[channels.ap]")
    )
    assert "pulled" not in result.stdout
    nothing_happened(folder)


@pytest.mark.usefixtures("artifacts_cache")
def test_a_settings_error_in_migrate_is_exit_2_before_the_target_is_made(folder: Path) -> None:
    settings = folder / "ledgerlink.toml"
    settings.write_text(SETTINGS.replace('path = "inbox"', 'pth = "inbox"'), encoding="utf-8")
    line = one_line_error(
        ledgerlink("--config", str(settings), "migrate", "shop", "--to", str(folder / "out"))
    )
    assert f"{settings}:6: connections.shop.pth: unknown key 'pth'" in line
    nothing_happened(folder, "out")


# -- 3. no settings file -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["sync"],
        ["retry"],
        ["pull", "shop"],
        ["mappings", "check", "shop"],
        ["migrate", "shop", "--to", "out"],
    ],
)
def test_without_a_settings_file_every_command_reading_connections_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    line = one_line_error(ledgerlink(*command))
    assert f"settings file ./ledgerlink.toml not found (in {tmp_path})" in line
    assert "--config" in line and "LEDGERLINK_CONFIG" in line
    assert list(tmp_path.iterdir()) == []


# -- 4. a file source's path that is not there -------------------------------------------------


@pytest.mark.parametrize("connector", ["ubl-dir", "model-json", "csv"])
def test_a_missing_path_names_the_resolved_folder_once_and_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, connector: str
) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")  # the settings file is in another folder
    settings = tmp_path / "conf" / "ledgerlink.toml"
    seller = '[connections.shop.seller]\nname = "S"\nvat = "NL000099998B57"\ncountry = "NL"\n'
    settings.write_text(
        f'[connections.shop]\nconnector = "{connector}"\npath = "../inbox"\n'
        + (seller if connector == "csv" else ""),
        encoding="utf-8",
    )
    line = one_line_error(ledgerlink("--config", str(settings), "pull", "shop"))
    folder = tmp_path / "inbox"
    assert line == (
        f"error: [connections.shop] in {settings}: path: no such file or folder {folder} "
        '(path = "../inbox" is read from the settings file\'s folder)'
    )
    assert line.count(str(tmp_path)) == 2  # the settings file and the folder, each once


# -- 5. --cache, as every command that validates takes it ---------------------------------------


@pytest.mark.parametrize("command", ["sync", "retry", "migrate"])
def test_sync_retry_and_migrate_take_the_shared_cache_option(command: str) -> None:
    result = ledgerlink(command, "--help")
    assert result.exit_code == 0
    assert "--cache" in result.stdout and "Artifact cache folder" in result.stdout


@pytest.mark.parametrize(
    "command",
    [["sync"], ["sync", "shop"], ["retry"], ["migrate", "shop", "--to", "{folder}/out"]],
)
def test_sync_retry_and_migrate_validate_with_the_bundles_in_the_cache_given(
    folder: Path, tmp_path: Path, artifacts_cache: Path, command: list[str]
) -> None:
    """With --cache naming the installed bundles, the command runs although the default
    cache ($LEDGERLINK_ARTIFACTS_DIR) is empty; without it, it is refused naming them."""
    empty = tmp_path / "empty-cache"
    args = ["--config", str(folder / "ledgerlink.toml")]
    args += [part.format(folder=folder) for part in command]
    env = {"LEDGERLINK_ARTIFACTS_DIR": str(empty)}
    refused = ledgerlink(*args, env=env)
    assert refused.exit_code == 2 and "not installed" in refused.stderr
    result = ledgerlink(*args, "--cache", str(artifacts_cache), env=env)
    assert result.exit_code == 0, result.output
    if command[0] == "sync":
        assert [path.name for path in (folder / "delivered").glob("*.xml")] == ["2026-10417.xml"]
    if command[0] == "migrate":
        assert (folder / "out" / "2026-10417.xml").is_file()
