"""dsmr_parser's serial settings (pyserial's constants are these plain values)."""

from __future__ import annotations

from typing import Any

_COMMON: dict[str, Any] = {"stopbits": 1, "xonxoff": 0, "rtscts": 0, "timeout": 20}

SERIAL_SETTINGS_V2_2: dict[str, Any] = {"baudrate": 9600, "bytesize": 7, "parity": "E", **_COMMON}
SERIAL_SETTINGS_V4: dict[str, Any] = {"baudrate": 115200, "bytesize": 7, "parity": "E", **_COMMON}
SERIAL_SETTINGS_V5: dict[str, Any] = {"baudrate": 115200, "bytesize": 8, "parity": "N", **_COMMON}


def setting_text(settings: dict[str, Any]) -> str:
    """dsmr_parser's settings dict as dsmrparse's ``serial`` option (``"115200 8N1"``)."""
    return (
        f"{settings.get('baudrate', 115200)} {settings.get('bytesize', 8)}"
        f"{settings.get('parity', 'N')}{settings.get('stopbits', 1)}"
    )
