"""The settings file: the issue's exact TOML form, where it is found, and secrets."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from connectors.errors import ConfigurationError
from ledgerlink.settings import CONFIG_ENV, PartyIdentifiers, load_settings

ISSUE_FORM = """\
[connections.demo]
connector = "tryton"
url = "http://127.0.0.1:8000"
database = "demo"
username = "admin"
password_env = "TRYTON_PASSWORD"

[connections.demo.parties]      # identifiers the source system cannot hold, by VAT id or party code
company = { kvk = "12345678" }
"NL000099998B57" = { kvk = "87654321" }
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_the_issue_form_loads(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path / "ll.toml", ISSUE_FORM), environ={})
    demo = settings.connection("demo")
    assert (demo.connector, demo.url, demo.database, demo.username) == (
        "tryton",
        "http://127.0.0.1:8000",
        "demo",
        "admin",
    )
    assert demo.party("company") == PartyIdentifiers(kvk="12345678")
    assert demo.party("NL000099998B57") == PartyIdentifiers(kvk="87654321")
    assert demo.party("NL123") is None
    assert demo.secret("password", environ={"TRYTON_PASSWORD": "hunter2"}) == SecretStr("hunter2")


def test_missing_password_variable_says_which_to_set(tmp_path: Path) -> None:
    demo = load_settings(write(tmp_path / "ll.toml", ISSUE_FORM), environ={}).connection("demo")
    with pytest.raises(ConfigurationError, match="TRYTON_PASSWORD"):
        demo.secret("password", environ={})


def test_secret_from_a_file(tmp_path: Path) -> None:
    secret = write(tmp_path / "client_secret", "s3cret\n")
    config = write(
        tmp_path / "ll.toml",
        f'[connections.saas]\nconnector = "x"\nclient_secret_file = "{secret}"\n',
    )
    saas = load_settings(config, environ={}).connection("saas")
    assert saas.secret("client_secret") == SecretStr("s3cret")
    assert "s3cret" not in repr(saas)
    with pytest.raises(ConfigurationError, match="client_id_env or client_id_file"):
        saas.secret("client_id")


@pytest.mark.parametrize("key", ["password", "client_secret", "api_key", "refresh_token"])
def test_a_plain_secret_in_the_file_is_refused_without_echoing_it(tmp_path: Path, key: str) -> None:
    config = write(tmp_path / "ll.toml", f'[connections.x]\nconnector = "x"\n{key} = "leak-me"\n')
    with pytest.raises(ConfigurationError, match=f"{key}_env") as raised:
        load_settings(config, environ={})
    assert "leak-me" not in str(raised.value)


def test_lookup_order_config_then_env_then_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_settings(environ={}).connections == {}
    write(tmp_path / "ledgerlink.toml", '[connections.cwd]\nconnector = "a"\n')
    named = write(tmp_path / "named.toml", '[connections.env]\nconnector = "b"\n')
    explicit = write(tmp_path / "explicit.toml", '[connections.cli]\nconnector = "c"\n')
    environ = {CONFIG_ENV: str(named)}
    assert list(load_settings(environ={}).connections) == ["cwd"]
    assert list(load_settings(environ=environ).connections) == ["env"]
    assert list(load_settings(explicit, environ=environ).connections) == ["cli"]


def test_a_named_file_that_is_missing_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="not found"):
        load_settings(environ={CONFIG_ENV: str(tmp_path / "absent.toml")})


def test_errors_name_the_file_and_the_field(tmp_path: Path) -> None:
    bad_party = write(
        tmp_path / "ll.toml",
        '[connections.demo]\nconnector = "tryton"\n[connections.demo.parties]\nx = { kvkk = "1" }\n',
    )
    with pytest.raises(ConfigurationError) as raised:
        load_settings(bad_party, environ={})
    assert str(raised.value) == (
        f"{bad_party}:4: connections.demo.parties.x.kvkk: unknown key 'kvkk'; did you mean 'kvk'?"
    )
    with pytest.raises(ConfigurationError, match="not valid TOML"):
        load_settings(write(tmp_path / "broken.toml", "[connections\n"), environ={})


