"""Rows the non-Dutch variants share: totals, reactive and apparent energy and power, power
factors, frequency, current limits. Each variant composes these with the Dutch rows."""

from __future__ import annotations

from .._kinds import HEX_TEXT, QUANTITY
from ._schema import Field

IMPORTED_TOTAL = Field(
    "1-0:1.8.0",
    "electricity_imported_total",
    QUANTITY,
    "kWh",
    "energy taken from the grid, all tariffs (A+)",
    "ELECTRICITY_IMPORTED_TOTAL",
)
EXPORTED_TOTAL = Field(
    "1-0:2.8.0",
    "electricity_exported_total",
    QUANTITY,
    "kWh",
    "energy given to the grid, all tariffs (A-)",
    "ELECTRICITY_EXPORTED_TOTAL",
)
TOTALS = [IMPORTED_TOTAL, EXPORTED_TOTAL]

REACTIVE_ENERGY = [
    Field(
        "1-0:3.8.0",
        "reactive_energy_imported",
        QUANTITY,
        "kvarh",
        "reactive energy imported, all tariffs (+R)",
        "ELECTRICITY_REACTIVE_IMPORTED_TOTAL",
    ),
    Field(
        "1-0:4.8.0",
        "reactive_energy_exported",
        QUANTITY,
        "kvarh",
        "reactive energy exported, all tariffs (-R)",
        "ELECTRICITY_REACTIVE_EXPORTED_TOTAL",
    ),
]
REACTIVE_ENERGY_TARIFFS = [
    Field(
        f"1-0:{c}.8.{t}",
        f"reactive_energy_{d}_tariff_{t}",
        QUANTITY,
        "kvarh",
        f"reactive energy {d}, tariff {t}",
        f"ELECTRICITY_REACTIVE_{d.upper()}_TARIFF_{t}",
    )
    for c, d in ((3, "imported"), (4, "exported"))
    for t in (1, 2)
]
REACTIVE_POWER = [
    Field(
        "1-0:3.7.0",
        "reactive_power_imported",
        QUANTITY,
        "kvar",
        "reactive power imported now (+R)",
        "CURRENT_REACTIVE_IMPORTED",
    ),
    Field(
        "1-0:4.7.0",
        "reactive_power_exported",
        QUANTITY,
        "kvar",
        "reactive power exported now (-R)",
        "CURRENT_REACTIVE_EXPORTED",
    ),
]
REACTIVE_POWER_PHASES = [
    Field(
        f"1-0:{c}.7.0",
        f"reactive_power_{d}_l{ph}",
        QUANTITY,
        "kvar",
        f"reactive power {d} now, L{ph}",
        f"INSTANTANEOUS_REACTIVE_POWER_L{ph}_{'POSITIVE' if d == 'imported' else 'NEGATIVE'}",
    )
    for ph, base in ((1, 23), (2, 43), (3, 63))
    for c, d in ((base, "imported"), (base + 1, "exported"))
]
QUADRANT_ENERGY = [
    Field(
        f"1-0:{4 + q}.8.0",
        f"reactive_energy_q{q}",
        QUANTITY,
        "kvarh",
        f"reactive energy in quadrant Q{q}",
        f"EON_HU_ELECTRICITY_REACTIVE_TOTAL_Q{q}",
    )
    for q in (1, 2, 3, 4)
]
QUADRANT_POWER = [
    Field(
        f"1-0:{4 + q}.7.0",
        f"reactive_power_q{q}",
        QUANTITY,
        "kvar",
        f"reactive power in quadrant Q{q} now",
        f"EON_HU_INSTANTANEOUS_REACTIVE_POWER_Q{q}",
    )
    for q in (1, 2, 3, 4)
]
APPARENT_POWER = [
    Field(
        "1-0:9.7.0", "apparent_power_imported", QUANTITY, "kVA", "apparent power imported now", None
    ),
    Field(
        "1-0:10.7.0",
        "apparent_power_exported",
        QUANTITY,
        "kVA",
        "apparent power exported now",
        None,
    ),
]
POWER_FACTORS = [
    Field(
        "1-0:13.7.0",
        "power_factor",
        QUANTITY,
        None,
        "power factor, all phases",
        "EON_HU_INSTANTANEOUS_POWER_FACTOR_TOTAL",
    ),
] + [
    Field(
        f"1-0:{c}.7.0",
        f"power_factor_l{ph}",
        QUANTITY,
        None,
        f"power factor L{ph}",
        f"EON_HU_INSTANTANEOUS_POWER_FACTOR_L{ph}",
    )
    for ph, c in ((1, 33), (2, 53), (3, 73))
]
FREQUENCY = Field("1-0:14.7.0", "frequency", QUANTITY, "Hz", "grid frequency", "EON_HU_FREQUENCY")
CURRENT_LIMITS = [
    Field(
        f"1-0:{c}.4.0",
        f"current_limit_l{ph}",
        QUANTITY,
        "A",
        f"current limit, L{ph}",
        f"EON_HU_MAX_POWER_ON_L{ph}",
    )
    for ph, c in ((1, 31), (2, 51), (3, 71))
]
LOGICAL_DEVICE_NAME = Field(
    "0-0:42.0.0",
    "logical_device_name",
    HEX_TEXT,
    None,
    "COSEM logical device name",
    "LUXEMBOURG_EQUIPMENT_IDENTIFIER",
)
