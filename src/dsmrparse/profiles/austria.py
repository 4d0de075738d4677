"""Austria: Sagemcom T210-D-r (Energienetze Steiermark and others): a DSMR 5 style telegram with
integer registers in Wh, W, varh and var, usually inside a DLMS-encrypted frame."""

from __future__ import annotations

from ._intl import REACTIVE_ENERGY, REACTIVE_ENERGY_TARIFFS, REACTIVE_POWER, TOTALS
from ._schema import Field, Profile, SerialSettings
from .dutch import POWER, TARIFF_ENERGY, TIMESTAMP_ROW, VERSION

# the same registers as elsewhere, in base units
_UNITS = {"kWh": "Wh", "kW": "W", "kvarh": "varh", "kvar": "var"}


def _base_units(rows: list[Field]) -> list[Field]:
    return [f._replace(unit=_UNITS.get(f.unit or "", f.unit)) for f in rows]


_imp_total, _exp_total = TOTALS
_imp_1, _imp_2, _exp_1, _exp_2 = TARIFF_ENERGY
_power_imp, _power_exp = POWER
_rimp, _rexp = REACTIVE_ENERGY
_rimp_1, _rimp_2, _rexp_1, _rexp_2 = REACTIVE_ENERGY_TARIFFS
_qimp, _qexp = REACTIVE_POWER

AUSTRIA = Profile(
    name="austria",
    title="Austria Sagemcom T210-D-r",
    fields=(
        VERSION,
        TIMESTAMP_ROW,
        *_base_units(
            [
                _imp_total,
                _imp_1,
                _imp_2,
                _power_imp,
                _exp_total,
                _exp_1,
                _exp_2,
                _power_exp,
                _rimp,
                _rimp_1,
                _rimp_2,
                _qimp,
                _rexp,
                _rexp_1,
                _rexp_2,
                _qexp,
            ]
        ),
    ),
    timezone="Europe/Vienna",
    crc_required=True,
    serial=SerialSettings(115200, 8, "N", 1),
    country="AT",
    header_prefixes=("EST5",),
    notes="Registers are integers in Wh/W/varh/var; frames are DLMS general-global-cipher "
    "encrypted with a key from the grid operator.",
)
