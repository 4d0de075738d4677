"""Encrypted DLMS general-global-cipher frames: with and without the tag check, wrong keys."""

from __future__ import annotations

import pytest

import dsmrparse
from conftest import fixture_bytes
from dsmrparse import DecryptionError

pytest.importorskip("cryptography")

AT_KEY = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
AT_AUTH = "00112233445566778899AABBCCDDEEFF"
LU_KEY = "0123456789abcdef0123456789abcdef"
LU_AUTH = "ffeeddccbbaa99887766554433221100"


def hex_dump(relative: str) -> bytes:
    return bytes.fromhex(fixture_bytes(relative).decode("ascii"))


def test_austrian_frame_with_tag(twin: str) -> None:
    plain = dsmrparse.decrypt(fixture_bytes("at/sagemcom_t210dr_encrypted.bin"), AT_KEY, AT_AUTH)
    assert plain == fixture_bytes("at/sagemcom_t210dr_plaintext.txt")


def test_austrian_frame_without_tag_check(twin: str) -> None:
    frame = fixture_bytes("at/sagemcom_t210dr_encrypted.bin")
    plain = dsmrparse.decrypt(frame, bytes.fromhex(AT_KEY), verify=False)
    assert plain == fixture_bytes("at/sagemcom_t210dr_plaintext.txt")
    # the telegram's own CRC is then the integrity check
    assert dsmrparse.parse(plain).crc == "ok"


def test_parse_opens_an_encrypted_frame(twin: str) -> None:
    t = dsmrparse.parse(
        fixture_bytes("at/sagemcom_t210dr_encrypted.bin"), key=AT_KEY, auth_key=AT_AUTH
    )
    assert t.profile == "austria" and t.crc == "ok" and t.problems == ()
    assert t["electricity_imported_total"] == 6545766


def test_luxembourg_frames_with_and_without_authentication_key(twin: str) -> None:
    with_aad = dsmrparse.decrypt(
        hex_dump("athom/encrypted/dsmr-luxembourgh-spec-example-with-aad.txt"), LU_KEY, LU_AUTH
    )
    without = dsmrparse.decrypt(
        hex_dump("athom/encrypted/dsmr-luxembourgh-spec-example-without-aad.txt"), LU_KEY
    )
    assert with_aad == without
    t = dsmrparse.parse(with_aad)
    # the specification example was sealed with its stale CRC
    assert t.profile == "luxembourg" and t.crc == "bad"
    plain = dsmrparse.parse(fixture_bytes("athom/dsmr-luxembourgh-spec-example.txt"))
    assert [e.raw for e in t.entries] == [e.raw for e in plain.entries]


def test_wrong_key_is_a_clear_error(twin: str) -> None:
    frame = fixture_bytes("at/sagemcom_t210dr_encrypted.bin")
    with pytest.raises(DecryptionError, match="authentication failed"):
        dsmrparse.decrypt(frame, "BB" * 16, AT_AUTH)
    with pytest.raises(DecryptionError, match="authentication failed"):
        dsmrparse.parse(frame, key="BB" * 16, auth_key=AT_AUTH)
    with pytest.raises(DecryptionError, match="not a telegram"):
        dsmrparse.decrypt(frame, "BB" * 16, verify=False)


def test_wrong_authentication_key(twin: str) -> None:
    frame = fixture_bytes("at/sagemcom_t210dr_encrypted.bin")
    with pytest.raises(DecryptionError):
        dsmrparse.decrypt(frame, AT_KEY, "00" * 16)


def test_damaged_tag(twin: str) -> None:
    frame = bytearray(fixture_bytes("at/sagemcom_t210dr_encrypted.bin"))
    frame[-1] ^= 0x01
    with pytest.raises(DecryptionError):
        dsmrparse.decrypt(bytes(frame), AT_KEY, AT_AUTH)
    # without the tag check the plaintext still comes out (the CRC vouches for it)
    assert dsmrparse.decrypt(bytes(frame), AT_KEY, verify=False).startswith(b"/EST5")


@pytest.mark.parametrize(
    "frame, message",
    [
        (b"", "0xDB"),
        (b"/ISK5 not encrypted", "0xDB"),
        (b"\xdb\x07" + b"\x00" * 20, "systitle length"),
        (b"\xdb\x08SYSTITLE\x82\x01\xf2\x30", "truncated"),
        (b"\xdb\x08SYSTITLE\x20\x10" + b"\x00" * 31, "security byte"),
    ],
)
def test_malformed_frames(twin: str, frame: bytes, message: str) -> None:
    with pytest.raises(DecryptionError, match=message):
        dsmrparse.decrypt(frame, AT_KEY)


def test_bad_keys(twin: str) -> None:
    frame = fixture_bytes("at/sagemcom_t210dr_encrypted.bin")
    with pytest.raises(DecryptionError, match="16 bytes"):
        dsmrparse.decrypt(frame, "AABB")
    with pytest.raises(DecryptionError, match="hex"):
        dsmrparse.decrypt(frame, "not a key at all, not hex!!")


def test_encrypted_frame_without_a_key(twin: str) -> None:
    with pytest.raises(DecryptionError, match="a key is needed"):
        dsmrparse.parse(fixture_bytes("at/sagemcom_t210dr_encrypted.bin"))
