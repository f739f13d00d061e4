"""Where a reminder that fires goes: the ``[reminders.webhook]`` and ``[reminders.email]``
of the settings file, opened for :func:`sync.reminders_run.run_day`.

The webhook's secret is read from the variable ``secret_env`` names and the SMTP password
from the channel's ``password_env``; an unset variable is an error naming the variable,
never a value.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ledgerlink._output import fail

if TYPE_CHECKING:
    from ledgerlink.reminders_settings import ReminderSettings
    from sync.reminder_outputs import MailOutput, WebhookOutput

__all__ = ["open_outputs"]


def open_outputs(
    settings: ReminderSettings, folder: Path, channels: dict[str, Any]
) -> tuple[WebhookOutput | None, MailOutput | None]:
    """The configured outputs, their secrets read; exit 2 naming what is wrong."""
    from delivery.base import ChannelRefused
    from delivery.settings import SmtpSettings, open_channel
    from sync.reminder_outputs import MailOutput, WebhookOutput

    webhook = None
    if settings.webhook is not None:
        secret = os.environ.get(settings.webhook.secret_env)
        if not secret:
            fail(
                f"[reminders.webhook] secret_env: environment variable "
                f"{settings.webhook.secret_env} is not set",
                2,
            )
        webhook = WebhookOutput(settings.webhook.url, secret, settings.webhook.timeout)
    mail = None
    if settings.email is not None:
        name = settings.email.channel
        channel_settings = channels.get(name)
        if not isinstance(channel_settings, SmtpSettings):
            known = ", ".join(n for n, c in channels.items() if isinstance(c, SmtpSettings))
            fail(
                f"[reminders.email] channel: {name!r} is not an smtp channel of [channels] "
                f"(smtp channels: {known or 'none'})",
                2,
            )
        try:
            channel = open_channel(name, channel_settings, base_dir=folder)
        except ChannelRefused as failure:
            fail(f"[reminders.email] channel {name}: {failure}", 2)
        templates = settings.email.templates
        if templates is not None and not templates.is_absolute():
            templates = folder / templates
        if templates is not None and not templates.is_dir():
            fail(f"[reminders.email] templates: {templates} is not a folder", 2)
        from delivery.smtp import SmtpChannel

        assert isinstance(channel, SmtpChannel)
        mail = MailOutput(channel, settings.email.to, templates)
    return webhook, mail
