"""The interchange form as JSON: exact Decimal numbers, and the objects array.

``dumps`` writes any interchange value. ``entries_json`` writes a telegram's ``objects`` array,
``telegram_json`` a whole telegram (``Telegram.to_json``) and ``json_lines`` the JSON lines of
``dsmrparse parse``. The ``*_reference`` functions here are the reference for the compiled
writers (``_fastjson``), which must give the same text byte for byte.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from ._types import Entry, as_json_value

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "dumps",
    "json_lines",
    "json_lines_reference",
    "telegram_json",
    "telegram_json_reference",
    "dumps_reference",
    "entry_item",
    "entries_json",
    "value_json",
    "decimal_text",
]


def entry_item(e: Entry) -> dict[str, Any]:
    """One element of the interchange form's ``objects`` array."""
    item: dict[str, Any] = {
        "obis": e.obis,
        "name": e.name,
        "value": as_json_value(e.value),
        "unit": e.unit,
    }
    if e.timestamp is not None:
        item["timestamp"] = e.timestamp.isoformat()
    item["raw"] = list(e.raw)
    item["line"] = e.line
    if e.error is not None:
        item["error"] = e.error
    return item


def entries_json(entries: Iterable[Entry]) -> str:
    """The ``objects`` array as JSON (what ``dumps`` writes for it inside ``to_json``)."""
    return dumps_reference([entry_item(e) for e in entries])


def value_json(value: Any) -> str:
    """One entry value as JSON, as it appears in ``objects`` (the compiled writer's fallback)."""
    return dumps_reference(as_json_value(value))


def decimal_text(value: Decimal) -> str:
    """A Decimal as a JSON number, digit for digit (no exponent)."""
    if not value.is_finite():
        return f'"{value}"'  # JSON has no NaN or Infinity; keep the text
    text = str(value)
    if "E" in text or "e" in text:
        text = format(value, "f")
    return text


def _write(obj: Any, out: list[str], encode_str: Any) -> None:
    if isinstance(obj, str):
        out.append(encode_str(obj))
    elif obj is None:
        out.append("null")
    elif obj is True:
        out.append("true")
    elif obj is False:
        out.append("false")
    elif isinstance(obj, Decimal):
        out.append(decimal_text(obj))
    elif isinstance(obj, float):
        out.append(_float_text(obj))
    elif isinstance(obj, int):
        out.append(int.__repr__(obj))
    elif isinstance(obj, dict):
        out.append("{")
        first = True
        for key, value in obj.items():
            if not first:
                out.append(",")
            first = False
            out.append(encode_str(key) if isinstance(key, str) else _json_key(key))
            out.append(":")
            _write(value, out, encode_str)
        out.append("}")
    elif isinstance(obj, (list, tuple)):
        out.append("[")
        for i, value in enumerate(obj):
            if i:
                out.append(",")
            _write(value, out, encode_str)
        out.append("]")
    else:
        out.append(encode_str(as_json_value(obj) if isinstance(obj, datetime) else str(obj)))


def _float_text(value: float) -> str:
    """A float as json writes it (``Infinity``, ``NaN`` included)."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    return float.__repr__(value)


def _json_key(key: Any) -> str:
    """A key that is not a str, quoted as json writes it (``False`` -> ``"false"``)."""
    from json import dumps as json_dumps

    return json_dumps({key: None}, separators=(",", ":"))[1:-6]


def dumps(obj: Any) -> str:
    """Compact JSON in which every Decimal is written as an exact JSON number, digit for digit
    (``Decimal("0.000")`` -> ``0.000``), which ``json.dumps`` cannot do by itself.

    The twin in use writes it: the compiled one in C, the pure one with :func:`dumps_reference`.
    """
    return str(_impl.current.dumps(obj))


def dumps_reference(obj: Any) -> str:
    """What :func:`dumps` gives, with the json module (the reference for the compiled writer).

    The C encoder writes everything, each Decimal as a marker string; the markers are then
    swapped for the numbers' text. Should a marker clash with text that looks the same (a value
    exactly U+E000), the pure writer does it all instead.
    """
    from json import dumps as json_dumps  # on first use: keeps json out of the import

    texts: list[str] = []

    def number_marker(value: Any) -> Any:
        if isinstance(value, Decimal):
            texts.append(decimal_text(value))
            return _MARK
        return as_json_value(value) if isinstance(value, datetime) else str(value)

    out = json_dumps(
        obj, default=number_marker, ensure_ascii=False, separators=(",", ":"), check_circular=False
    )
    if not texts:
        return out
    pieces = out.split(_QUOTED_MARK)
    if len(pieces) != len(texts) + 1:
        return _dumps_slowly(obj)
    merged = [pieces[0]]
    for text, piece in zip(texts, pieces[1:]):
        merged.append(text)
        merged.append(piece)
    return "".join(merged)


def telegram_json(telegram: Any) -> str:
    """``Telegram.to_json()``: the compiled writer when that twin is in use."""
    if _impl.current.NAME == "cython":
        from ._fastjson import telegram_json as fast

        return str(fast(telegram))
    return telegram_json_reference(telegram)


_OBJECTS_MARK = "\ue001"  # where the objects array goes (no decoded text holds it)
_QUOTED_OBJECTS_MARK = f'"{_OBJECTS_MARK}"'


def telegram_json_reference(telegram: Any) -> str:
    """The interchange form of a Telegram as one line of JSON, from ``Telegram._form``."""
    # The objects array is most of the text: the twin in use writes it, and it takes the place
    # of a marker in the rest.
    rest = dumps(telegram._form(_OBJECTS_MARK))
    head, marker, tail = rest.partition(_QUOTED_OBJECTS_MARK)
    if not marker or _QUOTED_OBJECTS_MARK in tail:  # the marker's text occurs elsewhere
        return dumps(telegram.to_dict())
    return head + _impl.current.entries_json(telegram.entries) + tail


def json_lines(items: Iterable[Any]) -> bytes:
    """Each record's ``to_json()`` and a newline, as UTF-8 (what ``dsmrparse parse`` writes):
    the compiled writer when that twin is in use."""
    if _impl.current.NAME == "cython":
        from ._fastjson import json_lines as fast

        return bytes(fast(items))
    return json_lines_reference(items)


def json_lines_reference(items: Iterable[Any]) -> bytes:
    return "".join(item.to_json() + "\n" for item in items).encode("utf-8")


_MARK = "\ue000"
_QUOTED_MARK = f'"{_MARK}"'


def _dumps_slowly(obj: Any) -> str:
    from json.encoder import encode_basestring

    out: list[str] = []
    _write(obj, out, encode_basestring)
    return "".join(out)


# Last, for the cycle: _impl loads the compiled twin, which takes the functions above from here.
from . import _impl  # noqa: E402
