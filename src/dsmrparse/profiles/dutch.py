"""The Dutch DSMR family (Netbeheer Nederland P1 companion standard).

DSMR 4 is the base table; DSMR 5.0.2 and the DSMR 2.2/3.0 table are derived from it with
``Profile.extend``. Rows carry the name dsmr_parser uses (``peer``). The row groups defined here
are shared by the other national variants.
"""

from __future__ import annotations

from .._kinds import COMPLEX, HEX_TEXT, INTEGER, QUANTITY, TEXT, TIMESTAMP, TIMESTAMPED
from ._converters import legacy_gas_record, power_failure_log
from ._schema import Field, Profile, SerialSettings

# (phase, voltage C, current C, +P C, -P C)
_PHASES = ((1, 32, 31, 21, 22), (2, 52, 51, 41, 42), (3, 72, 71, 61, 62))

SAGS_SWELLS = [
    Field(
        f"1-0:{volt}.{d}.0",
        f"voltage_{kind}s_l{ph}",
        INTEGER,
        None,
        f"number of voltage {kind}s in phase L{ph}",
        f"VOLTAGE_{kind.upper()}_L{ph}_COUNT",
    )
    for kind, d in (("sag", 32), ("swell", 36))
    for ph, volt, _, _, _ in _PHASES
]
VOLTAGES = [
    Field(
        f"1-0:{volt}.7.0",
        f"voltage_l{ph}",
        QUANTITY,
        "V",
        f"instantaneous voltage L{ph}",
        f"INSTANTANEOUS_VOLTAGE_L{ph}",
    )
    for ph, volt, _, _, _ in _PHASES
]
CURRENTS = [
    Field(
        f"1-0:{amp}.7.0",
        f"current_l{ph}",
        QUANTITY,
        "A",
        f"instantaneous current L{ph}",
        f"INSTANTANEOUS_CURRENT_L{ph}",
    )
    for ph, _, amp, _, _ in _PHASES
]
PHASE_POWER = [
    Field(
        f"1-0:{imp}.7.0",
        f"power_imported_l{ph}",
        QUANTITY,
        "kW",
        f"instantaneous active power L{ph} taken from the grid (+P)",
        f"INSTANTANEOUS_ACTIVE_POWER_L{ph}_POSITIVE",
    )
    for ph, _, _, imp, _ in _PHASES
] + [
    Field(
        f"1-0:{exp}.7.0",
        f"power_exported_l{ph}",
        QUANTITY,
        "kW",
        f"instantaneous active power L{ph} given to the grid (-P)",
        f"INSTANTANEOUS_ACTIVE_POWER_L{ph}_NEGATIVE",
    )
    for ph, _, _, _, exp in _PHASES
]

VERSION = Field(
    "1-3:0.2.8", "p1_version", TEXT, None, "version of the P1 output", "P1_MESSAGE_HEADER"
)
TIMESTAMP_ROW = Field(
    "0-0:1.0.0",
    "timestamp",
    TIMESTAMP,
    None,
    "date-time the telegram was made",
    "P1_MESSAGE_TIMESTAMP",
)
EQUIPMENT_ID = Field(
    "0-0:96.1.1",
    "equipment_id",
    HEX_TEXT,
    None,
    "electricity meter equipment identifier",
    "EQUIPMENT_IDENTIFIER",
)
TARIFF_ENERGY = [
    Field(
        "1-0:1.8.1",
        "electricity_imported_tariff_1",
        QUANTITY,
        "kWh",
        "energy taken from the grid, tariff 1 (low)",
        "ELECTRICITY_USED_TARIFF_1",
    ),
    Field(
        "1-0:1.8.2",
        "electricity_imported_tariff_2",
        QUANTITY,
        "kWh",
        "energy taken from the grid, tariff 2 (normal)",
        "ELECTRICITY_USED_TARIFF_2",
    ),
    Field(
        "1-0:2.8.1",
        "electricity_exported_tariff_1",
        QUANTITY,
        "kWh",
        "energy given to the grid, tariff 1 (low)",
        "ELECTRICITY_DELIVERED_TARIFF_1",
    ),
    Field(
        "1-0:2.8.2",
        "electricity_exported_tariff_2",
        QUANTITY,
        "kWh",
        "energy given to the grid, tariff 2 (normal)",
        "ELECTRICITY_DELIVERED_TARIFF_2",
    ),
]
TARIFF = Field(
    "0-0:96.14.0",
    "tariff_indicator",
    INTEGER,
    None,
    "tariff in force (1 low, 2 normal)",
    "ELECTRICITY_ACTIVE_TARIFF",
)
POWER = [
    Field(
        "1-0:1.7.0",
        "power_imported",
        QUANTITY,
        "kW",
        "power taken from the grid now (+P)",
        "CURRENT_ELECTRICITY_USAGE",
    ),
    Field(
        "1-0:2.7.0",
        "power_exported",
        QUANTITY,
        "kW",
        "power given to the grid now (-P)",
        "CURRENT_ELECTRICITY_DELIVERY",
    ),
]
LIMITER = Field(
    "0-0:17.0.0",
    "limiter_threshold",
    QUANTITY,
    "kW",
    "threshold of the load limiter",
    "ACTUAL_TRESHOLD_ELECTRICITY",
)
BREAKER = Field(
    "0-0:96.3.10",
    "breaker_state",
    INTEGER,
    None,
    "position of the meter's switch (1 closed, 0 open)",
    "ACTUAL_SWITCH_POSITION",
)
FAILURES = [
    Field(
        "0-0:96.7.21",
        "power_failures",
        INTEGER,
        None,
        "number of power failures, any phase",
        "SHORT_POWER_FAILURE_COUNT",
    ),
    Field(
        "0-0:96.7.9",
        "long_power_failures",
        INTEGER,
        None,
        "number of long power failures, any phase",
        "LONG_POWER_FAILURE_COUNT",
    ),
    Field(
        "1-0:99.97.0",
        "power_failure_log",
        COMPLEX,
        "s",
        "long power failures: (end time, duration)",
        "POWER_EVENT_FAILURE_LOG",
        power_failure_log,
    ),
]
TEXT_CODE = Field(
    "0-0:96.13.1",
    "text_message_code",
    HEX_TEXT,
    None,
    "text message code (up to 8 digits)",
    "TEXT_MESSAGE_CODE",
)
TEXT_MESSAGE = Field(
    "0-0:96.13.0",
    "text_message",
    HEX_TEXT,
    None,
    "text message (up to 1024 characters)",
    "TEXT_MESSAGE",
)

