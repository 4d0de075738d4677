"""Seal a telegram in a DLMS general-global-cipher frame, as the peer's tests need.

Frame: 0xDB, system title length and title, 0x82 and a two-byte length, then the security byte
0x30 (encrypted and authenticated), the invocation counter, the ciphertext and a 12-byte
AES-GCM tag. IV = system title + counter; AAD = security byte + authentication key.
"""

from binascii import unhexlify

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SECURITY = 0x30
SYSTEM_TITLE = b"SYSTEMID"


def build_general_global_cipher_frame(
    telegram, encryption_key, authentication_key, invocation_counter=0x10000001
):
    plain = telegram.encode("latin-1") if isinstance(telegram, str) else bytes(telegram)
    counter = invocation_counter.to_bytes(4, "big")
    sealed = AESGCM(unhexlify(encryption_key)).encrypt(
        SYSTEM_TITLE + counter, plain, bytes([SECURITY]) + unhexlify(authentication_key)
    )
    sealed = sealed[:-16] + sealed[-16:-4]  # DLMS keeps the first 12 bytes of the tag
    body = bytes([SECURITY]) + counter + sealed
    return (
        bytes([0xDB, len(SYSTEM_TITLE)])
        + SYSTEM_TITLE
        + b"\x82"
        + len(body).to_bytes(2, "big")
        + body
    )
