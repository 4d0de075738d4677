"""The Dutch DSMR family (Netbeheer Nederland P1 companion standard).

DSMR 4 is the base table; DSMR 5.0.2 extends it. Rows carry the name dsmr_parser uses (``peer``).
"""

from __future__ import annotations

from .._kinds import COMPLEX, HEX_TEXT, INTEGER, QUANTITY, TEXT, TIMESTAMP, TIMESTAMPED
from ._converters import power_failure_log
from ._schema import Field, Profile, SerialSettings

_PHASES = ((1, 32, 31, 21, 22), (2, 52, 51, 41, 42), (3, 72, 71, 61, 62))


def _per_phase() -> list[Field]:
    rows: list[Field] = []
    for phase, volt, amp, imp, exp in _PHASES:
        rows += [
            Field(f"1-0:{volt}.32.0", f"voltage_sags_l{phase}", INTEGER, None,
                  f"number of voltage sags in phase L{phase}", f"VOLTAGE_SAG_L{phase}_COUNT"),
            Field(f"1-0:{volt}.36.0", f"voltage_swells_l{phase}", INTEGER, None,
                  f"number of voltage swells in phase L{phase}", f"VOLTAGE_SWELL_L{phase}_COUNT"),
        ]
    for phase, volt, amp, imp, exp in _PHASES:
        rows.append(Field(f"1-0:{volt}.7.0", f"voltage_l{phase}", QUANTITY, "V",
                          f"instantaneous voltage L{phase}", f"INSTANTANEOUS_VOLTAGE_L{phase}"))
    for phase, volt, amp, imp, exp in _PHASES:
        rows.append(Field(f"1-0:{amp}.7.0", f"current_l{phase}", QUANTITY, "A",
                          f"instantaneous current L{phase}", f"INSTANTANEOUS_CURRENT_L{phase}"))
    for phase, volt, amp, imp, exp in _PHASES:
        rows.append(Field(f"1-0:{imp}.7.0", f"power_imported_l{phase}", QUANTITY, "kW",
                          f"instantaneous active power L{phase} taken from the grid (+P)",
                          f"INSTANTANEOUS_ACTIVE_POWER_L{phase}_POSITIVE"))
    for phase, volt, amp, imp, exp in _PHASES:
        rows.append(Field(f"1-0:{exp}.7.0", f"power_exported_l{phase}", QUANTITY, "kW",
                          f"instantaneous active power L{phase} given to the grid (-P)",
                          f"INSTANTANEOUS_ACTIVE_POWER_L{phase}_NEGATIVE"))
    return rows


# Objects every DSMR 4 and 5 meter writes, in the order of the specification.
REGISTERS = [
    Field("1-3:0.2.8", "p1_version", TEXT, None, "version of the P1 output", "P1_MESSAGE_HEADER"),
    Field("0-0:1.0.0", "timestamp", TIMESTAMP, None, "date-time the telegram was made",
          "P1_MESSAGE_TIMESTAMP"),
    Field("0-0:96.1.1", "equipment_id", HEX_TEXT, None, "electricity meter equipment identifier",
          "EQUIPMENT_IDENTIFIER"),
    Field("1-0:1.8.1", "electricity_imported_tariff_1", QUANTITY, "kWh",
          "energy taken from the grid, tariff 1 (low)", "ELECTRICITY_USED_TARIFF_1"),
    Field("1-0:1.8.2", "electricity_imported_tariff_2", QUANTITY, "kWh",
          "energy taken from the grid, tariff 2 (normal)", "ELECTRICITY_USED_TARIFF_2"),
    Field("1-0:2.8.1", "electricity_exported_tariff_1", QUANTITY, "kWh",
          "energy given to the grid, tariff 1 (low)", "ELECTRICITY_DELIVERED_TARIFF_1"),
    Field("1-0:2.8.2", "electricity_exported_tariff_2", QUANTITY, "kWh",
          "energy given to the grid, tariff 2 (normal)", "ELECTRICITY_DELIVERED_TARIFF_2"),
    Field("0-0:96.14.0", "tariff_indicator", INTEGER, None, "tariff in force (1 low, 2 normal)",
          "ELECTRICITY_ACTIVE_TARIFF"),
    Field("1-0:1.7.0", "power_imported", QUANTITY, "kW", "power taken from the grid now (+P)",
          "CURRENT_ELECTRICITY_USAGE"),
    Field("1-0:2.7.0", "power_exported", QUANTITY, "kW", "power given to the grid now (-P)",
          "CURRENT_ELECTRICITY_DELIVERY"),
    Field("0-0:96.7.21", "power_failures", INTEGER, None, "number of power failures, any phase",
          "SHORT_POWER_FAILURE_COUNT"),
    Field("0-0:96.7.9", "long_power_failures", INTEGER, None,
          "number of long power failures, any phase", "LONG_POWER_FAILURE_COUNT"),
    Field("1-0:99.97.0", "power_failure_log", COMPLEX, "s",
          "long power failures: (end time, duration)", "POWER_EVENT_FAILURE_LOG",
          power_failure_log),
    *_per_phase()[:6],
    Field("0-0:96.13.1", "text_message_code", HEX_TEXT, None, "text message code (up to 8 digits)",
          "TEXT_MESSAGE_CODE"),
    Field("0-0:96.13.0", "text_message", HEX_TEXT, None, "text message (up to 1024 characters)",
          "TEXT_MESSAGE"),
    *_per_phase()[6:],
]

MBUS = [
    Field("0-n:24.1.0", "mbus_device_type", INTEGER, None,
          "MBus device type (3 gas, 4 heat, 7 water ...)", "DEVICE_TYPE"),
    Field("0-n:96.1.0", "mbus_equipment_id", HEX_TEXT, None, "MBus device equipment identifier",
          "EQUIPMENT_IDENTIFIER_GAS"),
    Field("0-n:24.2.1", "mbus_reading", TIMESTAMPED, None,
          "last reading of the MBus device with its capture time", "HOURLY_GAS_METER_READING"),
    Field("0-n:24.4.0", "mbus_valve", INTEGER, None, "MBus valve position (DSMR 4)",
          "VALVE_POSITION_GAS"),
]

DSMR4 = Profile(
    name="dsmr4",
    title="DSMR 4.0 to 4.2.2 (Netherlands)",
    fields=tuple(REGISTERS + MBUS),
    timezone="Europe/Amsterdam",
    crc_required=True,
    serial=SerialSettings(115200, 8, "N", 1),
    country="NL",
    header_prefixes=(),
    version_objects=(("1-3:0.2.8", "4"),),
    notes="Hourly MBus readings; 0-0:17.0.0 and 0-0:96.3.10 were removed in 4.0.7.",
)

DSMR5 = DSMR4.extend(
    "dsmr5",
    "DSMR 5.0.2 (Netherlands)",
    remove=["0-0:96.13.1"],
    version_objects=(("1-3:0.2.8", "5"),),
    notes="MBus readings every 5 minutes; 1-second telegrams; 5 V 250 mA supply on the P1 port.",
)
