// The logger's pages. They read only the public API: the firmware-compatible /api/v1 and the
// push channel /api/v2/events; so they are also a live test of both.
import { barChart, lineChart } from "./chart.js";
import {
  KEYS, chosenRange, cost as costWith, defaultRange, fullLabel, label, listOf, num, pad, periodsOf, rowsOf, shift,
  sumImport, yearBefore,
} from "./periods.js";

const $ = (sel, root = document) => root.querySelector(sel);
const PAGES = ["now", "hours", "days", "months", "fields", "telegram", "system", "settings"];
const ROLLING_SPAN = 600; // seconds of power kept for the "last minutes" chart

const state = {
  page: "now",
  actual: {}, // firmware name -> {value, unit}
  telegram: null, // the interchange form of the last telegram
  settings: {}, // firmware setting name -> value
  settingRows: [],
  rolling: [], // [epochSeconds, importKw, exportKw]
  dayBase: null, // registers at the start of today's day period (and its start time)
  token: sessionStorage.getItem("dsmrparse-token") || "",
  periods: {}, // period page -> {from, to}
};

// ---- talking to the server -------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, text) {
    super(`${status}: ${text}`);
    this.status = status;
  }
}

async function api(path, options = {}) {
  const headers = { Accept: "application/json, text/plain", ...(options.headers || {}) };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  if (state.token && options.method && options.method !== "GET") headers.Authorization = `Bearer ${state.token}`;
  const response = await fetch(path, { ...options, headers });
  const type = response.headers.get("content-type") || "";
  const body = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) {
    // the server's errors: {"error": {"status", "message"}}
    const e = body && typeof body === "object" ? body.error : null;
    const message = e ? e.message || JSON.stringify(e) : typeof body === "object" ? JSON.stringify(body) : body;
    throw new ApiError(response.status, String(message).slice(0, 300));
  }
  return body;
}

function byName(doc) {
  const out = {};
  for (const row of rowsOf(doc)) if (row && row.name !== undefined) out[row.name] = row;
  return out;
}

function showError(err) {
  const box = $("#error");
  if (!err) {
    box.hidden = true;
    return;
  }
  box.textContent = err instanceof ApiError ? `The server answered ${err.message}` : `No answer from the server (${err.message || err})`;
  box.hidden = false;
}

function guard(promise) {
  return promise.then(() => showError(null), showError);
}

// ---- formatting ------------------------------------------------------------------------------

function fixed(value, digits) {
  const n = num(value);
  return n === null ? "\u2013" : n.toFixed(digits);
}

function setValue(id, value, digits) {
  const node = document.getElementById(id);
  node.textContent = fixed(value, digits);
  node.dataset.value = num(value) === null ? "" : String(num(value));
}

function text(value) {
  if (value === null || value === undefined) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

function cell(tr, value, tag = "td") {
  const td = document.createElement(tag);
  td.textContent = text(value);
  tr.appendChild(td);
  return td;
}

// ---- the Now page ----------------------------------------------------------------------------

const REGISTERS = ["energy_delivered_tariff1", "energy_delivered_tariff2", "energy_returned_tariff1", "energy_returned_tariff2", "gas_delivered"];

function value(name) {
  const row = state.actual[name];
  return row ? num(row.value) : null;
}

function renderNow() {
  const imp = value("power_delivered");
  const exp = value("power_returned");
  setValue("now-power-import", imp, 3);
  setValue("now-power-export", exp, 3);
  setValue("now-power-net", imp === null ? null : imp - (exp || 0), 3);
  const tariff = state.telegram && (state.telegram.objects || []).find((o) => o.name === "tariff_indicator");
  $("#now-tariff").textContent = tariff ? text(tariff.value) : "\u2013";
  $("#now-stamp").textContent = stampText();
  for (const tr of document.querySelectorAll("#phases tbody tr")) {
    [1, 2, 3].forEach((phase, i) => {
      const v = value(`${tr.dataset.key}_l${phase}`);
      tr.cells[i + 1].textContent = v === null ? "\u2013" : v.toFixed(tr.dataset.key === "voltage" ? 1 : tr.dataset.key === "current" ? 0 : 3);
    });
  }
  renderToday();
  renderRolling();
}

// The meter's time: the interchange form's ISO timestamp, else the firmware's YYMMDDhhmmssX text.
function stampText() {
  const iso = state.telegram && state.telegram.timestamp;
  if (iso) return String(iso).replace("T", " ").slice(0, 19);
  const raw = state.actual.timestamp ? String(state.actual.timestamp.value) : "";
  const m = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)/.exec(raw);
  return m ? `20${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}:${m[6]}` : raw;
}

