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
    with pytest.raises(ConfigurationError, match=r"ll\.toml: connections\.demo\.parties\.x\.kvkk"):
        load_settings(bad_party, environ={})
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
    assert str(raised.value) == (
        f'[connections.demo] in {config} needs username = "..."; '
        "user: Extra inputs are not permitted"
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
            r"\[connections\.shop\] channels: no \[channels\.peppol\] table \(known: archive\)",
        ),
        (('type = "directory"', 'type = "fax"'), r"\[channels\.archive\].*fax"),
        (('path = "delivered"', 'folder = "delivered"'), r"\[channels\.archive\].*path"),
        (('profile = "auto"', 'profile = "xrechnung"'), r"connections\.shop\.profile"),
        (('profile = "auto"', 'lookback = "soon"'), r"'soon' is no duration"),
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
