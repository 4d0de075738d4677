"""Germany: EasyMeter Q3D behind a COM-1 style gateway: OBIS codes with a ``*255`` suffix, powers
in W, no CRC, and gateway bytes (a counter, padding) after the ``!`` line."""

from __future__ import annotations

from .._kinds import TEXT
from ._intl import TOTALS
from ._schema import Field, Profile, SerialSettings
from .dutch import PHASE_POWER, POWER

Q3D = Profile(
    name="q3d",
    title="EasyMeter Q3D (Germany)",
    fields=(
        Field(
            "1-0:0.0.0", "device_address", TEXT, None, "device address", "Q3D_EQUIPMENT_IDENTIFIER"
        ),
        *TOTALS,
        *[f._replace(unit="W") for f in PHASE_POWER[:3]],
        POWER[0]._replace(unit="W"),
        Field(
            "1-0:96.5.5",
            "device_state",
            TEXT,
            None,
            "device state (hexadecimal flags)",
            "Q3D_EQUIPMENT_STATE",
        ),
        Field(
            "0-0:96.1.255",
            "serial_number",
            TEXT,
            None,
            "meter serial number",
            "Q3D_EQUIPMENT_SERIALNUMBER",
        ),
    ),
    timezone="Europe/Berlin",
    crc_required=False,
    serial=SerialSettings(9600, 7, "E", 1),
    country="DE",
    header_prefixes=("ESY5Q3D",),
    gateway_trailer=True,  # the gateway adds its own line and 0xFF padding after "!"
    notes="No CRC; the gateway appends a counter and padding after '!', which is ignored. "
    "Powers are signed on some models.",
)
