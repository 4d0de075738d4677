"""Opening DLMS general-global-cipher frames (``0xDB``), as Luxembourg and Austrian meters send.

Frame layout: ``0xDB``, systitle length (8), systitle, a BER length, the security byte (``0x30``:
authenticated and encrypted), a 4-byte frame counter, the ciphertext, a 12-byte GCM tag. The IV is
systitle + frame counter; the additional authenticated data is the security byte followed by the
authentication key. Without an authentication key, both the security byte alone and empty data are
tried, since meters and tools differ there.

``cryptography`` is an optional extra (``pip install dsmrparse[crypto]``), imported on first use.
"""

from __future__ import annotations

from typing import Any

from .errors import DecryptionError

__all__ = ["decrypt", "parse_frame", "CipherFrame"]

TAG = 0xDB
SECURITY_ENCRYPTED_AUTHENTICATED = 0x30
TAG_LENGTH = 12


class CipherFrame:
    """The parts of a general-global-cipher frame."""

    __slots__ = ("systitle", "security", "frame_counter", "ciphertext", "tag")

    def __init__(
        self, systitle: bytes, security: int, frame_counter: bytes, ciphertext: bytes, tag: bytes
    ) -> None:
        self.systitle = systitle
        self.security = security
        self.frame_counter = frame_counter
        self.ciphertext = ciphertext
        self.tag = tag

    @property
    def iv(self) -> bytes:
        return self.systitle + self.frame_counter


def parse_frame(frame: bytes) -> CipherFrame:
    """Split a frame into its parts; :class:`DecryptionError` when it is not well formed."""
    frame = bytes(frame)
    if len(frame) < 11 or frame[0] != TAG:
        raise DecryptionError("not a DLMS general-global-cipher frame (must start with 0xDB)")
    size = frame[1]
    if size != 8:
        raise DecryptionError(f"systitle length is {size}, expected 8", offset=1)
    systitle = frame[2:10]
    pos = 10
    first = frame[pos]
    if first < 0x80:
        length, pos = first, pos + 1
    else:
        width = first & 0x7F
        if width not in (1, 2) or len(frame) < pos + 1 + width:
            raise DecryptionError("bad length field in the frame header", offset=pos)
        length = int.from_bytes(frame[pos + 1 : pos + 1 + width], "big")
        pos += 1 + width
    body = frame[pos : pos + length]
    if len(body) < length:
        raise DecryptionError(
            f"frame is truncated: header announces {length} bytes, {len(body)} present",
            offset=pos,
        )
    if length < 5 + TAG_LENGTH:
        raise DecryptionError(f"frame too short to hold a ciphertext and tag ({length} bytes)")
    security = body[0]
    if security != SECURITY_ENCRYPTED_AUTHENTICATED:
        raise DecryptionError(
            f"security byte is 0x{security:02X}; only 0x30 (encrypted and authenticated) is known",
            offset=pos,
        )
    return CipherFrame(systitle, security, body[1:5], body[5:-TAG_LENGTH], body[-TAG_LENGTH:])


def _key_bytes(key: bytes | str, what: str) -> bytes:
    if isinstance(key, str):
        try:
            key = bytes.fromhex(key.strip())
        except ValueError:
            raise DecryptionError(f"{what} is not hex text") from None
    key = bytes(key)
    if len(key) != 16:
        raise DecryptionError(f"{what} must be 16 bytes (32 hex digits), got {len(key)} bytes")
    return key


def _backend() -> Any:
    try:
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    except ImportError:  # pragma: no cover - depends on the installation
        raise DecryptionError(
            "decryption needs the 'cryptography' package: pip install dsmrparse[crypto]"
        ) from None
    return Cipher, algorithms, modes


def decrypt(
    frame: bytes,
    key: bytes | str,
    auth_key: bytes | str | None = None,
    verify: bool = True,
) -> bytes:
    """The plaintext telegram inside an encrypted frame.

    ``key`` and ``auth_key`` are 16 bytes or 32 hex digits. With ``verify=False`` the GCM tag is
    not checked (for meters whose authentication key is unknown): the plaintext telegram's own CRC
    is then the integrity check. Wrong keys, a bad tag or a malformed frame raise
    :class:`DecryptionError`.
    """
    parts = parse_frame(frame)
    cipher_key = _key_bytes(key, "key")
    security = bytes([parts.security])
    # without an authentication key, meters seal with the security byte alone or with no
    # additional data at all: both are seen in the field
    aads = [security + _key_bytes(auth_key, "auth_key")] if auth_key else [security, b""]
    Cipher, algorithms, modes = _backend()
    if verify:
        for aad in aads:
            mode = modes.GCM(parts.iv, parts.tag, min_tag_length=TAG_LENGTH)
            decryptor = Cipher(algorithms.AES(cipher_key), mode).decryptor()
            decryptor.authenticate_additional_data(aad)
            try:
                return decryptor.update(parts.ciphertext) + decryptor.finalize()
            except Exception:  # cryptography's InvalidTag: try the next AAD
                continue
        raise DecryptionError(
            "authentication failed: wrong key or authentication key, or a damaged frame"
        )
    # GCM encrypts with AES-CTR starting at counter 2 (counter 1 masks the tag)
    counter = parts.iv + (2).to_bytes(4, "big")
    decryptor = Cipher(algorithms.AES(cipher_key), modes.CTR(counter)).decryptor()
    plain = decryptor.update(parts.ciphertext) + decryptor.finalize()
    if not plain.startswith(b"/"):
        raise DecryptionError("decrypted data is not a telegram: wrong key?")
    return plain
