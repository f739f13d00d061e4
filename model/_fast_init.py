"""A faster ``__init__`` for the model's frozen, slotted, keyword-only dataclasses.

A frozen dataclass assigns each field through ``object.__setattr__``, which
costs about four times a plain slot store; the parser builds some fifty model
objects per ten-line invoice, so that showed in its throughput. This swaps in
an ``__init__`` with the same signature and defaults that stores through the
slot descriptors directly. Instances stay frozen: ``__setattr__`` still raises
``FrozenInstanceError``; ``dataclasses.fields``, ``replace``, equality and
hashing are unchanged.
"""

from __future__ import annotations

import dataclasses
from typing import Any

__all__ = ["speed_up_init"]


def speed_up_init(cls: type[Any]) -> None:
    """Replace the dataclass ``__init__`` of ``cls`` by a slot-descriptor one."""
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or "__slots__" not in cls.__dict__:
        raise TypeError(f"{cls.__name__} is not a frozen slotted dataclass")
    namespace: dict[str, Any] = {}
    args: list[str] = []
    body: list[str] = []
    for f in dataclasses.fields(cls):
        if not f.init or f.default_factory is not dataclasses.MISSING or not f.kw_only:
            raise TypeError(
                f"{cls.__name__}.{f.name}: only plain keyword-only fields are supported"
            )
        if f.default is dataclasses.MISSING:
            args.append(f.name)
        else:
            namespace[f"_default_{f.name}"] = f.default
            args.append(f"{f.name}=_default_{f.name}")
        namespace[f"_set_{f.name}"] = cls.__dict__[f.name].__set__
        body.append(f"    _set_{f.name}(self, {f.name})")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} has __post_init__, which this init does not call")
    source = f"def __init__(self, *, {', '.join(args)}):\n" + ("\n".join(body) or "    pass")
    exec(source, namespace)
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    init.__doc__ = cls.__init__.__doc__
    init.__annotations__ = dict(cls.__init__.__annotations__)
    cls.__init__ = init
