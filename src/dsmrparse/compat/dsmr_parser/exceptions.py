"""dsmr_parser's exceptions. Each is also a :class:`dsmrparse.DsmrError`, so code written for
either library catches them; like dsmr_parser's they accept any positional arguments."""

from __future__ import annotations

from typing import Any

from ... import errors


class _Compat(errors.DsmrError):
    def __init__(self, *args: Any, **where: Any) -> None:
        # dsmr_parser raises these with printf-style extra arguments: keep them in ``args``
        super().__init__(str(args[0]) if args else "", **where)
        self.args = args


class ParseError(_Compat):
    """A telegram or one of its lines could not be read."""

    kind = "syntax"


class InvalidChecksumError(ParseError):
    """The CRC after ``!`` does not match the telegram."""

    kind = "crc"


class DecryptionError(_Compat, errors.DecryptionError):
    """An encrypted frame could not be opened with the keys given.

    Not a ParseError, as in dsmr_parser: a wrong key fails every telegram the same way, so a
    reader should stop rather than skip telegram after telegram.
    """

    kind = "decryption"
