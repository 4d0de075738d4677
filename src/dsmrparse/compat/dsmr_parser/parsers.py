"""dsmr_parser's ``TelegramParser`` and line parsers, with dsmrparse doing the reading.

dsmrparse frames and tokenizes the telegram once (CRC included); each line is then routed to
the specification rows whose signature matches its OBIS code (decided once per code and
cached), and the row's value parser builds dsmr_parser's object from the line's groups.
"""

from __future__ import annotations

import logging
import re
from binascii import Error as HexError
from binascii import unhexlify
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from ... import parse as _parse
from ...errors import DecryptionError as _DsmrDecryptionError
from ...errors import DsmrError
from ...telegram import Telegram as _DsmrTelegram
from ...values import TimeContext, time_context
from .exceptions import DecryptionError, InvalidChecksumError, ParseError
from .objects import (
    CosemObject,
    MbusDevice,
    MBusObject,
    MBusObjectPeak,
    ProfileGenericObject,
    Telegram,
)
from .value_types import timestamp, timestamp_in

__all__ = [
    "TelegramParser",
    "DSMRObjectParser",
    "CosemParser",
    "MBusParser",
    "MaxDemandParser",
    "ProfileGenericParser",
    "ValueParser",
]

logger = logging.getLogger(__name__)

_AMSTERDAM = "Europe/Amsterdam"
_GROUP = re.compile(r"\(([^()]*)\)")
Spec = Mapping[str, Any]


class ValueParser:
    """One group: ``(002*A)`` -> ``{"value": 2, "unit": "A"}``; an empty group is None."""

    __slots__ = ("coerce_type", "_kind")

    def __init__(self, coerce_type: Any) -> None:
        self.coerce_type = coerce_type
        # the common types get a direct path; anything else is called as dsmr_parser does
        self._kind = {Decimal: "decimal", str: "str", int: "int", timestamp: "time"}.get(
            coerce_type, "call"
        )

    def convert(self, text: str | None, ctx: TimeContext) -> dict[str, Any]:
        unit = None
        if text and "*" in text:
            text, _, unit = text.partition("*")
        if text is None:
            return {"value": None, "unit": unit}
        kind = self._kind
        if kind == "str":
            return {"value": text, "unit": unit}
        if kind == "decimal":
            try:
                value = Decimal(text)
            except InvalidOperation:
                raise ParseError(f"not a number: {text!r}") from None
            if not value.is_finite():
                raise ParseError(f"not a number: {text!r}")
            return {"value": value, "unit": unit}
        if kind == "time":
            return {"value": timestamp_in(text, ctx), "unit": unit}
        try:
            return {"value": self.coerce_type(text), "unit": unit}
        except (ValueError, TypeError, ArithmeticError) as exc:
            raise ParseError(f"cannot read {text!r} as {self.coerce_type!r}: {exc}") from None

    def parse(self, value: str | None) -> dict[str, Any]:
        """dsmr_parser's entry: one group's text, timestamps read as Amsterdam time."""
        return self.convert(value, time_context(_AMSTERDAM))


_CODES: dict[str, tuple[int, int]] = {}


def _obis_id_code(obis: str) -> tuple[int, int]:
    """``"0-2:24.2.1"`` -> ``(0, 2)``: medium and channel, as dsmr_parser reads them."""
    code = _CODES.get(obis)
    if code is None:
        try:
            code = int(obis[0]), int(obis[2])
        except (ValueError, IndexError):
            raise ParseError(f"invalid OBIS id code in {obis!r}") from None
        if len(_CODES) < 4096:
            _CODES[obis] = code
    return code


