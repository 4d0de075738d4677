"""``--key`` / ``--auth-key`` of the ``dsmrparse`` commands, and their environment variables
(so that a key need not stand in the shell's history)."""

from __future__ import annotations

import argparse
import os

KEY_ENV = "DSMRPARSE_KEY"
AUTH_KEY_ENV = "DSMRPARSE_AUTH_KEY"


def add_key_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--key",
        metavar="HEX",
        help=f"AES key (32 hex digits) of an encrypted meter (DLMS frames, e.g. Luxembourg, "
        f"Austria); default: ${KEY_ENV}",
    )
    parser.add_argument(
        "--auth-key",
        metavar="HEX",
        help=f"its authentication key, where the meter uses one; default: ${AUTH_KEY_ENV}",
    )


def keys_of(args: argparse.Namespace) -> tuple[str | None, str | None]:
    """(key, auth_key) from the options, else the environment; checked here so that a bad key
    is a usage error before any input is read (ValueError says which and why)."""
    from .crypto import _key_bytes
    from .errors import DecryptionError

    key = getattr(args, "key", None) or os.environ.get(KEY_ENV) or None
    auth = getattr(args, "auth_key", None) or os.environ.get(AUTH_KEY_ENV) or None
    if auth is not None and key is None:
        raise ValueError(f"--auth-key (${AUTH_KEY_ENV}) needs --key (${KEY_ENV}) too")
    for value, what in ((key, "--key"), (auth, "--auth-key")):
        if value is not None:
            try:
                _key_bytes(value, what)
            except DecryptionError as exc:
                raise ValueError(str(exc)) from None
    return key, auth
