"""The telegrams dsmr_parser's tests import, read from dsmrparse's fixtures.

``DSMRPARSE_FIXTURES`` names the fixtures folder (the runner sets it). Each constant is the
fixture's text (latin-1, byte for byte), except TELEGRAM_LUXEMBOURG_SMARTY: the peer's own
Smarty telegram is in neither the sdist nor our corpus, so a Luxembourg specification example
stands in (line ends made CRLF, CRC recomputed to match); tests that check its values are in
the expected-to-differ list.
"""

import os
from pathlib import Path

_ROOT = Path(os.environ["DSMRPARSE_FIXTURES"])


def _text(path: str) -> str:
    return (_ROOT / path).read_bytes().decode("latin-1")


def _with_crc(text: str) -> str:
    """CRLF line ends and a CRC that matches them (CRC16/ARC over '/' through '!')."""
    body = text.replace("\r\n", "\n").replace("\n", "\r\n")
    body = body[: body.index("!") + 1]
    crc = 0
    for byte in body.encode("latin-1"):
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return f"{body}{crc:04X}\r\n"


TELEGRAM_V2_2 = _text("nl/dsmr22_iskra_mt382.txt")
TELEGRAM_V3 = _text("nl/dsmr30_iskra_mt382_text_message.txt")
TELEGRAM_V4_2 = _text("nl/dsmr42_kaifa.txt")
TELEGRAM_V5 = _text("nl/dsmr50_iskra_mt382.txt")
TELEGRAM_V5_TWO_MBUS = _text("nl/dsmr50_iskra_am550_dead_mbus1.txt")
TELEGRAM_UNPADDED_CRC = _text("nl/heat_warmtelink_unpadded_crc.txt")
TELEGRAM_FLUVIUS_V171 = _text("be/fluvius_emucs171.txt")
TELEGRAM_FLUVIUS_V171_ALT = _text("be/fluvius_emucs171_sentinel.txt")
TELEGRAM_ISKRA_IE = _text("be/iskra_ie5.txt")
TELEGRAM_V5_EON_HU = _text("hu/eon_sagemcom.txt")
TELEGRAM_SAGEMCOM_T210_D_R = _text("at/sagemcom_t210dr_plaintext.txt")
TELEGRAM_ESY5Q3DB1024_V304 = _text("de/easymeter_q3db1024.txt")
TELEGRAM_ESY5Q3DA1004_V304 = _text("de/easymeter_q3da1004.txt")
TELEGRAM_LUXEMBOURG_SMARTY = _with_crc(_text("athom/dsmr-luxembourgh-spec-example.txt"))
