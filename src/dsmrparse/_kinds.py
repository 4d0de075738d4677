"""Value kinds shared by the profile tables and both parser twins.

The twins convert the common kinds themselves (the hot path); ``COMPLEX`` rows name a converter
(:mod:`dsmrparse.profiles._converters`), which the compiled twin runs in C for the library's own.
"""

RAW = 0  # an object no profile row describes: groups kept as text
QUANTITY = 1  # (123.456*kWh) -> Decimal + unit
INTEGER = 2  # (00005) -> int, a unit kept if written
TEXT = 3  # (abc) -> str as written
HEX_TEXT = 4  # (4530...) -> decoded text when printable, else kept as written
TIMESTAMP = 5  # (200426223325S) -> aware datetime, sentinels -> None
TIMESTAMPED = 6  # (TST)(v*unit) or (v*unit)(TST) -> value + unit + timestamp
COMPLEX = 7  # event logs, histories, the DSMR 2.2/3 gas record: a converter per row

NAMES = {
    RAW: "raw",
    QUANTITY: "quantity",
    INTEGER: "integer",
    TEXT: "text",
    HEX_TEXT: "hex_text",
    TIMESTAMP: "timestamp",
    TIMESTAMPED: "timestamped",
    COMPLEX: "complex",
}
