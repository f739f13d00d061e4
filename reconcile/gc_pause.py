"""Pausing Python's cyclic garbage collector around one batch: a statement read and
imported, or one run of the matcher.

Such a batch makes hundreds of thousands of long-lived objects (transactions, the indexes
of a million open items) and next to no reference cycles. Each full collection walks every
object alive, so with the collector running the batch pays for walking the heap again and
again as it grows (a third of a matcher run at a million open items). Reference counting
still frees everything that is not a cycle at once; the collector runs again when the
batch ends, and a cycle made meanwhile is freed then.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["gc_paused"]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Keep the cyclic collector off inside the block (as it was if it was off already)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