def test_unknown_connection_lists_the_known_ones(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path / "ll.toml", ISSUE_FORM), environ={})
    with pytest.raises(ConfigurationError, match=r"known: demo"):
        settings.connection("prod")


def test_connector_specific_keys_are_kept(tmp_path: Path) -> None:
    config = write(
        tmp_path / "ll.toml",
        '[connections.x]\nconnector = "x"\npage_size = 50\ntoken_url = "https://id.example/token"\n',
    )
    connection = load_settings(config, environ={}).connection("x")
    assert connection.option("page_size") == 50
    assert connection.option("token_url") == "https://id.example/token"


def test_a_relative_password_file_is_read_from_the_settings_files_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As every relative path of the settings file: not from the working directory."""
    folder = tmp_path / "conf"
    folder.mkdir()
    write(folder / "tryton.secret", "from-the-settings-folder\n")
    config = write(folder / "ll.toml", ISSUE_FORM.replace("password_env = ", "password_file = "))
    config.write_text(
        config.read_text(encoding="utf-8").replace('"TRYTON_PASSWORD"', '"tryton.secret"'),
        encoding="utf-8",
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    write(elsewhere / "tryton.secret", "from-the-working-directory\n")  # must not be read
    monkeypatch.chdir(elsewhere)
    demo = load_settings(Path("..") / "conf" / "ll.toml", environ={}).connection("demo")
    assert demo.secret("password", environ={}) == SecretStr("from-the-settings-folder")
    (folder / "tryton.secret").unlink()
    with pytest.raises(ConfigurationError, match=r"cannot read \.\./conf/tryton\.secret"):
        demo.secret("password", environ={})


def test_a_tryton_connection_with_an_unknown_key_is_refused_naming_it(tmp_path: Path) -> None:
    from ledgerlink.connections import open_connection

    config = write(tmp_path / "ll.toml", ISSUE_FORM.replace("username =", "user ="))
    with pytest.raises(ConfigurationError) as raised:
        open_connection(load_settings(config, environ={}), "demo", source=config)
    # one problem, not "username missing" besides: user is that key misspelt
    assert str(raised.value) == (
        f"{config}:5: connections.demo.user: unknown key 'user'; did you mean 'username'?"
    )


SYNC_FORM = """\
[store]
url = "sqlite:///ledgerlink.db"
[channels.archive]
type = "directory"
path = "delivered"
[connections.shop]
connector = "ubl-dir"
path = "inbox"
profile = "auto"
channels = ["archive"]
"""


def test_the_sync_form_of_the_issue_loads(tmp_path: Path) -> None:
    from datetime import timedelta

    from delivery.base import DirectorySettings
    from ledgerlink.settings import DEFAULT_LOOKBACK

    settings = load_settings(write(tmp_path / "ll.toml", SYNC_FORM), environ={})
    assert settings.store_url == f"sqlite:///{(tmp_path / 'ledgerlink.db').resolve()}"
    assert settings.channels == {"archive": DirectorySettings(type="directory", path="delivered")}
    shop = settings.connection("shop")
    assert (shop.profile, shop.channels, shop.lookback) == ("auto", ("archive",), DEFAULT_LOOKBACK)
    assert shop.option("path") == "inbox"  # the connector's own key, passed through
    assert shop.option("profile") is None and shop.option("channels") is None
    later = load_settings(write(tmp_path / "l2.toml", SYNC_FORM + 'lookback = "90s"\n'))
    assert later.connection("shop").lookback == timedelta(seconds=90)


def test_a_connection_without_sync_keys_builds_peppol_bis3_and_has_no_channels(
    tmp_path: Path,
) -> None:
    demo = load_settings(write(tmp_path / "ll.toml", ISSUE_FORM), environ={}).connection("demo")
    assert (demo.profile, demo.channels) == ("peppol-bis3", ())


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (
            ('["archive"]', '["archive", "peppol"]'),
            r":10: connections\.shop\.channels\[1\]: names 'peppol', but there is no "
            r"\[channels\.peppol\] table \(known: archive\)$",
        ),
        (
            ('type = "directory"', 'type = "fax"'),
            r":4: channels\.archive\.type: 'fax' is not one of 'directory', 'peppol-ap', 'smtp'$",
        ),
        (
            ('path = "delivered"', 'folder = "delivered"'),
            r":3: channels\.archive\.path: required, but not set\n.*:5: channels\.archive\.folder: "
            r"unknown key 'folder' \(allowed: path, type\)$",
        ),
        (
            ('profile = "auto"', 'profile = "xrechnung"'),
            r":9: connections\.shop\.profile: 'xrechnung' is not one of 'auto', 'peppol-bis3', ",
        ),
        (('profile = "auto"', 'lookback = "soon"'), r":9: connections.shop.lookback: 'soon' is no"),
    ],
)
def test_sync_keys_that_cannot_work_are_refused_naming_table_and_file(
    tmp_path: Path, change: tuple[str, str], complaint: str
) -> None:
    path = write(tmp_path / "ll.toml", SYNC_FORM.replace(*change))
    with pytest.raises(ConfigurationError, match=complaint) as raised:
        load_settings(path, environ={})
    assert str(path) in str(raised.value)


def test_the_sync_keys_never_reach_the_connectors_own_settings(tmp_path: Path) -> None:
    from ledgerlink.connections import open_connection

    (tmp_path / "inbox").mkdir()
    path = write(tmp_path / "ll.toml", SYNC_FORM + 'lookback = "1h"\n')
    settings = load_settings(path, environ={})
    connector = open_connection(settings, "shop", source=path)  # FileSourceSettings forbid extras
    assert connector.name == "shop"


PROBLEMS_FORM = """\
[store]
url = "sqlite:///ledgerlink.db"

