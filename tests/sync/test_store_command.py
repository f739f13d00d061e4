"""``ledgerlink store upgrade`` and ``ledgerlink store copy`` as a user calls them."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest
from sqlalchemy import select
from support.revisions import HEAD
from support.store_rows import fill, read_all
from typer.testing import CliRunner, Result

from ledgerlink.cli import app
from sync.store import TableCopy, documents, open_store, tenants

runner = CliRunner()


def ledgerlink(*args: str, env: dict[str, str] | None = None) -> Result:
    """Run the command line, with no store or settings file named by the environment."""
    unset: dict[str, str | None] = {"LEDGERLINK_STORE": None, "LEDGERLINK_CONFIG": None}
    return runner.invoke(app, list(args), env={**unset, **(env or {})})


def _stamp(url: str, revision: str) -> None:
    with open_store(url, create=True) as store:
        store.upgrade()
        with store.begin() as connection:
            connection.exec_driver_sql(f"UPDATE alembic_version SET version_num = '{revision}'")


def _one_line_error(result: Result, code: int = 2) -> str:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_upgrade_creates_a_new_store_then_has_nothing_to_do(store_url: str) -> None:
    first = ledgerlink("store", "upgrade", "--store", store_url)
    assert first.exit_code == 0, first.output
    assert first.stdout.strip().endswith(f"upgraded from revision (none) to {HEAD}")
    again = ledgerlink("store", "upgrade", "--store", store_url)
    assert again.exit_code == 0, again.output
    assert f"already at revision {HEAD}" in again.stdout
    with open_store(store_url) as store:
        assert store.check() == HEAD


def test_upgrade_moves_an_older_store_to_the_newest_revision(store_url: str) -> None:
    with open_store(store_url, create=True) as store, store.begin() as connection:
        from alembic import command

        command.upgrade(store.alembic_config(connection), "0001")
    result = ledgerlink("store", "upgrade", "--store", store_url)
    assert result.exit_code == 0, result.output
    assert f"upgraded from revision 0001 to {HEAD}" in result.stdout


def test_a_store_from_a_newer_ledgerlink_is_refused_by_every_command(
    store_url: str, tmp_path: Path
) -> None:
    _stamp(store_url, "0099")
    current = f"sqlite:///{tmp_path / 'current.db'}"
    _stamp(current, HEAD)
    for args in (
        ("store", "upgrade", "--store", store_url),
        ("store", "copy", store_url, f"sqlite:///{tmp_path / 'copy.db'}"),
        ("store", "copy", current, store_url),  # as the target too
    ):
        line = _one_line_error(ledgerlink(*args))
        assert "revision 0099" in line and "upgrade ledgerlink" in line
    assert not (tmp_path / "copy.db").exists()


def test_copy_from_an_older_store_says_to_upgrade_it_first(
    sqlite_url: str, postgres_url: str
) -> None:
    _stamp(sqlite_url, "0001")
    line = _one_line_error(ledgerlink("store", "copy", sqlite_url, postgres_url))
    assert "at revision 0001" in line and "ledgerlink store upgrade --store" in line


def test_copy_sqlite_to_postgresql_and_back_keeps_every_value(
    sqlite_url: str, postgres_url: str, tmp_path: Path
) -> None:
    with open_store(sqlite_url, create=True) as source:
        source.upgrade()
        written = fill(source)
    result = ledgerlink("store", "copy", sqlite_url, postgres_url)
    assert result.exit_code == 0, result.output
    assert re.search(r"^documents +2 +2$", result.stdout, re.MULTILINE)
    rows_written = sum(len(rows) for rows in written.values())
    tables_written = sum(1 for rows in written.values() if rows)
    assert f"copied {rows_written} rows in {tables_written} tables" in result.stdout
    with open_store(postgres_url) as target:
        assert target.check() == HEAD
        assert read_all(target) == written
        with target.begin() as connection:  # the id sequences moved past the copied ids
            row = {**written["documents"][0], "content_hash": "f" * 64}
            del row["id"]
            connection.execute(documents.insert(), [row])
            new_id = connection.execute(
                select(documents.c.id).where(documents.c.content_hash == "f" * 64)
            ).scalar_one()
        assert new_id == 8
    back = f"sqlite:///{tmp_path / 'back.db'}"
    returned = ledgerlink("store", "copy", postgres_url, back)
    assert returned.exit_code == 0, returned.output
    with open_store(back) as copied:
        rows = read_all(copied)
    assert rows["documents"][:2] == written["documents"]
    assert {name: rows[name] for name in written if name != "documents"} == {
        name: written[name] for name in written if name != "documents"
    }


def test_copy_into_a_store_with_rows_is_refused_naming_the_table(
    sqlite_url: str, postgres_url: str
) -> None:
    with open_store(sqlite_url, create=True) as source:
        source.upgrade()
        fill(source)
    with open_store(postgres_url, create=True) as target:
        target.upgrade()
        with target.begin() as connection:
            connection.execute(tenants.insert().values(key="other", name="Other B.V."))
    line = _one_line_error(ledgerlink("store", "copy", sqlite_url, postgres_url))
    assert "not empty" in line and "table tenants has 1 rows" in line
    with open_store(postgres_url) as target:
        assert target.counts()["documents"] == 0


def test_a_count_that_differs_after_the_copy_is_exit_1(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sync.store

    _stamp(sqlite_url, HEAD)
    monkeypatch.setattr(
        sync.store, "copy_store", lambda source, target: [TableCopy("documents", 3, 2)]
    )
    result = ledgerlink("store", "copy", sqlite_url, f"sqlite:///{tmp_path / 'to.db'}")
    assert result.exit_code == 1, result.output
    assert re.search(r"^documents +3 +2  differs$", result.stdout, re.MULTILINE)
    assert "row counts differ for documents" in result.stderr


def test_a_corrupt_sqlite_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    corrupt = tmp_path / "ledgerlink.db"
    corrupt.write_bytes(bytes(range(256)) * 64)
    line = _one_line_error(ledgerlink("store", "upgrade", "--store", f"sqlite:///{corrupt}"))
    assert f"sqlite:///{corrupt}" in line and "not a SQLite database" in line
    assert corrupt.read_bytes() == bytes(range(256)) * 64  # left as it was


def test_a_path_that_cannot_be_written_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    url = f"sqlite:///{tmp_path / 'file' / 'ledgerlink.db'}"
    line = _one_line_error(ledgerlink("store", "upgrade", "--store", url))
    assert url in line and "is not a folder" in line


def test_an_unreachable_postgresql_is_one_line_without_the_password() -> None:
    url = f"postgresql://ledgerlink:hunter2@127.0.0.1:{_closed_port()}/ledgerlink"
    result = ledgerlink("store", "upgrade", "--store", url)
    line = _one_line_error(result)
    assert "hunter2" not in result.output
    assert f"postgresql://ledgerlink:***@127.0.0.1:{url.split(':')[-1]}" in line
    assert "refused" in line.lower()


def test_the_store_url_comes_from_the_environment_before_the_settings(tmp_path: Path) -> None:
    settings = tmp_path / "ledgerlink.toml"
    settings.write_text('[store]\nurl = "sqlite:///from-settings.db"\n')
    from_env = tmp_path / "from-env.db"
    result = ledgerlink(
        "--config",
        str(settings),
        "store",
        "upgrade",
        env={"LEDGERLINK_STORE": f"sqlite:///{from_env}"},
    )
    assert result.exit_code == 0, result.output
    assert from_env.exists() and not (tmp_path / "from-settings.db").exists()


def test_a_relative_sqlite_path_in_the_settings_is_relative_to_the_settings_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "etc"
    folder.mkdir()
    (folder / "ledgerlink.toml").write_text('[store]\nurl = "sqlite:///state/ll.db"\n')
    (folder / "state").mkdir()
    monkeypatch.chdir(tmp_path)
    result = ledgerlink("--config", "etc/ledgerlink.toml", "store", "upgrade")
    assert result.exit_code == 0, result.output
    assert (folder / "state" / "ll.db").exists()


def test_without_a_store_setting_the_store_is_next_to_the_settings_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "etc"
    folder.mkdir()
    (folder / "ledgerlink.toml").write_text('[connections.shop]\nconnector = "ubl-dir"\n')
    monkeypatch.chdir(tmp_path)
    result = ledgerlink("--config", "etc/ledgerlink.toml", "store", "upgrade")
    assert result.exit_code == 0, result.output
    assert (folder / "ledgerlink.db").exists()
    monkeypatch.chdir(folder)  # no --config: ./ledgerlink.toml, so ./ledgerlink.db
    assert "already at revision" in ledgerlink("store", "upgrade").stdout


@pytest.mark.parametrize(
    ("store_table", "complaint"),
    [
        ('url = "postgresql://ll:s3cret@db/ll"', "must not hold a password"),
        ('url = "sqlite:///x.db"\npath = "y.db"', "unknown key 'path'"),
        ("url = 5", "store.url: must be a non-empty string"),
    ],
)
def test_a_bad_store_table_in_the_settings_names_the_file(
    tmp_path: Path, store_table: str, complaint: str
) -> None:
    settings = tmp_path / "ledgerlink.toml"
    settings.write_text(f"[store]\n{store_table}\n")
    result = ledgerlink("--config", str(settings), "store", "upgrade")
    line = _one_line_error(result)
    assert str(settings) in line and complaint in line
    assert "s3cret" not in result.output


def test_concurrent_upgrades_of_one_fresh_postgres_database_wait_for_each_other() -> None:
    """Several daemons started at once on an older store: each upgrades it. The advisory
    lock makes them take turns, so one upgrades and the others find it done."""
    import threading
    import time

    from support.postgres import missing_postgres, reachable, session_database

    if why := reachable():
        missing_postgres(why)
    with session_database() as url:
        stores = [open_store(url) for _ in range(3)]
        gate = threading.Barrier(len(stores))
        results: list[tuple[str | None, str]] = []
        failures: list[BaseException] = []

        def upgrade(store: object) -> None:
            gate.wait()
            try:
                results.append(store.upgrade())  # type: ignore[attr-defined]
            except BaseException as failure:
                failures.append(failure)

        threads = [threading.Thread(target=upgrade, args=(store,)) for store in stores]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        for thread in threads:
            thread.join(max(deadline - time.monotonic(), 0.1))
        hung = sum(thread.is_alive() for thread in threads)
        assert not hung, f"{hung} upgrades still waiting after 60s (a deadlock?)"
        for store in stores:
            store.close()
        assert not failures, failures
        assert sorted(results, key=str) == sorted(
            [(None, HEAD)] + [(HEAD, HEAD)] * (len(stores) - 1), key=str
        )
        with open_store(url) as store:
            assert store.check() == HEAD
