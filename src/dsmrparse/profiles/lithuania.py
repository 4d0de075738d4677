"""Lithuania: ESO meters. The Swedish-style layout with voltages in kV, currents in kA and the
frequency in kHz as the meters write them, plus average voltages (``32.24.0``)."""

from __future__ import annotations

from .._kinds import QUANTITY
from ._intl import FREQUENCY
from ._schema import Field
from .dutch import CURRENTS, VOLTAGES
from .nordic import SWEDEN

AVERAGE_VOLTAGES = [
    Field(f"1-0:{c}.24.0", f"voltage_average_l{ph}", QUANTITY, "kV", f"average voltage L{ph}", None)
    for ph, c in ((1, 32), (2, 52), (3, 72))
]

LITHUANIA = SWEDEN.extend(
    "lithuania",
    "Lithuania ESO",
    add=[
        *[f._replace(unit="kV") for f in VOLTAGES],
        *[f._replace(unit="kA") for f in CURRENTS],
        FREQUENCY._replace(unit="kHz"),
        *AVERAGE_VOLTAGES,
    ],
    timezone="Europe/Vilnius",
    country="LT",
    header_prefixes=("ESO5",),
    fingerprint=(),
    fingerprint_absent=(),
    notes="Units kV, kA and kHz as written by the meters. No captured telegram in the corpus yet.",
)