MBUS_TYPE = Field(
    "0-n:24.1.0",
    "mbus_device_type",
    INTEGER,
    None,
    "MBus device type (3 gas, 4 heat, 7 water ...)",
    "DEVICE_TYPE",
)
MBUS_ID = Field(
    "0-n:96.1.0",
    "mbus_equipment_id",
    HEX_TEXT,
    None,
    "MBus device equipment identifier",
    "EQUIPMENT_IDENTIFIER_GAS",
)
MBUS_READING = Field(
    "0-n:24.2.1",
    "mbus_reading",
    TIMESTAMPED,
    None,
    "last reading of the MBus device with its capture time",
    "HOURLY_GAS_METER_READING",
)
MBUS_VALVE = Field(
    "0-n:24.4.0", "mbus_valve", INTEGER, None, "MBus valve position", "VALVE_POSITION_GAS"
)
MBUS = [MBUS_TYPE, MBUS_ID, MBUS_READING, MBUS_VALVE]

DSMR4 = Profile(
    name="dsmr4",
    title="DSMR 4.0 to 4.2.2 (Netherlands)",
    fields=(
        VERSION,
        TIMESTAMP_ROW,
        EQUIPMENT_ID,
        *TARIFF_ENERGY,
        TARIFF,
        *POWER,
        LIMITER,
        BREAKER,
        *FAILURES,
        *SAGS_SWELLS,
        TEXT_CODE,
        TEXT_MESSAGE,
        *VOLTAGES,
        *CURRENTS,
        *PHASE_POWER,
        *MBUS,
    ),
    timezone="Europe/Amsterdam",
    crc_required=True,
    serial=SerialSettings(115200, 8, "N", 1),
    country="NL",
    version_objects=(("1-3:0.2.8", "4"),),
    notes="Hourly MBus readings. 0-0:17.0.0, 0-0:96.3.10 and 0-n:24.4.0 were dropped in 4.0.7 "
    "(older 4.0.x meters still send them).",
)

DSMR5 = DSMR4.extend(
    "dsmr5",
    "DSMR 5.0.2 (Netherlands)",
    remove=[LIMITER.obis, BREAKER.obis, TEXT_CODE.obis, MBUS_VALVE.obis],
    version_objects=(("1-3:0.2.8", "5"),),
    notes="MBus readings every 5 minutes; 1-second telegrams; 5 V 250 mA supply on the P1 port.",
)

LEGACY_GAS = Field(
    "0-n:24.3.0",
    "mbus_reading",
    COMPLEX,
    "m3",
    "MBus reading as a two-line record (TST)(..)(60)(1)(0-n:24.2.1)(m3) / (value)",
    "GAS_METER_READING",
    legacy_gas_record,
)

# DSMR 2.2 and 3.0 read alike: no version object, no timestamp, no CRC, two-line gas records,
# a limiter in kW or A (so its unit is not checked).
DSMR3 = DSMR4.extend(
    "dsmr3",
    "DSMR 2.2 and 3.0 (Netherlands)",
    add=[
        Field(
            LIMITER.obis,
            LIMITER.name,
            QUANTITY,
            None,
            "threshold of the load limiter (kW or A)",
            LIMITER.peer,
        ),
        LEGACY_GAS,
    ],
    remove=[VERSION.obis, TIMESTAMP_ROW.obis, MBUS_READING.obis]
    + [f.obis for f in (*FAILURES, *SAGS_SWELLS, *VOLTAGES, *CURRENTS, *PHASE_POWER)],
    crc_required=False,
    serial=SerialSettings(9600, 7, "E", 1),
    version_objects=(),
    fingerprint=("1-0:1.8.1",),
    # objects DSMR 4 introduced rule the older table out
    fingerprint_absent=(
        "1-3:0.2.8",
        "0-0:1.0.0",
        "0-0:96.1.4",
        "0-0:96.7.21",
        "0-0:96.7.9",
        "1-0:99.97.0",
        "1-0:31.7.0",
        "1-0:32.7.0",
    ),
    aliases=("dsmr2.2", "dsmr22", "dsmr2", "dsmr3.0"),
    notes="No CRC, 9600 baud 7E1; the gas value sits on the line after its 0-n:24.3.0 record.",
)

# Heat-only delivery sets (Warmtelink): DSMR 5 layout with the text code kept, a heat meter (GJ,
# device type 4) on MBus 1, and a CRC that may be written with 3 digits.
WARMTELINK = DSMR5.extend(
    "warmtelink",
    "Warmtelink heat-only (Netherlands)",
    add=[TEXT_CODE],
    header_prefixes=("NWA-WARMTELINK",),
    version_objects=(),
    notes="Heat meter only (GJ, MBus device type 4); the CRC may have 3 hex digits (!B9F).",
)
