"""The connector registry: kinds come from ``ledgerlink.connectors`` entry points, a connector
in another package plugs in the same way, and its own settings model checks its keys."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import connectors
from connectors import registry
from connectors.errors import ConfigurationError
from connectors.registry import ENTRY_POINT_GROUP, connector_type, known_kinds
from ledgerlink.connections import open_connection
from ledgerlink.settings import load_settings

PLUGIN = '''
"""A connector living in another distribution, as a third party writes one."""

from pydantic import BaseModel, ConfigDict

from connectors._file_source import ReadOnlySource
from connectors.registry import ConnectorType


class AcmeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    endpoint: str
    retries: int = 3


class AcmeConnector(ReadOnlySource):
    kind = "acme"

    def __init__(self, settings, context):
        super().__init__(name=context.name)
        self.settings = settings
        self.password = context.secret("password")
        self.parties = context.parties
        self.base = context.base

    def pull(self, stream, cursor):
        self._only_invoices(stream)
        return iter(())


CONNECTOR = ConnectorType(
    kind="acme", settings=AcmeSettings, open=AcmeConnector, secrets=("password",)
)
'''


@pytest.fixture
def acme_distribution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A distribution ``acme-ledgerlink`` on sys.path whose metadata names one entry point of
    the group: the way a pip-installed package registers its connector."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "acme_connector.py").write_text(textwrap.dedent(PLUGIN), encoding="utf-8")
    info = site / "acme_ledgerlink-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: acme-ledgerlink\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\nacme = acme_connector:CONNECTOR\n"
        "broken = acme_connector:NOT_THERE\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(site))
    yield site
    sys.modules.pop("acme_connector", None)
    for kind in ("acme", "broken"):
        registry._REGISTERED.pop(kind, None)


def settings_file(folder: Path, text: str) -> Path:
    path = folder / "ledgerlink.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_the_packaged_connectors_are_entry_points() -> None:
    assert {"tryton", "csv", "model-json", "ubl-dir"} <= set(known_kinds())
    assert connector_type("ubl-dir").settings.model_fields.keys() >= {"path", "max_bytes"}


def test_a_connector_of_another_package_opens_from_the_settings_file(
    acme_distribution: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "acme" in known_kinds()
    assert "acme_connector" not in sys.modules  # listed, not imported, until it is opened
    monkeypatch.setenv("ACME_PASSWORD", "s3cret")
    config = settings_file(
        tmp_path,
        """
        [connections.shop]
        connector = "acme"
        endpoint = "https://acme.example/api"
        password_env = "ACME_PASSWORD"

        [connections.shop.parties]
        company = { kvk = "12345678" }
        """,
    )
    opened = open_connection(load_settings(config), "shop", source=config)
    assert type(opened).__module__ == "acme_connector"
    assert opened.name == "shop"
    assert opened.settings.endpoint == "https://acme.example/api"  # type: ignore[attr-defined]
    assert opened.settings.retries == 3  # type: ignore[attr-defined]
    assert opened.password.get_secret_value() == "s3cret"  # type: ignore[attr-defined]
    assert opened.parties == {"company": {"kvk": "12345678"}}  # type: ignore[attr-defined]
    assert opened.base == tmp_path  # type: ignore[attr-defined]
    assert isinstance(opened, connectors.Connector)


def test_the_plugins_own_settings_model_checks_its_keys(
    acme_distribution: Path, tmp_path: Path
) -> None:
    config = settings_file(
        tmp_path,
        """
        [connections.shop]
        connector = "acme"
        endpont = "https://acme.example/api"
        password_env = "ACME_PASSWORD"
        """,
    )
    with pytest.raises(ConfigurationError) as raised:
        open_connection(load_settings(config), "shop", source=config)
    assert str(raised.value) == (
        f"{config}:4: connections.shop.endpont: unknown key 'endpont'; did you mean 'endpoint'?"
    )


def test_an_entry_point_that_does_not_load_is_named(acme_distribution: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"'broken'.*acme_connector:NOT_THERE"):
        connector_type("broken")


def test_an_unknown_kind_lists_the_known_ones(tmp_path: Path) -> None:
    config = settings_file(tmp_path, '[connections.x]\nconnector = "sap"\n')
    with pytest.raises(ConfigurationError) as raised:
        open_connection(load_settings(config), "x", source=config)
    message = str(raised.value)
    assert f"[connections.x] in {config}: unknown connector 'sap' (known: " in message
    assert all(kind in message for kind in ("csv", "model-json", "tryton", "ubl-dir"))


def test_register_makes_a_kind_openable_in_process(tmp_path: Path) -> None:
    from connectors.model_json import CONNECTOR, ModelJsonSource

    alias = registry.ConnectorType(kind="exports", settings=CONNECTOR.settings, open=CONNECTOR.open)
    registry.register(alias)
    try:
        (tmp_path / "in").mkdir()
        config = settings_file(tmp_path, '[connections.x]\nconnector = "exports"\npath = "in"\n')
        opened = open_connection(load_settings(config), "x", source=config)
        assert isinstance(opened, ModelJsonSource) and opened.root == tmp_path / "in"
    finally:
        registry._REGISTERED.pop("exports")


@pytest.mark.parametrize("kind", ["tryton", "model-json", "ubl-dir", "csv"])
def test_every_packaged_connector_refuses_a_misspelt_key(tmp_path: Path, kind: str) -> None:
    config = settings_file(
        tmp_path, f'[connections.x]\nconnector = "{kind}"\npath = "."\npage_sise = 10\n'
    )
    with pytest.raises(
        ConfigurationError,
        match=r":4: connections\.x\.page_sise: unknown key 'page_sise'; did you mean 'page_size'\?$",
    ):
        open_connection(load_settings(config), "x", source=config)


def test_a_mappings_override_on_a_source_without_a_mapping_is_refused(tmp_path: Path) -> None:
    (tmp_path / "tenant.toml").write_text("", encoding="utf-8")
    config = settings_file(
        tmp_path,
        """
        [connections.inbound]
        connector = "ubl-dir"
        path = "."
        mappings_override = "tenant.toml"
        """,
    )
    with pytest.raises(ConfigurationError, match=r"mappings_override: a ubl-dir connection"):
        open_connection(load_settings(config), "inbound", source=config)


def test_the_file_sources_take_max_bytes_and_page_size_from_the_settings(tmp_path: Path) -> None:
    from connectors.base import Stream
    from connectors.errors import RecordError
    from connectors.ubl_dir import UblDirectorySource

    for name in ("a.xml", "b.xml", "c.xml"):
        (tmp_path / name).write_bytes(b"<Invoice>" + b" " * 200 + b"</Invoice>")
    config = settings_file(
        tmp_path,
        '[connections.in]\nconnector = "ubl-dir"\npath = "."\nmax_bytes = 100\npage_size = 2\n',
    )
    source = open_connection(load_settings(config), "in", source=config)
    assert isinstance(source, UblDirectorySource)
    pages = list(source.pull(Stream.INVOICES, None))
    assert [len(page.records) for page in pages] == [2, 1]
    with pytest.raises(RecordError, match=r"a\.xml: too big: 219 bytes, more than 100 bytes"):
        source.document(pages[0].records[0])


@pytest.mark.parametrize(
    ("kind", "options", "expected"),
    [
        (
            "csv",
            {"path": "x.csv", "delimeter": ";"},
            "seller: required, but not set; "
            "delimeter: unknown key 'delimeter'; did you mean 'delimiter'?",
        ),
        (
            "model-json",
            {"page_size": "ten"},
            "path: required, but not set; page_size: must be a whole number, not 'ten'",
        ),
        ("ubl-dir", {"path": ".", "page_size": 0}, "page_size: must be at least 1, not 0"),
        (
            "tryton",
            {"url": "http://x", "database": "db", "username": "u", "page_size": 2.5},
            "page_size: must be a whole number, not 2.5",
        ),
    ],
)
def test_a_library_caller_gets_each_wrong_key_in_plain_words(
    kind: str, options: dict[str, object], expected: str
) -> None:
    """ConnectorType.validate (no settings file, so no line): the key, what was expected and
    what was given, as a settings file would show them; none of pydantic's own wording."""
    with pytest.raises(ConfigurationError) as raised:
        connector_type(kind).validate(options)
    message = str(raised.value)
    assert message == expected
    assert "Input should" not in message and "Extra inputs" not in message