function renderToday() {
  const base = state.dayBase;
  const live = REGISTERS.map((r) => value(r));
  if (!base || live[0] === null) {
    $("#today-note").textContent = base ? "" : "(waiting for today's history)";
    return;
  }
  const use = {};
  KEYS.forEach((k, i) => {
    use[k] = live[i] === null || base[k] === null ? null : live[i] - base[k];
  });
  $("#today-note").textContent = `since ${base.since}`;
  setValue("today-import", use.edt1 + use.edt2, 3);
  setValue("today-export", use.ert1 + use.ert2, 3);
  setValue("today-gas", use.gdt, 3);
  setValue("today-cost", cost(use, "days"), 2);
}

// The meter's clock as epoch seconds (a simulated meter may run fast or in another day).
function meterEpoch() {
  const t = state.telegram && Date.parse(state.telegram.timestamp);
  return t ? t / 1000 : Date.now() / 1000;
}

function renderRolling() {
  if (state.page !== "now") return;
  lineChart($("#rolling"), {
    span: ROLLING_SPAN,
    now: state.rolling.length ? state.rolling[state.rolling.length - 1][0] : meterEpoch(),
    series: [
      { name: "import kW", cls: "s-imp1", points: state.rolling.map((p) => [p[0], p[1]]) },
      { name: "export kW", cls: "s-exp1", points: state.rolling.map((p) => [p[0], p[2]]) },
    ],
  });
}

// Today's usage = the live registers minus those at the start of today's day period.
async function loadToday() {
  const today = meterNow();
  const doc = await api(`/api/v1/hist/days?from=${today.slice(0, 10)}`);
  const rows = listOf(doc, "days").filter((r) => r.start_registers && !r.missing);
  const row = rows[rows.length - 1];
  state.dayBase = row
    ? { ...Object.fromEntries(KEYS.map((k) => [k, num(row.start_registers[k])])), since: String(row.start).slice(11, 16) || "00:00" }
    : null;
  renderToday();
}

// The minutes before the page opened, from the stored fine readings.
async function loadRolling() {
  const since = meterEpoch() - ROLLING_SPAN;
  const doc = await api(`/api/v2/readings?from=${Math.floor(since)}`);
  const first = state.rolling.length ? state.rolling[0][0] : Infinity;
  const older = (doc.readings || [])
    .filter((r) => r.ts < first && num(r.power_delivered) !== null)
    .map((r) => [r.ts, num(r.power_delivered), num(r.power_returned) ?? 0]);
  state.rolling = older.concat(state.rolling);
  renderRolling();
}

// ---- push channel ----------------------------------------------------------------------------

function onTelegram(data) {
  const live = $("#live");
  live.dataset.count = String(Number(live.dataset.count || 0) + 1); // telegrams pushed to this page
  const day = meterNow().slice(0, 10);
  state.actual = byName(data.actual);
  state.telegram = data.telegram || null;
  const now = meterEpoch();
  const imp = value("power_delivered");
  if (state.rolling.length && state.rolling[state.rolling.length - 1][0] > now) state.rolling = []; // clock went back
  if (imp !== null) state.rolling.push([now, imp, value("power_returned") || 0]);
  while (state.rolling.length && state.rolling[0][0] < now - ROLLING_SPAN) state.rolling.shift();
  // midnight passed on the meter, or today's period was not stored yet when last asked
  if ((meterNow().slice(0, 10) !== day || !state.dayBase) && !state.todayLoading) {
    state.todayLoading = true;
    guard(loadToday()).finally(() => (state.todayLoading = false));
  }
  renderNow();
  if (state.page === "fields") renderFields();
  if (["hours", "days", "months"].includes(state.page)) refreshPeriod(state.page);
  if (state.page === "telegram" && !state.telegramLoading) {
    state.telegramLoading = true; // one request at a time, however fast telegrams come
    guard(loadTelegram()).finally(() => (state.telegramLoading = false));
  }
}

