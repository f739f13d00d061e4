"""SNS ``:86:``: ``<counterparty account> <name>`` on line 1, the description on the lines
after (padded to 65 characters, blank lines between). The name is also line 2 of ``:61:``."""

from __future__ import annotations

from reconcile.statements.mt940.narrative.base import Narrative

__all__ = ["split"]


def split(lines: list[str], name: str | None) -> Narrative:
    head, _, rest = lines[0].strip().partition(" ")
    return Narrative(
        layout="sns",
        iban=head or None,
        name=(name or rest.strip()) or None,
        text=" ".join(" ".join(line.split()) for line in lines[1:] if line.strip()),
    )
