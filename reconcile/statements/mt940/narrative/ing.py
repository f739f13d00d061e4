"""ING SEPA structured ``:86:``: ``/EREF/ /CNTP/iban/bic/name/city/ /REMI/USTD//text/`` or
``/REMI/STRD/CUR/ref/``, ``/CSID/ /MARF/ /RTRN/ /ULTD/name/id/ /PREF/ /PURP/``.

ING wraps lines anywhere, so the lines are joined with nothing (the tokenizer keeps them)."""

from __future__ import annotations

from reconcile.statements.mt940.narrative.base import Narrative, compact, no_id, slash_tags

__all__ = ["split"]

TAGS = (
    "EREF",
    "PREF",
    "MARF",
    "CSID",
    "CNTP",
    "REMI",
    "PURP",
    "ULTC",
    "ULTD",
    "ULTB",
    "RTRN",
    "EXCH",
    "CHGS",
    "BENM",
    "ORDP",
    "ISDT",
)


def split(lines: list[str]) -> Narrative:
    text = "".join(lines)
    tags = slash_tags(text, TAGS)
    party = tags.get("CNTP", "").split("/")
    party += [""] * (4 - len(party))
    remittance = tags.get("REMI", "")
    reference = None
    free = remittance
    if remittance.startswith("USTD//"):
        free = remittance[6:]
    elif remittance.startswith("STRD/"):
        parts = remittance.split("/")
        reference = compact(parts[-1]) if len(parts) >= 3 else None
        free = ""
    ultimate = tags.get("ULTD", "").split("/")[0] or None
    return Narrative(
        layout="ing",
        name=party[2].strip() or None,
        iban=compact(party[0]),
        bic=compact(party[1]),
        ultimate_debtor=ultimate,
        structured_reference=reference,
        text=" ".join(free.rstrip("/").split())
        if free
        else " ".join(text.split())
        if not tags
        else "",
        end_to_end_id=no_id(tags.get("EREF")),
        return_reason=tags.get("RTRN") or None,
        mandate_id=no_id(tags.get("MARF")),
        creditor_id=no_id(tags.get("CSID")),
    )
