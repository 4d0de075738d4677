"""Switzerland: Sagemcom XT211 and similar meters (Groupe E and others). Energy and power registers
come on measurement channel 1 (``1-1:1.8.1``); a month peak and a peak history as in Belgium."""

from __future__ import annotations

from .._kinds import TEXT
from ._schema import Field, Profile, SerialSettings
from .belgium import AVERAGE_DEMAND, EAN, EMUCS_VERSION, MONTH_PEAK, PEAK_HISTORY
from .dutch import (
    CURRENTS,
    FAILURES,
    PHASE_POWER,
    POWER,
    SAGS_SWELLS,
    TARIFF,
    TARIFF_ENERGY,
    TEXT_CODE,
    TEXT_MESSAGE,
    TIMESTAMP_ROW,
    VOLTAGES,
)


def _channel_1(rows: list[Field]) -> list[Field]:
    return [f._replace(obis=f.obis.replace("1-0:", "1-1:", 1)) for f in rows]


DEVICE_ADDRESS = Field("0-0:0.0.0", "device_address", TEXT, None, "device address", None)

SWISS = Profile(
    name="swiss",
    title="Switzerland (Sagemcom XT211)",
    fields=(
        TIMESTAMP_ROW,
        DEVICE_ADDRESS,
        *_channel_1([*TARIFF_ENERGY]),
        TARIFF,
        *_channel_1([*POWER]),
        *FAILURES,
        *SAGS_SWELLS,
        *VOLTAGES,
        *CURRENTS,
        TEXT_MESSAGE,
        EMUCS_VERSION._replace(description="P1 version information"),
        EAN._replace(description="meter serial number or EAN"),
        *PHASE_POWER,
        TEXT_CODE,
        *_channel_1([MONTH_PEAK]),
        PEAK_HISTORY,
        AVERAGE_DEMAND,
    ),
    timezone="Europe/Zurich",
    crc_required=True,
    serial=SerialSettings(115200, 8, "N", 1),
    country="CH",
    header_prefixes=("GRE5",),
    fingerprint=("1-1:1.8.1",),
    notes="Registers on channel 1-1; 0-0:98.1.0 may carry only the number of months.",
)