class DSMRObjectParser:
    """Reads one line whose groups follow ``value_formats`` one to one."""

    def __init__(self, *value_formats: ValueParser) -> None:
        self.value_formats: Sequence[ValueParser] = value_formats

    def _values(self, groups: Sequence[str], ctx: TimeContext) -> list[dict[str, Any]]:
        formats = self.value_formats
        if not groups or len(groups) != len(formats):
            raise ParseError(
                f"{len(groups)} value group(s) where {type(self).__name__} expects {len(formats)}"
            )
        return [f.convert(g if g != "" else None, ctx) for f, g in zip(formats, groups)]

    def build(self, obis: str, groups: Sequence[str], ctx: TimeContext) -> Any:
        """The object for a line already split by dsmrparse (``obis`` canonical, raw groups)."""
        raise NotImplementedError

    def parse(self, line: str) -> Any:
        """dsmr_parser's entry: one line of text (``0-1:24.2.1(...)(...)``)."""
        obis = line.partition("(")[0].strip()
        return self.build(obis, _GROUP.findall(line), time_context(_AMSTERDAM))


class CosemParser(DSMRObjectParser):
    """``ID(value*unit)``: one value, maybe a unit."""

    def build(self, obis: str, groups: Sequence[str], ctx: TimeContext) -> CosemObject:
        formats = self.value_formats
        if len(groups) == 1 and len(formats) == 1:  # nearly every line: skip the general path
            text = groups[0]
            return CosemObject(_obis_id_code(obis), [formats[0].convert(text or None, ctx)])
        return CosemObject(_obis_id_code(obis), self._values(groups, ctx))


class MBusParser(DSMRObjectParser):
    """``ID(time)(value*unit)``, or DSMR 2.2's seven-group gas record."""

    def build(self, obis: str, groups: Sequence[str], ctx: TimeContext) -> MBusObject:
        return MBusObject(_obis_id_code(obis), self._values(groups, ctx))


class MaxDemandParser(DSMRObjectParser):
    """The Belgian 13-month peak history: ``(count)(id)(id)`` then (month)(when)(peak) rows."""

    def build(self, obis: str, groups: Sequence[str], ctx: TimeContext) -> list[MBusObjectPeak]:
        code = _obis_id_code(obis)
        try:
            count = int(groups[0])
        except (ValueError, IndexError):
            raise ParseError(f"peak history without a row count in {obis}") from None
        if len(groups) < 3 + 3 * count:
            raise ParseError(f"peak history of {obis} announces {count} rows, has fewer")
        when = ValueParser(timestamp)
        peak = ValueParser(Decimal)
        rows = []
        for i in range(1, count + 1):
            month, occurred, value = groups[3 * i : 3 * i + 3]
            rows.append(
                MBusObjectPeak(
                    code,
                    [
                        when.convert(month, ctx),
                        when.convert(occurred, ctx),
                        peak.convert(value, ctx),
                    ],
                )
            )
        return rows


class ProfileGenericParser(DSMRObjectParser):
    """The power-failure log: ``(n)(buffer id)`` then n (time)(value*unit) pairs."""

    def __init__(
        self,
        buffer_types: Mapping[str, Sequence[ValueParser]],
        head_parsers: Sequence[ValueParser],
        parsers_for_unidentified: Sequence[ValueParser],
    ) -> None:
        super().__init__(*head_parsers)
        self.buffer_types = buffer_types
        self.parsers_for_unidentified = parsers_for_unidentified

    def build(self, obis: str, groups: Sequence[str], ctx: TimeContext) -> ProfileGenericObject:
        code = _obis_id_code(obis)
        if len(groups) == 1 and groups[0] == "":  # "()" : an empty log
            return ProfileGenericObject(
                code, [{"value": 0, "unit": None}, {"value": None, "unit": None}]
            )
        if len(groups) < 2 or not (groups[0].isascii() and groups[0].isdigit()):
            raise ParseError(f"power failure log of {obis} does not start with its length")
        count = int(groups[0])
        if count > 10 or len(groups) != 2 * count + 2:
            raise ParseError(f"power failure log of {obis} announces {count} entries, has other")
        pair = self.buffer_types.get(groups[1], self.parsers_for_unidentified)
        formats = list(self.value_formats) + list(pair) * count
        return ProfileGenericObject(
            code, [f.convert(g if g != "" else None, ctx) for f, g in zip(formats, groups)]
        )


