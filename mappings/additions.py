"""The TOML lines a user adds to an override file for codes the mapping does not cover.

A message about an unmapped code shows the lines to paste, never the packaged file to edit:
``[vat."hoog tarief"]`` with its ``category`` and ``rate`` keys, ``zak = "?"`` under
``[units]``, ``unit = "?"`` under ``[defaults]``. The values are ``"?"``, which no code list
holds, so an override pasted unfilled is refused at load (naming the key) instead of mapping a
code by a guess; a comment after each names the code list to take the value from.

The header of a code table is left out when the override file has the table already (a
second ``[units]`` header is a TOML error); a key that file's ``[remove]`` lists is named, as
a file may not set what it removes.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

from mappings.tables import CODE_TABLES, DEFAULT_KEYS

__all__ = ["toml_key", "toml_lines"]

_BARE_KEY: Final = re.compile(r"[A-Za-z0-9_-]+")
_VAT_LINES: Final = (
    'category = "?"  # UNCL5305 (BT-151): S, Z, E, AE, K, G, O, L or M',
    'rate = "?"      # the percentage (BT-152), e.g. "21"; left out for Z, E, AE, K, G and O',
)


def toml_key(key: str) -> str:
    """``key`` as a TOML key: bare when it can be, else a quoted basic string.

    >>> toml_key("stuk"), toml_key("hoog tarief")
    ('stuk', '"hoog tarief"')
    """
    return key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)


def toml_lines(missing: Iterable[tuple[str, str]], override: Path | None = None) -> str:
    """The lines that map every ``(table, code)`` of ``missing`` (table ``defaults``: the code
    is a :data:`~mappings.tables.DEFAULT_KEYS` key), one block per table, in first-seen order.

    ``override`` is the file they go into when it exists: its tables decide which headers are
    written, its ``[remove]`` which keys must come out of that list first.
    """
    present, removed = _read(override)
    blocks: dict[str, list[str]] = {}
    for table, code in missing:
        if table == "vat":
            block = blocks.setdefault(f"vat.{code}", [f"[vat.{toml_key(code)}]"])
            if len(block) == 1:
                block.extend(_VAT_LINES)
            continue
        block = blocks.setdefault(table, [])
        line = f'{toml_key(code)} = "?"  # {_code_list(table, code)}'
        if line not in block:
            block.append(line)
    text: list[str] = []
    for name, block in blocks.items():
        table = name.split(".", 1)[0]
        if table != "vat":
            header = f"[{table}]" if table not in present else f"# under the [{table}] table:"
            block.insert(0, header)
        text.append("\n".join(block))
    notes = [
        f"# and take {code!r} out of [remove] {table} in {override}"
        for table, code in dict.fromkeys(missing)
        if code in removed.get(table, ())
    ]
    return "\n\n".join(text + (["\n".join(notes)] if notes else []))


def _code_list(table: str, code: str) -> str:
    if table == "defaults":
        spec = CODE_TABLES[DEFAULT_KEYS[code]]
        return f"the {spec.code_list} code for records with no {spec.source_noun}"
    return f"the {CODE_TABLES[table].code_list} code"


def _read(override: Path | None) -> tuple[set[str], dict[str, list[str]]]:
    """The tables ``override`` has and its ``[remove]`` lists; nothing for no (or no readable)
    file, whose errors the loader reports."""
    if override is None:
        return set(), {}
    try:
        data: dict[str, Any] = tomllib.loads(override.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return set(), {}
    removals = data.get("remove")
    removed = (
        {str(table): list(keys) for table, keys in removals.items() if isinstance(keys, list)}
        if isinstance(removals, dict)
        else {}
    )
    return {str(table) for table in data}, removed
