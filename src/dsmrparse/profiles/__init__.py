"""Profile registry and detection: which table reads a telegram.

A profile named by the user always wins; otherwise :func:`detect` looks, in this order, at the
header prefix, an OBIS fingerprint (objects only one family writes) and the version objects
(``1-3:0.2.8``, ``0-0:96.1.4``), and says why it chose.
"""

from __future__ import annotations

from collections.abc import Sequence

from .._types import Line, Tokens
from ..errors import ProfileError
from ._schema import Field, Profile, SerialSettings
from .austria import AUSTRIA
from .belgium import BELGIUM, ISKRA_IE5
from .dutch import DSMR3, DSMR4, DSMR5, WARMTELINK
from .easymeter import Q3D
from .hungary import HUNGARY
from .lithuania import LITHUANIA
from .luxembourg import LUXEMBOURG
from .nordic import SWEDEN
from .swiss import SWISS

__all__ = [
    "Field",
    "Profile",
    "SerialSettings",
    "get",
    "names",
    "all_profiles",
    "register",
    "detect",
    "DEFAULT",
    "sibling_plan",
]

# Registration order is the order fingerprints are tried in: the most specific first.
_REGISTRY: dict[str, Profile] = {}
_ALIASES: dict[str, str] = {}
DEFAULT = DSMR5

_VERSION_CODES = ("1-3:0.2.8", "0-0:96.1.4")
_VERSION_SCAN = 6  # version objects sit at the top of a telegram
_CACHE_LIMIT = 1024
_CACHE_LINES = 200  # real telegrams have well under 100 objects

# (header, OBIS codes in telegram order) -> (profile, reason), or the position of the version
# object when the layout alone does not decide
_decided: dict[tuple[str, tuple[str, ...]], object] = {}
_versions: dict[tuple[str, str], tuple[Profile, str] | None] = {}
_last: tuple[str, tuple[str, ...], object] | None = None  # the latest (header, codes, decision)


def register(profile: Profile) -> Profile:
    """Add (or replace) a profile; detection considers it from now on."""
    _REGISTRY[profile.name] = profile
    for alias in profile.aliases:
        _ALIASES[alias.lower()] = profile.name
    global _last, _siblings
    _decided.clear()
    _versions.clear()
    _last = None
    _siblings = None
    _clear_memos()
    return profile


_siblings: dict[str, tuple] | None = None


def sibling_plan() -> dict[str, tuple]:
    """Concrete OBIS code -> plan row of the first registered profile that names it: what an
    object reads as when the detected profile has no row for it (see ``_unknown``)."""
    global _siblings
    found = _siblings
    if found is None:
        found = {}
        for profile in _REGISTRY.values():
            for code, row in profile.plan.items():
                found.setdefault(code, row)
        _siblings = found
    return found


def _clear_memos() -> None:
    """Entries of unknown objects depend on the registry: forget those the twins keep."""
    import sys

    for name in ("dsmrparse._fastparse", "dsmrparse._purepy"):
        clear = getattr(sys.modules.get(name), "clear_memo", None)
        if clear is not None:  # (None too while the module is still being imported)
            clear()


for _p in (
    BELGIUM,
    ISKRA_IE5,
    LUXEMBOURG,
    AUSTRIA,
    HUNGARY,
    SWISS,
    SWEDEN,
    LITHUANIA,
    Q3D,
    WARMTELINK,
    DSMR3,
    DSMR4,
    DSMR5,
):
    register(_p)


def get(name: str | Profile) -> Profile:
    if isinstance(name, Profile):
        return name
    key = name.lower()
    try:
        return _REGISTRY[_ALIASES.get(key, key)]
    except KeyError:
        raise ProfileError(f"no profile {name!r}; known: {', '.join(names())}") from None


def names() -> list[str]:
    return sorted(_REGISTRY)


def all_profiles() -> list[Profile]:
    return [_REGISTRY[n] for n in names()]


def detect(tokens: Tokens) -> tuple[Profile, str]:
    """The family of a telegram and the reason.

    The decision from header and layout is cached, so a stream from one meter pays for it once;
    only the version value is read again for each telegram (it runs on every telegram: keep it
    to a tuple build and two dict look-ups).
    """
    global _last
    codes = tokens.codes
    header = tokens.header
    last = _last
    if last is not None and last[1] == codes and last[0] == header:  # the same meter again
        decided = last[2]  # (no hash of the key: the codes are mostly the same str objects)
    else:
        key = (header, codes)
        decided = _decided.get(key)
        if decided is None:
            decided = _decide(header, codes)
            if len(_decided) >= _CACHE_LIMIT:
                _decided.clear()
            if len(codes) <= _CACHE_LINES:  # garbage with thousands of lines: not worth keeping
                _decided[key] = decided
        _last = (header, codes, decided)
    if type(decided) is not int:
        return decided  # type: ignore[return-value]
    lines = tokens.lines
    line = lines[decided]  # the version object's position, the same for the whole layout
    if line.groups:
        found = _version_profile(line.obis, line.groups[0])
        if found is not None:
            return found
    return _by_version(lines)


def _decide(header: str, codes: tuple[str, ...]) -> object:
    folded = header.casefold()
    best: tuple[int, Profile, str] | None = None
    for profile in _REGISTRY.values():
        for prefix in profile.header_prefixes:
            if folded.startswith(prefix.casefold()) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), profile, prefix)
    if best is not None:
        shown = best[2].replace("\x02", "\\x02")
        return best[1], f"header /{shown}"
    present = frozenset(codes)
    for profile in _REGISTRY.values():
        if (
            profile.fingerprint
            and present.issuperset(profile.fingerprint)
            and present.isdisjoint(profile.fingerprint_absent)
        ):
            reason = f"objects {', '.join(profile.fingerprint)} present"
            if profile.fingerprint_absent:
                reason += f", no {', '.join(profile.fingerprint_absent)}"
            return profile, reason
    for position, code in enumerate(codes):
        if code in _VERSION_CODES:
            return position  # decided per telegram by the version value at this position
    return DEFAULT, f"no version object: {DEFAULT.title} assumed"


def _by_version(lines: Sequence[Line]) -> tuple[Profile, str]:
    for line in lines[:_VERSION_SCAN]:
        if line.obis in _VERSION_CODES and line.groups:
            found = _version_profile(line.obis, line.groups[0])
            if found is not None:
                return found
    for line in lines:  # rare: the version object further down
        if line.obis in _VERSION_CODES and line.groups:
            found = _version_profile(line.obis, line.groups[0])
            if found is not None:
                return found
    return DEFAULT, f"unknown version: {DEFAULT.title} assumed"


def _version_profile(code: str, value: str) -> tuple[Profile, str] | None:
    key = (code, value)
    if key in _versions:
        return _versions[key]
    found = None
    for profile in _REGISTRY.values():
        for obj, prefix in profile.version_objects:
            if obj == code and value.startswith(prefix):
                found = (profile, f"{code} is {value}")
                break
        if found:
            break
    if len(_versions) < _CACHE_LIMIT:
        _versions[key] = found
    return found
