"""``dsmrparse serve``: the DSMR-logger itself.

It reads a meter (or the built-in simulator), keeps its history in SQLite, and serves the REST API
of the DSMRloggerAPI firmware, our own v2 API with a push channel, Prometheus metrics and MQTT.
Everything here needs the ``serve`` extra (aiohttp, paho-mqtt); ``import dsmrparse`` never
imports this package. Documentation: docs/serve.md.
"""