function connect() {
  const live = $("#live");
  const source = new EventSource("/api/v2/events");
  source.addEventListener("open", () => {
    live.dataset.state = "live";
    live.textContent = "live";
    showError(null); // the server is back
  });
  // the server says how its source is doing: a meter that went quiet shows here
  source.addEventListener("status", (event) => {
    try {
      const status = JSON.parse(event.data);
      const problem = status.source && status.source !== "reading" ? status.source : "";
      live.dataset.source = status.source || "";
      live.textContent = problem ? `live \u00b7 meter ${problem}` : "live";
      live.title = status.source_error || status.store_error || "push channel";
    } catch (err) {
      showError(err);
    }
  });
  source.addEventListener("error", () => {
    live.dataset.state = "reconnecting";
    live.textContent = "reconnecting";
  });
  source.addEventListener("telegram", (event) => {
    try {
      onTelegram(JSON.parse(event.data));
    } catch (err) {
      showError(err);
    }
  });
}

// ---- history pages ---------------------------------------------------------------------------

const cost = (use, period) => costWith(use, period, state.settings);

// The meter's local time "YYYY-MM-DDTHH:MM:SS" (periods follow the meter's clock, not the
// browser's: a simulated meter may live in another day).
function meterNow() {
  const stamp = stampText();
  if (/^\d{4}-\d\d-\d\d \d\d:\d\d/.test(stamp)) return stamp.replace(" ", "T");
  const d = new Date();
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:00`;
}

function buildPeriodPage(section) {
  const period = section.dataset.period;
  section.appendChild($("#period-template").content.cloneNode(true));
  $(".period-title", section).textContent = period[0].toUpperCase() + period.slice(1);
  const form = $("form.range", section);
  if (period === "hours") for (const i of form.querySelectorAll("input")) i.type = "datetime-local";
  if (period === "months") for (const i of form.querySelectorAll("input")) i.type = "month";
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    state.periods[period] = chosenRange(period, form.elements.from.value, form.elements.to.value);
    guard(loadPeriod(period));
  });
  form.elements.latest.addEventListener("click", () => {
    form.reset();
    delete state.periods[period];
    guard(loadPeriod(period));
  });
  section.dataset.built = "1";
}

async function loadPeriod(period) {
  const range = state.periods[period] || defaultRange(period, meterNow());
  const query = new URLSearchParams(Object.entries(range).filter(([, v]) => v));
  const url = `/api/v1/hist/${period}?${query}`;
  const doc = await api(url);
  const section = document.getElementById(`page-${period}`);
  section.dataset.query = url; // what the charts show, for anyone checking them against the API
  section.dataset.loaded = String(Date.now());
  renderPeriod(period, periodsOf(doc, period));
}

// A history page left open keeps its current period growing: on a telegram, at most once a
// minute (<body data-period-refresh-ms> changes that), and only in the default window (a
// chosen range stays as chosen).
function refreshPeriod(period) {
  const section = document.getElementById(`page-${period}`);
  if (state.periods[period] || state.periodLoading) return;
  const every = Number(document.body.dataset.periodRefreshMs) || 60000;
  if (Date.now() - Number(section.dataset.loaded || 0) < every) return;
  state.periodLoading = true;
  guard(loadPeriod(period)).finally(() => (state.periodLoading = false));
}

function renderPeriod(period, periods) {
  const section = document.getElementById(`page-${period}`);
  let shown = periods;
  let previous = null;
  if (period === "months") ({ shown, previous } = yearBefore(periods));
  const labels = shown.map((p) => label(period, p.date));
  const values = (k) => shown.map((p) => (p.usage ? p.usage[k] : null));
  const electricity = [
    { name: "import T1", cls: "s-imp1", stack: "import", values: values("edt1") },
    { name: "import T2", cls: "s-imp2", stack: "import", values: values("edt2") },
    { name: "export T1", cls: "s-exp1", stack: "export", values: values("ert1") },
    { name: "export T2", cls: "s-exp2", stack: "export", values: values("ert2") },
  ];
  const gas = [{ name: "gas", cls: "s-gas", values: values("gdt") }];
  if (previous) {
    electricity.push({ name: "import a year earlier", cls: "s-prev", stack: "prev", values: previous.map((p) => sumImport(p && p.usage)) });
    gas.push({ name: "gas a year earlier", cls: "s-prev", values: previous.map((p) => (p && p.usage ? p.usage.gdt : null)) });
  }
  const ids = shown.map((p) => p.recid);
  barChart($(".chart-electricity", section), { labels, ids, series: electricity });
  barChart($(".chart-gas", section), { labels, ids, series: gas, height: 160 });
  renderPeriodTable(section, period, shown, previous);
}

function renderPeriodTable(section, period, shown, previous) {
  const table = $("table.periods", section);
  const head = ["Period", "Import T1", "Import T2", "Export T1", "Export T2", "Gas", "Cost"];
  if (previous) head.push("Import a year earlier", "Gas a year earlier");
  table.tHead.replaceChildren();
  const hr = table.tHead.insertRow();
  for (const h of head) cell(hr, h, "th");
  const total = { edt1: 0, edt2: 0, ert1: 0, ert2: 0, gdt: 0, cost: 0 };
  const rows = [...shown].reverse().map((p, j) => {
    const tr = document.createElement("tr");
    tr.dataset.recid = p.recid;
    const note = p.missing ? " (no data)" : p.gap ? " (gap)" : p.corrected ? " (corrected)" : "";
    cell(tr, fullLabel(period, p.date) + note, "th");
    for (const k of KEYS) {
      const v = p.usage ? p.usage[k] : null;
      cell(tr, v === null ? "\u2013" : v.toFixed(3)).dataset.key = k;
      total[k] += v ?? 0;
    }
    const c = p.costs ?? (p.usage ? cost(p.usage, period) : null);
    total.cost += c ?? 0;
    cell(tr, c === null ? "\u2013" : c.toFixed(2));
    if (previous) {
      const q = previous[shown.length - 1 - j];
      const imp = sumImport(q && q.usage);
      cell(tr, imp === null ? "\u2013" : imp.toFixed(3));
      cell(tr, q && q.usage && q.usage.gdt !== null ? q.usage.gdt.toFixed(3) : "\u2013");
    }
    return tr;
  });
  table.tBodies[0].replaceChildren(...rows);
  table.tFoot.replaceChildren();
  if (shown.length) {
    const tr = table.tFoot.insertRow();
    cell(tr, "Total", "th");
    for (const k of KEYS) cell(tr, total[k].toFixed(3));
    cell(tr, total.cost.toFixed(2));
    if (previous) for (let i = 0; i < 2; i++) cell(tr, "");
  }
}

// ---- fields, telegram, system ----------------------------------------------------------------

function renderFields() {
  const t = state.telegram;
  const body = $("#fields-table tbody");
  if (!t) {
    body.replaceChildren();
    const tr = body.insertRow();
    cell(tr, "waiting for the next telegram").colSpan = 4;
    return;
  }
  const crc = t.crc && t.crc.status ? ` \u00b7 CRC ${t.crc.status}` : "";
  $("#fields-stamp").textContent = `${text(t.timestamp || "")} \u00b7 ${text(t.profile || "")}${crc}`;
  // what the parser found wrong with this telegram, as the library reports it
  const problems = (t.problems || []).map((p) => {
    const li = document.createElement("li");
    li.textContent = typeof p === "object" ? [p.line && `line ${p.line}`, p.obis, p.message].filter(Boolean).join(": ") || JSON.stringify(p) : String(p);
    return li;
  });
  $("#fields-problems").replaceChildren(...problems);
  const filter = $("#fields-filter").value.trim().toLowerCase();
  const rows = [];
  for (const o of t.objects || []) {
    const tr = document.createElement("tr");
    tr.dataset.obis = o.obis;
    cell(tr, o.obis);
    cell(tr, o.name);
    cell(tr, o.value).className = "value";
    cell(tr, o.unit);
    if (filter && !`${o.obis} ${o.name}`.toLowerCase().includes(filter)) tr.hidden = true;
    rows.push(tr);
  }
  body.replaceChildren(...rows);
}

async function loadTelegram() {
  $("#telegram-raw").textContent = await api("/api/v1/sm/telegram");
}

// Plain words for the firmware's device-info names; the name itself stays beside them.
const INFO_LABELS = {
  uptime: "Uptime", telegramcount: "Telegrams read", telegramerrors: "Telegrams skipped",
  telegraminterval: "Telegram interval (s)", source: "Source", source_error: "Source problem",
  store: "History store", store_schema: "Store schema", store_error: "Store problem",
  filesystem_free: "Free disk", mqttbroker: "MQTT broker", mqttbroker_connected: "MQTT connected",
  mqttinterval: "MQTT interval (s)", fwversion: "Version", hostname: "Host name",
  identification: "Meter", p1_version: "P1 version", equipment_id: "Equipment id",
  electricity_tariff: "Tariff now", profile: "Meter family",
};

function fillTable(table, doc) {
  const body = table.tBodies[0];
  body.replaceChildren();
  for (const row of rowsOf(doc)) {
    const tr = body.insertRow();
    tr.dataset.name = row.name;
    const th = cell(tr, INFO_LABELS[row.name] || row.name, "th");
    if (INFO_LABELS[row.name]) {
      const small = document.createElement("small");
      small.textContent = ` ${row.name}`;
      th.appendChild(small);
    }
    cell(tr, row.unit ? `${text(row.value)} ${row.unit}` : row.value);
  }
}

async function loadSystem() {
  const [dev, sm] = await Promise.all([api("/api/v1/dev/info"), api("/api/v1/sm/info")]);
  fillTable($("#system-table"), dev);
  // the meter family this library read the telegrams as (the firmware has no such field)
  const t = state.telegram;
  const extra = t && t.profile ? [{ name: "profile", value: t.profile_reason ? `${t.profile} (${t.profile_reason})` : t.profile }] : [];
  fillTable($("#sminfo-table"), rowsOf(sm).concat(extra));
}

// ---- settings --------------------------------------------------------------------------------

// Labels and groups of the firmware's settings (and the server's own); unknown names are shown
// as they are, in "Other", so a newer server's settings can still be edited.
const SETTING_LABELS = {
  hostname: "Host name",
  ed_tariff1: "Import tariff 1 (per kWh)",
  ed_tariff2: "Import tariff 2 (per kWh)",
  er_tariff1: "Export tariff 1 (per kWh)",
  er_tariff2: "Export tariff 2 (per kWh)",
  gd_tariff: "Gas tariff (per m\u00b3)",
  electr_netw_costs: "Electricity fixed costs (per month)",
  gas_netw_costs: "Gas fixed costs (per month)",
  tlgrm_interval: "Telegram interval (s)",
  pre_dsmr40: "Meter older than DSMR 4",
  sm_has_fase_info: "Meter reports each phase",
  mbus1_type: "MBus 1 device type (3 gas, 4 heat, 7 water)",
  mbus2_type: "MBus 2 device type",
  mbus3_type: "MBus 3 device type",
  mbus4_type: "MBus 4 device type",
  readings_days: "Keep fine readings (days)",
  readings_resolution: "Fine readings every (s)",
  mqtt_broker: "MQTT broker (empty: off)",
  mqtt_broker_port: "MQTT port",
  mqtt_user: "MQTT user",
  mqtt_passwd: "MQTT password",
  mqtt_toptopic: "MQTT top topic",
  mqtt_interval: "MQTT interval (s, 0: off)",
  mqtt_discovery: "Home Assistant discovery",
  mqtt_discovery_prefix: "Discovery prefix",
  index_page: "Start page file",
  dailyreboot: "Daily reboot (firmware only)",
  oled_type: "OLED type (firmware only)",
  oled_screen_time: "OLED screen time (firmware only)",
  oled_flip_screen: "OLED flipped (firmware only)",
};
const SETTING_GROUPS = [
  ["Tariffs", /tariff|netw_costs/],
  ["Meter", /^(pre_dsmr40|sm_has_fase_info|mbus\d_type|tlgrm_interval)$/],
  ["History", /^readings_/],
  ["MQTT", /^mqtt_/],
  ["Other", /./],
];

async function loadSettings() {
  const doc = await api("/api/v1/dev/settings");
  state.settingRows = rowsOf(doc);
  state.settings = Object.fromEntries(state.settingRows.map((r) => [r.name, r.value]));
}

function settingInput(row) {
  const input = document.createElement("input");
  input.id = `set-${row.name}`;
  input.name = row.name;
  if (row.type === "i" && +row.min === 0 && +row.max === 1) {
    input.type = "checkbox"; // the firmware's 0/1 switches
    input.checked = +row.value === 1;
    input.dataset.original = input.checked ? "1" : "0";
    return input;
  }
  if (row.type === "i" || row.type === "f") {
    input.type = "number";
    input.step = row.type === "i" ? "1" : "any";
    if (row.min !== undefined) input.min = row.min;
    if (row.max !== undefined) input.max = row.max;
  } else {
    input.type = /passw|token|key/i.test(row.name) ? "password" : "text";
    if (input.type === "password") input.autocomplete = "new-password";
    if (row.maxlen) input.maxLength = row.maxlen;
  }
  input.value = text(row.value);
  input.dataset.original = input.value;
  return input;
}

const inputValue = (input) => (input.type === "checkbox" ? (input.checked ? "1" : "0") : input.value);

function renderSettings() {
  const box = $("#settings-fields");
  const groups = new Map(SETTING_GROUPS.map(([name]) => [name, []]));
  for (const row of state.settingRows) {
    const group = SETTING_GROUPS.find(([, re]) => re.test(row.name))[0];
    const div = document.createElement("div");
    div.className = "row";
    const lab = document.createElement("label");
    lab.htmlFor = `set-${row.name}`;
    lab.textContent = SETTING_LABELS[row.name] || row.name;
    div.append(lab, settingInput(row));
    groups.get(group).push(div);
  }
  const sets = [];
  for (const [name, rows] of groups) {
    if (!rows.length) continue;
    const fs = document.createElement("fieldset");
    const legend = document.createElement("legend");
    legend.textContent = name;
    fs.append(legend, ...rows);
    sets.push(fs);
  }
  box.replaceChildren(...sets);
}

// Writes go one setting at a time, {"name", "value"}, as the firmware's editor sends them.
async function saveSettings(event) {
  event.preventDefault();
  const status = $("#settings-status");
  const tokenInput = $("#token");
  if (tokenInput.value) {
    state.token = tokenInput.value;
    sessionStorage.setItem("dsmrparse-token", state.token);
  }
  const changed = [...document.querySelectorAll("#settings-fields input")].filter((i) => inputValue(i) !== i.dataset.original);
  if (!event.target.reportValidity()) return;
  try {
    for (const input of changed) {
      const v = input.type === "number" || input.type === "checkbox" ? Number(inputValue(input)) : input.value;
      await api("/api/v1/dev/settings", { method: "POST", body: JSON.stringify({ name: input.name, value: v }) });
      input.dataset.original = inputValue(input);
    }
    status.textContent = changed.length ? `saved ${changed.length} setting${changed.length > 1 ? "s" : ""}` : "nothing changed";
    status.dataset.state = "ok";
    await loadSettings();
    renderSettings();
  } catch (err) {
    status.dataset.state = "error";
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
      $("#token-row").hidden = false;
      tokenInput.focus();
      status.textContent = state.token ? "the token was refused" : "this server wants a token for writes";
    } else {
      status.textContent = err.message;
    }
  }
}

async function saveMonth(event) {
  event.preventDefault();
  const form = event.target;
  const status = $("#month-status");
  const tokenInput = $("#token");
  if (tokenInput.value) state.token = tokenInput.value;
  const [year, month] = $("#month-id").value.split("-");
  const record = { recid: `${year.slice(2)}${month}` };
  for (const k of KEYS) record[k] = Number(form.elements[k].value);
  try {
    await api("/api/v1/hist/months", { method: "POST", body: JSON.stringify(record) });
    status.textContent = `saved ${year}-${month}`;
    status.dataset.state = "ok";
  } catch (err) {
    status.dataset.state = "error";
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
      $("#token-row").hidden = false;
      status.textContent = "this server wants a token for writes (see above)";
    } else {
      status.textContent = err.message;
    }
  }
}

// Prefill the month form with the stored registers of the chosen month.
async function prefillMonth() {
  const [year, month] = $("#month-id").value.split("-");
  if (!month) return;
  const next = shift(`${year}-${month}-01`, { months: 1 }).slice(0, 10);
  const rows = listOf(await api(`/api/v1/hist/months?from=${year}-${month}-01&to=${next}`), "months");
  const rec = rows.find((r) => !r.missing && KEYS.every((k) => num(r[k]) !== null));
  for (const k of KEYS) $(`#month-${k}`).value = rec ? num(rec[k]).toFixed(3) : "";
  $("#month-form").dataset.prefilled = `${year}-${month}`; // the form now shows that month
}

