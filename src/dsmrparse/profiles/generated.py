"""Generated names for objects no profile row names, from the OBIS value groups (IEC 62056-61).

Group C says the quantity (with 20/40/60 added for phase L1/L2/L3), D how it is processed, E the
tariff (or, for instantaneous values, the harmonic), B the measurement channel. Every generated
name starts with ``obis_`` (no profile row's name does), so it is never taken for a profile's
stable name; the rule is a pure function of the code, so a name stays the same across versions.
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["PREFIX", "generated_name", "is_generated", "RULE"]

PREFIX = "obis_"

# group C of electricity (A = 1), per phase once 20, 40 or 60 is taken off
QUANTITIES = {
    1: "active_import",
    2: "active_export",
    3: "reactive_import",
    4: "reactive_export",
    5: "reactive_q1",
    6: "reactive_q2",
    7: "reactive_q3",
    8: "reactive_q4",
    9: "apparent_import",
    10: "apparent_export",
    11: "current",
    12: "voltage",
    13: "power_factor",
    14: "frequency",
    15: "active_absolute",
    16: "active_net",
}
PHASES = {20: "l1", 40: "l2", 60: "l3"}
# group D
PROCESSING = {
    2: "cumulative_maximum",
    3: "minimum",
    4: "current_average",
    5: "last_average",
    6: "maximum_demand",
    7: "instantaneous",
    8: "register",
    9: "time_integral",
    24: "period_demand",
}

RULE = {
    "pattern": "obis_<quantity>[_<phase>]_<processing>[_tariff_<E>|_harmonic_<E>][_channel_<B>]",
    "fallback": "obis_<A>_<B>_<C>_<D>_<E> (codes outside the tables below)",
    "applies_to": "objects no row of the detected profile or any other profile names",
    "quantities_c": {str(k): v for k, v in QUANTITIES.items()},
    "phases_c_offset": {str(k): v for k, v in PHASES.items()},
    "processing_d": {str(k): v for k, v in PROCESSING.items()},
    "e": "0: total; >0: tariff_<E> (harmonic_<E> for D 7)",
    "b": "0: nothing; >0: channel_<B>",
}


def is_generated(name: str | None) -> bool:
    """True for a name this rule made (never for a profile row's name)."""
    return name is not None and name.startswith(PREFIX)


@lru_cache(maxsize=2048)
def generated_name(obis: str) -> str:
    """``1-0:1.8.11`` -> ``obis_active_import_register_tariff_11``; ``obis_1_0_0_8_2`` for a code
    outside the tables. ``obis`` is a canonical code (``A-B:C.D.E``)."""
    ab, _, cde = obis.partition(":")
    a, _, b = ab.partition("-")
    parts = cde.split(".")
    try:
        ia, ib, ic, id_, ie = int(a), int(b), int(parts[0]), int(parts[1]), int(parts[2])
    except (ValueError, IndexError):
        return PREFIX + "_".join(obis.replace("-", ":").replace(".", ":").split(":"))
    fallback = f"{PREFIX}{ia}_{ib}_{ic}_{id_}_{ie}"
    phase = ""
    base = ic
    if ic > 20 and ic <= 80:
        offset = (ic - 1) // 20 * 20
        phase, base = PHASES[offset], ic - offset
    quantity = QUANTITIES.get(base)
    processing = PROCESSING.get(id_)
    if ia != 1 or quantity is None or processing is None:
        return fallback
    words = [quantity]
    if phase:
        words.append(phase)
    words.append(processing)
    if ie:
        words.append(f"{'harmonic' if id_ == 7 else 'tariff'}_{ie}")
    if ib:
        words.append(f"channel_{ib}")
    return PREFIX + "_".join(words)
