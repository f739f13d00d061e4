"""What crosses a validation pool's process boundary, pickled compactly.

The models (BG-0 and its parts) go to the workers, their answers
(:class:`~sync.documents.Written`, :class:`~sync.documents.Refused`,
:class:`~sync.documents.Held`, :class:`~sync.documents.Header`, the findings) come back, and a
source's :class:`~sync.documents.Detached` mappings with their records go out: all frozen
slotted dataclasses, pickled as (class, field values) through multiprocessing's pickler
(the pool's messages only), a third less work each way than the default protocol, the same
objects on the other side (:mod:`sync.validation`).
"""

from __future__ import annotations

import dataclasses
import functools
import operator
from collections.abc import Callable
from typing import Any, Final, cast

__all__ = ["compact_pickling", "compactly", "rebuilt"]


def rebuilt(cls: type[Any], values: tuple[Any, ...]) -> Any:
    """An instance of the model's frozen slotted dataclass ``cls`` with ``values`` in its
    fields' order, stored through the slot descriptors (what unpickling does, without the
    per-object state dictionary of the default protocol)."""
    setters = _SETTERS.get(cls)
    if setters is None:
        setters = _SETTERS[cls] = tuple(
            cls.__dict__[field.name].__set__ for field in dataclasses.fields(cls)
        )
    made = object.__new__(cls)
    for store, value in zip(setters, values, strict=True):
        store(made, value)
    return made


_SETTERS: Final[dict[type[Any], tuple[Callable[[Any, Any], None], ...]]] = {}
"""Each class's slot descriptors' setters, in its fields' order (made on first use)."""


def _reducer(cls: type[Any]) -> Callable[[Any], tuple[Any, ...]]:
    getter = operator.attrgetter(*(field.name for field in dataclasses.fields(cls)))
    if len(dataclasses.fields(cls)) == 1:
        return lambda value: (rebuilt, (cls, (getter(value),)))
    return lambda value: (rebuilt, (cls, getter(value)))


@functools.cache
def compact_pickling() -> None:
    """What crosses the pool boundary, the models (BG-0 and its parts) one way and the
    answers (:class:`~sync.documents.Written`, :class:`~sync.documents.Refused`, their
    findings) the other, pickled as (class, field values): a third less work each way than
    the default protocol for slotted dataclasses, the same objects on the other side.
    Registered with multiprocessing's pickler only (the pool's messages), once per process."""
    import model.document
    import model.findings
    from connectors.base import Record
    from sync.documents import Header, Held, Refused, Written

    classes: list[type[Any]] = [Written, Refused, Held, Header, Record]
    for module in (model.document, model.findings):
        classes += [
            value
            for value in vars(module).values()
            if isinstance(value, type)
            and value.__module__ == module.__name__
            and dataclasses.is_dataclass(value)
            and "__slots__" in value.__dict__
        ]
    for cls in classes:
        compactly(cast(type, cls))


@functools.cache
def compactly(cls: type[Any]) -> None:
    """``cls``, a slotted dataclass, pickled as (class, field values) through
    multiprocessing's pickler from now on (once per class; another class is left as it is):
    the models and answers (:func:`compact_pickling`), and a source's
    :class:`~sync.documents.Detached` mappings with their records."""
    from multiprocessing.reduction import ForkingPickler

    if isinstance(cls, type) and dataclasses.is_dataclass(cls) and "__slots__" in cls.__dict__:
        ForkingPickler.register(cls, _reducer(cls))
