"""``NamedTuple`` without importing ``typing`` at run time (``import dsmrparse`` stays light).

``class Entry(NamedTuple): ...`` here makes the same class ``typing.NamedTuple`` makes: a
``collections.namedtuple`` with the annotated fields, their defaults, and the class body's
methods and docstring. Type checkers see ``typing.NamedTuple`` itself. (``typing`` imports ``re``,
``enum``, ``contextlib`` and more: over a third of the library's import time.)
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple as NamedTuple
else:
    from collections import namedtuple as _namedtuple

    # what typing.NamedTuple also refuses, and what it leaves to namedtuple
    _PROHIBITED = frozenset(
        {"__new__", "__init__", "__slots__", "__getnewargs__", "_fields", "_field_defaults",
         "_make", "_replace", "_asdict", "_source"}
    )  # fmt: skip
    _SPECIAL = frozenset({"__module__", "__name__", "__annotations__"})

    class _NamedTupleMeta(type):
        def __new__(mcls, typename, bases, ns):  # noqa: N804
            if bases != (NamedTuple,):
                raise TypeError("can only inherit from NamedTuple")
            annotations = ns.get("__annotations__", {})
            defaults = []
            for field in annotations:
                if field in ns:
                    defaults.append(ns[field])
                elif defaults:
                    raise TypeError(
                        f"Non-default namedtuple field {field} cannot follow default field"
                        f"{'s' if len(defaults) > 1 else ''} "
                    )
            cls = _namedtuple(typename, list(annotations), defaults=defaults,
                              module=ns["__module__"])  # fmt: skip
            cls.__annotations__ = cls.__new__.__annotations__ = dict(annotations)
            for key, value in ns.items():
                if key in _PROHIBITED:
                    raise AttributeError("Cannot overwrite NamedTuple attribute " + key)
                if key not in _SPECIAL and key not in cls._fields:
                    setattr(cls, key, value)
            return cls

    NamedTuple = type.__new__(_NamedTupleMeta, "NamedTuple", (), {"__module__": __name__})

__all__ = ["NamedTuple"]
