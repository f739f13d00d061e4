"""The settings of ``ledgerlink daemon`` (issue 15): ``[daemon]`` and each connection's
``every`` / ``cron``; good files load, each bad value is one line naming file, line and key."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from connectors.errors import ConfigurationError
from ledgerlink.settings import DaemonSettings, load_settings
from sync.schedule import Schedule

DAEMON_FORM = """\
[daemon]
listen = "127.0.0.1:9464"   # /healthz, /readyz, /metrics, /webhooks
grace = "30s"
workers = 2                 # validation pool size; default: the number of cores
takeover = "45s"
backoff_cap = "10m"

[connections.shop]
connector = "ubl-dir"
path = "inbox"
every = "5m"                # or: cron = "*/5 * * * *"

[connections.nightly]
connector = "ubl-dir"
path = "inbox"
cron = "0 2 * * *"

[connections.by-hand]
connector = "ubl-dir"
path = "inbox"
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_the_daemon_form_of_the_issue_loads(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path / "ll.toml", DAEMON_FORM), environ={})
    daemon = settings.daemon
    assert (daemon.listen, daemon.host, daemon.port) == ("127.0.0.1:9464", "127.0.0.1", 9464)
    assert (daemon.grace, daemon.workers) == (timedelta(seconds=30), 2)
    assert (daemon.takeover, daemon.backoff_cap) == (timedelta(seconds=45), timedelta(minutes=10))
    assert settings.connection("shop").schedule == Schedule(every=timedelta(minutes=5))
    assert settings.connection("nightly").schedule == Schedule(cron="0 2 * * *")
    assert settings.connection("by-hand").schedule is None  # not the daemon's; sync runs it


def test_without_a_daemon_table_the_defaults_hold_and_workers_is_the_number_of_cores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("os.cpu_count", lambda: 3)
    path = write(tmp_path / "ll.toml", '[connections.shop]\nconnector = "ubl-dir"\npath = "in"\n')
    daemon = load_settings(path, environ={}).daemon
    assert load_settings(write(tmp_path / "empty.toml", "[daemon]\n"), environ={}).daemon == daemon
    assert daemon.workers == 3
    assert (daemon.host, daemon.port) == ("127.0.0.1", 9464)
    assert (daemon.grace, daemon.takeover, daemon.backoff_cap) == (
        timedelta(seconds=30),
        timedelta(seconds=30),
        timedelta(minutes=15),
    )
    monkeypatch.setattr("os.cpu_count", lambda: None)  # the system cannot tell
    assert DaemonSettings().workers == 1


@pytest.mark.parametrize(
    ("listen", "host", "port"),
    [
        ("0.0.0.0:9464", "0.0.0.0", 9464),
        ("[::1]:9464", "::1", 9464),
        ("localhost:8080", "localhost", 8080),
        ("metrics.example.internal:0", "metrics.example.internal", 0),  # 0: any free port
    ],
)
def test_listen_takes_a_host_and_a_port(tmp_path: Path, listen: str, host: str, port: int) -> None:
    path = write(tmp_path / "ll.toml", f'[daemon]\nlisten = "{listen}"\n')
    daemon = load_settings(path, environ={}).daemon
    assert (daemon.host, daemon.port) == (host, port)


def test_durations_are_read_as_lookback_is(tmp_path: Path) -> None:
    text = '[daemon]\ngrace = 0\ntakeover = "2h"\nbackoff_cap = 90\n'
    text += '[connections.shop]\nconnector = "ubl-dir"\npath = "inbox"\nevery = "1d"\n'
    text += 'lookback = "1d"\n'
    settings = load_settings(write(tmp_path / "ll.toml", text), environ={})
    assert settings.daemon.grace == timedelta(0)  # a stop that does not wait
    assert (settings.daemon.takeover, settings.daemon.backoff_cap) == (
        timedelta(hours=2),
        timedelta(seconds=90),
    )
    shop = settings.connection("shop")
    assert shop.every == shop.lookback == timedelta(days=1)