class TelegramParser:
    """Parse telegram text with a specification from :mod:`.telegram_specifications`."""

    def __init__(
        self, telegram_specification: Spec, apply_checksum_validation: bool = True
    ) -> None:
        self.apply_checksum_validation = apply_checksum_validation
        self.telegram_specification = telegram_specification
        self._rows: list[Mapping[str, Any]] = list(telegram_specification["objects"])
        self.telegram_specification_regexes = {
            row["obis_reference"]: re.compile(row["obis_reference"], re.DOTALL | re.MULTILINE)
            for row in self._rows
        }
        # OBIS code -> the rows that read it (see _route), decided on first sight
        self._routes: dict[str, tuple[tuple[int, str, str, Any, Any], ...]] = {}
        self._plans: dict[tuple[str, ...], _Plan | bool] = {}  # telegram layout -> its plan

    # ---- the public entry ---------------------------------------------------------------
    def parse(
        self,
        telegram_data: str | bytes,
        encryption_key: str | None = "",
        authentication_key: str | None = "",
        throw_ex: bool = False,
    ) -> Telegram:
        """One telegram (``/`` to ``!CRC``; for encrypted specs the hex of the DLMS frame).

        Raises :class:`InvalidChecksumError` for a bad CRC (where the spec checks it),
        :class:`ParseError` for a telegram that cannot be read, :class:`DecryptionError` for
        a frame the keys do not open. A line that cannot be read is logged and left out, or
        raised as :class:`ParseError` with ``throw_ex=True``.
        """
        spec = self.telegram_specification
        data: str | bytes = telegram_data
        if spec.get("general_global_cipher"):
            data = self._decrypt(telegram_data, encryption_key, authentication_key)
        try:
            parsed = _parse(data)  # the meter's family (and zone) is detected
        except DsmrError as exc:
            raise ParseError(f"not a telegram: {exc}") from exc
        except TypeError as exc:
            raise ParseError(str(exc)) from None
        return self.from_checked(parsed, throw_ex)

    def from_checked(self, parsed: _DsmrTelegram, throw_ex: bool = False) -> Telegram:
        """:meth:`from_dsmrparse` after the CRC check the specification asks for."""
        if self.apply_checksum_validation and self.telegram_specification.get("checksum_support"):
            _check_crc(parsed)
        return self.from_dsmrparse(parsed, throw_ex)

    def from_dsmrparse(self, parsed: _DsmrTelegram, throw_ex: bool = False) -> Telegram:
        """dsmr_parser's Telegram for a telegram dsmrparse has already read (the clients use it:
        a telegram from ``dsmrparse.open`` is not parsed twice)."""
        profile = parsed.profile_object
        ctx = time_context(profile.timezone, profile.dst_flags)
        entries = parsed.entries
        # a meter sends the same lines in the same order every time: the order of the objects,
        # the names and the MBus grouping are worked out once per layout (see _Plan)
        layout = tuple([entry.obis for entry in entries])
        plan = self._plans.get(layout)
        if plan is None:
            plan = self._plan(layout)
            if len(self._plans) >= _PLANS_KEPT:
                self._plans.clear()
            self._plans[layout] = plan
        if isinstance(plan, _Plan):
            telegram = _from_plan(plan, entries, ctx)
            if telegram is not None:
                return telegram
        return self._from_hits(entries, ctx, throw_ex)  # odd codes, or a line that failed

    def _hits(self, layout: Sequence[str]) -> list[tuple[int, tuple[int, str, str, Any, Any]]]:
        """(telegram position, row target) in dsmr_parser's order: by row, then by position."""
        routes = self._routes
        hits = []
        for position, obis in enumerate(layout):
            route = routes.get(obis)
            if route is None:
                route = routes[obis] = self._route(obis)
            for target in route:
                hits.append((target[0], position, target))
        hits.sort(key=_row_then_position)
        return [(position, target) for _, position, target in hits]

    def _plan(self, layout: tuple[str, ...]) -> _Plan | bool:
        """What :meth:`_from_hits` would do with a telegram of this layout, as a list of steps;
        False when a code is odd (the general path then says so)."""
        steps = []
        names: list[str] = []
        references: set[str] = set()
        for position, (_, reference, name, parser, fast) in self._hits(layout):
            try:
                medium, channel = _obis_id_code(layout[position])
            except ParseError:
                return False
            mbus = medium == 0 and channel != 0 and not isinstance(parser, MaxDemandParser)
            if mbus:
                if "MBUS_DEVICES" not in names:
                    names.append("MBUS_DEVICES")
            elif name not in names:
                names.append(name)
            steps.append(
                (
                    position,
                    reference,
                    name,
                    parser,
                    fast,
                    (medium, channel),
                    channel if mbus else 0,
                    reference not in references,
                )
            )
            references.add(reference)
        return _Plan(tuple(steps), tuple(names))

    def _from_hits(self, entries: Sequence[Any], ctx: TimeContext, throw_ex: bool) -> Telegram:
        """The general path: each line in dsmr_parser's order through Telegram.add."""
        telegram = Telegram()
        add = telegram.add
        for position, (_, reference, name, parser, fast) in self._hits(
            [entry.obis for entry in entries]
        ):
            entry = entries[position]
            try:
                obj = _line_object(parser, fast, entry, ctx)
            except ParseError as exc:
                logger.error("ignore line %d (%s): %s", entry.line, name, exc.message)
                if throw_ex:
                    raise ParseError(
                        f"line {entry.line} ({entry.obis}): {exc.message}", line=entry.line
                    ) from None
                continue
            add(reference, obj, name)
        return telegram

    def _route(self, obis: str) -> tuple[tuple[int, str, str, Any, Any], ...]:
        """The rows whose signature matches a line with this code: (index, reference, name,
        parser). A stand-in line is matched: the signatures look at the code, then at any text
        up to the line end (two line ends for DSMR 2.2's gas record)."""
        line = f"{obis}(0)\r\n(0)\r\n"
        regexes = self.telegram_specification_regexes
        return tuple(
            (
                i,
                row["obis_reference"],
                row["value_name"],
                row["value_parser"],
                _fast_kind(row["value_parser"]),
            )
            for i, row in enumerate(self._rows)
            if regexes[row["obis_reference"]].match(line)
        )

    def _decrypt(self, telegram_data: str | bytes, key: str | None, auth_key: str | None) -> bytes:
        from ...crypto import decrypt

        try:
            frame = unhexlify(telegram_data)
            enc_key = unhexlify(key or "")
            security = _security_byte(frame)
            if security is not None and security != _ENCRYPTED_AUTHENTICATED:
                raise UnsupportedSecurityError(
                    f"security byte 0x{security:02X}: only 0x30 (encrypted and authenticated) "
                    "frames are supported"
                )
            if auth_key is None:  # dsmr_parser's opt-in: no tag check, the CRC guards
                return decrypt(frame, enc_key, None, verify=False)
            auth = auth_key or self.telegram_specification.get("authentication_key", "")
            return decrypt(frame, enc_key, unhexlify(auth) or None)
        except UnsupportedSecurityError:
            raise
        except (HexError, ValueError) as exc:
            raise DecryptionError(f"not a hex frame or key: {exc}") from None
        except _DsmrDecryptionError as exc:
            raise DecryptionError(f"Failed to decrypt telegram: {exc.message}") from None

    # ---- dsmr_parser's static helpers ---------------------------------------------------
    @staticmethod
    def validate_checksum(telegram: str | bytes) -> None:
        """Raise :class:`InvalidChecksumError` unless the CRC after ``!`` matches, and
        :class:`ParseError` when there is none (or no telegram)."""
        try:
            parsed = _parse(telegram)
        except DsmrError as exc:
            raise ParseError(f"not a telegram: {exc}") from exc
        _check_crc(parsed)

    @staticmethod
    def crc16(telegram: str | bytes) -> int:
        """CRC16/ARC of the text (from ``/`` through ``!``, as the meter computes it)."""
        from ... import _impl

        data = telegram.encode("latin-1") if isinstance(telegram, str) else bytes(telegram)
        return int(_impl.current.crc16(data))


