"""`dsmrparse serve` as a subprocess fed by the simulator through the autumn DST change and
power failures, queried over HTTP: the firmware's shapes, our range view, errors, the token."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("aiohttp")

import dsmrparse  # noqa: E402
from _serve_proc import Server, request  # noqa: E402

# 300 telegrams a simulated minute apart from 00:30 CEST on the night the clocks go back;
# seed 3 has both 02:00 hours (+02:00 and +01:00) and four power failures longer than 5 minutes
SIM = ["--simulate", "dsmr5", "--sim-start", "2026-10-25T00:30:00+02:00", "--sim-step", "60",
       "--sim-seed", "3", "--sim-failures-per-day", "30", "--interval", "0.005"]  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("serve"), *SIM, "--sim-count", "300", "--token", "T0K")
    try:
        srv.wait_for(srv.finished)
        yield srv
    finally:
        srv.stop()


def test_actual_has_the_firmware_shape(server: Server) -> None:
    body = server.json("/api/v1/sm/actual")
    rows = body["actual"]
    names = [r["name"] for r in rows]
    assert names[0] == "timestamp" and names[-1] == "gas_delivered"
    assert {"energy_delivered_tariff1", "power_delivered", "voltage_l1", "mbus1_delivered"} <= set(
        names
    )
    by_name = {r["name"]: r for r in rows}
    assert by_name["energy_delivered_tariff1"]["unit"] == "kWh"
    assert by_name["gas_delivered"]["unit"] == "m3"
    assert "unit" not in by_name["timestamp"]
    # the meter's last telegram, as the simulator wrote it
    raw = server.get("/api/v1/sm/telegram")[1]
    telegram = dsmrparse.parse(raw)
    assert by_name["timestamp"]["value"] == telegram.entry("timestamp").raw[0]
    assert str(telegram["electricity_imported_tariff_1"]) == str(
        by_name["energy_delivered_tariff1"]["value"]
    )
    # %.3f numbers, as the firmware writes them
    text = server.get("/api/v1/sm/actual")[1].decode()
    assert '"unit":"V"' in text and ".000" in text or ".0" in text


def test_fields_prefix_and_missing_fields(server: Server) -> None:
    rows = server.json("/api/v1/sm/fields/power_del")["fields"]
    assert [r["name"] for r in rows] == [
        "timestamp", "power_delivered", "power_delivered_l1", "power_delivered_l2",
        "power_delivered_l3",
    ]  # fmt: skip
    every = {r["name"]: r["value"] for r in server.json("/api/v1/sm/fields")["fields"]}
    assert every["mbus4_delivered"] == "-"  # not sent by this meter
    info = [r["name"] for r in server.json("/api/v1/sm/info")["info"]]
    assert "identification" in info and "mbus1_equipment_id_tc" in info


def test_hours_across_dst_and_power_failures(server: Server) -> None:
    hours = server.json("/api/v1/hist/hours")["hours"]
    assert 0 < len(hours) <= 49
    assert [h["recnr"] for h in hours] == list(range(len(hours)))
    assert set(hours[0]) == {"recnr", "recid", "slot", "edt1", "edt2", "ert1", "ert2", "gdt"}
    # the repeated 02:00 hour is two records with the same firmware recid
    assert [h["recid"] for h in hours].count("26102502") == 2
    desc = server.json("/api/v1/hist/hours/desc")["hours"]
    assert [h["recid"] for h in desc] == [h["recid"] for h in reversed(hours)]
    # registers never go down from one hour to the next (oldest first)
    for before, after in zip(desc, desc[1:]):
        assert after["edt1"] + after["edt2"] >= before["edt1"] + before["edt2"]

    ranged = server.json("/api/v1/hist/hours?from=2026-10-25T00:00&to=2026-10-26")
    starts = [h["start"] for h in ranged["hours"] if not h.get("missing")]
    assert "2026-10-25T02:00:00+02:00" in starts and "2026-10-25T02:00:00+01:00" in starts
    assert ranged["gaps"] and all(g["reason"] == "no telegrams" for g in ranged["gaps"])
    assert all(g["seconds"] > 300 for g in ranged["gaps"])
    for h in ranged["hours"]:
        if h.get("missing"):
            continue
        assert all(v is None or v >= 0 for v in h["usage"].values())  # never negative
        assert h["costs"] is not None
    # the hour after a long failure starts from its own first telegram, marked as such
    assert any(h.get("gap") or h.get("missing") for h in ranged["hours"])
    days = server.json("/api/v1/hist/days")["days"]
    assert [d["recid"] for d in days] == ["26102500"]
    months = server.json("/api/v1/hist/months")["months"]
    assert months[0]["recid"] == "26100100"


def test_device_endpoints(server: Server) -> None:
    info = {r["name"]: r["value"] for r in server.json("/api/v1/dev/info")["devinfo"]}
    assert info["telegramcount"] == 300 and info["store_error"] == ""
    time_rows = {r["name"]: r["value"] for r in server.json("/api/v1/dev/time")["devtime"]}
    assert time_rows["timestamp"].endswith("W") and time_rows["time"].startswith("2026-10-25")
    settings = {r["name"]: r for r in server.json("/api/v1/dev/settings")["settings"]}
    assert settings["ed_tariff1"]["type"] == "f" and settings["ed_tariff1"]["max"] == 10
    assert settings["hostname"]["type"] == "s" and "maxlen" in settings["hostname"]
    # the server's own settings are listed too, so the settings page can show and edit them
    assert settings["readings_days"] == {
        "name": "readings_days",
        "value": 10,
        "type": "i",
        "min": 1,
        "max": 3660,
    }
    assert settings["mqtt_discovery_prefix"]["maxlen"] == 60


def test_v2_metrics_and_openapi(server: Server) -> None:
    t = server.json("/api/v2/telegram")
    assert t["format"] == "dsmrparse/1" and t["crc"]["status"] == "ok"
    metrics = server.get("/metrics")[1].decode()
    assert "dsmr_telegrams_total 300" in metrics
    assert 'dsmr_energy_imported_wh{tariff="1"}' in metrics
    readings = server.json("/api/v2/readings?from=2026-10-25T01:00&to=2026-10-25T02:00")["readings"]
    stamps = [r["ts"] for r in readings]
    assert 0 < len(stamps) <= 60 and stamps == sorted(stamps)
    assert all(ts % 60 == 0 for ts in stamps)  # one kept reading per minute (the resolution)
    assert all(r["edt1"] is not None and r["power_delivered"] is not None for r in readings)
    spec = server.json("/api/openapi.json")
    assert "/api/v1/hist/hours" in spec["paths"] and "/api/v2/events" in spec["paths"]


def test_settings_write_needs_the_token_and_checks_values(server: Server) -> None:
    body = json.dumps({"name": "ed_tariff1", "value": "0.31"}).encode()
    status, answer = server.post("/api/v1/dev/settings", body)
    assert status == 401 and "Bearer" in answer["error"]["message"]
    auth = {"Authorization": "Bearer T0K"}
    status, answer = server.post("/api/v1/dev/settings", body, **auth)
    assert status == 200 and answer == {"name": "ed_tariff1", "value": 0.31}
    settings = {r["name"]: r["value"] for r in server.json("/api/v1/dev/settings")["settings"]}
    assert settings["ed_tariff1"] == 0.31
    for bad in ({"name": "ed_tariff1", "value": "11"}, {"name": "nope", "value": 1},
                {"name": "tlgrm_interval", "value": "x"}, {"value": 1}):  # fmt: skip
        status, answer = server.post("/api/v1/dev/settings", json.dumps(bad).encode(), **auth)
        assert status == 400 and answer["error"]["status"] == 400, bad


def test_month_correction(server: Server) -> None:
    auth = {"Authorization": "Bearer T0K"}
    body = {"recid": "2609", "edt1": 100.5, "edt2": 200, "ert1": 1, "ert2": 2, "gdt": 3.25}
    status, answer = server.post("/api/v1/hist/months", json.dumps(body).encode(), **auth)
    assert status == 200, answer
    months = {m["recid"]: m for m in server.json("/api/v1/hist/months")["months"]}
    assert months["26090100"]["edt1"] == 100.5 and months["26090100"]["gdt"] == 3.25
    for bad in ({"recid": "2613"}, {"recid": "26"}, {"recid": "2609", "edt1": "x"},
                {"recid": "2609", "edt1": -1}):  # fmt: skip
        status, answer = server.post("/api/v1/hist/months", json.dumps(bad).encode(), **auth)
        assert status == 400, bad


def test_bad_requests_get_json_4xx_and_the_server_goes_on(server: Server) -> None:
    auth = {"Authorization": "Bearer T0K"}
    assert server.get("/api/v1/nothing")[0] == 404
    assert server.get("/api/v1/hist/weeks")[0] == 404
    assert server.get("/api/v1/hist/hours?from=yesterday")[0] == 400
    status, answer = server.post("/api/v1/dev/settings", b"{not json", **auth)
    assert status == 400 and "JSON" in answer["error"]["message"]
    status, answer = server.post("/api/v1/dev/settings", b"x" * 100_000, **auth)
    assert status == 413 and answer["error"]["status"] == 413
    status, _, _ = request(server.url + "/api/v1/sm/actual", data=b"{}", headers=auth)  # a GET path
    assert status == 405
    assert server.get("/%2e%2e/%2e%2e/etc/passwd")[0] == 404
    # not HTTP at all, and a header far too long: 4xx from the HTTP layer, nothing else
    host, port = server.url.rsplit("/", 1)[1].rsplit(":", 1)
    for junk in (
        b"\x00\xff garbage\r\n\r\n",
        b"GET / HTTP/1.1\r\nX: " + b"a" * 20000 + b"\r\n\r\n",
    ):
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(junk)
            answer = sock.recv(200)
        assert answer.startswith(b"HTTP/1.") and answer[9:10] == b"4", answer
    assert server.json("/api/v1/sm/actual")["actual"]  # still serving


def _events(url: str) -> Iterator[tuple[str, Any]]:
    """The server-sent events of ``url`` as (event, data) pairs, until the caller stops."""
    import urllib.request

    with urllib.request.urlopen(url + "/api/v2/events", timeout=10) as stream:
        event = ""
        for line in stream:
            text = line.decode().rstrip("\n")
            if text.startswith("event: "):
                event = text[7:]
            elif text.startswith("data: "):
                yield event, json.loads(text[6:])


def test_events_stream_begins_with_the_last_telegram(tmp_path: Path) -> None:
    srv = Server(tmp_path, "--simulate", "dsmr5", "--interval", "0.05", "--sim-count", "3")
    try:
        srv.wait_for(srv.finished)
        got: list[tuple[str, Any]] = []
        for event, data in _events(srv.url):
            got.append((event, data))
            if event == "telegram":
                break
        assert [e for e, _ in got] == ["status", "telegram"]
        assert got[1][1]["telegram"] == srv.json("/api/v2/telegram")
        assert got[1][1]["actual"] == srv.json("/api/v1/sm/actual")
    finally:
        srv.stop()


def test_events_stream_telegrams(tmp_path: Path) -> None:
    srv = Server(
        tmp_path,
        "--simulate",
        "dsmr5",
        "--interval",
        "0.05",
        "--sim-count",
        "40",
        "--capture",
        "--sim-start",
        "2026-06-01T12:00:00+02:00",  # a fixed day: one capture file
    )
    try:
        got: list[tuple[str, dict[str, object]]] = []

        def listen() -> None:
            for event, data in _events(srv.url):
                got.append((event, data))
                if sum(1 for e, _ in got if e == "telegram") >= 3:
                    return

        thread = threading.Thread(target=listen, daemon=True)
        thread.start()
        thread.join(15)
        telegrams = [d for e, d in got if e == "telegram"]
        assert got[0][0] == "status" and len(telegrams) >= 3
        first = telegrams[0]
        assert set(first) == {"actual", "telegram"}
        assert first["actual"]["actual"][0]["name"] == "timestamp"  # type: ignore[index]
        assert first["telegram"]["format"] == "dsmrparse/1"  # type: ignore[index]
        stamps = [datetime.fromisoformat(d["telegram"]["timestamp"]) for d in telegrams]  # type: ignore[index]
        assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
        srv.wait_for(srv.finished)
    finally:
        srv.stop()
    # --capture kept every raw telegram in a daily .gz that the library reads back
    (capture,) = (tmp_path / "capture").glob("*.txt.gz")
    kept = list(dsmrparse.iter_telegrams(capture))
    assert len(kept) == 40 and all(t.crc == "ok" for t in kept)


def test_loopback_is_told_apart() -> None:
    from dsmrparse.serve.app import is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("::") and not is_loopback("")
    assert not is_loopback("192.168.1.20") and not is_loopback("dsmr.local")


def test_openapi_describes_every_route(tmp_path: Path) -> None:
    from dsmrparse.serve import openapi
    from dsmrparse.serve.app import make_app
    from dsmrparse.serve.logger import Logger
    from dsmrparse.serve.settings import Settings
    from dsmrparse.serve.store import Store

    store = Store(tmp_path / "h.sqlite3")
    app = make_app(Logger(Settings(), store, tmp_path), lambda name: None, "", False)
    served = set()
    for route in app.router.routes():
        path = route.resource.canonical if route.resource is not None else ""
        if route.method in ("HEAD", "OPTIONS") or path in ("/", "/{path}"):
            continue
        method = (
            "post" if route.method == "PUT" else route.method.lower()
        )  # PUT: the firmware's alias
        for kind in ("hours", "days", "months"):  # {kind} stands for three paths
            served.add((method, path.replace("{kind}", kind).replace("{order}", "desc")))
    described = {(m, p) for m, p, *_ in openapi.ENDPOINTS}
    assert served == described
    assert set(openapi.document()["paths"]) == {p for _, p in described}
    store.close()
