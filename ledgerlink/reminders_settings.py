"""The ``[reminders]`` table of the settings file: the tenant's reminder policies, which one
applies to a debtor, and where a reminder that fires goes (issue 17 section 2)::

    [reminders]
    policy = "nl-b2b"                 # businesses: a preset (nl-b2b, nl-b2c) or a TOML file
    b2c_policy = "nl-b2c"             # consumers: a preset or a TOML file
    market = "b2b"                    # debtors not listed below: b2b, b2c or auto
    daemon = true                     # `ledgerlink daemon` runs them once a day (default false)

    [reminders.debtors]               # per debtor: b2b or b2c
    "vat:NL001234567B01" = "b2b"      # by identifier (kvk, vat, ...)
    "0106:87654321" = "b2c"           # or by the debtor key `ledgerlink debtors` shows

    [reminders.webhook]               # POST each reminder that fires, signed
    url = "https://crm.example/hooks/reminders"
    secret_env = "REMINDER_WEBHOOK_SECRET"   # the HMAC secret, from this variable

    [reminders.email]                 # e-mail the letter through an smtp channel
    channel = "mail"                  # a [channels.NAME] table of type smtp
    templates = "letters"             # optional: the tenant's Jinja2 templates (a folder)
    to = "debiteuren@example.nl"      # optional: instead of the buyer's e-mail (BT-58)

``market = "auto"`` treats a debtor without a VAT id (BT-48) or legal registration (BT-47,
a KvK number; also as a BT-49 endpoint with EAS 0106) as a consumer. A policy file path is relative to the settings
file. The webhook secret and the SMTP password are never in the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["EmailOutput", "ReminderSettings", "WebhookOutput"]


class WebhookOutput(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(description="where each reminder that fires is POSTed as JSON")
    secret_env: str = Field(description="the environment variable holding the HMAC secret")
    timeout: float = Field(default=10.0, gt=0, description="seconds per request")

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"an http:// or https:// URL, not {value!r}")
        if "@" in value.split("//", 1)[1].split("/", 1)[0]:
            raise ValueError("the URL must not hold a user or password")
        return value


class EmailOutput(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    channel: str = Field(description="a [channels.NAME] table of type smtp")
    templates: Path | None = Field(
        default=None, description="folder of the tenant's templates, before the shipped ones"
    )
    to: str | None = Field(
        default=None, description="instead of the buyer's e-mail address (BT-58)"
    )


class ReminderSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    policy: str = Field(
        default="nl-b2b", description="the policy for businesses: preset or TOML file"
    )
    b2c_policy: str = Field(
        default="nl-b2c", description="the policy for consumers: preset or file"
    )
    market: Literal["b2b", "b2c", "auto"] = Field(
        default="b2b", description="the market of a debtor not in [reminders.debtors]"
    )
    debtors: dict[str, Literal["b2b", "b2c"]] = Field(
        default_factory=dict, description="debtor key or KIND:VALUE identifier -> b2b or b2c"
    )
    webhook: WebhookOutput | None = None
    email: EmailOutput | None = None
    daemon: bool = Field(
        default=False,
        description="the daemon runs the day's reminders after its first cycle of each day",
    )
