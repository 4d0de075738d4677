"""The logger's settings: defaults, the TOML file, and the firmware's name/value view.

The firmware keeps its settings as a flat list (``/api/v1/dev/settings``), each with a type
(``s`` text, ``i`` integer, ``f`` float) and limits; the pages edit them one at a time with
``{"name": ..., "value": ...}``. We keep the same names so that its clients work unchanged, and
add our own (listen address, data folder, token ...) in the same flat file.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the serve extra pulls in tomli there
    import tomli as tomllib

__all__ = ["Settings", "SettingError", "FIRMWARE_SETTINGS", "load", "save", "MASK"]

MASK = "********"  # what GET shows instead of the MQTT password; a POST of it changes nothing


class SettingError(ValueError):
    """A setting name or value that cannot be accepted (the API answers 400)."""


@dataclass
class Settings:
    # ---- the firmware's settings (names as in its settings list) ----
    hostname: str = "dsmrparse"
    pre_dsmr40: int = 0
    dailyreboot: int = 0
    ed_tariff1: float = 0.1
    ed_tariff2: float = 0.2
    er_tariff1: float = 0.3
    er_tariff2: float = 0.4
    gd_tariff: float = 0.5
    electr_netw_costs: float = 15.15
    gas_netw_costs: float = 11.11
    mbus1_type: int = 3
    mbus2_type: int = 0
    mbus3_type: int = 0
    mbus4_type: int = 0
    sm_has_fase_info: int = 1
    tlgrm_interval: int = 10
    oled_type: int = 0
    oled_screen_time: int = 1
    oled_flip_screen: int = 0
    index_page: str = "index.html"
    mqtt_broker: str = ""
    mqtt_broker_port: int = 1883
    mqtt_user: str = ""
    mqtt_passwd: str = ""
    mqtt_toptopic: str = "dsmrparse"
    mqtt_interval: int = 10  # seconds; 0 turns publishing off, as in the firmware
    # ---- ours ----
    host: str = "127.0.0.1"
    port: int = 8080
    data: str = "./dsmrparse-data"
    source: str = ""  # a dsmrparse.open() spec; empty with simulate set: the simulator
    simulate: str = ""  # profile name of the simulated meter
    profile: str = ""  # the meter family; empty: detected
    key: str = ""  # decryption key (Luxembourg, Austria)
    token: str = ""  # needed for writes when listening beyond loopback
    readings_days: int = 10  # how long the fine readings are kept
    readings_resolution: int = 60  # seconds between kept readings
    store_max_mb: float = 0.0  # cap on the history file (0: none); beyond it, as a full disk
    capture: int = 0  # 1: raw telegrams also go to daily .gz capture files
    mqtt_discovery: int = 1  # Home Assistant discovery messages
    mqtt_discovery_prefix: str = "homeassistant"
    extra: dict[str, Any] = field(default_factory=dict)  # unknown keys, kept as found

    @property
    def mbus_types(self) -> dict[int, int]:
        return {1: self.mbus1_type, 2: self.mbus2_type, 3: self.mbus3_type, 4: self.mbus4_type}

    def as_table(self) -> dict[str, Any]:
        table = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}
        table.update(self.extra)
        return table

    def update(self, name: str, value: Any) -> Any:
        """Set one setting from text or a JSON value, checked as the firmware checks it."""
        spec = FIRMWARE_SETTINGS.get(name) or OWN_SETTINGS.get(name)
        if spec is None:
            raise SettingError(f"unknown setting {name!r}")
        kind, low, high = spec
        text = "" if value is None else str(value).strip()
        if kind == "s":
            if len(text) > high:
                raise SettingError(f"{name}: longer than {high} characters")
            if name == "mqtt_passwd" and text == MASK:
                return self.mqtt_passwd
            new: Any = text
        else:
            try:
                new = int(float(text)) if kind == "i" else float(text)
            except ValueError:
                raise SettingError(f"{name}: {text!r} is not a number") from None
            if kind == "i" and float(text) != int(float(text)):
                raise SettingError(f"{name}: {text!r} is not a whole number")
            if not low <= new <= high:
                raise SettingError(f"{name}: {new} is outside {low}..{high}")
        setattr(self, name, new)
        return new

    def firmware_view(self) -> list[dict[str, Any]]:
        """The ``settings`` list of ``GET /api/v1/dev/settings`` (the firmware's shape): the
        firmware's settings, then the server's own, so a form built from the list offers every
        setting a POST accepts."""
        rows: list[dict[str, Any]] = []
        for name, (kind, low, high) in (FIRMWARE_SETTINGS | OWN_SETTINGS).items():
            value = getattr(self, name)
            if name == "mqtt_passwd" and value:
                value = MASK
            if kind == "s":
                rows.append({"name": name, "value": value, "type": "s", "maxlen": high})
            else:
                rows.append({"name": name, "value": value, "type": kind, "min": low, "max": high})
        return rows


# name -> (type, min, max); for text the max is the longest length. Limits as the firmware's.
FIRMWARE_SETTINGS: dict[str, tuple[str, int, int]] = {
    "hostname": ("s", 0, 29),
    "pre_dsmr40": ("i", 0, 1),
    "dailyreboot": ("i", 0, 1),
    "ed_tariff1": ("f", 0, 10),
    "ed_tariff2": ("f", 0, 10),
    "er_tariff1": ("f", 0, 10),
    "er_tariff2": ("f", 0, 10),
    "gd_tariff": ("f", 0, 10),
    "electr_netw_costs": ("f", 0, 100),
    "gas_netw_costs": ("f", 0, 100),
    "mbus1_type": ("i", 0, 200),
    "mbus2_type": ("i", 0, 200),
    "mbus3_type": ("i", 0, 200),
    "mbus4_type": ("i", 0, 200),
    "sm_has_fase_info": ("i", 0, 1),
    "tlgrm_interval": ("i", 2, 60),
    "oled_type": ("i", 0, 2),
    "oled_screen_time": ("i", 1, 300),
    "oled_flip_screen": ("i", 0, 1),
    "index_page": ("s", 0, 49),
    "mqtt_broker": ("s", 0, 100),
    "mqtt_broker_port": ("i", 1, 9999),
    "mqtt_user": ("s", 0, 39),
    "mqtt_passwd": ("s", 0, 39),
    "mqtt_toptopic": ("s", 0, 20),
    "mqtt_interval": ("i", 0, 600),
}
# ours, editable through the same POST (not listen address, data folder or token: those need a
# restart or would let a page lock its own user out)
OWN_SETTINGS: dict[str, tuple[str, int, int]] = {
    "readings_days": ("i", 1, 3660),
    "readings_resolution": ("i", 1, 3600),
    "mqtt_discovery": ("i", 0, 1),
    "mqtt_discovery_prefix": ("s", 0, 60),
}


def load(path: Path) -> Settings:
    """Settings from a TOML file (missing file: defaults). Wrong types raise SettingError."""
    settings = Settings()
    if not path.exists():
        return settings
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingError(f"{path}: not valid TOML: {exc}") from exc
    known = {f.name: f for f in fields(Settings) if f.name != "extra"}
    for name, value in table.items():
        if name not in known:
            settings.extra[name] = value
            continue
        default = getattr(settings, name)
        if isinstance(default, bool) or not isinstance(value, (type(default), int)):
            raise SettingError(f"{path}: {name} should be {type(default).__name__}, got {value!r}")
        setattr(settings, name, type(default)(value))
    return settings


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        escaped = "".join(c if c >= " " else f"\\u{ord(c):04x}" for c in escaped)
        return f'"{escaped}"'
    raise SettingError(f"cannot write {value!r} to TOML")


def save(settings: Settings, path: Path) -> None:
    """Write the flat table atomically (a crash leaves the old file or the new one)."""
    lines = ["# dsmrparse serve settings (docs/serve.md); edited by the API too", ""]
    for name, value in settings.as_table().items():
        if isinstance(value, (dict, list)):
            continue  # nested unknown tables are not ours to rewrite
        lines.append(f"{name} = {_toml_value(value)}")
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(path)