BAD_VALUES = [
    # (the change to DAEMON_FORM, the line, the key, what the message says)
    (("listen = \"127.0.0.1:9464\"", 'listen = "localhost"'), 2, "daemon.listen", "is no HOST:PORT address"),
    (("listen = \"127.0.0.1:9464\"", 'listen = "127.0.0.1:65536"'), 2, "daemon.listen", "from 0 to 65535, not '65536'"),
    (("listen = \"127.0.0.1:9464\"", 'listen = "::1:9464"'), 2, "daemon.listen", r"in brackets, e.g. '\[::1\]:9464'"),
    (("listen = \"127.0.0.1:9464\"", 'listen = "my host:80"'), 2, "daemon.listen", "'my host' is no host name or IP address"),
    (("listen = \"127.0.0.1:9464\"", "listen = 9464"), 2, "daemon.listen", "an address is a string like"),
    (('grace = "30s"', 'grace = "soon"'), 3, "daemon.grace", "'soon' is no duration"),
    (('grace = "30s"', "grace = -1"), 3, "daemon.grace", "a duration cannot be negative"),
    (("workers = 2 ", "workers = 0 "), 4, "daemon.workers", "must be at least 1, not 0"),
    (("workers = 2 ", "workers = true "), 4, "daemon.workers", "must be a whole number, not true"),
    (("workers = 2 ", 'workers = "2" '), 4, "daemon.workers", "must be a whole number, not '2'"),
    (("workers = 2 ", "workers = 1.5 "), 4, "daemon.workers", "must be a whole number, not 1.5"),
    (('takeover = "45s"', 'takeover = "0s"'), 5, "daemon.takeover", "must be longer than 0s"),
    (('backoff_cap = "10m"', 'backoff_cap = "10 minutes"'), 6, "daemon.backoff_cap", "is no duration"),
    (('backoff_cap = "10m"', 'backof_cap = "10m"'), 6, "daemon.backof_cap", "unknown key 'backof_cap'; did you mean 'backoff_cap'?"),
    (("[daemon]", "[deamon]"), 1, "deamon", "unknown key 'deamon'; did you mean 'daemon'?"),
    (('every = "5m" ', 'every = "5 min" '), 11, "connections.shop.every", "'5 min' is no duration"),
    (('every = "5m" ', 'every = "0m" '), 11, "connections.shop.every", "must be longer than 0s"),
    (('cron = "0 2 * * *"', 'cron = "0 2 * * * *"'), 16, "connections.nightly.cron", "has 6 fields; a cron expression has 5 .*seconds, read last"),
    (('cron = "0 2 * * *"', 'cron = "0 24 * * *"'), 16, "connections.nightly.cron", r"'0 24 \* \* \*' is no cron expression croniter reads"),
    (('cron = "0 2 * * *"', 'cron = "0 0 30 2 *"'), 16, "connections.nightly.cron", "names no date that exists"),
    (('cron = "0 2 * * *"', "cron = 5"), 16, "connections.nightly.cron", "a cron expression is a string"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("change", "line", "key", "says"), BAD_VALUES, ids=[row[0][1] for row in BAD_VALUES]
)
def test_each_bad_value_is_one_line_naming_file_line_and_key(
    tmp_path: Path, change: tuple[str, str], line: int, key: str, says: str
) -> None:
    assert change[0] in DAEMON_FORM
    path = write(tmp_path / "ll.toml", DAEMON_FORM.replace(*change, 1))
    with pytest.raises(ConfigurationError) as raised:
        load_settings(path, environ={})
    message = str(raised.value)
    assert "\n" not in message
    assert re.fullmatch(rf"{re.escape(f'{path}:{line}: {key}: ')}.*{says}.*", message), message
    assert "Input should" not in message and "Value error" not in message


def test_every_and_cron_together_name_the_connection(tmp_path: Path) -> None:
    text = DAEMON_FORM.replace('every = "5m" ', 'every = "5m"\ncron = "*/5 * * * *" ')
    path = write(tmp_path / "ll.toml", text)
    with pytest.raises(ConfigurationError) as raised:
        load_settings(path, environ={})
    assert str(raised.value) == (
        f"{path}:12: connections.shop.cron: both every and cron are set; "
        "a connection runs on one schedule: keep one"
    )


def test_the_command_line_says_a_daemon_problem_in_one_line_and_exits_2(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from ledgerlink.cli import app

    (tmp_path / "inbox").mkdir()
    path = write(tmp_path / "ll.toml", DAEMON_FORM.replace("workers = 2 ", "workers = 0 "))
    result = CliRunner().invoke(app, ["--config", str(path), "pull", "shop"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: {path}:4: daemon.workers: must be at least 1, not 0"
    ]


def test_every_and_cron_never_reach_the_connectors_own_settings(tmp_path: Path) -> None:
    from ledgerlink.connections import open_connection

    (tmp_path / "inbox").mkdir()
    path = write(tmp_path / "ll.toml", DAEMON_FORM)
    settings = load_settings(path, environ={})
    for name in ("shop", "nightly"):  # FileSourceSettings forbid keys they do not know
        assert open_connection(settings, name, source=path).name == name
        assert settings.connection(name).option("every") is None
        assert settings.connection(name).option("cron") is None


def test_a_misspelt_every_gets_a_did_you_mean_when_the_connection_opens(tmp_path: Path) -> None:
    from ledgerlink.connections import open_connection

    (tmp_path / "inbox").mkdir()
    path = write(tmp_path / "ll.toml", DAEMON_FORM.replace('every = "5m" ', 'evry = "5m" '))
    settings = load_settings(path, environ={})  # a connector's key as far as this file knows
    with pytest.raises(ConfigurationError) as raised:
        open_connection(settings, "shop", source=path)
    assert str(raised.value) == (
        f"{path}:11: connections.shop.evry: unknown key 'evry'; did you mean 'every'?"
    )


def test_the_readmes_daemon_example_holds_the_defaults_it_documents() -> None:
    import tomllib

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```toml\n(\[daemon\]\n.*?)```", readme, re.DOTALL)
    assert block is not None, "the README shows the [daemon] table"
    example = tomllib.loads(block.group(1))
    shown = DaemonSettings.model_validate(example["daemon"])
    assert shown.model_dump(exclude={"workers"}) == DaemonSettings().model_dump(exclude={"workers"})
    from sync.schedule import parse_schedule

    shop = example["connections"]["shop"]
    assert parse_schedule(shop.get("every"), shop.get("cron")) == Schedule(
        every=timedelta(minutes=5)
    )
