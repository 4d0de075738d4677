"""Sweden: the Energiföretagen recommendation for the local customer interface (HAN port), also
used by Kamstrup OMNIA meters: totals only, reactive power per phase, no MBus."""

from __future__ import annotations

from ._intl import REACTIVE_ENERGY, REACTIVE_POWER, REACTIVE_POWER_PHASES, TOTALS
from ._schema import Profile, SerialSettings
from .dutch import CURRENTS, PHASE_POWER, POWER, TIMESTAMP_ROW, VERSION, VOLTAGES

SWEDEN = Profile(
    name="sweden",
    title="Sweden (Energiföretagen HAN port)",
    fields=(
        VERSION,
        TIMESTAMP_ROW,
        *TOTALS,
        *REACTIVE_ENERGY,
        *POWER,
        *REACTIVE_POWER,
        *PHASE_POWER,
        *REACTIVE_POWER_PHASES,
        *VOLTAGES,
        *CURRENTS,
    ),
    timezone="Europe/Stockholm",
    crc_required=True,
    serial=SerialSettings(115200, 8, "N", 1),
    country="SE",
    fingerprint=("1-0:1.8.0", "1-0:3.8.0", "1-0:23.7.0"),
    fingerprint_absent=("1-0:1.8.1", "0-0:42.0.0"),
    notes="Totals only; reactive energy in kvarh (some meters write kVArh: units compare "
    "case-insensitively).",
)