// ---- routing ---------------------------------------------------------------------------------

function show(page) {
  if (!PAGES.includes(page)) page = "now";
  state.page = page;
  for (const section of document.querySelectorAll("main > section")) section.hidden = section.dataset.page !== page;
  for (const a of document.querySelectorAll("#nav a")) {
    a.classList.toggle("active", a.hash === `#${page}`);
    if (a.hash === `#${page}`) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  const section = document.getElementById(`page-${page}`);
  if (state.shown !== page) window.scrollTo(0, 0); // a new page starts at its top
  state.shown = page;
  if (section.dataset.period) {
    if (!section.dataset.built) buildPeriodPage(section);
    guard(loadPeriod(page));
  } else if (page === "now") {
    renderNow();
    guard(loadToday());
  } else if (page === "fields") {
    renderFields();
  } else if (page === "telegram") {
    guard(loadTelegram());
  } else if (page === "system") {
    guard(loadSystem());
  } else if (page === "settings") {
    guard(loadSettings().then(renderSettings));
  }
}

function setupTheme() {
  const root = document.documentElement;
  const saved = localStorage.getItem("dsmrparse-theme");
  if (saved) root.dataset.theme = saved;
  $("#theme").addEventListener("click", () => {
    const dark = root.dataset.theme ? root.dataset.theme === "dark" : matchMedia("(prefers-color-scheme: dark)").matches;
    root.dataset.theme = dark ? "light" : "dark";
    localStorage.setItem("dsmrparse-theme", root.dataset.theme); // charts take colours from CSS
  });
}

function start() {
  setupTheme();
  $("#settings-form").addEventListener("submit", saveSettings);
  $("#month-form").addEventListener("submit", saveMonth);
  $("#month-id").addEventListener("change", () => guard(prefillMonth()));
  $("#fields-filter").addEventListener("input", renderFields);
  window.addEventListener("hashchange", () => show(location.hash.slice(1)));
  let resizeTimer = 0;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => show(state.page), 200);
  });
  connect();
  // the first values without waiting for the next telegram (the history pages need the meter's
  // time); then the push channel takes over
  const first = Promise.all([api("/api/v1/sm/actual"), api("/api/v2/telegram").catch(() => null), loadSettings()]);
  first
    .then(([actual, telegram]) => {
      if (!state.telegram) state.telegram = telegram;
      if (!Object.keys(state.actual).length) state.actual = byName(actual);
      showError(null);
      guard(loadRolling());
    }, showError)
    .finally(() => show(location.hash.slice(1) || "now"));
}

start();