_PLANS_KEPT = 64  # layouts remembered per parser (a meter has one or two)


class _Plan(NamedTuple):
    # (position, reference, name, parser, fast kind, (medium, channel), MBus channel or 0,
    # first line of its reference)
    steps: tuple[tuple[int, str, str, Any, Any, tuple[int, int], int, bool], ...]
    names: tuple[str, ...]  # the Telegram's names in iteration order


def _line_object(
    parser: Any, fast: Any, entry: Any, ctx: TimeContext, code: tuple[int, int] | None = None
) -> Any:
    """One line's object; ``fast`` (see _fast_kind) takes the one-group Cosem case directly."""
    raw = entry.raw
    if fast is None or len(raw) != 1:
        return parser.build(entry.obis, raw, ctx)
    text: str | None = raw[0] or None
    unit = None
    if text and "*" in text:
        text, _, unit = text.partition("*")
    if text is None or fast == "str":
        value: Any = text
    elif fast == "decimal":  # dsmrparse has read the number already
        value = entry.value if type(entry.value) is Decimal else _decimal(text)
    elif fast == "int":
        value = _int(text)
    else:
        value = fast.convert(text, ctx)["value"]
    if code is None:
        code = _obis_id_code(entry.obis)
    return CosemObject(code, [{"value": value, "unit": unit}])


