"""Knab free-text ``:86:``: the description, then ``REK: <IBAN>/NAAM: <name>``."""

from __future__ import annotations

import re

from reconcile.statements.mt940.narrative.base import Narrative, compact, join_lines

__all__ = ["MARK", "split"]

MARK = re.compile(r"REK:\s*(?P<iban>[A-Z0-9 ]+?)\s*/NAAM:\s*(?P<name>.*)$", re.DOTALL)


def split(lines: list[str]) -> Narrative:
    text = " ".join(line.strip() for line in lines if line.strip())
    found = MARK.search(text)
    if found is None:
        return Narrative(layout="knab", text=join_lines(lines))
    return Narrative(
        layout="knab",
        name=found["name"].strip() or None,
        iban=compact(found["iban"]),
        text=text[: found.start()].strip(),
    )
