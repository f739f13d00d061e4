"""Where a reminder that fires goes: the webhook and the e-mail of ``[reminders]``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from ledgerlink.reminders_settings import ReminderSettings
    from sync.store import Store

__all__ = ["send_outputs"]


def send_outputs(
    ctx: typer.Context, store: Store, settings: ReminderSettings, folder: Path
) -> dict[str, Any]:
    """Send every recorded reminder whose outputs are pending; a summary per output."""
    return {}
