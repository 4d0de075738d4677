"""Profile registry and detection: which table reads a telegram.

A profile named by the user always wins; otherwise :func:`detect` looks at the header, the version
objects and an OBIS fingerprint, and says why it chose.
"""

from __future__ import annotations

from .._types import Tokens
from ..errors import ProfileError
from ._schema import Field, Profile, SerialSettings
from .dutch import DSMR4, DSMR5

__all__ = ["Field", "Profile", "SerialSettings", "get", "names", "all_profiles", "detect", "DEFAULT"]

_REGISTRY: dict[str, Profile] = {p.name: p for p in (DSMR4, DSMR5)}
DEFAULT = DSMR5


def register(profile: Profile) -> Profile:
    _REGISTRY[profile.name] = profile
    return profile


def get(name: str | Profile) -> Profile:
    if isinstance(name, Profile):
        return name
    try:
        return _REGISTRY[name.lower()]
    except KeyError:
        raise ProfileError(
            f"no profile {name!r}; known: {', '.join(sorted(_REGISTRY))}"
        ) from None


def names() -> list[str]:
    return sorted(_REGISTRY)


def all_profiles() -> list[Profile]:
    return [_REGISTRY[n] for n in names()]


def detect(tokens: Tokens) -> tuple[Profile, str]:
    """The family of a telegram and the reason, from its header and version objects."""
    for line in tokens.lines[:4]:
        if line.obis == "1-3:0.2.8" and line.groups:
            version = line.groups[0]
            for profile in _REGISTRY.values():
                for code, prefix in profile.version_objects:
                    if code == "1-3:0.2.8" and version.startswith(prefix):
                        return profile, f"1-3:0.2.8 is {version}"
    return DEFAULT, "no version object: DSMR 5 assumed"