[channels.archive]
type = "directory"
path = "delivered"

[connections.shop]
connector = "ubl-dir"
path = "inbox"
chanels = ["archive"]
lookback = 10.5

[connections."the other"]
connector = "ubl-dir"
path = "inbox"
profile = "peppol"
"""


def test_settings_problems_are_one_line_each_with_file_line_key_and_a_did_you_mean(
    tmp_path: Path,
) -> None:
    """A typo'd key and wrong values, as the command line says them: exit 2, one line per
    problem in the order of the file, none in pydantic's words."""
    from typer.testing import CliRunner

    from ledgerlink.cli import app

    (tmp_path / "inbox").mkdir()
    path = write(tmp_path / "ledgerlink.toml", PROBLEMS_FORM)
    result = CliRunner().invoke(app, ["--config", str(path), "pull", "the other"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: {path}:12: connections.shop.lookback: a duration is a string like '10m' or a "
        "number of seconds, not 10.5",
        f"{path}:17: connections.\"the other\".profile: 'peppol' is not one of 'auto', "
        "'peppol-bis3', 'en16931', 'nlcius'; did you mean 'peppol-bis3'?",
    ]
    path.write_text(PROBLEMS_FORM.replace("lookback = 10.5", 'page_size = "many"'), "utf-8")
    path.write_text(path.read_text().replace('profile = "peppol"', ""), "utf-8")
    for command, after in ((["pull", "shop"], ""), (["sync", "shop"], "; nothing was run")):
        result = CliRunner().invoke(app, ["--config", str(path), *command])
        assert result.exit_code == 2, result.output
        assert result.stderr.splitlines() == [
            f"error: {path}:11: connections.shop.chanels: unknown key 'chanels'; "
            "did you mean 'channels'?",
            f"{path}:12: connections.shop.page_size: must be a whole number, not 'many'{after}",
        ]
    assert "Input should" not in result.output and "Extra inputs" not in result.output


@pytest.mark.parametrize(
    ("text", "line"),
    [
        # the key in its table, not the same key of an earlier table
        ('[a]\nkvk = "1"\n[connections.demo]\nconnector = "x"\nkvk = 1\n', 5),
        # a dotted key inside the table, an inline table
        ('[connections.demo]\nconnector = "x"\nparties.co = { kvk = 1 }\n', 3),
        # a quoted table name
        ('[connections."demo"]\nconnector = "x"\n\n[connections."demo".parties]\nco.kvk = 1\n', 5),
        # no such key in the file: the header of its table
        ("[connections.demo]\n\n", 1),
    ],
)
def test_the_line_of_a_problem_is_its_keys_line(tmp_path: Path, text: str, line: int) -> None:
    from connectors.settings_errors import Problem, lines

    path = write(tmp_path / "ll.toml", text)
    loc = ("connections", "demo", "parties", "co", "kvk") if "parties" in text else None
    loc = loc or (("connections", "demo", "kvk") if "kvk" in text else ("connections", "demo", "x"))
    assert lines(path, [Problem(loc, "wrong")]).startswith(f"{path}:{line}: ")


BOOLEANS_FORM = """\
[channels.ap]
type = "peppol-ap"
url = "https://ap.example"
attempts = true
timeout = false

[channels.mail]
type = "smtp"
host = "mail.example"
from = "ar@example.com"
port = true
starttls = false

[connections.shop]
connector = "ubl-dir"
path = "inbox"
page_size = true
max_bytes = false
"""


def test_a_boolean_for_a_number_setting_is_refused_not_read_as_1(tmp_path: Path) -> None:
    """pydantic reads true as 1 (a bool is an int): ``page_size = true`` would be one file a
    page, ``port = true`` port 1. Each is refused with file, line and key; a boolean setting
    (``starttls = false``) is still a boolean."""
    from ledgerlink.connections import open_connection

    (tmp_path / "inbox").mkdir()
    path = write(tmp_path / "ll.toml", BOOLEANS_FORM)
    with pytest.raises(ConfigurationError) as raised:
        load_settings(path, environ={})
    assert str(raised.value).splitlines() == [
        f"{path}:4: channels.ap.attempts: must be a whole number, not true",
        f"{path}:5: channels.ap.timeout: must be a number, not false",
        f"{path}:11: channels.mail.port: must be a whole number, not true",
    ]
    fixed = BOOLEANS_FORM.replace("attempts = true", "attempts = 2").replace("timeout = false", "")
    path.write_text(fixed.replace("port = true", "port = 2525"), encoding="utf-8")
    settings = load_settings(path, environ={})
    assert settings.channels["mail"].starttls is False
    with pytest.raises(ConfigurationError) as raised:
        open_connection(settings, "shop", source=path)
    assert str(raised.value).splitlines() == [
        f"{path}:17: connections.shop.page_size: must be a whole number, not true",
        f"{path}:18: connections.shop.max_bytes: must be a whole number, not false",
    ]


@pytest.mark.parametrize(
    ("kind", "options", "expected"),
    [
        (
            "ubl-dir",
            {"path": ".", "page_size": True},
            "page_size: must be a whole number, not true",
        ),
        (
            "tryton",
            {"url": "http://x", "database": "d", "username": "u", "page_size": False},
            "page_size: must be a whole number, not false",  # said once, not also "at least 1"
        ),
        (
            "csv",
            {"path": "x.csv", "seller": {"name": "S", "country": "NL"}, "max_bytes": True},
            "max_bytes: must be a whole number, not true",
        ),
    ],
)
def test_a_library_caller_is_refused_a_boolean_for_a_number_too(
    kind: str, options: dict[str, object], expected: str
) -> None:
    from connectors.registry import connector_type

    with pytest.raises(ConfigurationError) as raised:
        connector_type(kind).validate(options)
    assert str(raised.value) == expected


def test_the_settings_words_live_in_one_module() -> None:
    """connectors.settings_errors words every settings problem, for the connector registry
    and the application alike; no second module re-exports them under another name."""
    import importlib.util

    import connectors.settings_errors as words
    from ledgerlink import settings

    assert importlib.util.find_spec("ledgerlink.settings_errors") is None
    assert settings.lines is words.lines and settings.Problem is words.Problem
