"""Luxembourg: Smarty meters (Creos), a DSMR 4.2/5 telegram with totals instead of tariffs,
reactive and apparent power, relays per MBus channel and extra message lines. Often delivered
encrypted (see :mod:`dsmrparse.crypto`)."""

from __future__ import annotations

from .._kinds import COMPLEX, HEX_TEXT
from ._converters import quantity_list
from ._intl import (
    APPARENT_POWER,
    LOGICAL_DEVICE_NAME,
    REACTIVE_ENERGY,
    REACTIVE_POWER,
    REACTIVE_POWER_PHASES,
    TOTALS,
)
from ._schema import Field
from .belgium import MBUS_SWITCH
from .dutch import BREAKER, DSMR5, LIMITER, MBUS_VALVE, TARIFF, TARIFF_ENERGY

MESSAGES = [
    Field(f"0-0:96.13.{n}", f"text_message_{n}", HEX_TEXT, None, f"text message line {n}", None)
    for n in (2, 3, 4, 5)
]
CURRENT_LIMITS = Field(
    "1-1:31.4.0",
    "current_limits",
    COMPLEX,
    "A",
    "current limits of the meter's breaker (upper, lower)",
    None,
    quantity_list,
)

LUXEMBOURG = DSMR5.extend(
    "luxembourg",
    "Luxembourg Smarty (Creos)",
    add=[
        LOGICAL_DEVICE_NAME,
        *TOTALS,
        *REACTIVE_ENERGY,
        *REACTIVE_POWER,
        LIMITER._replace(unit="kVA", description="threshold of the load limiter (apparent power)"),
        *APPARENT_POWER,
        CURRENT_LIMITS,
        BREAKER,
        MBUS_SWITCH,
        *MESSAGES,
        *REACTIVE_POWER_PHASES,
        MBUS_VALVE,
    ],
    remove=[f.obis for f in (*TARIFF_ENERGY, TARIFF)],
    timezone="Europe/Luxembourg",
    country="LU",
    header_prefixes=("LUX5",),
    version_objects=(),
    fingerprint=("0-0:42.0.0", "1-3:0.2.8", "1-0:1.8.0"),
    notes="Totals only (no tariff registers); limiter in kVA; frames may be DLMS-encrypted.",
)
