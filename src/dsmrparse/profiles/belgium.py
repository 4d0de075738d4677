"""Belgium: the e-MUCS P1 specification (Fluvius, ORES, RESA), versions 1.x and 2.x.

Derived from DSMR 5 with ``Profile.extend``. In Belgium tariff 1 is the *day* tariff; equipment
ids sit on ``96.1.1`` (also on the MBus channels); gas that is not temperature-corrected comes on
``0-n:24.2.3``; the capacity tariff adds the average demand, the month peak and a 13-month peak
history.
"""

from __future__ import annotations

from .._kinds import COMPLEX, HEX_TEXT, INTEGER, QUANTITY, TEXT, TIMESTAMPED
from ._converters import peak_history
from ._schema import Field
from .dutch import (
    BREAKER,
    DSMR5,
    FAILURES,
    LIMITER,
    MBUS_READING,
    MBUS_VALVE,
    SAGS_SWELLS,
    TARIFF,
    TARIFF_ENERGY,
    VERSION,
)

EMUCS_VERSION = Field(
    "0-0:96.1.4",
    "p1_version",
    TEXT,
    None,
    "e-MUCS version (50217 is 1.7.1, 50221 is 2.1.1)",
    "BELGIUM_VERSION_INFORMATION",
)
AVERAGE_DEMAND = Field(
    "1-0:1.4.0",
    "average_demand",
    QUANTITY,
    "kW",
    "average demand of the running quarter hour",
    "BELGIUM_CURRENT_AVERAGE_DEMAND",
)
MONTH_PEAK = Field(
    "1-0:1.6.0",
    "month_peak",
    TIMESTAMPED,
    "kW",
    "highest quarter-hour demand of this month, with its time",
    "BELGIUM_MAXIMUM_DEMAND_MONTH",
)
PEAK_HISTORY = Field(
    "0-0:98.1.0",
    "peak_history",
    COMPLEX,
    "kW",
    "month peaks of the last 13 months: (month start, peak time, value)",
    "BELGIUM_MAXIMUM_DEMAND_13_MONTHS",
    peak_history,
)
CURRENT_LIMIT_L1 = Field(
    "1-0:31.4.0",
    "current_limit_l1",
    QUANTITY,
    "A",
    "current limit of the fuse supervision, L1",
    "BELGIUM_MAX_CURRENT_PER_PHASE",
)
EAN = Field("0-0:96.1.2", "ean", HEX_TEXT, None, "EAN code of the connection (e-MUCS 2)", None)
GRID = Field(
    "1-0:94.32.1",
    "grid_configuration",
    INTEGER,
    None,
    "grid configuration: 230 V or 400 V (e-MUCS 2)",
    None,
)
MBUS_ID_BE = Field(
    "0-n:96.1.1",
    "mbus_equipment_id",
    HEX_TEXT,
    None,
    "MBus device equipment identifier",
    "BELGIUM_MBUSn_EQUIPMENT_IDENTIFIER",
)
MBUS_EAN = Field(
    "0-n:96.1.2", "mbus_ean", HEX_TEXT, None, "EAN code of the MBus device (e-MUCS 2)", None
)
MBUS_SWITCH = Field(
    "0-n:96.3.10",
    "mbus_switch",
    INTEGER,
    None,
    "relay or valve state of the MBus channel (e-MUCS 2)",
    None,
)
MBUS_GAS_RAW = Field(
    "0-n:24.2.3",
    "mbus_reading",
    TIMESTAMPED,
    None,
    "last reading of the MBus device, not temperature-corrected (gas)",
    "BELGIUM_MBUSn_METER_READING2",
)
# Iskra IE.5 (Wallonia) extras
SERIAL = Field("0-0:96.1.0", "serial_number", HEX_TEXT, None, "meter serial number", None)
LOGICAL_NAME = Field("1-0:0.0.0", "device_address", TEXT, None, "device address", None)

_DAY_NIGHT = [
    f._replace(description=f.description.replace("(low)", "(day)").replace("(normal)", "(night)"))
    for f in TARIFF_ENERGY
]

BELGIUM = DSMR5.extend(
    "belgium",
    "Belgium e-MUCS 1.x and 2.x (Fluvius, ORES, RESA)",
    add=[
        EMUCS_VERSION,
        *_DAY_NIGHT,
        TARIFF._replace(description="tariff in force (1 day, 2 night)"),
        AVERAGE_DEMAND,
        MONTH_PEAK,
        PEAK_HISTORY,
        BREAKER._replace(peer="ACTUAL_SWITCH_POSITION"),
        LIMITER._replace(peer="BELGIUM_MAX_POWER_PER_PHASE"),
        CURRENT_LIMIT_L1,
        EAN,
        GRID,
        SERIAL,
        LOGICAL_NAME,
        MBUS_ID_BE,
        MBUS_EAN,
        MBUS_SWITCH,
        MBUS_VALVE,
        MBUS_READING._replace(
            peer="BELGIUM_MBUSn_METER_READING1",
            description="last reading of the MBus device with its capture time (water)",
        ),
        MBUS_GAS_RAW,
    ],
    remove=[VERSION.obis] + [f.obis for f in (*FAILURES, *SAGS_SWELLS)],
    timezone="Europe/Brussels",
    country="BE",
    header_prefixes=("FLU5",),
    version_objects=(("0-0:96.1.4", "50"),),
    notes="Tariff 1 is day, 2 night. 1-0:1.6.0 is written (time)(value) or (value)(time).",
)

# Iskra IE.5 (Wallonia): no version object, and an S/W flag that does not follow the season
# (S in February), so the zone's rules give the offset. The header's backslash often arrives as
# byte 0x02.
ISKRA_IE5 = BELGIUM.extend(
    "iskra_ie5",
    "Belgium Iskra IE.5 (Wallonia)",
    dst_flags=False,
    # the meter writes "/ISk5\2MIE5..."; some captures hold byte 0x02 where "\2" was (the CRC
    # covers that byte), and "\MIE5" without the 2 is seen in documentation
    header_prefixes=("ISk5\\2MIE5", "ISk5\x02MIE5", "ISK5\\MIE5"),
    version_objects=(),
    notes="DST flag ignored: the zone rules of Europe/Brussels decide the offset.",
)
