"""What a source address names, checked before anything connects.

A wrong address must fail at once with the right form in the message, not retry for ever: a
missing port, a bad port, an empty host, an unknown scheme. ``tcp://`` is accepted as another
spelling of ``socket://`` (``dsmrparse simulate`` and many bridge manuals write it that way).
"""

from __future__ import annotations

import os
import re
import stat
from typing import NamedTuple
from urllib.parse import urlsplit

from ..errors import SourceError

__all__ = ["Address", "AddressError", "parse_address", "FORMS"]

FORMS = (
    "/dev/ttyUSB0 (or COM3), socket://HOST:PORT (also tcp://HOST:PORT), rfc2217://HOST:PORT, "
    "http://HOST or a bridge's endpoint URL, https://HOST (HomeWizard API v2), ws://HOST, "
    "a file, or - for standard input"
)

# pyserial URL handlers that need no host:port of ours to check
_PYSERIAL_OTHER = ("loop", "spy", "alt", "hwgrep", "cp2110")


class AddressError(SourceError, ValueError):
    """The source address is malformed: nothing was tried. ``dsmrparse read`` exits with 2."""


class Address(NamedTuple):
    kind: str  # "serial", "socket", "rfc2217", "http", "ws" or "file"
    spec: str  # the address as it is used (tcp:// spelled socket://)
    host: str | None = None
    port: int | None = None


def _fail(spec: str, what: str, form: str) -> AddressError:
    return AddressError(f"{spec!r}: {what}; use {form}")


def _host_port(spec: str, scheme: str, need_port: bool) -> tuple[str, int | None]:
    form = f"{scheme}://HOST:PORT" if need_port else f"{scheme}://HOST[:PORT]"
    parts = urlsplit(spec)
    netloc = parts.netloc.rpartition("@")[2]
    host = parts.hostname
    if not host:
        raise _fail(spec, "no host", form)
    if netloc.startswith("["):  # an IPv6 literal: the port, if any, follows "]:"
        port_text = netloc.partition("]")[2].removeprefix(":")
        has_colon = "]:" in netloc
    else:
        port_text = netloc.rpartition(":")[2] if ":" in netloc else ""
        has_colon = ":" in netloc
    if not has_colon:
        if need_port:
            raise _fail(spec, "no port", form)
        return host, None
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise _fail(spec, f"port {port_text!r} is not a number from 1 to 65535", form)
    return host, int(port_text)


def parse_address(spec: str) -> Address:
    """The kind of source ``spec`` names; :class:`AddressError` when it is malformed."""
    if not spec or not spec.strip():
        raise AddressError(f"an empty source address; use {FORMS}")
    match = re.match(r"([A-Za-z][A-Za-z0-9+.-]*)://", spec)
    if match is None:
        return Address(_local_kind(spec), spec)
    scheme = match.group(1).lower()
    if scheme == "tcp":
        spec = "socket://" + spec[match.end() :]
        scheme = "socket"
    if scheme in ("socket", "rfc2217"):
        host, port = _host_port(spec, scheme, need_port=True)
        return Address(scheme, spec, host, port)
    if scheme in ("http", "https"):
        host, port = _host_port(spec, scheme, need_port=False)
        return Address("http", spec, host, port)
    if scheme in ("ws", "wss"):
        host, port = _host_port(spec, scheme, need_port=False)
        return Address("ws", spec, host, port)
    if scheme in _PYSERIAL_OTHER:
        return Address("serial", spec)
    raise AddressError(f"{spec!r}: unknown scheme {scheme + '://'!r}; use {FORMS}")


def _local_kind(spec: str) -> str:
    if spec == "-":
        return "file"
    if re.fullmatch(r"(?i)com\d+|\\\\\.\\com\d+", spec):
        return "serial"
    try:
        mode = os.stat(spec).st_mode
    except OSError:
        return "serial" if spec.startswith("/dev/") else "file"
    return "serial" if stat.S_ISCHR(mode) else "file"
