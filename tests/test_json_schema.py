"""docs/invoice.schema.json: current with the model, and describing every fixture JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.shared import REPO_ROOT

from model.jsonio import json_schema

SCHEMA_PATH = REPO_ROOT / "docs" / "invoice.schema.json"
FIXTURE_SOURCES = sorted((REPO_ROOT / "fixtures").glob("*.json"))
REGENERATE = (
    '.venv/bin/python -c "import json; from model.jsonio import json_schema; '
    'print(json.dumps(json_schema(), indent=2, ensure_ascii=False))" > docs/invoice.schema.json'
)
each_fixture = pytest.mark.parametrize("source", FIXTURE_SOURCES, ids=lambda path: path.stem)


def _committed_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


def _fixture(source: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(source.read_text(encoding="utf-8"))
    return data


def test_committed_schema_is_current() -> None:
    assert _committed_schema() == json_schema(), f"docs/invoice.schema.json is stale: {REGENERATE}"


def test_there_are_fixtures_to_check() -> None:
    assert len(FIXTURE_SOURCES) >= 20


@each_fixture
def test_fixture_validates_against_the_schema(source: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(_committed_schema())
    errors = [
        f"{'/'.join(map(str, error.absolute_path)) or '$'}: {error.message}"
        for error in validator.iter_errors(_fixture(source))
    ]
    assert errors == []


def test_every_top_level_key_is_a_schema_property() -> None:
    properties = set(_committed_schema()["properties"])
    unknown = {
        source.name: sorted(set(_fixture(source)) - properties) for source in FIXTURE_SOURCES
    }
    assert {name: keys for name, keys in unknown.items() if keys} == {}


def _unknown_keys(
    data: Any, schema: dict[str, Any], root: dict[str, Any], path: str
) -> Iterator[str]:
    """Object keys in ``data`` that ``schema`` (following ``$ref``) has no property for."""
    while "$ref" in schema:
        schema = root["$defs"][schema["$ref"].removeprefix("#/$defs/")]
    if isinstance(data, dict) and "properties" in schema:
        for key, value in data.items():
            prop = schema["properties"].get(key)
            if prop is None:
                yield f"{path}.{key}" if path else key
            else:
                yield from _unknown_keys(value, prop, root, f"{path}.{key}" if path else key)
    elif isinstance(data, list) and "items" in schema:
        for index, item in enumerate(data):
            yield from _unknown_keys(item, schema["items"], root, f"{path}[{index}]")


@each_fixture
def test_every_nested_key_is_a_schema_property(source: Path) -> None:
    """Without jsonschema too: the schema names every key the fixtures use, at every depth."""
    schema = _committed_schema()
    assert list(_unknown_keys(_fixture(source), schema, schema, "")) == []


def test_nested_key_check_finds_an_unknown_key() -> None:
    schema = _committed_schema()
    data = _fixture(FIXTURE_SOURCES[0])
    data["lines"][0]["price"]["nett"] = "1.00"
    assert list(_unknown_keys(data, schema, schema, "")) == ["lines[0].price.nett"]
