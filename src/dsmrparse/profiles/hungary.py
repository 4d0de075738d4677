"""Hungary: E.ON (Sagemcom and others): four tariffs, reactive energy and power per quadrant,
power factors, frequency, current limits and last month's billing row on ``0-0:98.1.0``."""

from __future__ import annotations

from .._kinds import COMPLEX, HEX_TEXT, QUANTITY
from ._converters import billing_row
from ._intl import (
    CURRENT_LIMITS,
    FREQUENCY,
    LOGICAL_DEVICE_NAME,
    POWER_FACTORS,
    QUADRANT_ENERGY,
    QUADRANT_POWER,
    REACTIVE_ENERGY,
    TOTALS,
)
from ._schema import Field, Profile, SerialSettings
from .dutch import (
    BREAKER,
    CURRENTS,
    LIMITER,
    POWER,
    TARIFF,
    TARIFF_ENERGY,
    TEXT_MESSAGE,
    TIMESTAMP_ROW,
    VOLTAGES,
)

_MORE_TARIFFS = [
    Field(
        f"1-0:{c}.8.{t}",
        f"electricity_{d}_tariff_{t}",
        QUANTITY,
        "kWh",
        f"energy {'taken from' if d == 'imported' else 'given to'} the grid, tariff {t}",
        f"EON_HU_ELECTRICITY_{'USED' if d == 'imported' else 'DELIVERED'}_TARIFF_{t}",
    )
    for c, d in ((1, "imported"), (2, "exported"))
    for t in (3, 4)
]
ABSOLUTE_TOTAL = Field(
    "1-0:15.8.0",
    "electricity_absolute_total",
    QUANTITY,
    "kWh",
    "imported plus exported energy (|A|)",
    "EON_HU_ELECTRICITY_COMBINED",
)
SERIAL = Field(
    "0-0:96.1.0", "serial_number", HEX_TEXT, None, "meter serial number", "EQUIPMENT_IDENTIFIER_GAS"
)
BILLING = Field(
    "0-0:98.1.0",
    "billing_row",
    COMPLEX,
    None,
    "registers at the end of last month: (time) then the values in order",
    "EON_HU_LAST_MONTH_DATA",
    billing_row,
)

_imp_total, _exp_total = TOTALS

HUNGARY = Profile(
    name="hungary",
    title="Hungary E.ON",
    fields=(
        TIMESTAMP_ROW,
        LOGICAL_DEVICE_NAME,
        SERIAL,
        TARIFF,
        BREAKER,
        LIMITER,
        _imp_total,
        *TARIFF_ENERGY[:2],
        *_MORE_TARIFFS[:2],
        _exp_total,
        *TARIFF_ENERGY[2:],
        *_MORE_TARIFFS[2:],
        *REACTIVE_ENERGY,
        *QUADRANT_ENERGY,
        ABSOLUTE_TOTAL,
        *VOLTAGES,
        *CURRENTS,
        *POWER_FACTORS,
        FREQUENCY,
        *POWER,
        *QUADRANT_POWER,
        *CURRENT_LIMITS,
        BILLING,
        TEXT_MESSAGE,
    ),
    timezone="Europe/Budapest",
    crc_required=True,
    serial=SerialSettings(115200, 8, "N", 1),
    country="HU",
    fingerprint=("1-0:1.8.3", "1-0:5.8.0"),
    notes="Four tariffs; the billing row's values follow the order of the registers above "
    "(energy, reactive energy, |A|, then demand maxima).",
)
