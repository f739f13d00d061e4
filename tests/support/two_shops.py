"""Two ubl-dir connections, ``shop`` and ``erp``, syncing into one SQLite store next to the
settings file: the set-up of the receivables command tests (``debtors``, ``report``)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner, Result

import ubl
from ledgerlink.cli import app
from model.document import Invoice

ACCOUNT = "NL91ABNA0417164300"
"""The bank account ``shop`` owns (``accounts``)."""


def settings(limits: dict[str, str]) -> str:
    """The settings file: the two connections delivering to a directory, and ``limits`` as
    ``[credit.limits]``."""
    lines = ['[store]\nurl = "sqlite:///ledgerlink.db"']
    lines.append('[channels.archive]\ntype = "directory"\npath = "delivered"')
    for name, extra in (("shop", f'accounts = ["{ACCOUNT}"]\n'), ("erp", "")):
        lines.append(
            f'[connections.{name}]\nconnector = "ubl-dir"\npath = "{name}"\n'
            f'channels = ["archive"]\n{extra}'.rstrip("\n")
        )
    lines.append("[credit.limits]")
    lines += [f'"{key}" = "{value}"' for key, value in limits.items()]
    return "\n".join(lines) + "\n"


def make_folder(root: Path, limits: dict[str, str]) -> Path:
    """``root`` with the settings file and the two (empty) inboxes."""
    (root / "shop").mkdir()
    (root / "erp").mkdir()
    (root / "ledgerlink.toml").write_text(settings(limits), encoding="utf-8")
    return root


def write(inbox: Path, doc: Invoice) -> None:
    """``doc`` as Peppol BIS 3 UBL in ``inbox``, named after its BT-1."""
    (inbox / f"{doc.number}.xml").write_bytes(ubl.write(doc, profile="peppol-bis3"))


def ledgerlink(folder: Path, *args: str) -> Result:
    """The CLI on the folder's settings file, 200 columns wide."""
    return CliRunner().invoke(
        app,
        ["--config", str(folder / "ledgerlink.toml"), *args],
        env={"COLUMNS": "200"},
    )
