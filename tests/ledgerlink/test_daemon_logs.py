"""ledgerlink.daemon_logs: one JSON object per line, the known fields, secrets replaced."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

from ledgerlink.daemon_logs import REDACTED, JsonFormatter, configure, secret_values
from ledgerlink.settings import load_settings


def _record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord(
        "ledgerlink.daemon", logging.WARNING, __file__, 1, message, args, None
    )
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_a_line_is_one_object_with_the_known_fields() -> None:
    line = JsonFormatter().format(
        _record(
            "connection %s: %s", "shop", "done", event="cycle-done", connection="shop", delivered=3
        )
    )
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["event"] == "cycle-done" and parsed["connection"] == "shop"
    assert parsed["message"] == "connection shop: done" and parsed["delivered"] == 3
    assert parsed["level"] == "warning" and parsed["time"].endswith("+00:00")
    assert json.loads(JsonFormatter().format(_record("plain")))["event"] == "log"


def test_known_secrets_are_replaced_wherever_they_occur() -> None:
    secret = 'p4ss"word-with-quote'
    formatter = JsonFormatter([secret, "abc"])  # too short to search for: left alone
    try:
        raise ValueError(f"login refused for {secret}")
    except ValueError:
        import sys

        record = _record("token %s", secret, document=secret)
        record.exc_info = sys.exc_info()
    line = formatter.format(record)
    assert "p4ss" not in line and REDACTED in line
    assert json.loads(line)["message"].startswith(f"token {REDACTED}")


def test_secret_values_are_the_variables_the_settings_name(tmp_path: Path) -> None:
    path = tmp_path / "ledgerlink.toml"
    path.write_text(
        """\
[channels.ap]
type = "peppol-ap"
url = "http://127.0.0.1:1"
token_env = "LL_T_TOKEN"
webhook_secret_env = "LL_T_HOOK"
[connections.erp]
connector = "ubl-dir"
path = "inbox"
password_env = "LL_T_PASSWORD"
""",
        encoding="utf-8",
    )
    settings = load_settings(path)
    environ = {"LL_T_TOKEN": "the-token", "LL_T_HOOK": "the-hook", "LL_T_PASSWORD": "the-pw"}
    assert secret_values(settings, environ) == {"the-token", "the-hook", "the-pw"}
    stream = io.StringIO()
    handler = configure(secret_values(settings, environ), stream)
    assert isinstance(handler.formatter, JsonFormatter)
    handler.formatter.add_secrets(["st0re-pass"])  # the password of the store opened
    try:
        logging.getLogger("ledgerlink.test").info("sent with the-token and the-pw to st0re-pass")
    finally:
        logging.getLogger().removeHandler(handler)
    text = stream.getvalue()
    assert not [secret for secret in ("the-token", "the-pw", "st0re-pass") if secret in text]
    assert text.count(REDACTED) == 3