def _from_plan(plan: _Plan, entries: Sequence[Any], ctx: TimeContext) -> Telegram | None:
    """Follow a plan: what Telegram.add would do, without deciding it again per line. None when
    a line fails (the general path then logs it, or raises it)."""
    telegram = Telegram()
    attributes = telegram.__dict__
    store = dict.__setitem__
    devices: dict[int, MbusDevice] = {}
    for position, reference, name, parser, fast, code, channel, first in plan.steps:
        try:
            obj = _line_object(parser, fast, entries[position], ctx, code)
        except ParseError:
            return None
        attributes[name] = obj
        if channel:
            device = devices.get(channel)
            if device is None:
                device = devices[channel] = MbusDevice(channel)
                telegram._mbus_devices.append(device)
            device.add(None, obj, name)
        if first:
            store(telegram, reference, obj)
    telegram._item_names.extend(plan.names)
    telegram._named.update(plan.names)
    if devices:
        attributes["MBUS_DEVICES"] = telegram._mbus_devices
    return telegram


def _fast_kind(parser: Any) -> Any:
    """For a plain one-group CosemParser: "str", "decimal", or the ValueParser itself (int,
    timestamp, other types); None for anything else, which goes through ``parser.build``."""
    if type(parser) is not CosemParser or len(parser.value_formats) != 1:
        return None
    value_parser = parser.value_formats[0]
    kind = value_parser._kind
    return kind if kind in ("str", "decimal", "int") else value_parser


def _decimal(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ParseError(f"not a number: {text!r}") from None
    if not value.is_finite():
        raise ParseError(f"not a number: {text!r}")
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ParseError(f"not an integer: {text!r}") from None


def _row_then_position(hit: tuple[int, int, Any]) -> tuple[int, int]:
    return hit[0], hit[1]


_ENCRYPTED_AUTHENTICATED = 0x30


class UnsupportedSecurityError(DecryptionError, ValueError):
    """A frame only authenticated, or only encrypted: dsmr_parser (dlms_cosem) raises a
    ValueError for these, so this is both."""


def _security_byte(frame: bytes) -> int | None:
    """The security control byte of a general-global-cipher frame: after the tag, the system
    title (length-prefixed) and the length field (short form, or 0x81/0x82 and 1-2 bytes)."""
    if len(frame) < 2 or frame[0] != 0xDB:
        return None
    pos = 2 + frame[1]
    if len(frame) <= pos:
        return None
    first = frame[pos]
    pos += 1 if first < 0x80 else 1 + (first & 0x7F)
    return frame[pos] if len(frame) > pos else None


def _check_crc(parsed: _DsmrTelegram) -> None:
    if parsed.crc == "absent":
        raise ParseError(
            "Failed to perform CRC validation because the telegram is incomplete: "
            "no checksum after '!'"
        )
    if parsed.crc == "bad":
        raise InvalidChecksumError(
            f"Invalid telegram. The CRC checksum '{parsed.crc_computed}' does not match the "
            f"expected '{parsed.crc_given}'"
        )
