"""MQTT: what the firmware publishes, our interchange form, and Home Assistant discovery.

Firmware facts (MQTTstuff.cpp, jsonStuff.cpp ``createMQTTjsonMessage``): one message per field on
``<top>/<field>`` with the payload ``{"<field>": [{"value": V, "unit": "U"}]}`` (no ``unit`` when
the field has none; numbers ``%.3f`` or integers, texts quoted), plus ``gas_delivered`` in m3,
every ``mqtt_interval`` seconds, QoS 0, not retained; an interval of 0 publishes nothing.
Ours on top: ``<top>/telegram`` (the interchange form), ``<top>/status`` ``online``/``offline``
(retained, ``offline`` also as the last will), and retained discovery configs under
``<prefix>/sensor/<node>/<field>/config``.

paho-mqtt runs its own network thread: connecting, reconnecting with back-off (1 s doubling up to
60 s) and sending never block the reader or the HTTP server; while the broker is away, QoS 0
messages are dropped, not queued.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from typing import Any

import paho.mqtt.client as mqtt

from .. import dumps
from ..telegram import Telegram
from .settings import Settings

__all__ = ["MqttPublisher", "discovery"]

log = logging.getLogger("dsmrparse.serve.mqtt")

# unit -> (device_class, state_class) for Home Assistant
_CLASSES = {
    "kWh": ("energy", "total_increasing"),
    "kW": ("power", "measurement"),
    "V": ("voltage", "measurement"),
    "A": ("current", "measurement"),
    "m3": ("gas", "total_increasing"),
}


def _topic(top: str, name: str) -> str:
    return f"{top.rstrip('/')}/{name}"


def _node(settings: Settings) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", settings.hostname or "dsmrparse")


def discovery(settings: Settings, values: dict[str, tuple[Any, str]], model: str) -> dict[str, str]:
    """Topic -> retained config payload for every numeric field with a unit (and gas)."""
    node = _node(settings)
    top = settings.mqtt_toptopic
    device = {"identifiers": [f"dsmrparse_{node}"], "name": settings.hostname or "dsmrparse",
              "manufacturer": "dsmrparse", "model": model}  # fmt: skip
    out: dict[str, str] = {}
    for name, (_, unit) in values.items():
        classes = _CLASSES.get(unit)
        if classes is None:
            continue
        config = {
            "name": name.replace("_", " "),
            "unique_id": f"{node}_{name}",
            "object_id": f"{node}_{name}",
            "state_topic": _topic(top, name),
            "value_template": f"{{{{ value_json.{name}[0].value }}}}",
            "unit_of_measurement": "m³" if unit == "m3" else unit,
            "device_class": classes[0],
            "state_class": classes[1],
            "availability_topic": _topic(top, "status"),
            "device": device,
        }
        prefix = settings.mqtt_discovery_prefix.rstrip("/")
        out[f"{prefix}/sensor/{node}/{name}/config"] = json.dumps(config)
    return out


class MqttPublisher:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.top = settings.mqtt_toptopic or settings.hostname or "dsmrparse"
        client_id = f"dsmrparse-{_node(settings)}-{os.getpid()}"
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
        if settings.mqtt_user:
            self.client.username_pw_set(settings.mqtt_user, settings.mqtt_passwd or None)
        self.client.will_set(_topic(self.top, "status"), "offline", qos=0, retain=True)
        self.client.reconnect_delay_set(1, 60)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.connected = False
        self.announced = False
        self.last_publish = 0.0
        self.published = 0

    def start(self) -> None:
        s = self.settings
        self.client.connect_async(s.mqtt_broker, s.mqtt_broker_port, keepalive=30)
        self.client.loop_start()

    def stop(self) -> None:
        if self.connected:
            info = self.client.publish(_topic(self.top, "status"), "offline", qos=0, retain=True)
            info.wait_for_publish(timeout=1)
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            log.warning("MQTT broker refused: %s", reason)
            return
        log.info(
            "MQTT connected to %s:%s", self.settings.mqtt_broker, self.settings.mqtt_broker_port
        )
        self.connected = True
        self.announced = False
        client.publish(_topic(self.top, "status"), "online", qos=0, retain=True)

    def _on_disconnect(
        self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        if self.connected:
            log.warning("MQTT connection lost (%s); reconnecting", reason)
        self.connected = False

    def telegram(self, telegram: Telegram, values: dict[str, tuple[Any, str]]) -> None:
        """Called for every stored telegram; publishes when the interval has passed."""
        interval = self.settings.mqtt_interval
        if interval <= 0 or not self.connected:
            return
        now = time.monotonic()
        if now - self.last_publish < interval and self.last_publish:
            return
        self.last_publish = now
        from .firmware import gas_delivered

        fields = dict(values)
        fields["gas_delivered"] = (gas_delivered(telegram, self.settings.mbus_types), "m3")
        if self.settings.mqtt_discovery and not self.announced:
            self.announced = True
            for topic, config in discovery(self.settings, fields, telegram.header.text).items():
                self.client.publish(topic, config, qos=0, retain=True)
        for name, (value, unit) in fields.items():
            row = {"value": value, "unit": unit} if unit else {"value": value}
            self.client.publish(_topic(self.top, name), dumps({name: [row]}), qos=0)
        self.client.publish(_topic(self.top, "telegram"), telegram.to_json(), qos=0)
        self.published += 1
