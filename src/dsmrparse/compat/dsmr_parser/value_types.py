"""dsmr_parser's ``timestamp`` value type, with the meter's S/W flag honoured.

dsmr_parser reads every timestamp as Amsterdam wall-clock time and returns it in UTC. This one
returns UTC too (same type and shape), but the instant follows the flag: ``S`` is CEST, ``W`` is
CET, so the repeated October hour comes out right. Inside a parse the profile's own zone is used
(see :mod:`.parsers`); this module-level function, called on its own, assumes Amsterdam as
dsmr_parser does.
"""

from __future__ import annotations

from datetime import datetime, timezone

from ...values import TimeContext, parse_timestamp, time_context

__all__ = ["timestamp", "timestamp_in"]

_DEFAULT_ZONE = "Europe/Amsterdam"


def timestamp_in(value: object, ctx: TimeContext) -> datetime | None:
    """``YYMMDDhhmmss[S|W]`` in ``ctx``'s zone as an aware UTC datetime; None when unreadable
    (dsmr_parser's contract: a bad timestamp is None, not an error)."""
    if not isinstance(value, str) or len(value) not in (12, 13):
        return None
    if len(value) == 13 and value[12] not in "SW":
        return None
    try:
        local = parse_timestamp(value, ctx)
    except ValueError:
        return None
    return None if local is None else local.astimezone(timezone.utc)


def timestamp(value: object) -> datetime | None:
    """A DSMR timestamp (``"161113205757W"``) as a UTC datetime, None when unreadable."""
    return timestamp_in(value, time_context(_DEFAULT_ZONE))
